import { realpathSync } from 'node:fs';
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
 * TEMPORAL_TLS_CLIENT_KEY_PATH, AWS_SHARED_CREDENTIALS_FILE, …), as absolute paths, each with the variable that names it.
 */
export function workerOwnFiles(env: NodeJS.ProcessEnv): ReadonlyMap<string, string> {
  const files = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.trim() === '' || !isWorkerOwnVariable(name) || !/_(FILE|PATH)$/i.test(name)) continue;
    files.set(path.resolve(value.trim()), name);
  }
  return files;
}

/** The variable whose file `file` is (compared as written and with symlinks resolved on both sides), if any. */
export function workerOwnFileVariable(file: string, ownFiles: ReadonlyMap<string, string>, realFile?: string): string | undefined {
  const lexical = path.resolve(file);
  for (const [ownFile, variable] of ownFiles) {
    if (ownFile === lexical || (realFile !== undefined && realpathOrSelf(ownFile) === realFile)) return variable;
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

export function isInside(directory: string, file: string): boolean {
  const relative = path.relative(directory, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
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
