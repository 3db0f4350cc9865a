/**
 * Retiring idle tenant SCIM-queue workers (worker/tenant-queues.ts `retireIdle`): the pool's bookkeeping only. The
 * workers here are fakes that record what the pool does with them (run, shutdown, a stop that waits for an activity in
 * flight) and the clock is injected; real workers on the dev server, retired by the sweep and started again by a new
 * run, are in test/worker/tenant-queue-retire-sweep.test.ts.
 */
import type { Worker } from '@temporalio/worker';
import { createTenantQueuePool } from '../../worker/tenant-queues';

/** A stand-in for a Temporal Worker: RUNNING once run() is called, STOPPED once shut down and its activity finished. */
class FakeWorker {
  state: 'INITIALIZED' | 'RUNNING' | 'STOPPING' | 'STOPPED' = 'INITIALIZED';
  shutdowns = 0;
  private stopped!: () => void;
  private readonly done = new Promise<void>((resolve) => (this.stopped = resolve));
  /** An activity in flight: the worker stops only once it is released. */
  inFlight: Promise<void> = Promise.resolve();

  constructor(readonly taskQueue: string, readonly rate: number) {}
  getState() {
    return this.state;
  }
  async run() {
    this.state = 'RUNNING';
    await this.done;
  }
  shutdown() {
    this.shutdowns += 1;
    this.state = 'STOPPING';
    void this.inFlight.then(() => {
      this.state = 'STOPPED';
      this.stopped();
    });
  }
}

function fakePool() {
  let clock = 0;
  const created: FakeWorker[] = [];
  const retiredLog: string[] = [];
  const errors: unknown[] = [];
  const pool = createTenantQueuePool(
    async (taskQueue, activitiesPerSecond) => {
      const worker = new FakeWorker(taskQueue, activitiesPerSecond);
      created.push(worker);
      return worker as unknown as Worker;
    },
    (_taskQueue, error) => errors.push(error),
    { now: () => clock, onRetired: (taskQueue) => retiredLog.push(taskQueue) },
  );
  return { pool, created, retiredLog, errors, advance: (ms: number) => (clock += ms) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('retiring idle tenant queue workers', () => {
  it('retires only the queues nobody asked for within the idle time and no running run needs, and says which', async () => {
    const { pool, created, retiredLog, errors, advance } = fakePool();
    pool.ensurePolling('q-scim-idle', 3_600);
    pool.ensurePolling('q-scim-running', 3_600);
    pool.ensurePolling('q-scim-asked', 3_600);
    await settle();
    advance(9_000);
    // Asked again at the same budget: no new worker, but it counts as asked now.
    pool.ensurePolling('q-scim-asked', 3_600);
    advance(1_000);

    const retired = pool.retireIdle(new Set(['q-scim-running']), 10_000);
    expect(retired).toEqual(['q-scim-idle']);
    expect(retiredLog).toEqual(['q-scim-idle']);
    expect([...pool.polled().keys()].sort()).toEqual(['q-scim-asked', 'q-scim-running']);
    await settle();
    expect(created.map((worker) => [worker.taskQueue, worker.shutdowns, worker.state])).toEqual([
      ['q-scim-idle', 1, 'STOPPED'],
      ['q-scim-running', 0, 'RUNNING'],
      ['q-scim-asked', 0, 'RUNNING'],
    ]);

    // No longer needed by a run: retired once idle; the queue asked for at 9 s is kept until 19 s.
    expect(pool.retireIdle(new Set(), 10_000)).toEqual(['q-scim-running']);
    advance(9_000);
    expect(pool.retireIdle(new Set(), 10_000)).toEqual(['q-scim-asked']);
    expect(pool.polled()).toEqual(new Map());

    // Asked for again: started again, at the budget asked.
    pool.ensurePolling('q-scim-idle', 7_200);
    await settle();
    expect(created.map((worker) => [worker.taskQueue, worker.rate])).toContainEqual(['q-scim-idle', 2]);
    expect(created.filter((worker) => worker.state === 'RUNNING').map((worker) => worker.taskQueue)).toEqual(['q-scim-idle']);
    await pool.shutdown();
    expect(created.every((worker) => worker.state === 'STOPPED')).toBe(true);
    expect(errors).toEqual([]);
  });

  it('a queue asked for while its retired worker finishes an activity gets one new worker, started once the old one stopped', async () => {
    const { pool, created, advance } = fakePool();
    pool.ensurePolling('q-scim-t', 3_600);
    await settle();
    let finish!: () => void;
    created[0]!.inFlight = new Promise((resolve) => (finish = resolve));
    advance(60_000);
    expect(pool.retireIdle(new Set(), 10_000)).toEqual(['q-scim-t']);

    // A new run's employee workflow tasks ask while the retired worker still runs its activity.
    pool.ensurePolling('q-scim-t', 3_600);
    pool.ensurePolling('q-scim-t', 3_600);
    pool.ensurePolling('q-scim-t', 3_600);
    expect(pool.polled()).toEqual(new Map([['q-scim-t', 3_600]]));
    // And a sweep meanwhile: the new registration was asked for just now, so it stays.
    expect(pool.retireIdle(new Set(), 10_000)).toEqual([]);
    await settle();
    expect(created.map((worker) => worker.state)).toEqual(['STOPPING']);

    finish();
    await settle();
    await settle();
    expect(created.map((worker) => worker.state)).toEqual(['STOPPED', 'RUNNING']);
    expect(pool.polled()).toEqual(new Map([['q-scim-t', 3_600]]));
    await pool.shutdown();
    expect(created.map((worker) => worker.state)).toEqual(['STOPPED', 'STOPPED']);
  });

  it('shutdown waits for retired workers still stopping, and a closed pool retires nothing', async () => {
    const { pool, created, advance } = fakePool();
    pool.ensurePolling('q-scim-a', 3_600);
    pool.ensurePolling('q-scim-b', 3_600);
    await settle();
    let finish!: () => void;
    created[0]!.inFlight = new Promise((resolve) => (finish = resolve));
    advance(60_000);
    expect(pool.retireIdle(new Set(['q-scim-b']), 10_000)).toEqual(['q-scim-a']);
    let shut = false;
    const shutting = pool.shutdown().then(() => (shut = true));
    await settle();
    expect(shut).toBe(false);
    finish();
    await shutting;
    expect(created.map((worker) => worker.state)).toEqual(['STOPPED', 'STOPPED']);
    expect(pool.retireIdle(new Set(), 0)).toEqual([]);
  });
});
