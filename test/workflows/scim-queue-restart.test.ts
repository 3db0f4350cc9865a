/**
 * A worker polls a tenant's rate-limited SCIM task queue only once a workflow asks it to (the `tenantQueues` sink).
 * Employee workflows ask when they run a workflow task; while the queue's backlog is paced, every employee waits on a
 * queued activity and runs none. If the only worker polling the queue dies then, a fresh worker must still come to poll
 * it: the sync's lease renewal asks, since nothing else of the run ever runs a workflow task again. The fresh worker
 * here runs without its sweep of running syncs (which would find the run and poll its queue within a second of start,
 * worker/running-syncs.ts), so only the renewal can make it poll.
 */
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { expectConverged } from '../harness/converged';
import { RUNNING_SYNC_SWEEP_DISABLED, withoutRunningSyncSweep } from '../harness/no-running-sync-sweep';
import { childrenWithPendingWorkflowTask } from '../harness/pending-workflow-tasks';
import { TEST_TUNING, usePipelineTests } from '../harness/pipeline';
import { eventually } from '../harness/wait';
import { startWorkerProcess, stopWorkerProcesses } from '../harness/worker-process';

/** A timer that does not keep jest waiting once the test is over. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

describe('a tenant SCIM queue after its only worker dies', () => {
  const pipeline = usePipelineTests();
  afterAll(() => stopWorkerProcesses());

  it('is polled again by a fresh worker without the start-up sweep, at the lease renewal, and the run completes, when no employee workflow task is pending', async () => {
    // One operation every 4 s: the employees' creates queue up on the tenant's SCIM queue and leave it one at a time,
    // slowly enough that the check below and the kill fit between two of them on a loaded machine.
    const operationsPerHour = 900;
    const dispatchMs = 3_600_000 / operationsPerHour;
    const fixture = await pipeline.fixture();
    fixture.config.peakon = { ...fixture.config.peakon, operationsPerHour };
    // One level: a single create wave, every employee's create queued at once.
    const employees = generateOrg(14, 1);
    fixture.writeEmployees(employees);
    const env = { PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue, PEAKON_SYNC_STATE_DIR: fixture.stateDirectory, PEAKON_TOKEN: fixture.sandbox.token };
    const first = startWorkerProcess(env).process;
    // Renewed every 20 s; the fresh worker below is up well within the 60 s lease, so the run keeps its lock.
    const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, lockLeaseMs: 60_000 } });
    const answeredPosts = () => fixture.sandbox.ops().filter((op) => op.method === 'POST' && op.status !== null).length;

    // Between two paced dispatches: the last create answered, its employee and partition done with it, the next
    // employee waiting on its queued create. Then no workflow task of the run's children is pending.
    let seen = 0;
    for (;;) {
      const previous = seen;
      seen = await eventually('a create answered', async () => (answeredPosts() > previous ? answeredPosts() : undefined), 120_000, 20);
      if (seen < 2) continue;
      await sleep(700);
      if (answeredPosts() === seen && (await childrenWithPendingWorkflowTask(pipeline.temporal.client, handle.workflowId)).length === 0 && answeredPosts() === seen) break;
    }
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const beforeRestart = answeredPosts();
    expect(beforeRestart).toBeLessThan(employees.length - 4);
    // What makes the restart hard: nothing of the run but the parent and its lock will run a workflow task again.
    expect(await childrenWithPendingWorkflowTask(pipeline.temporal.client, handle.workflowId)).toEqual([]);

    // Without the sweep of running syncs: only the parent's renewal can make it poll the tenant's SCIM queue.
    const fresh = startWorkerProcess({ ...env, ...withoutRunningSyncSweep() });
    const result = handle.result() as Promise<SyncReport>;
    try {
      await eventually('the fresh worker to poll', async () => (fresh.stdout().includes('"message":"worker polling"') ? true : undefined), 60_000);
      await eventually('the fresh worker to say its sweep is disabled', async () => (fresh.stderr().includes(RUNNING_SYNC_SWEEP_DISABLED) ? true : undefined), 10_000);
      // The parent renews within 20 s, then the remaining creates need a dispatch each; a minute more for a loaded machine.
      const outcome = await Promise.race([result, sleep(20_000 + (employees.length - beforeRestart) * dispatchMs + 60_000).then(() => undefined)]);
      if (outcome === undefined) throw new Error(`the run did not complete after the restart: ${answeredPosts() - beforeRestart} of ${employees.length - beforeRestart} remaining creates were sent (nothing polls the tenant's SCIM queue: the renewal did not make the fresh worker poll it)`);
      expect(outcome.status).toBe('completed');
      expect(outcome.counts.created).toBe(employees.length);
      expectConverged(fixture.sandbox.users(), employees);
    } finally {
      // A run left hanging would keep its result's long poll open past the connection's close.
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test: the run hung after the restart');
      await result.catch(() => undefined);
    }
  }, 300_000);
});
