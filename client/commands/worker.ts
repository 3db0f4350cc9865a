import { NativeConnection, Runtime } from '@temporalio/worker';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';

import { ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE, CODEC_SERVER_TOKEN_VARIABLE, ENCRYPTION_ENVIRONMENT_VARIABLES, readEncryptionKeys } from '../../codec/keys';
import { PeakonConnectionSchema } from '../../config/schema';
import { DEFAULT_SECRET_HOSTS, describeSecretRef } from '../../config/secret';
import { WORKER_OWN_VARIABLE_PREFIXES } from '../../config/worker-own';
import { createSyncWorkers, defaultActivityDeps } from '../../worker/create-worker';
import { UNCONDITIONAL_LEDGER_CONSEQUENCE, type LedgerStore, type LedgerStoreCheck } from '../../ownership/store';
import { DEFAULT_PAYLOAD_THRESHOLD_BYTES, DEFAULT_RETENTION_DAYS, STORAGE_ENVIRONMENT_VARIABLES, storageConfigFromEnv } from '../../storage/from-env';
import { startRetentionSweeper } from '../../storage/retention';
import { connectorDataConverterFromEnv, defaultPayloadDirectory, readWorkerEnvironment, reportDirectoryOf, stateDirectoryNotice, temporalConnectConfig, WORKER_ENVIRONMENT_VARIABLES, WorkerEnvironmentSchema } from '../../worker/environment';
import { installJsonLogging } from '../../worker/logging';
import { writeLogLine } from '../../worker/log-line';
import { warnAboutSecretFilesAsLogLines } from '../../config/secret-file-mode';
import { checkReportDirectory, missingLedgerWarning } from '../../worker/startup-checks';
import { installRuntimeWithMetrics } from '../../metrics/prometheus';
import { describeTemporalTunnelFailure, egressProxyFromEnv, temporalProxyConfig } from '../../net/egress-proxy';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker: executes sync workflows and their Peakon calls (configured by environment variables)')
    .addHelpText('after', () => `\n${workerEnvironmentHelp()}`)
    .action(async () => {
      // A secret file others can read (the encryption key, read next) is warned about as one of the worker's JSON lines.
      warnAboutSecretFilesAsLogLines();
      // The state folder (PEAKON_SYNC_STATE_DIR, default under the working folder) is absolute from here on.
      const environment = readWorkerEnvironment();
      // Before anything creates it: a default state folder that did not exist holds no ownership ledger yet.
      const stateDirectoryExisted = existsSync(environment.PEAKON_SYNC_STATE_DIR);
      // First: a missing key (without the explicit opt-out) or a malformed one stops the worker with its own message
      // before anything starts, so no HR data is ever handled unencrypted by accident.
      const dataConverter = connectorDataConverterFromEnv();
      // Which folder this worker keeps its reports and (by default) payloads and ownership ledger in, and whether it
      // depends on the working folder: a worker started elsewhere would use another one (docs/deploy.md).
      const stateNotice = stateDirectoryNotice(process.env, stateDirectoryExisted);
      writeLogLine(stateNotice.level, stateNotice.message, { stateDirectory: stateNotice.stateDirectory });
      const reportDirectory = reportDirectoryOf(environment);
      const deps = defaultActivityDeps(reportDirectory);
      // Before Temporal (and before the runtime, which would keep a failed process alive): a worker that cannot write
      // the store would poll, then fail every run's first payload.
      const payloadStore = await checkPayloadStore(deps.ownership);
      // Likewise the report folder: one it cannot write would fail every run's last step, after all its Peakon writes.
      await checkReportDirectory(reportDirectory);
      // A local store without a ledger: a first install, or a folder other than the one the tenants synced with (a
      // container without its volume). Said once, unless the state folder's own line just warned of the same.
      const noLedger = stateNotice.level === 'warn' ? undefined : await missingLedgerWarning(process.env);
      if (noLedger) writeLogLine('warn', noLedger.message, { ledgerFolder: noLedger.ledgerFolder });
      // Also before the runtime: a bad TLS file or profile must end the process, not leave it printed and idle.
      const { connectionOptions, namespace } = temporalConnectConfig();
      // The Rust core speaks CONNECT itself: PEAKON_SYNC_PROXY carries the Temporal connection too, unless bypassed.
      const proxy = temporalProxyConfig(connectionOptions.address);
      // The runtime is installed once per process, so the metrics endpoint is decided here, before any connection.
      const metricsAddress = environment.PEAKON_SYNC_METRICS_ADDRESS;
      if (metricsAddress === undefined) installJsonLogging(environment.PEAKON_SYNC_LOG_LEVEL);
      else installRuntimeWithMetrics(environment.PEAKON_SYNC_LOG_LEVEL, metricsAddress);
      // Once installed, the runtime keeps the process alive until its last connection closes: every failure from here
      // on closes the connection, so a worker that cannot start exits (and its orchestrator restarts it).
      const connection = await NativeConnection.connect({ ...connectionOptions, ...(proxy ? { proxy } : {}) }).catch((error: unknown) => {
        // The core's own error is a multi-kilobyte transport dump that names neither the proxy nor the setting.
        throw proxy ? new Error(describeTemporalTunnelFailure(connectionOptions.address ?? '', error)) : error;
      });
      const workers = await createSyncWorkers({
        connection,
        namespace,
        taskQueue: environment.PEAKON_SYNC_TASK_QUEUE,
        deps,
        dataConverter,
        maxConcurrentScimActivities: environment.PEAKON_SYNC_SCIM_CONCURRENCY,
        maxConcurrentPlans: environment.PEAKON_SYNC_PLAN_CONCURRENCY,
        shutdownGraceMs: environment.PEAKON_SYNC_SHUTDOWN_GRACE_MS,
      }).catch(async (error: unknown) => {
        await connection.close();
        throw error;
      });
      // SIGTERM (docker stop, Kubernetes) drains in-flight tasks; Temporal retries whatever is cut off.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => workers.shutdown());
      const encryptionKeyId = readEncryptionKeys()?.current.id;
      writeLogLine(encryptionKeyId ? 'info' : 'warn', 'worker polling', { taskQueue: environment.PEAKON_SYNC_TASK_QUEUE, address: connectionOptions.address, namespace, encryptionKeyId: encryptionKeyId ?? `none: ${ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE} is set, payloads are stored in plain text`, metrics: metricsAddress === undefined ? 'off' : `http://${metricsAddress}/metrics`, egressProxy: egressProxyFromEnv()?.origin ?? 'none', payloadStore: payloadStore.location, ledgerWrites: payloadStore.writes });
      if (payloadStore.writes.startsWith('unconditional')) {
        writeLogLine('warn', `the payload store ${payloadStore.location} has no working conditional writes (${payloadStore.writes.replace('unconditional: ', '')}): ownership-ledger writes are unconditional, and ${UNCONDITIONAL_LEDGER_CONSEQUENCE}`);
      }
      // Run data (stored payloads) and report files hold personal data: the worker deletes them after the retention.
      const storage = storageConfigFromEnv(process.env, { defaultLocalDirectory: defaultPayloadDirectory() });
      const stopRetention = startRetentionSweeper({ ...(storage.store ? { store: storage.store } : {}), reportDirectory, retentionDays: storage.retentionDays, log: Runtime.instance().logger });
      try {
        await workers.run();
      } finally {
        await stopRetention();
        await connection.close();
      }
    });
}

/** The payload store every worker shares (payloads, ownership ledgers), written, read and deleted once at start-up. */
async function checkPayloadStore(ledger: LedgerStore | undefined): Promise<LedgerStoreCheck> {
  if (!ledger) throw new Error('the worker has no ownership ledger store'); // defaultActivityDeps always makes one
  try {
    return await ledger.check();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot use the payload store at ${ledger.location} (PEAKON_SYNC_PAYLOAD_STORE; unset: a folder under PEAKON_SYNC_STATE_DIR): its start-up check (a probe written, read and deleted; on S3 also a missing key read and one key listed) failed: ${reason}`);
  }
}

/**
 * The TEMPORAL_* variables of Temporal's own environment configuration (@temporalio/envconfig reads them; it exports no
 * list): the ones an operator sets. The SDK's full set (TLS data, gRPC metadata, …) is documented by Temporal.
 */
const TEMPORAL_CONNECTION_VARIABLES = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_CONFIG_FILE', 'TEMPORAL_PROFILE'];

/**
 * `peakon-sync worker --help`: every variable the worker reads, with its default, built from the modules that read
 * them (worker/environment.ts, codec/keys.ts, storage/from-env.ts, config/schema.ts), so the help cannot drift.
 */
export function workerEnvironmentHelp(): string {
  const temporal = temporalConnectConfig({});
  const temporalDefaults: Record<string, unknown> = {
    TEMPORAL_ADDRESS: temporal.connectionOptions.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    // worker/environment.ts reads Temporal's config file only when one of these two is set.
    TEMPORAL_CONFIG_FILE: '~/.config/temporalio/temporal.toml, read only when it or TEMPORAL_PROFILE is set',
  };
  const workerDefaults: Record<string, unknown> = WorkerEnvironmentSchema.parse({});
  const storageDefaults: Record<string, unknown> = {
    PEAKON_SYNC_PAYLOAD_STORE: `local:<PEAKON_SYNC_STATE_DIR>/payloads`,
    PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES: DEFAULT_PAYLOAD_THRESHOLD_BYTES,
    PEAKON_SYNC_RETENTION_DAYS: DEFAULT_RETENTION_DAYS,
  };
  const line = (name: string, defaults: Record<string, unknown>): string => `    ${name}${defaults[name] === undefined ? '' : ` (default ${String(defaults[name])})`}`;
  const peakonToken = PeakonConnectionSchema.shape.token.parse(undefined);
  const otherSecrets = Object.keys(DEFAULT_SECRET_HOSTS).filter((name) => !('env' in peakonToken && peakonToken.env === name));
  return [
    'Environment variables (the worker reads them; a config file names its secrets but never holds them):',
    '  Temporal connection (Temporal\'s environment configuration):',
    ...TEMPORAL_CONNECTION_VARIABLES.map((name) => line(name, temporalDefaults)),
    '  Worker:',
    ...WORKER_ENVIRONMENT_VARIABLES.map((name) => line(name, workerDefaults)),
    '  Secrets named by the config, read by the worker (not by the CLI that starts a sync):',
    `    ${describeSecretRef(peakonToken)}: the Peakon SCIM token, unless peakon.token names another`,
    `    ${otherSecrets.join(', ')}, or any { env: NAME } / { file: path } the config's source names (sent only to the hosts`,
    `    PEAKON_SYNC_SECRET_HOSTS binds it to; never one of ${WORKER_OWN_VARIABLE_PREFIXES.map((prefix) => `${prefix}*`).join(', ')} or a file they name)`,
    `  Payload encryption (base64 of 32 bytes; the same key in every worker and CLI; without one the worker refuses to start unless ${ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE}=1):`,
    // The codec server's token is read by `codec-server`, never by a worker.
    ...ENCRYPTION_ENVIRONMENT_VARIABLES.filter((name) => !name.startsWith(CODEC_SERVER_TOKEN_VARIABLE)).map((name) => `    ${name}`),
    '  Payload store and retention (S3 credentials from the standard AWS chain: AWS_ACCESS_KEY_ID, AWS_PROFILE, …):',
    ...STORAGE_ENVIRONMENT_VARIABLES.map((name) => line(name, storageDefaults)),
  ].join('\n');
}
