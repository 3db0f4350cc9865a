import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import path from 'node:path';
import type { DataConverter, ExternalStorage, Payload } from '@temporalio/common';
import { ExternalStorageRunner } from '@temporalio/common/lib/internal-non-workflow';
import { z } from 'zod';
import { connectorDataConverter } from '../codec/data-converter';
import { emptyToUndefined, externalStorageFromEnv } from '../storage/from-env';
import { describeIssues } from '../config/load';
import { DEFAULT_SECRET_DIR, secretPolicyFromEnv } from '../config/secret';
import { temporalDefaultConfigFile } from '../config/worker-own';
import { MetricsAddressSchema } from '../metrics/address';
import { egressProxyFromEnv } from '../net/egress-proxy';

/**
 * Checks one variable with the parser that reads it at run time (the secret policy, the egress proxy), so a typo fails
 * the worker at start, not mid-sync. Those parsers' messages name the variable, and never quote a credential. This sees
 * the variable alone; {@link readWorkerEnvironment} runs the same parsers again on the whole environment.
 */
function validBy(parse: (env: NodeJS.ProcessEnv) => unknown, name: string) {
  return (value: string | undefined, context: z.RefinementCtx) => {
    try {
      parse({ [name]: value });
    } catch (error) {
      context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    }
  };
}

/**
 * The state folder when PEAKON_SYNC_STATE_DIR is unset: relative, so under the working folder of the process that reads
 * it (where existing installs keep their ownership ledger). Every process resolves it once, at start
 * ({@link stateDirectoryOf}), so every path it stores (report paths in results, the ledger, the payload store) is absolute.
 */
export const DEFAULT_STATE_DIRECTORY = path.join('.peakon-sync', 'state');

/** SCIM activities a worker process runs at once per tenant unless PEAKON_SYNC_SCIM_CONCURRENCY says otherwise. */
export const DEFAULT_SCIM_CONCURRENCY = 10;

/** Plans a worker process runs at once unless PEAKON_SYNC_PLAN_CONCURRENCY says otherwise. */
export const DEFAULT_PLAN_CONCURRENCY = 2;

/**
 * Everything the worker (and the CLI) reads from its environment. Temporal's own variables (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH,
 * TEMPORAL_TLS_SERVER_CA_CERT_PATH, …) go through @temporalio/envconfig, so the same build runs against the dev
 * server, a self-hosted cluster or Temporal Cloud.
 */
export const WorkerEnvironmentSchema = z.object({
  PEAKON_SYNC_TASK_QUEUE: z.preprocess(emptyToUndefined, z.string().min(1).default('peakon-sync')),
  /**
   * This worker's own folder (created 0700; never shared): run reports, and the payload store when
   * PEAKON_SYNC_PAYLOAD_STORE is unset (fine for one host; several hosts need an S3-compatible store).
   */
  PEAKON_SYNC_STATE_DIR: z.preprocess(emptyToUndefined, z.string().min(1).default(DEFAULT_STATE_DIRECTORY)),
  /** Run reports (JSON, one file per run, 0600). Default: `reports/` inside the state folder. */
  PEAKON_SYNC_REPORT_DIR: z.preprocess(emptyToUndefined, z.string().min(1).optional()),
  /** Structured JSON logs on stdout at this level. */
  PEAKON_SYNC_LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO')),
  /** SCIM requests running at once in this worker process, per tenant (the rate is each tenant's `operationsPerHour`). */
  PEAKON_SYNC_SCIM_CONCURRENCY: z.preprocess(emptyToUndefined, z.coerce.number().int().positive().default(DEFAULT_SCIM_CONCURRENCY)),
  /**
   * Plans (reading a tenant's HR system and Peakon, mapping, planning) this worker process runs at once, all tenants
   * together; more wait their turn. Each holds its tenant's records (about 4 KB per employee): size the heap for this
   * many of the largest tenant.
   */
  PEAKON_SYNC_PLAN_CONCURRENCY: z.preprocess(emptyToUndefined, z.coerce.number().int().positive().default(DEFAULT_PLAN_CONCURRENCY)),
  /**
   * On SIGTERM, in-flight tasks get this long to finish before they are cancelled (Temporal retries them elsewhere);
   * the process is gone at most 5 s later. Keep it below the orchestrator's own grace (compose: stop_grace_period 60s).
   */
  PEAKON_SYNC_SHUTDOWN_GRACE_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().nonnegative().default(30_000)),
  /**
   * Where each secret may be sent (config/secret.ts): `;`-separated `SECRET=host,host` entries, SECRET an environment
   * variable name or `file:<path>`, a host `name`, `*.domain`, an IP or `loopback`. Unlisted: PEAKON_TOKEN →
   * `*.peakon.com` (a local sandbox needs `PEAKON_TOKEN=loopback`), BAMBOOHR_API_KEY → `api.bamboohr.com`, `*.bamboohr.com`, any other secret → nowhere.
   * The worker's own variables (PEAKON_SYNC_*, TEMPORAL_*, AWS_*) and their files cannot be listed.
   */
  PEAKON_SYNC_SECRET_HOSTS: z.string().optional().superRefine(validBy(secretPolicyFromEnv, 'PEAKON_SYNC_SECRET_HOSTS')),
  /** `file:` secrets must resolve (symlinks and `..` followed) to a path inside this directory. */
  PEAKON_SYNC_SECRET_DIR: z.preprocess(emptyToUndefined, z.string().min(1).default(DEFAULT_SECRET_DIR)),
  /**
   * Folders (`:`-separated) a CSV source's `source.path` must resolve (symlinks and `..` followed) into; `.` is the
   * worker's working directory. Inside them the worker's own folders and key files are still refused (hris/data-dir.ts).
   */
  PEAKON_SYNC_DATA_DIR: z.preprocess(emptyToUndefined, z.string().min(1).default('.')),
  /** `1` allows plain http:// to hosts that are not loopback (Peakon and HR sources); refused otherwise. */
  PEAKON_SYNC_ALLOW_INSECURE_HTTP: z.string().optional().superRefine(validBy(secretPolicyFromEnv, 'PEAKON_SYNC_ALLOW_INSECURE_HTTP')),
  /**
   * `http://host:port` (or `http://user:password@host:port`) of an HTTP proxy every outbound connection of the worker
   * and of `validate` goes through as a CONNECT tunnel (https stays encrypted inside): Peakon, HR sources, the S3
   * payload store and the Temporal server. Unset: direct. HTTPS_PROXY and HTTP_PROXY are not read (net/egress-proxy.ts).
   */
  PEAKON_SYNC_PROXY: z.string().optional().superRefine(validBy(egressProxyFromEnv, 'PEAKON_SYNC_PROXY')),
  /**
   * Hosts reached without the proxy, `,`-separated: `name`, `*.domain` (or `.domain`), IP addresses, or `*`. Loopback
   * and single-label names (compose services) always are.
   */
  PEAKON_SYNC_NO_PROXY: z.string().optional().superRefine(validBy(egressProxyFromEnv, 'PEAKON_SYNC_NO_PROXY')),
  /**
   * `IP:PORT` on which the worker serves Prometheus metrics at `/metrics` (the SDK's and the connector's, see
   * docs/metrics.md), e.g. `0.0.0.0:9464` in a container. Unset (or empty): no metrics endpoint.
   */
  PEAKON_SYNC_METRICS_ADDRESS: z.preprocess(emptyToUndefined, MetricsAddressSchema.optional()),
});
export type WorkerEnvironment = z.infer<typeof WorkerEnvironmentSchema>;

/** Names of every variable this project reads itself (the compose file and the docs are checked against it). */
export const WORKER_ENVIRONMENT_VARIABLES = Object.keys(WorkerEnvironmentSchema.shape);

/**
 * The run-time parsers, given the whole environment as they are at each run: some settings are only wrong next to
 * others (a PEAKON_SYNC_SECRET_HOSTS `file:` binding of the file PEAKON_SYNC_ENCRYPTION_KEY_FILE or
 * TEMPORAL_TLS_CLIENT_KEY_PATH names would otherwise pass the schema, then fail every run of every tenant).
 */
const WHOLE_ENVIRONMENT_CHECKS: ReadonlyArray<(env: NodeJS.ProcessEnv) => unknown> = [secretPolicyFromEnv, egressProxyFromEnv];

/**
 * The worker's environment, with its state and report folders absolute (resolved against the working folder now, at
 * start): a relative folder would otherwise name another place in every process started from another folder.
 */
export function readWorkerEnvironment(env: NodeJS.ProcessEnv = process.env): WorkerEnvironment {
  const parsed = WorkerEnvironmentSchema.safeParse(env);
  if (!parsed.success) throw new Error(`worker environment is invalid:\n${describeIssues(parsed.error.issues)}`);
  const problems: string[] = [];
  for (const check of WHOLE_ENVIRONMENT_CHECKS) {
    try {
      check(env);
    } catch (error) {
      problems.push(`  ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) throw new Error(`worker environment is invalid:\n${problems.join('\n')}`);
  const { PEAKON_SYNC_REPORT_DIR: reportDirectory, ...rest } = parsed.data;
  return {
    ...rest,
    PEAKON_SYNC_STATE_DIR: stateDirectoryOf(env),
    ...(reportDirectory === undefined ? {} : { PEAKON_SYNC_REPORT_DIR: path.resolve(reportDirectory) }),
  };
}

/** The TEMPORAL_* variables that name a TLS file the SDK reads at start. */
const TEMPORAL_TLS_FILE_VARIABLES = ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'] as const;

/**
 * Temporal connection settings from TEMPORAL_* variables; the dev server's address when none is set. Temporal's config
 * file (TEMPORAL_CONFIG_FILE, else the SDK's default `$XDG_CONFIG_HOME/temporalio/temporal.toml`, i.e.
 * `~/.config/temporalio/temporal.toml`) is read only when TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE is set, so a
 * developer's default profile never redirects the worker unasked; a TEMPORAL_PROFILE the file lacks is an error.
 */
export function temporalConnectConfig(env: NodeJS.ProcessEnv = process.env): ClientConnectConfig & { namespace: string } {
  const overrideEnvVars = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const readsFile = Boolean(env.TEMPORAL_CONFIG_FILE) || Boolean(env.TEMPORAL_PROFILE);
  let config: ClientConnectConfig;
  try {
    config = loadClientConnectConfig({ disableFile: !readsFile, overrideEnvVars });
  } catch (error) {
    const reason = tomlProblemWithoutExcerpt(error) ?? (error instanceof Error ? error.message : String(error));
    // The SDK's message is the file system's (`ENOENT … open '<path>'`): name the variable, which is what to fix.
    const tlsVariable = TEMPORAL_TLS_FILE_VARIABLES.find((name) => env[name] && reason.includes(env[name]));
    if (tlsVariable !== undefined) throw new Error(`${tlsVariable}: the Temporal TLS file it names cannot be read (${reason})`, { cause: error });
    const file = env.TEMPORAL_CONFIG_FILE || temporalDefaultConfigFile(env) || 'none: set TEMPORAL_CONFIG_FILE (neither XDG_CONFIG_HOME nor HOME is set)';
    if (reason !== (error instanceof Error ? error.message : String(error))) throw new Error(`Temporal's config file ${file}: ${reason}`);
    if (!env.TEMPORAL_PROFILE) throw error;
    throw new Error(`TEMPORAL_PROFILE=${env.TEMPORAL_PROFILE}: cannot use this profile of Temporal's config file ${file}: ${reason}`);
  }
  return {
    ...config,
    connectionOptions: { ...config.connectionOptions, address: config.connectionOptions.address ?? 'localhost:7233' },
    namespace: config.namespace ?? 'default',
  };
}

/**
 * A TOML syntax error of Temporal's config file, told by line and column only. The parser's own message quotes the lines
 * around the error, and that file holds the API key and may hold a TLS private key (`api_key`, `client_key_data`): a
 * worker restarting in a loop would print them into the container logs at every attempt. Undefined for other errors
 * (the SDK's validation errors name keys, never values).
 */
function tomlProblemWithoutExcerpt(error: unknown): string | undefined {
  if (!(error instanceof Error) || !error.message.startsWith('Invalid TOML document')) return undefined;
  const { line, column } = error as { line?: unknown; column?: unknown };
  const where = typeof line === 'number' && typeof column === 'number' ? ` at line ${line}, column ${column}` : '';
  return `${error.message.split('\n')[0]}${where} (the file's lines are not shown: they may hold the API key)`;
}

/**
 * The state folder, absolute: PEAKON_SYNC_STATE_DIR (a relative one resolved against the working folder), else
 * {@link DEFAULT_STATE_DIRECTORY} under the working folder. Call it at start: the working folder is the process's
 * unless `workingDirectory` says otherwise.
 */
export function stateDirectoryOf(env: NodeJS.ProcessEnv = process.env, workingDirectory: string = process.cwd()): string {
  return path.resolve(workingDirectory, env.PEAKON_SYNC_STATE_DIR || DEFAULT_STATE_DIRECTORY);
}

/**
 * Where the worker writes its run reports, absolute (the path goes into each run's result, read by a CLI started
 * elsewhere): PEAKON_SYNC_REPORT_DIR, else `reports/` inside the state folder.
 */
export function reportDirectoryOf(environment: Pick<WorkerEnvironment, 'PEAKON_SYNC_REPORT_DIR' | 'PEAKON_SYNC_STATE_DIR'>): string {
  return path.resolve(environment.PEAKON_SYNC_REPORT_DIR ?? path.join(environment.PEAKON_SYNC_STATE_DIR, 'reports'));
}

/**
 * The payload store of a worker (and of a CLI on its host) when PEAKON_SYNC_PAYLOAD_STORE is unset: inside the state
 * folder, absolute.
 */
export function defaultPayloadDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDirectoryOf(env), 'payloads');
}

/**
 * How the state folder was chosen, for messages: `default` (PEAKON_SYNC_STATE_DIR unset) and `relative` both depend on
 * the working folder of each process, so a worker and a CLI started from different folders use different ones.
 */
export function stateDirectorySource(env: NodeJS.ProcessEnv = process.env): 'default' | 'relative' | 'absolute' {
  if (!env.PEAKON_SYNC_STATE_DIR) return 'default';
  return path.isAbsolute(env.PEAKON_SYNC_STATE_DIR) ? 'absolute' : 'relative';
}

/**
 * Why a payload may be missing from the default payload store (PEAKON_SYNC_PAYLOAD_STORE unset), for the error that
 * says so (storage/local-driver.ts): a process that reads a result stored by a worker started from another working
 * folder looks in another folder.
 */
export function defaultPayloadStoreMissingHint(env: NodeJS.ProcessEnv = process.env, workingDirectory: string = process.cwd()): string {
  const retention = 'or was it deleted by retention (PEAKON_SYNC_RETENTION_DAYS)?';
  const source = stateDirectorySource(env);
  if (source === 'absolute') {
    return `it is the payload store under PEAKON_SYNC_STATE_DIR (PEAKON_SYNC_PAYLOAD_STORE is unset): do the worker and this process have the same PEAKON_SYNC_STATE_DIR (or one PEAKON_SYNC_PAYLOAD_STORE), ${retention}`;
  }
  const how = source === 'default'
    ? `PEAKON_SYNC_STATE_DIR and PEAKON_SYNC_PAYLOAD_STORE are unset, so it is the default ${path.join(DEFAULT_STATE_DIRECTORY, 'payloads')} under this process's working folder ${workingDirectory}`
    : `PEAKON_SYNC_STATE_DIR=${env.PEAKON_SYNC_STATE_DIR} is relative and PEAKON_SYNC_PAYLOAD_STORE unset, so it is under this process's working folder ${workingDirectory}`;
  return `${how}: if the worker was started from another working folder, that may be the cause (it stored the payload under its own); set the same absolute PEAKON_SYNC_STATE_DIR (or PEAKON_SYNC_PAYLOAD_STORE) for the worker and the CLI, ${retention}`;
}

/** What a worker logs at start about its state folder (it holds no personal data): the absolute folder and how it was chosen. */
export interface StateDirectoryNotice {
  level: 'info' | 'warn';
  message: string;
  stateDirectory: string;
}

/**
 * The start-up line about the state folder. With PEAKON_SYNC_STATE_DIR unset (or relative) the folder depends on the
 * working folder: the line says so, and how to pin it. When the payload store is the default one (the ownership ledger
 * lives in it) and the folder did not exist before this start (`existed` false), a worker restarted from another
 * working folder would look exactly like a first run, having forgotten which Peakon users it owns: that is a warning.
 */
export function stateDirectoryNotice(env: NodeJS.ProcessEnv, existed: boolean, workingDirectory: string = process.cwd()): StateDirectoryNotice {
  const stateDirectory = stateDirectoryOf(env, workingDirectory);
  const source = stateDirectorySource(env);
  const parts = [`state folder ${stateDirectory}`];
  if (source === 'default') {
    parts.push(`PEAKON_SYNC_STATE_DIR is unset: this is the default ${DEFAULT_STATE_DIRECTORY} under the working folder ${workingDirectory}, and a worker or CLI started from another folder uses another one; set PEAKON_SYNC_STATE_DIR to an absolute folder to pin it`);
  } else if (source === 'relative') {
    parts.push(`PEAKON_SYNC_STATE_DIR=${env.PEAKON_SYNC_STATE_DIR} is relative: resolved against the working folder ${workingDirectory}, and a worker or CLI started from another folder uses another one; set PEAKON_SYNC_STATE_DIR to an absolute folder to pin it`);
  }
  const ledgerInside = !env.PEAKON_SYNC_PAYLOAD_STORE?.trim();
  const forgetful = source !== 'absolute' && ledgerInside && !existed;
  if (forgetful) {
    parts.push(`it did not exist before this start, so the ownership ledger (which Peakon users this connector created) starts empty: fine on a first run, but if this worker ran before from another working folder, its ledger is in that folder's ${env.PEAKON_SYNC_STATE_DIR || DEFAULT_STATE_DIRECTORY}: stop this worker and set PEAKON_SYNC_STATE_DIR to that absolute folder`);
  }
  return { level: forgetful ? 'warn' : 'info', message: parts.join('; '), stateDirectory };
}

/**
 * The one payload store (claim check) of workers, clients and the codec server: PEAKON_SYNC_PAYLOAD_STORE, else the
 * state folder's payloads/, whose missing-payload error says why a payload may not be there
 * (defaultPayloadStoreMissingHint).
 */
export function connectorExternalStorageFromEnv(env: NodeJS.ProcessEnv = process.env): ExternalStorage | undefined {
  return externalStorageFromEnv(env, { defaultLocalDirectory: defaultPayloadDirectory(env), defaultLocalMissingHint: defaultPayloadStoreMissingHint(env) });
}

/**
 * For the codec server (`peakon-sync codec-server`, the demo's): payloads of 16 KiB and more (plans, partition work,
 * large results) are in the payload store and history holds a reference to them (the SDK encrypts, then stores). The UI
 * sends that reference: fetched from the store the workers use, it decodes like any other payload.
 */
export function payloadStoreResolverFromEnv(env: NodeJS.ProcessEnv = process.env): { resolvePayload?: (payload: Payload) => Promise<Payload> } {
  const externalStorage = connectorExternalStorageFromEnv(env);
  if (!externalStorage) return {};
  const runner = new ExternalStorageRunner(externalStorage);
  return { resolvePayload: async (payload) => (await runner.retrieve([payload]))[0] ?? payload };
}

/** The one data converter of workers and clients: the codec (encryption) and the payload store (claim check). */
export function connectorDataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  const externalStorage = connectorExternalStorageFromEnv(env);
  return connectorDataConverter(env, externalStorage ? { externalStorage } : {});
}
