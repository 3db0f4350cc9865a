import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { resolveSecret } from '../config/secret';
import { createSourceForConfig } from '../hris';
import { createFileRunStore } from '../sync/run-store';
import { scimTaskQueue } from '../workflows/ids';

export interface SyncWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (built once, shared by every worker of the process); falls back to bundling workflows/. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Concurrent SCIM activities in this process. */
  maxConcurrentScimActivities?: number;
  /**
   * SCIM activities per second across ALL workers of the task queue (enforced by the Temporal server). Every SCIM
   * activity spends at least one operation, so 25,000/3,600 ≈ 6.9 keeps a tenant inside Peakon's hourly budget.
   */
  scimActivitiesPerSecond?: number;
}

export interface SyncWorkers {
  /** Polls until `until` settles (or forever), then drains in-flight tasks. */
  runUntil<T>(until: Promise<T>): Promise<T>;
  run(): Promise<void>;
  shutdown(): void;
}

/** Production dependencies: secrets from the worker's env/files, run state in a folder every worker can see. */
export function defaultActivityDeps(stateDirectory: string, reportDirectory: string = path.join(stateDirectory, 'reports')): ActivityDeps {
  return {
    runStore: createFileRunStore(stateDirectory),
    reportDirectory,
    resolveSecret,
    createSource: (config) => createSourceForConfig(config, { resolveSecret }),
  };
}

/**
 * Two workers in one process: the main task queue runs workflows and the local state activities; a second queue
 * runs only the activities that call Peakon, so a server-side rate limit paces Peakon traffic for every worker at once.
 */
export async function createSyncWorkers(options: SyncWorkerOptions): Promise<SyncWorkers> {
  const activities = createActivities(options.deps);
  const { createEmployee, updateEmployee, ...localActivities } = activities;
  const common = { connection: options.connection, namespace: options.namespace };
  const main = await Worker.create({
    ...common,
    taskQueue: options.taskQueue,
    activities: localActivities,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
  });
  const scim = await Worker.create({
    ...common,
    taskQueue: scimTaskQueue(options.taskQueue),
    activities: { createEmployee, updateEmployee },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentScimActivities ?? 20,
    ...(options.scimActivitiesPerSecond ? { maxTaskQueueActivitiesPerSecond: options.scimActivitiesPerSecond } : {}),
  });
  const workers = [main, scim];
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    async runUntil(until) {
      const running = Promise.all(workers.map((worker) => worker.run()));
      try {
        return await until;
      } finally {
        shutdown();
        await running;
      }
    },
    async run() {
      await Promise.all(workers.map((worker) => worker.run()));
    },
    shutdown,
  };
}
