/**
 * The pool of tenant SCIM-queue workers (worker/tenant-queues.ts) with real workers on the dev server: a budget change
 * restarts the tenant's worker once, however many workflow tasks ask meanwhile, a replay's ask never changes the rate,
 * and shutdown stops every worker it started.
 */
import { Worker } from '@temporalio/worker';
import { createTenantQueuePool } from '../../worker/tenant-queues';
import { connectToDevServer, type TemporalTestContext } from '../harness/temporal';

describe('tenant SCIM-queue worker pool', () => {
  let temporal: TemporalTestContext;
  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    await temporal.close();
  });

  it('restarts a queue whose budget changed once, even when asked again while the old worker stops, and shuts every worker down', async () => {
    const created: { rate: number; worker: Worker }[] = [];
    const errors: unknown[] = [];
    const pool = createTenantQueuePool(
      async (taskQueue, activitiesPerSecond) => {
        const worker = await Worker.create({ connection: temporal.nativeConnection, namespace: 'default', taskQueue, activities: { noop: async () => undefined }, maxTaskQueueActivitiesPerSecond: activitiesPerSecond });
        created.push({ rate: activitiesPerSecond, worker });
        return worker;
      },
      (_taskQueue, error) => errors.push(error),
    );
    const queue = `${temporal.taskQueue}-scim-pool`;
    // Every check inside try: a failed one must still stop the workers, or jest would wait on them for good.
    try {
      pool.ensurePolling(queue, 3_600);
      const first = Date.now() + 30_000;
      while (created[0]?.worker.getState() !== 'RUNNING') {
        if (Date.now() > first) throw new Error('the first worker never ran');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // A replay (a closed run's, queried) asking for another budget leaves the polled queue's rate alone.
      pool.ensurePolling(queue, 10_800, { keepRate: true });
      expect(pool.polled()).toEqual(new Map([[queue, 3_600]]));
      // The new budget, then the tenant's other workflow tasks asking for it while the old worker drains.
      pool.ensurePolling(queue, 7_200);
      pool.ensurePolling(queue, 7_200);
      pool.ensurePolling(queue, 7_200);
      expect(pool.polled()).toEqual(new Map([[queue, 7_200]]));
      const second = Date.now() + 30_000;
      while (created[1]?.worker.getState() !== 'RUNNING') {
        if (Date.now() > second) throw new Error('the restarted worker never ran');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(created.map(({ rate }) => rate)).toEqual([1, 2]);

      await pool.shutdown();
      expect(created.map(({ worker }) => worker.getState())).toEqual(['STOPPED', 'STOPPED']);
      expect(errors).toEqual([]);
    } finally {
      await pool.shutdown();
      // A worker the pool lost track of would hold the connection open for good: stop whatever still runs.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await Promise.all(created.filter(({ worker }) => worker.getState() === 'RUNNING').map(async ({ worker }) => {
        worker.shutdown();
        while (worker.getState() !== 'STOPPED' && worker.getState() !== 'FAILED') await new Promise((resolve) => setTimeout(resolve, 20));
      }));
    }
  });
});
