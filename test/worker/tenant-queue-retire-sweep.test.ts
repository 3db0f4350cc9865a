/**
 * Idle tenant SCIM-queue workers retired by the worker's sweep (worker/running-syncs.ts, worker/tenant-queues.ts), with
 * real workers on the dev server and a real sandbox over HTTP: while a run is running its tenant's queue stays polled
 * however long no workflow task asks for it; once the run has finished the sweep retires the queue; a new run of the
 * tenant starts it again and completes.
 */
import { createSyncWorkers, defaultActivityDeps } from '../../worker/create-worker';
import type { SyncReport } from '../../sync/report';
import { scimTaskQueue } from '../../workflows/ids';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, workflowBundle } from '../harness/pipeline';
import { eventually } from '../harness/wait';

describe('retiring the SCIM queue worker of a tenant with no running sync', () => {
  const pipeline = usePipelineTests();

  it('keeps a running run\'s queue, retires it once the run has finished, and a new run of the tenant still completes', async () => {
    // Each request waits 1.5 s: a run's employees wait on their SCIM activities longer than the idle time, asking nothing.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 1_500 } }, slowAnswers: true });
    fixture.writeEmployees(generateOrg(6, 2));
    const { temporal } = pipeline;
    const workers = await createSyncWorkers({
      connection: temporal.nativeConnection,
      namespace: 'default',
      taskQueue: temporal.taskQueue,
      deps: { ...defaultActivityDeps(fixture.stateDirectory), resolveSecret: () => fixture.sandbox.token },
      workflowBundle: await workflowBundle(),
      runningSyncSweepMs: 300,
      tenantQueueIdleMs: 1_000,
    });
    const queue = scimTaskQueue(temporal.taskQueue, fixture.config.tenant);
    await workers.runUntil(
      (async () => {
        const first = await fixture.startSync();
        await eventually('the run to poll its tenant queue', async () => (workers.tenantQueues().has(queue) ? true : undefined), 30_000, 20);
        // Sampled until the run ends: never retired meanwhile, though requests take longer than the idle time.
        let gaps = 0;
        let done = false;
        const report = first.result().finally(() => (done = true)) as Promise<SyncReport>;
        while (!done) {
          if (!workers.tenantQueues().has(queue)) gaps += 1;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect((await report).counts).toMatchObject({ created: 6, failed: 0 });
        expect(gaps).toBe(0);

        await eventually('the finished run\'s queue to be retired', async () => (workers.tenantQueues().has(queue) ? undefined : true), 30_000, 50);

        // A new run of the tenant asks for its queue again, and completes.
        fixture.sandbox.setFaults({ latencyMs: 0 });
        fixture.writeEmployees(generateOrg(8, 2));
        const second: SyncReport = await (await fixture.startSync()).result();
        expect(second.status).toBe('completed');
        expect(second.counts).toMatchObject({ created: 2, failed: 0 });
      })(),
    );
  }, 120_000);
});
