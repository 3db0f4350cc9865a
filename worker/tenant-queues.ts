import type { Worker } from '@temporalio/worker';

const SECONDS_PER_HOUR = 3_600;

/** What the pool needs to start a worker on one tenant's SCIM task queue. */
export type CreateTenantQueueWorker = (taskQueue: string, activitiesPerSecond: number) => Promise<Worker>;

export interface TenantQueuePool {
  /**
   * Starts polling `taskQueue` at the tenant's budget unless this process already does (at that budget). With
   * `keepRate` (a workflow replaying its history) a queue already polled keeps its rate: the budget replayed may be an
   * older run's (a query on a closed run replays it), and restarting the tenant's worker at it would pace the
   * tenant's current run by the old budget.
   */
  ensurePolling(taskQueue: string, operationsPerHour: number, options?: { keepRate?: boolean }): void;
  /** Stops every tenant worker and waits for their in-flight activities. */
  shutdown(): Promise<void>;
  /** The queues this process polls, with their rate (for logs and tests). */
  polled(): Map<string, number>;
  /**
   * Shuts down, gracefully (in-flight activities finish), the worker of every queue not in `activeQueues` that nothing
   * asked for (`ensurePolling`) for `idleMs`; the next `ensurePolling` of the queue starts it again. Returns the queues
   * retired. The caller passes the queues of every run that may still schedule SCIM activities, from a complete listing.
   */
  retireIdle(activeQueues: ReadonlySet<string>, idleMs: number): string[];
}

export interface TenantQueuePoolOptions {
  /** The clock of `ensurePolling` and `retireIdle` (tests). */
  now?: () => number;
  /** Told of each queue `retireIdle` shuts down. */
  onRetired?: (taskQueue: string) => void;
}

interface TenantQueueWorker {
  operationsPerHour: number;
  worker: Promise<Worker>;
  running: Promise<void>;
  /** When `ensurePolling` last asked for the queue (`now()`). */
  askedAt: number;
}

/**
 * One activity worker per tenant SCIM task queue, started on demand when a workflow of this process is about to
 * schedule SCIM activities for the tenant, or renews the tenant lock of a run (the `tenantQueues` sink: the renewal
 * keeps a queue polled after the workers polling it died). Each SCIM activity attempt sends one request (a discovery
 * under `sync.discovery: filter` that finds nobody by key sends a second, by HR id; an IDN address's lookup, one per spelling), and
 * every poller asks the Temporal server to dispatch at most `operationsPerHour / 3600` tasks per second from the queue,
 * so the tenant's budget counts operations across all workers together. Each tenant has its own slots: a rate-limited
 * or slow tenant never holds a slot another tenant needs. A worker whose tenant has no run left on this task queue is
 * retired once idle (`retireIdle`, from the sweep in worker/running-syncs.ts): a process that served hundreds of
 * tenants does not keep hundreds of idle workers long-polling.
 */
export function createTenantQueuePool(create: CreateTenantQueueWorker, onError: (taskQueue: string, error: unknown) => void, options: TenantQueuePoolOptions = {}): TenantQueuePool {
  const now = options.now ?? Date.now;
  const workers = new Map<string, TenantQueueWorker>();
  /** Retired workers still stopping: a queue asked for again meanwhile starts once its old worker has stopped. */
  const retiring = new Map<string, Promise<void>>();
  let closed = false;

  /** Starts a worker once `after` (the worker it replaces stopping) has settled; registered at once either way. */
  const start = (taskQueue: string, operationsPerHour: number, after: Promise<void> = Promise.resolve()) => {
    const worker = after.then(() => create(taskQueue, operationsPerHour / SECONDS_PER_HOUR));
    const running = worker
      .then((started) => started.run())
      .catch((error: unknown) => {
        onError(taskQueue, error);
        // Forgotten, so the next ensurePolling starts it again: the parent's next lease renewal at the latest (every
        // third of the lease, while the run lives), or an employee workflow task of the tenant before that.
        if (workers.get(taskQueue)?.worker === worker) workers.delete(taskQueue);
      });
    workers.set(taskQueue, { operationsPerHour, worker, running, askedAt: now() });
  };

  const stop = async (entry: TenantQueueWorker) => {
    try {
      const worker = await entry.worker;
      if (worker.getState() === 'RUNNING') worker.shutdown();
    } catch {
      // Never started: nothing to stop.
    }
    await entry.running;
  };

  return {
    ensurePolling(taskQueue, operationsPerHour, options = {}) {
      if (closed) return;
      const existing = workers.get(taskQueue);
      if (existing && options.keepRate) return;
      if (existing?.operationsPerHour === operationsPerHour) {
        existing.askedAt = now();
        return;
      }
      if (existing) {
        // The budget changed: every poller reports the rate and the server keeps the latest, so restart at the new one.
        // The new worker is registered before the old one has stopped: calls meanwhile (every employee workflow task
        // of the tenant makes one) find it instead of starting more, which nothing would ever shut down.
        start(taskQueue, operationsPerHour, stop(existing));
        return;
      }
      // A queue retired a moment ago: the same pattern, registered now, started once the retired worker has stopped.
      start(taskQueue, operationsPerHour, retiring.get(taskQueue));
    },
    retireIdle(activeQueues, idleMs) {
      if (closed) return [];
      const retired: string[] = [];
      const cutoff = now() - idleMs;
      for (const [taskQueue, entry] of workers) {
        if (activeQueues.has(taskQueue) || entry.askedAt > cutoff) continue;
        // Forgotten at once (synchronously with the decision): an ensurePolling from here on registers a new worker,
        // which waits for this one to stop, so the queue has one worker registered and never two polling at once.
        workers.delete(taskQueue);
        const stopping = stop(entry);
        retiring.set(taskQueue, stopping);
        void stopping.finally(() => {
          if (retiring.get(taskQueue) === stopping) retiring.delete(taskQueue);
        });
        retired.push(taskQueue);
        options.onRetired?.(taskQueue);
      }
      return retired;
    },
    async shutdown() {
      closed = true;
      const entries = [...workers.values()];
      workers.clear();
      await Promise.all([...entries.map(stop), ...retiring.values()]);
    },
    polled: () => new Map([...workers].map(([taskQueue, entry]) => [taskQueue, entry.operationsPerHour])),
  };
}
