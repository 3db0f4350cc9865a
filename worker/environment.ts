import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { z } from 'zod';
import { connectorDataConverter } from '../codec/data-converter';
import { externalStorageFromEnv } from '../storage/from-env';
import { describeIssues } from '../config/load';
import { DEFAULT_SECRET_DIR, secretPolicyFromEnv } from '../config/secret';
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

/** Plans a worker process runs at once unless PEAKON_SYNC_PLAN_CONCURRENCY says otherwise. */
export const DEFAULT_PLAN_CONCURRENCY = 2;

/**
 * Everything the worker (and the CLI) reads from its environment. Temporal's own variables (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH,
 * TEMPORAL_TLS_SERVER_CA_CERT_PATH, …) go through @temporalio/envconfig, so the same build runs against the dev
 * server, a self-hosted cluster or Temporal Cloud.
 */
export const WorkerEnvironmentSchema = z.object({
  PEAKON_SYNC_TASK_QUEUE: z.string().min(1).default('peakon-sync'),
  /**
   * This worker's own folder (created 0700; never shared): run reports, and the payload store when
   * PEAKON_SYNC_PAYLOAD_STORE is unset (fine for one host; several hosts need an S3-compatible store).
   */
  PEAKON_SYNC_STATE_DIR: z.string().min(1).default(path.join('.peakon-sync', 'state')),
  /** Run reports (JSON, one file per run, 0600). Default: `reports/` inside the state folder. */
  PEAKON_SYNC_REPORT_DIR: z.string().min(1).optional(),
  /** Structured JSON logs on stdout at this level. */
  PEAKON_SYNC_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** SCIM requests running at once in this worker process, per tenant (the rate is each tenant's `operationsPerHour`). */
  PEAKON_SYNC_SCIM_CONCURRENCY: z.coerce.number().int().positive().default(10),
  /**
   * Plans (reading a tenant's HR system and Peakon, mapping, planning) this worker process runs at once, all tenants
   * together; more wait their turn. Each holds its tenant's records (about 4 KB per employee): size the heap for this
   * many of the largest tenant.
   */
  PEAKON_SYNC_PLAN_CONCURRENCY: z.coerce.number().int().positive().default(DEFAULT_PLAN_CONCURRENCY),
  /**
   * On SIGTERM, in-flight tasks get this long to finish before they are cancelled (Temporal retries them elsewhere);
   * the process is gone at most 5 s later. Keep it below the orchestrator's own grace (compose: stop_grace_period 60s).
   */
  PEAKON_SYNC_SHUTDOWN_GRACE_MS: z.coerce.number().int().nonnegative().default(30_000),
  /**
   * Where each secret may be sent (config/secret.ts): `;`-separated `SECRET=host,host` entries, SECRET an environment
   * variable name or `file:<path>`, a host `name`, `*.domain`, an IP or `loopback`. Unlisted: PEAKON_TOKEN →
   * `*.peakon.com` (a local sandbox needs `PEAKON_TOKEN=loopback`), BAMBOOHR_API_KEY → `api.bamboohr.com`, `*.bamboohr.com`, any other secret → nowhere.
   * The worker's own variables (PEAKON_SYNC_*, TEMPORAL_*, AWS_*) and their files cannot be listed.
   */
  PEAKON_SYNC_SECRET_HOSTS: z.string().optional().superRefine(validBy(secretPolicyFromEnv, 'PEAKON_SYNC_SECRET_HOSTS')),
  /** `file:` secrets must resolve (symlinks and `..` followed) to a path inside this directory. */
  PEAKON_SYNC_SECRET_DIR: z.string().min(1).default(DEFAULT_SECRET_DIR),
  /**
   * Folders (`:`-separated) a CSV source's `source.path` must resolve (symlinks and `..` followed) into; `.` is the
   * worker's working directory. Inside them the worker's own folders and key files are still refused (hris/data-dir.ts).
   */
  PEAKON_SYNC_DATA_DIR: z.string().min(1).default('.'),
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
  PEAKON_SYNC_METRICS_ADDRESS: z.preprocess((value) => (value === '' ? undefined : value), MetricsAddressSchema.optional()),
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
  return parsed.data;
}

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
    if (!env.TEMPORAL_PROFILE) throw error;
    const file = env.TEMPORAL_CONFIG_FILE || temporalDefaultConfigFile(env) || 'none: set TEMPORAL_CONFIG_FILE (neither XDG_CONFIG_HOME nor HOME is set)';
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`TEMPORAL_PROFILE=${env.TEMPORAL_PROFILE}: cannot use this profile of Temporal's config file ${file}: ${reason}`);
  }
  return {
    ...config,
    connectionOptions: { ...config.connectionOptions, address: config.connectionOptions.address ?? 'localhost:7233' },
    namespace: config.namespace ?? 'default',
  };
}

/** The SDK's default Temporal config file (as @temporalio/envconfig finds it, which does not export it). */
function temporalDefaultConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  if (process.platform === 'win32') return env.APPDATA ? path.join(env.APPDATA, 'temporalio', 'temporal.toml') : undefined;
  if (process.platform === 'darwin') return env.HOME ? path.join(env.HOME, 'Library', 'Application Support', 'temporalio', 'temporal.toml') : undefined;
  const configHome = env.XDG_CONFIG_HOME ? (path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined) : env.HOME ? path.join(env.HOME, '.config') : undefined;
  return configHome === undefined ? undefined : path.join(configHome, 'temporalio', 'temporal.toml');
}

/** Where the worker writes its run reports: PEAKON_SYNC_REPORT_DIR, else `reports/` inside the state folder. */
export function reportDirectoryOf(environment: Pick<WorkerEnvironment, 'PEAKON_SYNC_REPORT_DIR' | 'PEAKON_SYNC_STATE_DIR'>): string {
  return environment.PEAKON_SYNC_REPORT_DIR ?? path.join(environment.PEAKON_SYNC_STATE_DIR, 'reports');
}

/** The payload store of a worker (and of a CLI on its host) when PEAKON_SYNC_PAYLOAD_STORE is unset: inside the state folder. */
export function defaultPayloadDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.PEAKON_SYNC_STATE_DIR || path.join('.peakon-sync', 'state'), 'payloads');
}

/** The one data converter of workers and clients: the codec (encryption) and the payload store (claim check). */
export function connectorDataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  const externalStorage = externalStorageFromEnv(env, { defaultLocalDirectory: defaultPayloadDirectory(env) });
  return connectorDataConverter(env, externalStorage ? { externalStorage } : {});
}
