import { readFileSync } from 'node:fs';
import { isIP, isIPv4 } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { warnIfReadableByOthers } from './secret-file-mode';
import { errorCode, isWorkerOwnVariable, realFileInside, realpathOrSelf, WORKER_OWN_VARIABLE_PREFIXES, workerOwnFiles, workerOwnFileVariable } from './worker-own';

/** How a refusal describes the worker's own variables; never a value. */
const OWN_VARIABLES = WORKER_OWN_VARIABLE_PREFIXES.map((prefix) => `${prefix}*`).join(', ');

/**
 * Where a secret comes from. Secrets are never written in the config file itself, so they never reach workflow history.
 * The worker's own variables are refused here already, so `validate` and `sync` name the field before any run.
 */
export const SecretRefSchema = z.union([
  z.strictObject({
    env: z
      .string()
      .min(1)
      .refine((name) => !isWorkerOwnVariable(name), { error: (issue) => `${String(issue.input)} is one of the worker's own variables (${OWN_VARIABLES}) and can never be a config secret` })
      .describe('name of an environment variable of the worker'),
  }),
  z.strictObject({ file: z.string().min(1).describe('path of a file the worker can read (e.g. a mounted secret)') }),
], { error: 'expected { env: NAME } or { file: path }: a secret is never written in the config file itself, only where the worker reads it' });
export type SecretRef = z.infer<typeof SecretRefSchema>;

/** Where a resolved secret is about to be sent: the full URL of the request that will carry it. */
export interface SecretDestination {
  url: string | URL;
  /** The config field that names the secret (`peakon.token`, `source.auth.token`, …): what a refusal names. */
  field: string;
}

/**
 * Turns a reference into the secret's value, for one destination. The config names both the secret and the URL, and
 * the config comes from whoever starts a workflow, so the production resolver ({@link createSecretResolver}) refuses
 * any destination the worker's operator has not bound the secret to. Injected so tests can supply secrets directly.
 */
export type SecretResolver = (ref: SecretRef, destination: SecretDestination) => string;

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

/**
 * The worker's policy refused a secret or a destination (unbound host, file outside the secret directory, plain
 * http). Still named `SecretError`, so activities turn it into a non-retryable ConfigInvalid failure; callers that
 * wrap secret errors (the HR sources) let this one through unchanged.
 */
export class SecretPolicyError extends SecretError {}

/** Names where the secret was looked for, never its value. */
export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

/** Worker environment variables that make up the policy (also declared in worker/environment.ts). */
export const SECRET_HOSTS_VARIABLE = 'PEAKON_SYNC_SECRET_HOSTS';
export const SECRET_DIR_VARIABLE = 'PEAKON_SYNC_SECRET_DIR';
export const ALLOW_INSECURE_HTTP_VARIABLE = 'PEAKON_SYNC_ALLOW_INSECURE_HTTP';
export const DEFAULT_SECRET_DIR = '/run/secrets';

/** The pattern that stands for 127.0.0.0/8, `localhost` and `::1` in a binding. */
export const LOOPBACK = 'loopback';

/**
 * Bindings that apply to secrets the operator did not list in PEAKON_SYNC_SECRET_HOSTS; any other secret is bound to
 * nothing. Never to loopback, PEAKON_TOKEN included: configs come from whoever starts a workflow, and a loopback
 * binding would let one send the secret to whatever listens on the worker's 127.0.0.1 (a sidecar, another user of a
 * shared host). Production hosts are not loopback, so only local stand-ins (the sandbox) need an entry
 * (`PEAKON_TOKEN=loopback`); the demo and the test harness inject their own resolver or set it.
 */
export const DEFAULT_SECRET_HOSTS: Readonly<Record<string, readonly string[]>> = {
  PEAKON_TOKEN: ['*.peakon.com'],
  BAMBOOHR_API_KEY: ['api.bamboohr.com', '*.bamboohr.com'],
};

/** What the worker's operator allows; built from the worker's environment, never from a connector config. */
export interface SecretPolicy {
  /** Key: an environment variable name, or `file:<absolute path>`. Value: host patterns (`host`, `*.domain`, `loopback`). */
  bindings: ReadonlyMap<string, readonly string[]>;
  /** `file:` secrets must resolve (symlinks followed) to a path inside this directory. */
  secretDirectory: string;
  /** `http://` to a host that is not loopback is refused unless this is set. */
  allowInsecureHttp: boolean;
  /** The files the worker's own variables name (its keys, Temporal's TLS key, AWS credentials): never a config secret. */
  ownFiles: ReadonlyMap<string, string>;
  /**
   * The keys PEAKON_SYNC_SECRET_HOSTS lists itself (not those left at {@link DEFAULT_SECRET_HOSTS}): what a refusal's
   * advice goes by, to add a host to a listed entry rather than replace it. Absent: nothing listed.
   */
  listed?: ReadonlySet<string>;
}

const HOST_PATTERN = /^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

/**
 * Reads the policy from the worker's environment:
 * - `PEAKON_SYNC_SECRET_HOSTS`: `;`-separated `SECRET=host,host` entries. SECRET is an env variable name or
 *   `file:<path>`; a host is `name.example.com`, `*.example.com` (any subdomain, not the domain itself), an IP
 *   address or `loopback`. A listed secret gets exactly its list; unlisted ones keep {@link DEFAULT_SECRET_HOSTS}, any
 *   other is bound to nothing. The worker's own variables and files cannot be listed: they are never config secrets.
 * - `PEAKON_SYNC_SECRET_DIR`: where `file:` secrets may live (default `/run/secrets`).
 * - `PEAKON_SYNC_ALLOW_INSECURE_HTTP=1`: allow plain `http://` to non-loopback hosts.
 * A malformed value throws a SecretPolicyError naming the variable.
 */
export function secretPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): SecretPolicy {
  const bindings = new Map<string, readonly string[]>(Object.entries(DEFAULT_SECRET_HOSTS));
  const listed = new Set<string>();
  const ownFiles = workerOwnFiles(env);
  for (const entry of (env[SECRET_HOSTS_VARIABLE] ?? '').split(';')) {
    if (entry.trim() === '') continue;
    // A path may contain "=", a host never does: split at the last one.
    const at = entry.lastIndexOf('=');
    const name = entry.slice(0, at).trim();
    const hosts = entry.slice(at + 1).split(',').map((host) => normalizeHost(host.trim())).filter((host) => host !== '');
    if (at <= 0 || name === '' || name === 'file:') {
      throw new SecretPolicyError(`${SECRET_HOSTS_VARIABLE}: "${entry.trim()}" is not SECRET=host,host (SECRET is an environment variable name or file:<path>)`);
    }
    for (const host of hosts) {
      if (host !== LOOPBACK && !isHostPattern(host)) {
        throw new SecretPolicyError(`${SECRET_HOSTS_VARIABLE}: "${host}" (for ${name}) is not a host name, *.domain, an IP address or "${LOOPBACK}" (no ports)`);
      }
    }
    const key = name.startsWith('file:') ? `file:${path.resolve(name.slice('file:'.length))}` : name;
    const own = key.startsWith('file:') ? workerOwnFileVariable(key.slice('file:'.length), ownFiles) : isWorkerOwnVariable(key) ? key : undefined;
    if (own !== undefined) {
      throw new SecretPolicyError(`${SECRET_HOSTS_VARIABLE}: ${key.startsWith('file:') ? `${key} is the file of ${own}, ` : `${key} is `}one of the worker's own secrets (${OWN_VARIABLES} and the files they name), which are never config secrets`);
    }
    bindings.set(key, hosts);
    listed.add(key);
  }
  const allow = (env[ALLOW_INSECURE_HTTP_VARIABLE] ?? '').trim().toLowerCase();
  if (!['', '0', 'false', '1', 'true'].includes(allow)) {
    throw new SecretPolicyError(`${ALLOW_INSECURE_HTTP_VARIABLE} must be 1 or 0 (got "${env[ALLOW_INSECURE_HTTP_VARIABLE] ?? ''}")`);
  }
  const directory = env[SECRET_DIR_VARIABLE]?.trim() || DEFAULT_SECRET_DIR;
  return { bindings, secretDirectory: path.resolve(directory), allowInsecureHttp: allow === '1' || allow === 'true', ownFiles, listed };
}

/** `name.example.com`, `*.example.com` or an IP address (lower case): a host pattern {@link hostMatches} understands. */
export function isHostPattern(host: string): boolean {
  const normalized = normalizeHost(host);
  return HOST_PATTERN.test(normalized) || isIpLiteral(normalized);
}

/** Lower case, brackets of an IPv6 literal and one trailing dot removed: the form hosts are compared in. */
function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** An IPv4 or IPv6 address (brackets already removed); `10.0.0.5:8443` is neither, a port is never part of a host. */
function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}

/** 127.0.0.0/8, `localhost` and `::1`; the host as a WHATWG URL gives it (decimal IPv4 forms are already dotted). */
export function isLoopbackHost(host: string): boolean {
  const normalized = normalizeHost(host);
  if (normalized === 'localhost' || normalized === '::1') return true;
  return isIPv4(normalized) && normalized.startsWith('127.');
}

/** `*.peakon.com` matches `acme.peakon.com` and `a.b.peakon.com`, not `peakon.com` nor `peakon.com.evil.io`. */
export function hostMatches(pattern: string, host: string): boolean {
  const wanted = normalizeHost(pattern);
  const actual = normalizeHost(host);
  if (wanted === LOOPBACK) return isLoopbackHost(actual);
  if (wanted.startsWith('*.')) return actual.endsWith(wanted.slice(1)) && actual.length > wanted.length - 1;
  return actual === wanted;
}

function parseDestination(url: string | URL): URL {
  try {
    return new URL(url);
  } catch {
    throw new SecretPolicyError(`"${String(url)}" is not a valid URL`);
  }
}

/**
 * Refuses a destination the worker must not talk to whatever it sends: anything but http(s), and plain `http://`
 * to a host that is not loopback unless PEAKON_SYNC_ALLOW_INSECURE_HTTP is set. Purely syntactic: no DNS lookup.
 */
export function assertSecureDestination(url: string | URL, policy: Pick<SecretPolicy, 'allowInsecureHttp'> = secretPolicyFromEnv()): URL {
  const parsed = parseDestination(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new SecretPolicyError(`refusing ${parsed.protocol} URL for host ${parsed.hostname || '(none)'}: only http and https are supported`);
  }
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname) && !policy.allowInsecureHttp) {
    throw new SecretPolicyError(
      `refusing plain http:// to host ${parsed.hostname}: use https, or set ${ALLOW_INSECURE_HTTP_VARIABLE}=1 on the worker to allow unencrypted traffic`,
    );
  }
  return parsed;
}

/**
 * The hosts a secret may be sent to under a policy, and the key of PEAKON_SYNC_SECRET_HOSTS that binds it (the one
 * an entry for it would have, when none does). `realFile` is the file's resolved path, for `file:` secrets.
 */
function boundHosts(ref: SecretRef, policy: SecretPolicy, realFile?: string): { key: string; hosts: readonly string[] } {
  if ('env' in ref) return { key: ref.env, hosts: policy.bindings.get(ref.env) ?? [] };
  for (const [key, hosts] of policy.bindings) {
    if (!key.startsWith('file:')) continue;
    const listed = key.slice('file:'.length);
    if (listed === path.resolve(ref.file) || listed === realFile || realpathOrSelf(listed) === realFile) return { key, hosts };
  }
  return { key: `file:${path.resolve(ref.file)}`, hosts: [] };
}

/**
 * What to set so that the secret may go to `host`, as PEAKON_SYNC_SECRET_HOSTS takes it: `KEY=loopback` for a
 * loopback host (127.0.0.0/8, localhost, ::1), else `KEY=<host>`. An entry the operator listed keeps its hosts, the
 * new one added; a secret left at its default binding gets the host alone (a listed secret gets exactly its list).
 * Names only this secret's entry, never another one's, and never a value.
 */
function bindingAdvice(key: string, hosts: readonly string[], host: string, policy: SecretPolicy): string {
  const wanted = isLoopbackHost(host) ? LOOPBACK : host;
  const listed = policy.listed?.has(key) === true;
  const entry = `${key}=${[...(listed ? hosts : []), wanted].join(',')}`;
  if (listed) return `change its entry in ${SECRET_HOSTS_VARIABLE} to ${entry} on the worker to allow it`;
  if ((policy.listed?.size ?? 0) > 0) return `add ${entry} to ${SECRET_HOSTS_VARIABLE} (entries separated by ;) on the worker to allow it`;
  return `set ${SECRET_HOSTS_VARIABLE}=${entry} on the worker to allow it`;
}

/** The worker's own variables and files are never a config's secret, whatever the destination or the bindings. */
function refuseWorkerOwn(ref: SecretRef, field: string, policy: SecretPolicy, realFile?: string): void {
  if ('env' in ref) {
    if (isWorkerOwnVariable(ref.env)) throw new SecretPolicyError(`${field}: environment variable ${ref.env} is one of the worker's own (${OWN_VARIABLES}) and can never be a config secret`);
    return;
  }
  const variable = workerOwnFileVariable(ref.file, policy.ownFiles, realFile);
  if (variable !== undefined) throw new SecretPolicyError(`${field}: file ${ref.file} is the worker's own (named by ${variable}) and can never be a config secret`);
}

/**
 * The one gate every secret passes on its way out: destination scheme, the secret's host binding, the secret
 * directory for files; only then is the secret read. Nothing is read or sent when any check fails.
 */
export function resolveSecretWithPolicy(ref: SecretRef, destination: SecretDestination, policy: SecretPolicy, env: NodeJS.ProcessEnv = process.env): string {
  // First, before the destination is even parsed: the file's name alone already tells (nothing outside is probed).
  refuseWorkerOwn(ref, destination.field, policy);
  const url = assertSecureDestination(destination.url, policy);
  const host = normalizeHost(url.hostname);
  const describe = describeSecretRef(ref);
  let realFile: string | undefined;
  if ('file' in ref) {
    realFile = secretFileInside(ref, policy.secretDirectory);
    // Again with symlinks resolved: a link in the secret directory to the worker's key file is that key file.
    refuseWorkerOwn(ref, destination.field, policy, realFile);
  }
  const { key, hosts } = boundHosts(ref, policy, realFile);
  if (!hosts.some((pattern) => hostMatches(pattern, host))) {
    throw new SecretPolicyError(`secret ${describe} is not bound to host ${host} (bound: ${hosts.join(', ') || 'nothing'}); ${bindingAdvice(key, hosts, host, policy)}`);
  }
  if ('env' in ref) {
    const set = env[ref.env];
    // Unset only when absent: `PEAKON_TOKEN= peakon-sync …` sets it, empty.
    if (set === undefined) throw new SecretError(`secret ${describe} is not set`);
    // One trailing newline dropped, as from a file: a Kubernetes secret made with `--from-file` keeps the file's.
    return nonEmpty(withoutTrailingNewline(set), describe);
  }
  let text: string;
  try {
    text = readFileSync(realFile ?? ref.file, 'utf8');
  } catch (error) {
    throw new SecretError(`secret ${describe} cannot be read (${errorCode(error)})`);
  }
  // Read on every request: the helper warns once per file and process, and never refuses (see there why).
  warnIfReadableByOthers(ref.file, `secret ${destination.field}`);
  return nonEmpty(withoutTrailingNewline(text), describe);
}

/** A value that is nothing, or only spaces and newlines, is no secret: refused as empty (never quoted). */
function nonEmpty(value: string, describe: string): string {
  if (value === '') throw new SecretError(`secret ${describe} is empty`);
  if (value.trim() === '') throw new SecretError(`secret ${describe} is empty (only whitespace)`);
  return value;
}

/** A secret's value without one trailing newline (`\n` or `\r\n`), as `echo` or an editor leaves it; only one. */
export function withoutTrailingNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** The file's real path (`..` and symlinks resolved), refused unless it lies inside the secret directory. */
function secretFileInside(ref: { file: string }, secretDirectory: string): string {
  const confined = realFileInside(ref.file, [secretDirectory]);
  if ('realFile' in confined) return confined.realFile;
  switch (confined.refused) {
    case 'outside':
      throw new SecretPolicyError(`secret ${describeSecretRef(ref)} is outside the worker's secret directory ${secretDirectory}; set ${SECRET_DIR_VARIABLE} on the worker to change it`);
    case 'directory-unusable':
      throw new SecretPolicyError(`the worker's secret directory ${secretDirectory} cannot be used (${confined.code}); set ${SECRET_DIR_VARIABLE} on the worker`);
    case 'unreadable':
      throw new SecretError(`secret ${describeSecretRef(ref)} cannot be read (${confined.code})`);
  }
}

/**
 * The production resolver. The policy is read from `env` once (a malformed PEAKON_SYNC_SECRET_HOSTS fails here, at
 * worker start); secret values are read from `env` and the file system at each call, so a rotated secret is picked up.
 */
export function createSecretResolver(env: NodeJS.ProcessEnv = process.env): SecretResolver {
  const policy = secretPolicyFromEnv(env);
  return (ref, destination) => resolveSecretWithPolicy(ref, destination, policy, env);
}

/**
 * The resolver for the process's own environment, policy read at each call (for code that imports it before the
 * environment is final). A trailing newline (as `echo` leaves it in mounted files, or `kubectl create secret
 * --from-file` in a variable) is dropped.
 */
export const resolveSecret: SecretResolver = (ref, destination) => resolveSecretWithPolicy(ref, destination, secretPolicyFromEnv(process.env), process.env);
