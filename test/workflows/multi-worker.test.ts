import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { expectConverged } from '../harness/converged';
import { scimTaskQueue } from '../../workflows/ids';
import { busiestWindow } from '../../bench/busiest-window';
import { describeWithMoto, startMoto, type RunningMoto } from '../harness/moto';
import { usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import type { TemporalTestContext } from '../harness/temporal';
import { startWorkerProcess, stopWorkerProcesses, type WorkerProcess } from '../harness/worker-process';

/**
 * Which worker processes (by pid) ran workflow tasks and activity tasks of a run, read from its histories; and, when
 * given the tenant's SCIM task queue, how many of the run's SCIM activities (one SCIM request each) each process ran.
 */
async function workersOfRun(context: TemporalTestContext, runId: string, scimQueue?: string): Promise<{ workflowTasks: Set<string>; activities: Set<string>; scimActivities: Map<string, number>; histories: number; earlierAttempts: number }> {
  const workflowTasks = new Set<string>();
  /** Activity attempts before the last of each activity (the history records the last attempt's start, numbered). */
  let earlierAttempts = 0;
  const activities = new Set<string>();
  const scimActivities = new Map<string, number>();
  let histories = 0;
  for await (const execution of context.client.workflow.list({ query: `WorkflowId STARTS_WITH "${runId}"` })) {
    histories += 1;
    const { history } = await context.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: execution.workflowId, runId: execution.runId } });
    const queueOfScheduled = new Map<string, string>();
    for (const event of history?.events ?? []) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.taskQueue?.name) queueOfScheduled.set(String(event.eventId), scheduled.taskQueue.name);
      const workflowTask = event.workflowTaskStartedEventAttributes?.identity;
      const started = event.activityTaskStartedEventAttributes;
      const activity = started?.identity;
      if (workflowTask) workflowTasks.add(workflowTask.split('@')[0] ?? workflowTask);
      if (started) earlierAttempts += Math.max(0, (started.attempt ?? 1) - 1);
      if (activity) {
        const pid = activity.split('@')[0] ?? activity;
        activities.add(pid);
        if (scimQueue !== undefined && queueOfScheduled.get(String(started.scheduledEventId)) === scimQueue) scimActivities.set(pid, (scimActivities.get(pid) ?? 0) + 1);
      }
    }
  }
  return { workflowTasks, activities, scimActivities, histories, earlierAttempts };
}

function startWorkers(fixture: PipelineFixture, taskQueue: string, count: number, env: Record<string, string> = {}): WorkerProcess[] {
  return Array.from({ length: count }, () =>
    // Each process has a state folder of its own, as on separate hosts: nothing of a run may depend on a shared one.
    startWorkerProcess({ PEAKON_SYNC_TASK_QUEUE: taskQueue, PEAKON_SYNC_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'peakon-sync-host-')), PEAKON_TOKEN: fixture.sandbox.token, ...env }),
  );
}

describeWithMoto('two worker processes on separate "hosts" with an S3-compatible payload store')('two worker processes on separate "hosts" with an S3-compatible payload store', () => {
  const pipeline = usePipelineTests();
  let moto: RunningMoto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await stopWorkerProcesses();
    await moto?.close();
  });

  it('complete a 1,000-employee first sync and a re-sync like one worker would, both running workflow tasks and activities', async () => {
    const fixture = await pipeline.fixture();
    fixture.config.sync = { ...fixture.config.sync, partitionSize: 100, maxConcurrentPartitions: 4, maxConcurrentEmployees: 20 };
    const employees = generateOrg(1000, 7);
    fixture.writeEmployees(employees);
    const bucket = await moto.newBucket();
    const workers = startWorkers(fixture, pipeline.temporal.taskQueue, 2, moto.environment(bucket));

    const first: SyncReport = await (await fixture.startSync()).result();
    expect(first.failures).toEqual([]);
    expect(first.counts).toMatchObject({ created: 1000, updated: 0, failed: 0 });
    expectConverged(fixture.sandbox.users(), employees);
    const opsAfterFirst = fixture.sandbox.ops().length;
    // Every request counted. An attempt Temporal timed out counts as one request whether or not it sent one (on an
    // overloaded machine a worker may never have started it: CI saw two such attempts count 1,004 for 1,002 requests);
    // so the count is exact, or above by at most the run's retried attempts, never below.
    const firstRun = await workersOfRun(pipeline.temporal, first.runId);
    expect(first.operations).toBeGreaterThanOrEqual(opsAfterFirst);
    expect(first.operations - opsAfterFirst).toBeLessThanOrEqual(firstRun.earlierAttempts);

    const secondHandle = await fixture.startSync();
    const second: SyncReport = await secondHandle.result();
    expect(second.counts).toMatchObject({ created: 0, updated: 0, unchanged: 1000, failed: 0 });
    expect(fixture.sandbox.ops().slice(opsAfterFirst).filter((op) => op.method !== 'GET')).toEqual([]);

    const pids = workers.map((worker) => String(worker.process.pid));
    expect([...firstRun.workflowTasks].sort()).toEqual([...pids].sort());
    expect([...firstRun.activities].sort()).toEqual([...pids].sort());
    // The run's large payloads (the plan, partition work) live in the bucket, not in any worker's folder.
    const stored = await moto.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(stored.KeyCount ?? 0).toBeGreaterThan(0);
    for (const worker of workers) expect(worker.stdout()).toContain('"message":"worker polling"');
  }, 480_000);
});

describe('one budget per tenant across worker processes', () => {
  const pipeline = usePipelineTests();
  afterAll(() => stopWorkerProcesses());

  it('paces the writes of two workers together to the tenant budget, without a single 429', async () => {
    const budgetPerHour = 14_400; // 4 operations per second
    const fixture = await pipeline.fixture({ sandbox: { quotaPerHour: budgetPerHour } });
    fixture.config.peakon = { ...fixture.config.peakon, operationsPerHour: budgetPerHour };
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentPartitions: 4, maxConcurrentEmployees: 20 };
    const employees = generateOrg(100, 4);
    fixture.writeEmployees(employees);
    const workers = startWorkers(fixture, pipeline.temporal.taskQueue, 2);

    const report: SyncReport = await (await fixture.startSync()).result();
    expect(report.counts).toMatchObject({ created: 100, failed: 0 });
    const ops = fixture.sandbox.ops();
    expect(ops.filter((op) => op.status === 429)).toEqual([]);
    // The pace below proves one budget only if both processes sent requests: one worker doing every write paces itself.
    // Each must have run at least 30% of the run's SCIM activities (one request each). Not an even split, which the
    // server's dispatch to whichever poller waits does not promise, but a floor a lopsided split that hides two budgets
    // (90/10: the busy worker alone at the budget's pace passes the span check below) cannot pass; measured 48-52 of
    // 100 per worker in five CI runs.
    const { scimActivities } = await workersOfRun(pipeline.temporal, report.runId, scimTaskQueue(pipeline.temporal.taskQueue, fixture.config.tenant));
    const scimTotal = [...scimActivities.values()].reduce((sum, count) => sum + count, 0);
    process.stderr.write(`pacing: SCIM activities per worker ${JSON.stringify(Object.fromEntries(scimActivities))} of ${scimTotal}\n`);
    expect(scimTotal).toBeGreaterThanOrEqual(100);
    expect([...scimActivities.keys()].sort()).toEqual(workers.map((worker) => String(worker.process.pid)).sort());
    for (const count of scimActivities.values()) expect(count).toBeGreaterThanOrEqual(Math.ceil(scimTotal * 0.3));
    const posts = ops.filter((op) => op.method === 'POST').map((op) => Date.parse(op.time));
    const seconds = ((posts.at(-1) ?? 0) - (posts[0] ?? 0)) / 1000;
    // Two workers with 20 slots each could send 100 POSTs in a second or two; paced together they need ~25 s.
    const paced = (posts.length - 1) / (budgetPerHour / 3600);
    process.stderr.write(`pacing: ${posts.length} POSTs in ${seconds.toFixed(1)} s; ${paced.toFixed(1)} s at the budget\n`);
    expect(seconds).toBeGreaterThan(paced * 0.8);
    // The server enforces the rate per task-queue partition: with the default four partitions this span was ~1.2× the
    // paced time (the budget split and tasks forwarded between partitions); with one it is within a few percent. The
    // bound is loose (1.5×, ~12 s of slack on ~25 s) because a loaded 2-core CI machine stalls workers and the dev
    // server for seconds, which only lengthens the span; it still fails a run that writes at well under the budget (half
    // its rate or less). The lower bound above is what proves one shared budget.
    expect(seconds).toBeLessThan(paced * 1.5);
    // Zero 429s alone proves little here: the sandbox counts an hour, far longer than the run. The pace must hold over
    // short stretches too: no 10-second window of requests (every method, the plan's reads included) far above the
    // budget's rate. Two workers pacing apart would send twice it; measured: 45 against 40 (the server's rate limiter
    // lets a short burst through); 1.5× leaves room for a worker that stalls and then sends what it was handed.
    const busiest = busiestWindow(ops.map((op) => Date.parse(op.time)), 10_000);
    process.stderr.write(`pacing: at most ${busiest} requests in any 10 s; ${(budgetPerHour / 360).toFixed(0)} at the budget\n`);
    expect(busiest).toBeLessThanOrEqual(Math.ceil((budgetPerHour / 360) * 1.5));
  });
});
