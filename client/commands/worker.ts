import { NativeConnection } from '@temporalio/worker';
import type { Command } from 'commander';
import { createSyncWorkers, defaultActivityDeps } from '../../worker/create-worker';
import { readWorkerEnvironment, temporalConnectConfig } from '../../worker/environment';
import { installJsonLogging } from '../../worker/logging';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a worker: executes sync workflows and their Peakon calls (configured by environment variables)')
    .action(async () => {
      const environment = readWorkerEnvironment();
      installJsonLogging(environment.PEAKON_SYNC_LOG_LEVEL);
      const { connectionOptions, namespace } = temporalConnectConfig();
      const connection = await NativeConnection.connect(connectionOptions);
      const workers = await createSyncWorkers({
        connection,
        namespace,
        taskQueue: environment.PEAKON_SYNC_TASK_QUEUE,
        deps: defaultActivityDeps(environment.PEAKON_SYNC_STATE_DIR, environment.PEAKON_SYNC_REPORT_DIR),
        maxConcurrentScimActivities: environment.PEAKON_SYNC_SCIM_CONCURRENCY,
        scimActivitiesPerSecond: environment.PEAKON_SYNC_SCIM_ACTIVITIES_PER_SECOND,
      });
      // SIGTERM (docker stop, Kubernetes) drains in-flight tasks; Temporal retries whatever is cut off.
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => workers.shutdown());
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', message: 'worker polling', taskQueue: environment.PEAKON_SYNC_TASK_QUEUE, address: connectionOptions.address, namespace })}\n`);
      try {
        await workers.run();
      } finally {
        await connection.close();
      }
    });
}
