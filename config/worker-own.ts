import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * What belongs to the worker and never to a connector config. A config comes from whoever can start a workflow, so
 * whatever it names (a secret to send, an HR file to read) must not reach the worker's own credentials: its settings and
 * keys (PEAKON_SYNC_*: the encryption key, the codec server's token), Temporal's (TEMPORAL_*: API key, mTLS key) and the
 * payload store's (AWS_*). Matched without regard to case: nothing legitimate is spelt that way in lower case either.
 */
export const WORKER_OWN_VARIABLE_PREFIXES: readonly string[] = ['PEAKON_SYNC_', 'TEMPORAL_', 'AWS_'];

export function isWorkerOwnVariable(name: string): boolean {
  const upper = name.toUpperCase();
  return WORKER_OWN_VARIABLE_PREFIXES.some((prefix) => upper.startsWith(prefix));
}

/**
 * The files the worker's own variables point at (`…_FILE` and `…_PATH`: PEAKON_SYNC_ENCRYPTION_KEY_FILE,
 * TEMPORAL_TLS_CLIENT_KEY_PATH, AWS_SHARED_CREDENTIALS_FILE, …), as absolute paths, each with the variable that names it;
 * and the credential files the SDKs read when no variable names one ({@link defaultCredentialFiles}).
 */
export function workerOwnFiles(env: NodeJS.ProcessEnv): ReadonlyMap<string, string> {
  const files = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.trim() === '' || !isWorkerOwnVariable(name) || !/_(FILE|PATH)$/i.test(name)) continue;
    files.set(path.resolve(value.trim()), name);
  }
  for (const [file, label] of defaultCredentialFiles(env)) if (!files.has(file)) files.set(file, label);
  return files;
}

/**
 * The credential files the worker's SDKs read without being told: the AWS SDK's `~/.aws/credentials` and `~/.aws/config`
 * (and its token caches, `~/.aws/sso/cache/` and `~/.aws/cli/cache/`: every file inside them)
 * (also when AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE name others, which {@link workerOwnFiles} counts too) and
 * Temporal's default config file (`$XDG_CONFIG_HOME/temporalio/temporal.toml`, i.e. `~/.config/temporalio/temporal.toml`;
 * read only when TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE is set, counted always). Each holds keys (`aws_secret_access_key
 * = …`, `api_key = "…"`) a CSV mapping would quote into problems. The home folder is HOME as the SDKs read it, and the
 * process's ({@link homedir}) when that differs; each file is labelled as the default of the variable that replaces it.
 */
function defaultCredentialFiles(env: NodeJS.ProcessEnv): Array<[string, string]> {
  const homes = [...new Set([env.HOME?.trim(), processHome()].filter((home): home is string => home !== undefined && home !== '' && path.isAbsolute(home)))];
  const files: Array<[string, string]> = [];
  for (const home of homes) {
    // Counted also when a variable names another file: an old one left in place still holds keys.
    files.push([path.join(home, '.aws', 'credentials'), 'the default of AWS_SHARED_CREDENTIALS_FILE']);
    files.push([path.join(home, '.aws', 'config'), 'the default of AWS_CONFIG_FILE']);
    // Folders (OWN_FOLDER_MARK): the AWS SDK's and CLI's caches of SSO and assumed-role tokens, one file per session.
    files.push([`${path.join(home, '.aws', 'sso', 'cache')}${OWN_FOLDER_MARK}`, "the AWS SDK's SSO token cache"]);
    files.push([`${path.join(home, '.aws', 'cli', 'cache')}${OWN_FOLDER_MARK}`, "the AWS CLI's credential cache"]);
    // The file Temporal's SDK would read with this home (XDG_CONFIG_HOME aside: counted below as the SDK reads it).
    const underHome = temporalDefaultConfigFile({ ...env, HOME: home, XDG_CONFIG_HOME: undefined });
    if (underHome !== undefined) files.push([underHome, 'the default of TEMPORAL_CONFIG_FILE']);
  }
  const temporalFile = temporalDefaultConfigFile(env);
  if (temporalFile !== undefined) files.push([temporalFile, 'the default of TEMPORAL_CONFIG_FILE']);
  return files.map(([file, label]) => [file.endsWith(OWN_FOLDER_MARK) ? `${path.resolve(file.slice(0, -OWN_FOLDER_MARK.length))}${OWN_FOLDER_MARK}` : path.resolve(file), label]);
}

/** Ends an entry of {@link workerOwnFiles} that is a folder: every file inside it is the worker's own. */
const OWN_FOLDER_MARK = path.sep;

/**
 * Temporal's default config file, where its SDK (@temporalio/envconfig, which does not export it) looks when
 * TEMPORAL_CONFIG_FILE is unset: `%APPDATA%` on Windows,
 * `~/Library/Application Support` on macOS, else `$XDG_CONFIG_HOME` (when absolute) or `~/.config`; undefined when
 * the variables it needs are unset.
 */
export function temporalDefaultConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  if (process.platform === 'win32') return env.APPDATA ? path.join(env.APPDATA, 'temporalio', 'temporal.toml') : undefined;
  if (process.platform === 'darwin') return env.HOME ? path.join(env.HOME, 'Library', 'Application Support', 'temporalio', 'temporal.toml') : undefined;
  const configHome = env.XDG_CONFIG_HOME ? (path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined) : env.HOME ? path.join(env.HOME, '.config') : undefined;
  return configHome === undefined ? undefined : path.join(configHome, 'temporalio', 'temporal.toml');
}

/** The process's home folder; undefined when there is none (os.homedir() throws for a user without one and no HOME). */
function processHome(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

/** The variable whose file `file` is (compared as written and with symlinks resolved on both sides), if any. */
export function workerOwnFileVariable(file: string, ownFiles: ReadonlyMap<string, string>, realFile?: string): string | undefined {
  const lexical = path.resolve(file);
  for (const [ownFile, variable] of ownFiles) {
    if (ownFile.endsWith(OWN_FOLDER_MARK)) {
      const folder = ownFile.slice(0, -OWN_FOLDER_MARK.length);
      if (isInside(folder, lexical) || (realFile !== undefined && isInside(realpathOrSelf(folder), realFile))) return variable;
    } else if (ownFile === lexical || (realFile !== undefined && realpathOrSelf(ownFile) === realFile)) return variable;
  }
  return undefined;
}

export function realpathOrSelf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * Whether `file` lies strictly below `directory` (lexically; the folder itself is not inside). A first segment that only
 * begins with `..` is inside: Kubernetes mounts Secret and ConfigMap volumes as `name -> ..data/name`, `..data ->
 * ..2025_12_02_10_00_00.123/`, so every real path in such a volume is `<mount>/..2025_…/name`.
 */
export function isInside(directory: string, file: string): boolean {
  const relative = path.relative(directory, file);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

export function errorCode(error: unknown): string {
  // Not `instanceof Error`: errors from node:fs may come from another realm (jest's sandbox).
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unreadable';
}

/** Where {@link realFileInside} put a path: its real path, or why it was refused. */
export type Confined =
  | { realFile: string }
  | { refused: 'outside' }
  | { refused: 'directory-unusable'; directory: string; code: string }
  | { refused: 'unreadable'; code: string };

/**
 * The file's real path (`..` and symlinks resolved) when it lies inside one of `directories`. Lexically first, so
 * nothing outside them is even probed; then the real path, so a symlink inside cannot lead out. The one confinement of
 * config-named files: `file:` secrets (the secret directory) and CSV exports (the data directories).
 */
export function realFileInside(file: string, directories: readonly string[]): Confined {
  const lexical = path.resolve(file);
  const usable: Array<{ directory: string; real: string }> = [];
  const broken: Array<{ directory: string; code: string }> = [];
  for (const directory of directories) {
    try {
      usable.push({ directory, real: realpathSync(directory) });
    } catch (error) {
      broken.push({ directory, code: errorCode(error) });
    }
  }
  if (!usable.some((entry) => isInside(entry.directory, lexical) || isInside(entry.real, lexical))) {
    const unusable = broken.find((entry) => isInside(entry.directory, lexical));
    return unusable ? { refused: 'directory-unusable', ...unusable } : { refused: 'outside' };
  }
  let realFile: string;
  try {
    realFile = realpathSync(lexical);
  } catch (error) {
    return { refused: 'unreadable', code: errorCode(error) };
  }
  return usable.some((entry) => isInside(entry.real, realFile)) ? { realFile } : { refused: 'outside' };
}
