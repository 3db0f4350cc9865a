import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../config/load';

/**
 * Everything the worker (and the CLI) reads from its environment. Temporal's own variables (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_CLIENT_CERT_PATH, TEMPORAL_TLS_CLIENT_KEY_PATH,
 * TEMPORAL_TLS_SERVER_CA_CERT_PATH, …) go through @temporalio/envconfig, so the same build runs against the dev
 * server, a self-hosted cluster or Temporal Cloud.
 */
export const WorkerEnvironmentSchema = z.object({
  PEAKON_SYNC_TASK_QUEUE: z.string().min(1).default('peakon-sync'),
  /** Run state (plans, outcomes, reports). Every worker of a deployment must share it. */
  PEAKON_SYNC_STATE_DIR: z.string().min(1).default(path.join('.peakon-sync', 'state')),
  /** Run reports (JSON, one file per run). Default: `reports/` inside the state folder. */
  PEAKON_SYNC_REPORT_DIR: z.string().min(1).optional(),
  /** Structured JSON logs on stdout at this level. */
  PEAKON_SYNC_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** SCIM activities running at once in this worker process. */
  PEAKON_SYNC_SCIM_CONCURRENCY: z.coerce.number().int().positive().default(10),
  /** SCIM activities per second across all workers (server-enforced). 25,000 operations/hour ≈ 6.9/s. */
  PEAKON_SYNC_SCIM_ACTIVITIES_PER_SECOND: z.coerce.number().positive().default(25_000 / 3_600),
});
export type WorkerEnvironment = z.infer<typeof WorkerEnvironmentSchema>;

/** Names of every variable this project reads itself (the compose file and the docs are checked against it). */
export const WORKER_ENVIRONMENT_VARIABLES = Object.keys(WorkerEnvironmentSchema.shape);

export function readWorkerEnvironment(env: NodeJS.ProcessEnv = process.env): WorkerEnvironment {
  const parsed = WorkerEnvironmentSchema.safeParse(env);
  if (!parsed.success) throw new Error(`worker environment is invalid:\n${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

/** Temporal connection settings from TEMPORAL_* variables; the dev server's address when none is set. */
export function temporalConnectConfig(env: NodeJS.ProcessEnv = process.env): ClientConnectConfig & { namespace: string } {
  const config = loadClientConnectConfig({ disableFile: !env.TEMPORAL_CONFIG_FILE, overrideEnvVars: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)) });
  return {
    ...config,
    connectionOptions: { ...config.connectionOptions, address: config.connectionOptions.address ?? 'localhost:7233' },
    namespace: config.namespace ?? 'default',
  };
}
