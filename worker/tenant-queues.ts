import type { Worker } from '@temporalio/worker';

const SECONDS_PER_HOUR = 3_600;

/** What the pool needs to start a worker on one tenant's SCIM task queue. */
export type CreateTenantQueueWorker = (taskQueue: string, activitiesPerSecond: number) => Promise<Worker>;

export interface TenantQueuePool {
  /** Starts polling `taskQueue` at the tenant's budget unless this process already does (at that budget). */
  ensurePolling(taskQueue: string, operationsPerHour: number): void;
  /** Stops every tenant worker and waits for their in-flight activities. */
  shutdown(): Promise<void>;
  /** The queues this process polls, with their rate (for logs and tests). */
  polled(): Map<string, number>;
}

interface TenantQueueWorker {
  operationsPerHour: number;
  worker: Promise<Worker>;
  running: Promise<void>;
}

/**
 * One activity worker per tenant SCIM task queue, started on demand when a workflow of this process is about to
 * schedule SCIM activities for the tenant, or renews the tenant lock of a run (the `tenantQueues` sink: the renewal
 * keeps a queue polled after the workers polling it died). Each SCIM activity attempt sends one request (a discovery
 * under `sync.discovery: filter` that finds nobody by key sends a second, by HR id; an IDN address's lookup, one per spelling), and
 * every poller asks the Temporal server to dispatch at most `operationsPerHour / 3600` tasks per second from the queue,
 * so the tenant's budget counts operations across all workers together. Each tenant has its own slots: a rate-limited
 * or slow tenant never holds a slot another tenant needs.
 */
export function createTenantQueuePool(create: CreateTenantQueueWorker, onError: (taskQueue: string, error: unknown) => void): TenantQueuePool {
  const workers = new Map<string, TenantQueueWorker>();
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
    workers.set(taskQueue, { operationsPerHour, worker, running });
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
    ensurePolling(taskQueue, operationsPerHour) {
      if (closed) return;
      const existing = workers.get(taskQueue);
      if (existing?.operationsPerHour === operationsPerHour) return;
      if (existing) {
        // The budget changed: every poller reports the rate and the server keeps the latest, so restart at the new one.
        // The new worker is registered before the old one has stopped: calls meanwhile (every employee workflow task
        // of the tenant makes one) find it instead of starting more, which nothing would ever shut down.
        start(taskQueue, operationsPerHour, stop(existing));
        return;
      }
      start(taskQueue, operationsPerHour);
    },
    async shutdown() {
      closed = true;
      const entries = [...workers.values()];
      workers.clear();
      await Promise.all(entries.map(stop));
    },
    polled: () => new Map([...workers].map(([taskQueue, entry]) => [taskQueue, entry.operationsPerHour])),
  };
}
