import type { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import { decodeMapFromPayloads, extstoreInboundOptions, visit, walkListWorkflowExecutionsResponse } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { Runtime } from '@temporalio/worker';
import { RUNS_TERMINATED } from '../metrics/definitions';
import { DEFAULT_RUN_TUNING } from '../sync/settings';
import type { SyncProgress } from '../workflows/sync';
import { RUN_WORKFLOW_TYPES, scimTaskQueue, tenantLockWorkflowId } from '../workflows/ids';
import type { TenantQueuePool } from './tenant-queues';

/** How often a worker looks for running syncs whose SCIM queue it does not poll yet. */
export const RUNNING_SYNC_SWEEP_MS = 60_000;

/**
 * How long a tenant SCIM queue worker may go unasked (no `ensurePolling`) before a sweep that found no running run of
 * its tenant retires it (worker/tenant-queues.ts `retireIdle`): five sweeps, and at least three renewal periods of the
 * default lock lease (renewals come every third of `lockLeaseMs`: 200 s, so 10 min). A running (non-dry) run is kept
 * by the sweep's listing itself, whatever its lease (one tuned longer, or stretched while it waits for an approval); the
 * idle time covers what a listing can miss: visibility shows a run's memo a moment
 * after the run published it (a run that just asked must not lose its queue to a listing taken before that), and a run
 * whose memo carries no tenant (recorded before the memo did) is never listed as a tenant's. The worker running such a
 * run's parent is asked at each lease renewal, so at this idle time it never retires the queue between two renewals,
 * even after one late one; workers that run only its employees may retire it, and start it again at the employee's next
 * workflow task.
 */
export function tenantQueueIdleMs(sweepMs: number = RUNNING_SYNC_SWEEP_MS): number {
  const renewalMs = DEFAULT_RUN_TUNING.lockLeaseMs / 3;
  return Math.max(5 * sweepMs, 3 * renewalMs);
}

export interface RunningSyncSweepOptions {
  client: Client;
  /** The main task queue of this worker. */
  taskQueue: string;
  pool: TenantQueuePool;
  warn: (message: string, meta: Record<string, unknown>) => void;
  /** Ends the sweep between runs (the worker is shutting down). */
  stopped?: () => boolean;
  /** Runs already warned about: a run whose query keeps failing (stuck on a bad deploy) is named once, not every minute. */
  warned?: Set<string>;
  /**
   * After a complete listing, retires the tenant queue workers of the pool that no running run needs and nothing asked
   * for in this long (`tenantQueueIdleMs`). Unset: nothing is retired.
   */
  retireIdleMs?: number;
  /**
   * Stops runs that go on without their tenant's lock (see LOCKLESS_RUN_GRACE_MS): `seen` holds, by run ID, when a sweep
   * first found each such run. Unset: none is stopped.
   */
  withoutLock?: LocklessRuns;
  /** Where a run the sweep terminates is counted (RUNS_TERMINATED). Default: the process's Temporal runtime, which serves /metrics. */
  meter?: () => MetricMeter;
}

/**
 * How long a run may go on with its workflow task failing while its tenant's lock names another run as holder, before a
 * sweep terminates it. Such a run is stuck: a parent whose own workflow task fails (a bad deploy breaks its replay)
 * stops renewing, its lease expires and the next sync takes the tenant, while its partitions and employees, other
 * workflows with their own tasks, go on writing an older read beside that sync. Terminating the parent ends them too
 * (their parent-close policy). A run whose tasks complete is never terminated, however long it goes on without the
 * lock: one that lost its lock stops by itself (it cancels its partitions and writes its `lock_lost` report, which may
 * take minutes), and one that found the lock held at its start ends `skipped`.
 */
export const LOCKLESS_RUN_GRACE_MS = 2 * 60_000;

export interface LocklessRuns {
  seen: Map<string, number>;
  graceMs: number;
  now?: () => number;
}

/**
 * How long one run may take to answer. A run whose workflow task was with the dead worker answers only once the server
 * gives up on that worker's sticky queue (some seconds); one stuck for good must not hold the sweep.
 */
const QUERY_DEADLINE_MS = 30_000;
/** After a run could not answer: the next sweep comes this soon, not a minute later, this many times in a row. */
const RETRY_SWEEP_MS = 5_000;
const MAX_QUICK_SWEEPS = 6;

/**
 * Makes this worker poll the SCIM task queue of every sync running on its task queue, at the run's budget (a queue it
 * polls at another rate is restarted at the run's). Without it, a worker that replaces a crashed one polls a tenant's
 * queue only when a workflow task of the run asks for it: when every employee in flight waits on a SCIM activity the
 * dead worker held, no employee task comes, and the run idled until the parent's next lease renewal (a third of
 * `lockLeaseMs`, 200 s by default). The tenant and budget come
 * from the run's memo (from the run's progress query for runs whose memo predates the budget; the rate is the tenant's,
 * never a guess: the server keeps the latest poller's). With `retireIdleMs`, a listing that completed (not stopped, no
 * error: a partial one would retire the queues of the runs it did not reach) then retires the idle workers of every other
 * queue. Returns how many queues it started (or restarted) polling, how many runs could not answer (asked again soon),
 * and the queues retired.
 *
 * Runs are listed through the raw API and each row's memo decoded on its own (as client/schedules/inspect.ts lists
 * schedules), not through client.workflow.list(), which decodes every memo inside its iteration: one run whose memo
 * this worker cannot decode (still open under an encryption key since dropped, or encrypted while this worker has no
 * key, during a rollout to encryption) threw there and ended every sweep of the task queue, for every tenant. Such a
 * run is skipped with a warning naming its workflow ID (once per run with `warned`); the listing still completes.
 * This worker could not run that run's tasks either (the same codec decodes its payloads), so it has no queue to keep.
 */
export async function pollQueuesOfRunningSyncs(options: RunningSyncSweepOptions): Promise<{ started: number; unanswered: number; retired: string[] }> {
  const { client, taskQueue, pool } = options;
  const types = RUN_WORKFLOW_TYPES.map((type) => `WorkflowType = '${type}'`).join(' OR ');
  const query = `TaskQueue = '${taskQueue.replace(/'/g, "\\'")}' AND ExecutionStatus = 'Running' AND (${types})`;
  const polled = pool.polled();
  let started = 0;
  let unanswered = 0;
  /** The queues of the runs listed: kept, however long since they were asked for. */
  const active = new Set<string>();
  /** Each tenant's lock, described once per sweep. */
  const locks = new Map<string, Promise<TenantLockHolder | undefined>>();
  const lockOf = (tenant: string) => {
    let lock = locks.get(tenant);
    if (!lock) locks.set(tenant, (lock = describeTenantLock(client, tenant)));
    return lock;
  };
  /** The runs this listing found without their lock: the others are forgotten once the listing completes. */
  const withoutLockNow = new Set<string>();
  for await (const execution of listRuns(client, query)) {
    if (options.stopped?.()) return { started, unanswered, retired: [] };
    if (execution.memo instanceof Error) {
      if (options.warned?.has(execution.runId)) continue;
      options.warned?.add(execution.runId);
      options.warn('skipped a running sync whose memo this worker cannot decode (encrypted with a key it does not hold?); the sweep goes on with the others', { workflowId: execution.workflowId, error: execution.memo.message });
      continue;
    }
    const tenant = execution.memo?.tenant;
    // A scheduled run still reading its config has no tenant yet: its own tasks will ask.
    if (typeof tenant !== 'string') continue;
    // A dry run writes nothing: polling at its budget would only change the rate the real run's writes get. Nor does it
    // keep the queue: it plans (on the plan queue) and ends, and never schedules a SCIM activity.
    if (execution.memo?.dryRun === true) continue;
    if (options.withoutLock && (await stopIfStuckWithoutLock(options, execution, tenant, await lockOf(tenant), withoutLockNow))) continue;
    const queue = scimTaskQueue(taskQueue, tenant);
    active.add(queue);
    const budget = execution.memo?.operationsPerHour;
    if (typeof budget === 'number' && budget > 0) {
      // Polled at another rate (a run before the budget was lowered): the server keeps the latest poller's rate, so a
      // worker left at the old one would pull the tenant back to it whenever it polls.
      if (polled.get(queue) === budget) continue;
      if (!mayPaceTenant(await lockOf(tenant), execution.workflowId)) continue;
      pool.ensurePolling(queue, budget);
      polled.set(queue, budget);
      started += 1;
      continue;
    }
    // A run recorded before its memo carried the budget: asked once, for a queue this worker does not poll yet.
    if (polled.has(queue)) continue;
    try {
      const progress = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => client.workflow.getHandle(execution.workflowId, execution.runId).query<SyncProgress>('progress'));
      if (typeof progress.operationsPerHour !== 'number' || progress.operationsPerHour <= 0) continue;
      pool.ensurePolling(queue, progress.operationsPerHour);
      polled.set(queue, progress.operationsPerHour);
      started += 1;
    } catch (error) {
      // The run may have ended meanwhile, or its workflow task is still with a worker that died (the query times out):
      // the next sweep asks again.
      unanswered += 1;
      if (options.stopped?.() || options.warned?.has(execution.runId)) continue;
      options.warned?.add(execution.runId);
      options.warn('could not ask a running sync for its budget; its SCIM queue is polled at its next lease renewal or sweep', { workflowId: execution.workflowId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  if (options.stopped?.()) return { started, unanswered, retired: [] };
  if (options.withoutLock) for (const runId of options.withoutLock.seen.keys()) if (!withoutLockNow.has(runId)) options.withoutLock.seen.delete(runId);
  if (options.retireIdleMs === undefined) return { started, unanswered, retired: [] };
  return { started, unanswered, retired: pool.retireIdle(active, options.retireIdleMs) };
}

/** A listed run: its memo decoded, or the error that kept it from being decoded. */
interface ListedRun {
  workflowId: string;
  runId: string;
  memo: Record<string, unknown> | undefined | Error;
}

/** The runs `query` matches, page by page, each memo decoded on its own: a row that cannot be decoded ends nothing. */
async function* listRuns(client: Client, query: string): AsyncGenerator<ListedRun> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const response = await client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query, ...(nextPageToken ? { nextPageToken } : {}) });
    for (const raw of response.executions ?? []) {
      const workflowId = raw.execution?.workflowId;
      const runId = raw.execution?.runId;
      if (!workflowId || !runId) continue;
      yield { workflowId, runId, memo: await decodedMemo(client, raw, workflowId) };
    }
    nextPageToken = response.nextPageToken && response.nextPageToken.length > 0 ? response.nextPageToken : undefined;
  } while (nextPageToken);
}

/** The row's memo as client.workflow.list() decodes it (external storage references, then the codec), or why it cannot be. */
async function decodedMemo(client: Client, raw: temporal.api.workflow.v1.IWorkflowExecutionInfo, workflowId: string): Promise<Record<string, unknown> | undefined | Error> {
  const converter = client.options.loadedDataConverter;
  try {
    const memo = { fields: { ...raw.memo?.fields } };
    await visit({ executions: [{ memo }] }, walkListWorkflowExecutionsResponse, extstoreInboundOptions(converter.externalStorage));
    return await decodeMapFromPayloads(converter, memo.fields, { type: 'workflow', namespace: client.options.namespace, workflowId });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** A tenant's lock as a sweep sees it: running or not, and the run its memo names as holder. */
interface TenantLockHolder {
  running: boolean;
  holder?: string;
}

/** The tenant's lock, or undefined when it cannot be described (none yet, or the server did not answer). */
async function describeTenantLock(client: Client, tenant: string): Promise<TenantLockHolder | undefined> {
  try {
    const lock = await client.workflow.getHandle(tenantLockWorkflowId(tenant)).describe();
    const holder = lock.memo?.holderRunId;
    return { running: lock.status.name === 'RUNNING', ...(typeof holder === 'string' ? { holder } : {}) };
  } catch {
    return undefined;
  }
}

/** A running lock that names another run as its holder: `runWorkflowId` goes on without the tenant's lock. */
function heldByAnother(lock: TenantLockHolder | undefined, runWorkflowId: string): lock is TenantLockHolder & { holder: string } {
  return lock !== undefined && lock.running && lock.holder !== undefined && lock.holder !== runWorkflowId;
}

/**
 * Whether a listed run's budget may set its tenant's rate: not when the tenant lock names another run as its holder. A
 * run publishes its memo (with its budget) before it tries the lock, and one that finds the lock held ends `skipped` a
 * moment later: a sweep listing it meanwhile must not switch the holder's queue to the budget of a config the holder
 * does not run (an operator's edited config, another schedule). Asked only when the rate would change; a lock that is
 * not running, names no holder yet, or cannot be described leaves the decision to the memo, as before.
 */
function mayPaceTenant(lock: TenantLockHolder | undefined, runWorkflowId: string): boolean {
  return !heldByAnother(lock, runWorkflowId);
}

/**
 * Terminates a listed run that has gone on stuck (its workflow task failing) without its tenant's lock (another run
 * holds it) for LOCKLESS_RUN_GRACE_MS since a sweep first saw it so; true when it did. A run that holds the lock, whose
 * tenant has no running lock (no other sync writes), or whose workflow task is not failing, is left alone.
 */
async function stopIfStuckWithoutLock(options: RunningSyncSweepOptions, execution: { workflowId: string; runId: string }, tenant: string, lock: TenantLockHolder | undefined, withoutLockNow: Set<string>): Promise<boolean> {
  const lockless = options.withoutLock;
  if (!lockless || !heldByAnother(lock, execution.workflowId)) return false;
  if (!(await workflowTaskFailing(options.client, execution))) return false;
  withoutLockNow.add(execution.runId);
  const now = (lockless.now ?? Date.now)();
  const since = lockless.seen.get(execution.runId);
  if (since === undefined) lockless.seen.set(execution.runId, now);
  if (since === undefined || now - since < lockless.graceMs) return false;
  const reason = `it has gone on for ${Math.round((now - since) / 1000)} s without the tenant lock of ${tenant}, which sync ${lock.holder} holds (a run that loses its lock stops by itself; this one is stuck): terminated so its partitions and employees stop writing beside that sync`;
  try {
    await options.client.workflow.getHandle(execution.workflowId, execution.runId).terminate(reason);
    // Its workflow code never runs again, so the run metrics (metrics/run-sinks.ts) never see it end: counted here.
    (options.meter ?? (() => Runtime.instance().metricMeter))().createCounter(RUNS_TERMINATED.name, '', RUNS_TERMINATED.help).add(1, { tenant });
    options.warn('terminated a sync that went on without its tenant lock', { workflowId: execution.workflowId, holder: lock.holder });
  } catch (error) {
    // It ended meanwhile, or another worker's sweep terminated it first.
    options.warn('could not terminate a sync that went on without its tenant lock (it may have ended meanwhile)', { workflowId: execution.workflowId, error: error instanceof Error ? error.message : String(error) });
  }
  lockless.seen.delete(execution.runId);
  return true;
}

/**
 * Whether the run's workflow task is being retried after failing (the server counts its attempts): a run stuck on a
 * non-determinism error, or any bug in its own code. A run that merely waits (a timer, children, a queued task with no
 * worker yet) has no such task.
 */
async function workflowTaskFailing(client: Client, execution: { workflowId: string; runId: string }): Promise<boolean> {
  try {
    const { raw } = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
    return (raw.pendingWorkflowTask?.attempt ?? 0) >= 2;
  } catch {
    return false;
  }
}

/**
 * Sweeps at once and then every `intervalMs` until stopped. The first sweep waits `startDelayMs`, so the worker polls its
 * main queue (and can answer the progress query) before it asks.
 */
export function sweepRunningSyncs(options: RunningSyncSweepOptions & { intervalMs?: number; startDelayMs?: number; locklessGraceMs?: number }): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // A server whose visibility cannot filter by task queue fails every sweep the same way: say it once, not each minute.
  let listingFailed = false;
  const warned = new Set<string>();
  const withoutLock: LocklessRuns = { seen: new Map(), graceMs: options.locklessGraceMs ?? LOCKLESS_RUN_GRACE_MS };
  let quickSweeps = 0;
  const sweep = async () => {
    let soon = false;
    try {
      // A few quick sweeps after a run could not answer (its task was with the dead worker), then the usual pace: a run
      // that never answers (stuck on a bad deploy) must not have every worker list visibility every 5 s for ever.
      const { unanswered } = await pollQueuesOfRunningSyncs({ ...options, stopped: () => stopped, warned, withoutLock });
      quickSweeps = unanswered > 0 ? quickSweeps + 1 : 0;
      soon = unanswered > 0 && quickSweeps <= MAX_QUICK_SWEEPS;
      listingFailed = false;
    } catch (error) {
      if (!listingFailed && !stopped) options.warn('could not list the running syncs of this task queue (a replacement worker then polls their SCIM queues at their next lease renewal)', { taskQueue: options.taskQueue, error: error instanceof Error ? error.message : String(error) });
      listingFailed = true;
    }
    if (!stopped) timer = setTimeout(() => void sweep(), soon ? RETRY_SWEEP_MS : (options.intervalMs ?? RUNNING_SYNC_SWEEP_MS)).unref();
  };
  timer = setTimeout(() => void sweep(), options.startDelayMs ?? 1_000);
  timer.unref();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
