import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Runtime, Worker, type InjectedSinks, type WorkerOptions } from '@temporalio/worker';
import { createHmac, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { createActivities, SCIM_ACTIVITY_NAMES, type ActivityDeps } from '../activities';
import { connectorDataConverterFromEnv, DEFAULT_PLAN_CONCURRENCY, DEFAULT_SCIM_CONCURRENCY, defaultPayloadDirectory } from './environment';
import { resolveSecret } from '../config/secret';
import { createSourceForConfig } from '../hris';
import { ledgerStoreFromEnv } from '../ownership/store';
import { storageConfigFromEnv } from '../storage/from-env';
import { planPageStoreFromEnv } from '../storage/plan-pages';
import { readEncryptionKeys } from '../codec/keys';
import { connectorActivityInterceptors } from '../metrics/activity';
import { WORKFLOW_INTERCEPTOR_MODULES } from '../metrics/prometheus';
import { runMetricsSinks, type RunMetricsSinks } from '../metrics/run-sinks';
import { planTaskQueue } from '../workflows/ids';
import type { ConnectorSinks } from '../workflows/sinks';
import { RUNNING_SYNC_SWEEP_MS, sweepRunningSyncs, tenantQueueIdleMs } from './running-syncs';
import { createTenantQueuePool } from './tenant-queues';

export interface SyncWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (built once, shared by every worker of the process); falls back to bundling workflows/. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * How every payload is encoded (encryption; external storage); default: `connectorDataConverter()` from the process
   * environment. A prebuilt `workflowBundle` must be bundled with the same converter paths (see
   * `workflowBundleConverterOptions`).
   */
  dataConverter?: DataConverter;
  /** Concurrent SCIM activities in this process, per tenant (default: the worker's PEAKON_SYNC_SCIM_CONCURRENCY default). */
  maxConcurrentScimActivities?: number;
  /** Plans this process runs at once, all tenants together (each holds its tenant's records; workflows/ids.ts planTaskQueue). */
  maxConcurrentPlans?: number;
  /** After shutdown is requested: how long in-flight tasks may finish; 5 s later the worker stops regardless. */
  shutdownGraceMs?: number;
  /** How often the worker looks for running syncs whose tenant SCIM queue it does not poll (worker/running-syncs.ts). */
  runningSyncSweepMs?: number;
  /**
   * How long a tenant SCIM queue worker whose tenant has no running run on this task queue may go unasked before the
   * sweep retires it (default: `tenantQueueIdleMs` of the sweep interval, 10 min).
   */
  tenantQueueIdleMs?: number;
}

/** Past the grace, activities that ignore cancellation (a request in flight) are abandoned; Temporal retries them. */
const SHUTDOWN_FORCE_AFTER_GRACE_MS = 5_000;

export interface SyncWorkers {
  /** Polls until `until` settles (or forever), then drains in-flight tasks. */
  runUntil<T>(until: Promise<T>): Promise<T>;
  run(): Promise<void>;
  shutdown(): void;
  /** The tenant SCIM queues this process polls now, with their rate (for logs and tests). */
  tenantQueues(): Map<string, number>;
}

/**
 * Production dependencies: secrets from the worker's env/files, reports in a folder readable by the worker's user only.
 * Built at start: the report folder and the default payload store (ledger, plan pages) are resolved to absolute paths
 * against the working folder now, so a report path in a result names the same file for a CLI started elsewhere.
 */
export function defaultActivityDeps(reportDirectory: string, env: NodeJS.ProcessEnv = process.env): ActivityDeps {
  return {
    reportDirectory: path.resolve(reportDirectory),
    resolveSecret,
    createSource: (config) => createSourceForConfig(config, { resolveSecret }),
    ...employeeRefKeyFromEnv(env),
    // Next to the payloads, in the store every worker shares (a folder on one host, S3 across hosts).
    ownership: ledgerStoreFromEnv(env, defaultPayloadDirectory(env)),
    planPages: planPageStoreFromEnv(env, defaultPayloadDirectory(env)),
    // What the worker's retention sweep (client/commands/worker.ts) deletes after.
    retentionDays: storageConfigFromEnv(env).retentionDays,
  };
}

/**
 * The key of the employee-ref hash, derived from the encryption key (so the client derives the same one), with that
 * encryption key's id, and the employee-ref key of each encryption key the worker holds (current and old, by key id):
 * what a run planned before a rotation hashed with (HrIdIndexRef.keyId). None only under
 * PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS=1 (without it no worker or CLI starts keyless): refs are then unkeyed.
 */
export function employeeRefKeyFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<ActivityDeps, 'employeeRefKey' | 'employeeRefKeyId' | 'employeeRefKeyFor'> {
  const keys = readEncryptionKeys(env);
  if (!keys) return {};
  return {
    employeeRefKey: employeeRefKeyOf(keys.current.secret),
    employeeRefKeyId: keys.current.id,
    employeeRefKeyFor: (keyId) => {
      const key = keys.decryptionKeys.get(keyId);
      return key ? employeeRefKeyOf(key.secret) : undefined;
    },
  };
}

/** The employee-ref key of one encryption key (the current one's for new runs; an old one's for runs before a rotation). */
export function employeeRefKeyOf(encryptionKey: KeyObject): Buffer {
  return createHmac('sha256', encryptionKey.export()).update('peakon-sync employee ref').digest();
}

/**
 * The workers of a process: the main task queue runs workflows and the quick local activities (plan pages, report);
 * the plan activity runs on a queue of its own with a few slots (workflows/ids.ts planTaskQueue), so plans of many
 * tenants never hold the process's memory all at once; the SCIM activities run on one rate-limited task queue per
 * tenant, polled on demand (worker/tenant-queues.ts), so the server paces Peakon traffic per tenant for every worker at
 * once.
 */
export async function createSyncWorkers(options: SyncWorkerOptions): Promise<SyncWorkers> {
  const activities = createActivities(options.deps);
  const scimActivities = Object.fromEntries(SCIM_ACTIVITY_NAMES.map((name) => [name, activities[name]]));
  const localActivities = Object.fromEntries(Object.entries(activities).filter(([name]) => !(SCIM_ACTIVITY_NAMES as readonly string[]).includes(name)));
  const grace = options.shutdownGraceMs ?? 30_000;
  const dataConverter = options.dataConverter ?? connectorDataConverterFromEnv();
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    dataConverter,
    shutdownGraceTime: grace,
    shutdownForceTime: grace + SHUTDOWN_FORCE_AFTER_GRACE_MS,
    // Tags activity metrics (SCIM operations, budget) with the tenant; no-ops unless the runtime exports metrics.
    interceptors: { activity: [connectorActivityInterceptors] },
  };
  const tenantQueues = createTenantQueuePool(
    (taskQueue, activitiesPerSecond) => Worker.create({
      ...common,
      taskQueue,
      activities: scimActivities,
      maxConcurrentActivityTaskExecutions: options.maxConcurrentScimActivities ?? DEFAULT_SCIM_CONCURRENCY,
      maxTaskQueueActivitiesPerSecond: activitiesPerSecond,
    }),
    (taskQueue, error) => Runtime.instance().logger.error('tenant SCIM worker stopped', { taskQueue, error: error instanceof Error ? error.message : String(error) }),
    // The queue's name carries the tenant id (workflows/ids.ts scimTaskQueue), no personal data.
    { onRetired: (taskQueue) => Runtime.instance().logger.info('tenant SCIM worker retired: no running sync of the tenant and idle (started again when a run asks)', { taskQueue }) },
  );
  const sinks: InjectedSinks<ConnectorSinks & RunMetricsSinks> = {
    // How each run ended (metrics/workflow-interceptors.ts); a no-op unless the runtime exports metrics.
    ...runMetricsSinks(),
    tenantQueues: {
      // Also during replay: a worker that takes over a tenant's workflows after a crash must poll its queue too; but a
      // replay never changes a polled queue's rate (it may be a closed run's, replayed for a query).
      ensurePolling: {
        fn: (info, taskQueue, operationsPerHour) => tenantQueues.ensurePolling(taskQueue, operationsPerHour, { keepRate: info.unsafe.isReplaying }),
        callDuringReplay: true,
      },
    },
  };
  // The main queue keeps planSync too: a run scheduled it there before plans had a queue of their own.
  const main = await Worker.create({
    ...common,
    taskQueue: options.taskQueue,
    activities: localActivities,
    sinks,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : // Run metrics (metrics/workflow-interceptors.ts) are bundled with the workflows; a prebuilt bundle carries its own.
        { workflowsPath: require.resolve('../workflows'), interceptors: { ...common.interceptors, workflowModules: WORKFLOW_INTERCEPTOR_MODULES } }),
  });
  const plans = await Worker.create({
    ...common,
    taskQueue: planTaskQueue(options.taskQueue),
    activities: { planSync: activities.planSync },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentPlans ?? DEFAULT_PLAN_CONCURRENCY,
  });
  const shutdown = () => {
    for (const worker of [main, plans]) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  const run = async () => {
    // A replacement for a crashed worker polls the SCIM queues of the runs it takes over now, not at their next renewal.
    const stopSweeping = sweepRunningSyncs({
      client: new Client({ connection: options.connection, namespace: options.namespace, dataConverter }),
      taskQueue: options.taskQueue,
      pool: tenantQueues,
      warn: (message, meta) => Runtime.instance().logger.warn(message, meta),
      ...(options.runningSyncSweepMs !== undefined ? { intervalMs: options.runningSyncSweepMs } : {}),
      retireIdleMs: options.tenantQueueIdleMs ?? tenantQueueIdleMs(options.runningSyncSweepMs ?? RUNNING_SYNC_SWEEP_MS),
    });
    try {
      // One stopping (shutdown, or a fatal error) stops the other: a process that polls workflows but no plans (or the
      // reverse) would leave runs waiting on it.
      const ended = await Promise.allSettled([main.run().finally(shutdown), plans.run().finally(shutdown)]);
      const failed = ended.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      stopSweeping();
      await tenantQueues.shutdown();
    }
  };
  return {
    async runUntil(until) {
      const running = run();
      try {
        return await until;
      } finally {
        shutdown();
        await running;
      }
    },
    run,
    shutdown,
    tenantQueues: () => tenantQueues.polled(),
  };
}
