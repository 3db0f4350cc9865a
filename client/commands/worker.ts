import path from 'node:path';
import { NativeConnection, Runtime } from '@temporalio/worker';
import type { Command } from 'commander';

import { readEncryptionKeys } from '../../codec/keys';
import { createSyncWorkers, defaultActivityDeps } from '../../worker/create-worker';
import { storageConfigFromEnv } from '../../storage/from-env';
import { startRetentionSweeper } from '../../storage/retention';
import { connectorDataConverterFromEnv, defaultPayloadDirectory, readWorkerEnvironment, temporalConnectConfig } from '../../worker/environment';
import { installJsonLogging } from '../../worker/logging';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker: executes sync workflows and their Peakon calls (configured by environment variables)')
    .action(async () => {
      const environment = readWorkerEnvironment();
      installJsonLogging(environment.PEAKON_SYNC_LOG_LEVEL);
      const { connectionOptions, namespace } = temporalConnectConfig();
      // Read before connecting, so a malformed key stops the worker with its own message.
      const dataConverter = connectorDataConverterFromEnv();
      const connection = await NativeConnection.connect(connectionOptions);
      const reportDirectory = environment.PEAKON_SYNC_REPORT_DIR ?? path.join(environment.PEAKON_SYNC_STATE_DIR, 'reports');
      const workers = await createSyncWorkers({
        connection,
        namespace,
        taskQueue: environment.PEAKON_SYNC_TASK_QUEUE,
        deps: defaultActivityDeps(reportDirectory),
        dataConverter,
        maxConcurrentScimActivities: environment.PEAKON_SYNC_SCIM_CONCURRENCY,
        shutdownGraceMs: environment.PEAKON_SYNC_SHUTDOWN_GRACE_MS,
      });
      // SIGTERM (docker stop, Kubernetes) drains in-flight tasks; Temporal retries whatever is cut off.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => workers.shutdown());
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', message: 'worker polling', taskQueue: environment.PEAKON_SYNC_TASK_QUEUE, address: connectionOptions.address, namespace, encryptionKeyId: readEncryptionKeys()?.current.id ?? 'none: payloads are stored in plain text' })}\n`);
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
