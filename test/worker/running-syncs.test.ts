/**
 * The worker's sweep of running syncs (worker/running-syncs.ts) against real runs on the dev server: it polls a run's
 * tenant SCIM queue at the run's budget, read from the run's memo, restarts a queue this process polls at another rate
 * (the budget was lowered; the server keeps the latest poller's rate), leaves dry runs alone and runs the tenant lock
 * does not name as its holder, and hands the queues of
 * the runs it listed to `retireIdle` only after a complete listing. The pool is a recorder
 * of the calls (the real one starts activity workers, which would race the test's own).
 */
import type { TenantQueuePool } from '../../worker/tenant-queues';
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { connectorDataConverter, workflowBundleConverterOptions } from '../../codec/data-converter';
import { pollQueuesOfRunningSyncs, type LocklessRuns } from '../../worker/running-syncs';
import { scimTaskQueue, tenantLockWorkflowId } from '../../workflows/ids';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { eventually } from '../harness/wait';

function recordingPool(polled: Map<string, number>): TenantQueuePool & { calls: [string, number][]; retires: [Set<string>, number][] } {
  const calls: [string, number][] = [];
  const retires: [Set<string>, number][] = [];
  return {
    calls,
    retires,
    ensurePolling: (queue, operationsPerHour) => void calls.push([queue, operationsPerHour]),
    shutdown: () => Promise.resolve(),
    polled: () => new Map(polled),
    retireIdle: (active, idleMs) => {
      retires.push([new Set(active), idleMs]);
      return [];
    },
  };
}

describe('the sweep of running syncs', () => {
  const pipeline = usePipelineTests();

  it('polls each running sync\'s SCIM queue at the budget in its memo, restarts one polled at another rate, and skips dry runs', async () => {
    // Every request waits 3 s: both runs are still running while the sweep looks.
    const lowered = await pipeline.fixture({ sandbox: { faults: { latencyMs: 3_000 } } });
    // The dry run's plan reads slower still: it must be running while the sweep looks, or skipping it proves nothing.
    const dry = await pipeline.fixture({ sandbox: { faults: { latencyMs: 10_000 } } });
    lowered.writeEmployees(generateOrg(4, 2));
    dry.writeEmployees(generateOrg(4, 2));
    lowered.config.peakon = { ...lowered.config.peakon, operationsPerHour: 7_200 };
    const { client, taskQueue } = pipeline.temporal;
    const loweredQueue = scimTaskQueue(taskQueue, lowered.config.tenant);
    const dryQueue = scimTaskQueue(taskQueue, dry.config.tenant);
    const workers = await lowered.startWorkers();
    await workers.runUntil(
      (async () => {
        const run = await lowered.startSync();
        const dryRun = await dry.startSync({ dryRun: true });
        await eventually('both runs to publish their memo', async () => ((await run.describe()).memo?.tenant && (await dryRun.describe()).memo?.tenant ? true : undefined), 30_000, 50);
        // The sweep reads visibility, which the server updates after the run's own state (later still under load).
        const listed = async (workflowId: string) => {
          for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Running'` })) if (typeof execution.memo?.tenant === 'string') return true;
          return undefined;
        };
        await eventually('both runs to be listed with their memo', async () => ((await listed(run.workflowId)) && (await listed(dryRun.workflowId)) ? true : undefined), 30_000, 100);

        // This process polls the tenant's queue at the budget of an earlier run (25,000/h).
        const pool = recordingPool(new Map([[loweredQueue, 25_000]]));
        const { started } = await pollQueuesOfRunningSyncs({ client, taskQueue, pool, warn: () => undefined });
        expect(pool.calls.filter(([queue]) => queue === loweredQueue)).toEqual([[loweredQueue, 7_200]]);
        expect(pool.calls.filter(([queue]) => queue === dryQueue)).toEqual([]);
        expect((await dryRun.describe()).status.name).toBe('RUNNING');
        expect(started).toBe(pool.calls.length);
        // Without retireIdleMs nothing is retired.
        expect(pool.retires).toEqual([]);

        // With it, a complete listing keeps the running run's queue; the dry run's never holds one (it only plans).
        const retiring = recordingPool(new Map([[loweredQueue, 7_200]]));
        await pollQueuesOfRunningSyncs({ client, taskQueue, pool: retiring, warn: () => undefined, retireIdleMs: 600_000 });
        expect(retiring.retires).toHaveLength(1);
        expect(retiring.retires[0]![1]).toBe(600_000);
        expect(retiring.retires[0]![0].has(loweredQueue)).toBe(true);
        expect(retiring.retires[0]![0].has(dryQueue)).toBe(false);
        // A listing cut short (the worker stopping) retires nothing: it would retire the queues of runs it did not reach.
        const cut = recordingPool(new Map());
        await pollQueuesOfRunningSyncs({ client, taskQueue, pool: cut, warn: () => undefined, retireIdleMs: 600_000, stopped: () => true });
        expect(cut.retires).toEqual([]);

        // A run of the tenant that does not hold its lock: it published its memo (with another config's budget) and has
        // not yet found the lock held. A run of the sync type on a task queue no worker polls stands in for that moment
        // (its memo set at start, as the run's first task would); the holder's queue must keep the holder's rate.
        const otherQueue = `${taskQueue}-intruder`;
        const intruder = await client.workflow.start('syncTenantWorkflow', { taskQueue: otherQueue, workflowId: `${run.workflowId}-intruder`, args: [], memo: { tenant: lowered.config.tenant, operationsPerHour: 999 } });
        await eventually('the lock to name its holder', async () => ((await client.workflow.getHandle(tenantLockWorkflowId(lowered.config.tenant)).describe()).memo?.holderRunId === run.workflowId ? true : undefined), 30_000, 100);
        await eventually('the intruder to be listed', async () => {
          for await (const execution of client.workflow.list({ query: `WorkflowId = '${intruder.workflowId}'` })) if (typeof execution.memo?.tenant === 'string') return true;
          return undefined;
        }, 30_000, 100);
        const intruded = recordingPool(new Map([[scimTaskQueue(otherQueue, lowered.config.tenant), 7_200]]));
        await pollQueuesOfRunningSyncs({ client, taskQueue: otherQueue, pool: intruded, warn: () => undefined });
        expect(intruded.calls).toEqual([]);
        await intruder.terminate();

        // At the run's rate already: nothing to do.
        const settled = recordingPool(new Map([[loweredQueue, 7_200]]));
        await pollQueuesOfRunningSyncs({ client, taskQueue, pool: settled, warn: () => undefined });
        expect(settled.calls.filter(([queue]) => queue === loweredQueue || queue === dryQueue)).toEqual([]);

        await run.cancel();
        await dryRun.cancel().catch(() => undefined);
        await run.result().catch(() => undefined);
      })(),
    );
  }, 120_000);

  it('terminates a run stuck (its workflow task failing) without its tenant lock once the grace has passed, and no other', async () => {
    // Stand-ins, their memo set at start as their first task would: on a queue whose worker fails every workflow task
    // (as after a bad deploy), a stuck run, the run that holds the tenant's lock now, a dry run, and a stuck run of a
    // tenant whose lock nobody holds; on a queue no worker polls, a run without the lock whose task is not failing (one
    // that lost its lock and is stopping, its report slow). The lock itself likewise, naming its holder in its memo.
    const { client, taskQueue, nativeConnection } = pipeline.temporal;
    const queue = `${taskQueue}-stuck`;
    const quiet = `${taskQueue}-quiet`;
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const free = `t-${randomUUID().slice(0, 8)}`;
    const start = (workflowId: string, memo: Record<string, unknown>, on = queue) => client.workflow.start('syncTenantWorkflow', { taskQueue: on, workflowId, args: [], memo });
    const stuck = await start(`peakon-sync/${tenant}/stuck`, { tenant, operationsPerHour: 25_000 });
    const holder = await start(`peakon-sync/${tenant}/holder`, { tenant, operationsPerHour: 25_000 });
    const dry = await start(`peakon-sync/${tenant}/dry`, { tenant, operationsPerHour: 25_000, dryRun: true });
    const alone = await start(`peakon-sync/${free}/alone`, { tenant: free, operationsPerHour: 25_000 });
    const stopping = await start(`peakon-sync/${tenant}/stopping`, { tenant, operationsPerHour: 25_000 }, quiet);
    const lock = await client.workflow.start('stretchableTenantLockWorkflow', { taskQueue: quiet, workflowId: tenantLockWorkflowId(tenant), args: [{ holderRunId: holder.workflowId, leaseMs: 600_000 }], memo: { holderRunId: holder.workflowId } });
    const all = [stuck, holder, dry, alone, stopping];
    const badDeploy = await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue: queue,
      dataConverter: connectorDataConverter(),
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./stuck-workflows'), ...workflowBundleConverterOptions(connectorDataConverter()), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never }),
    });
    try {
      await badDeploy.runUntil(async () => {
        await eventually('the stuck runs to fail their workflow task again and again', async () => {
          const attempts = await Promise.all([stuck, alone].map(async (run) => (await run.describe()).raw.pendingWorkflowTask?.attempt ?? 0));
          return attempts.every((attempt) => attempt >= 2) ? true : undefined;
        }, 60_000, 100);
        const listed = async (on: string) => {
          let count = 0;
          for await (const execution of client.workflow.list({ query: `TaskQueue = '${on}' AND ExecutionStatus = 'Running' AND WorkflowType = 'syncTenantWorkflow'` })) if (typeof execution.memo?.tenant === 'string') count += 1;
          return count;
        };
        await eventually('the runs to be listed with their memo', async () => ((await listed(queue)) === 4 && (await listed(quiet)) === 1 ? true : undefined), 30_000, 100);
        let now = 1_000_000;
        // One worker's sweep of each queue (a sweep's `seen` is its own queue's: a listing forgets the runs it did not list).
        const withoutLock: LocklessRuns = { seen: new Map(), graceMs: 120_000, now: () => now };
        const quietWithoutLock: LocklessRuns = { seen: new Map(), graceMs: 120_000, now: () => now };
        const warnings: string[] = [];
        const sweep = async () => {
          await pollQueuesOfRunningSyncs({ client, taskQueue: queue, pool: recordingPool(new Map()), warn: (message) => void warnings.push(message), withoutLock });
          await pollQueuesOfRunningSyncs({ client, taskQueue: quiet, pool: recordingPool(new Map()), warn: (message) => void warnings.push(message), withoutLock: quietWithoutLock });
          expect(quietWithoutLock.seen.size).toBe(0);
        };
        const status = async () => Object.fromEntries(await Promise.all(all.map(async (run) => [run.workflowId.split('/').pop(), (await run.describe()).status.name])));

        // First seen stuck without the lock: only noted (the stopping run, whose task does not fail, is not even that).
        await sweep();
        expect([...withoutLock.seen.keys()]).toEqual([(await stuck.describe()).runId]);
        now += 119_000;
        await sweep();
        expect(Object.values(await status()).every((state) => state === 'RUNNING')).toBe(true);

        // Past the grace, still stuck without the lock: terminated, saying why; the others stay, the stopping run too.
        now += 1_000;
        await sweep();
        expect(await status()).toEqual({ stuck: 'TERMINATED', holder: 'RUNNING', dry: 'RUNNING', alone: 'RUNNING', stopping: 'RUNNING' });
        const terminated = ((await stuck.fetchHistory()).events ?? []).find((event) => event.workflowExecutionTerminatedEventAttributes)?.workflowExecutionTerminatedEventAttributes;
        expect(terminated?.reason).toContain(`without the tenant lock of ${tenant}, which sync ${holder.workflowId} holds`);
        expect(warnings).toEqual(['terminated a sync that went on without its tenant lock']);
        expect(withoutLock.seen.size).toBe(0);
        now += 600_000;
        await sweep();
        expect((await stopping.describe()).status.name).toBe('RUNNING');

        // Without the option a sweep stops nothing.
        const unwatched = await start(`peakon-sync/${tenant}/unwatched`, { tenant, operationsPerHour: 25_000 });
        all.push(unwatched);
        await eventually('the new run to fail its task and be listed', async () => ((await unwatched.describe()).raw.pendingWorkflowTask?.attempt ?? 0) >= 2 && (await listed(queue)) === 4 || undefined, 30_000, 100);
        await pollQueuesOfRunningSyncs({ client, taskQueue: queue, pool: recordingPool(new Map()), warn: () => undefined });
        expect((await unwatched.describe()).status.name).toBe('RUNNING');
      });
    } finally {
      for (const handle of [...all, lock]) await handle.terminate().catch(() => undefined);
    }
  }, 120_000);
});
