/**
 * The worker's sweep of running syncs (worker/running-syncs.ts) terminates a run stuck (its workflow task failing)
 * without its tenant's lock, and the run's partitions and employees end with it: they are started with Temporal's
 * default parent-close policy, TERMINATE (workflows/sync.ts and workflows/partition.ts set none). Real Temporal dev
 * server, real workers (this process) and sandbox over HTTP; the sweep is called as the worker's timer calls it, with its
 * clock moved past the grace.
 *
 * The run is the production sync (test/worker/sweep-children-workflows.ts) until the test breaks its workflow task, as
 * a bad deploy would, while its partitions and employees are writing: they go on, as the README warns. A control case
 * starts the children with policy ABANDON (test/worker/abandon-children-interceptor.ts) and shows them surviving the
 * same sweep and writing on, so the assertions tell the two apart.
 */
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { connectorDataConverter, workflowBundleConverterOptions } from '../../codec/data-converter';
import type { TenantQueuePool } from '../../worker/tenant-queues';
import { pollQueuesOfRunningSyncs, type LocklessRuns } from '../../worker/running-syncs';
import { createSyncWorkers, defaultActivityDeps } from '../../worker/create-worker';
import { tenantLockWorkflowId } from '../../workflows/ids';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, TEST_TUNING, type PipelineFixture } from '../harness/pipeline';
import { eventually } from '../harness/wait';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never;
/** Every Peakon answer this late: a partition (ten employees, one at a time) writes for 15 s and more. */
const LATENCY_MS = 1_500;

const noPool = (): TenantQueuePool => ({ ensurePolling: () => undefined, shutdown: () => Promise.resolve(), polled: () => new Map(), retireIdle: () => [] });

interface Child {
  workflowId: string;
  type: string;
}

/** The run's partitions (from its history) and their employees (from theirs): every child the run ever started. */
async function childrenOf(client: Client, runWorkflowId: string): Promise<{ partitions: Child[]; employees: Child[] }> {
  const started = async (workflowId: string): Promise<Child[]> =>
    ((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).flatMap((event) => {
      const child = event.childWorkflowExecutionStartedEventAttributes;
      return child?.workflowExecution?.workflowId ? [{ workflowId: child.workflowExecution.workflowId, type: child.workflowType?.name ?? '' }] : [];
    });
  const partitions = (await started(runWorkflowId)).filter((child) => child.type === 'syncPartitionWorkflow');
  const employees = (await Promise.all(partitions.map((partition) => started(partition.workflowId)))).flat();
  return { partitions, employees };
}

const statusOf = async (client: Client, child: Child) => (await client.workflow.getHandle(child.workflowId).describe()).status.name;

const writes = (fixture: PipelineFixture, after = 0) => fixture.sandbox.ops().filter((op) => op.method !== 'GET' && Date.parse(op.time) > after);

describe('the sweep of running syncs, on a stuck run with children in flight', () => {
  const pipeline = usePipelineTests();

  /**
   * Starts a sync of 30 (waves of 1 and 29; partitions of 10, one employee at a time), breaks its workflow task once a
   * partition of the second wave has an employee writing, gives its lock to another run and lets the sweep terminate
   * it; then, its workers still running, `then` checks what follows.
   */
  async function stuckRunTerminatedBySweep(abandonChildren: boolean, then: (terminated: { fixture: PipelineFixture; run: { workflowId: string }; inFlight: { partitions: Child[]; employees: Child[] }; terminatedAt: number }) => Promise<void>): Promise<void> {
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: LATENCY_MS } }, slowAnswers: true });
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1, maxConcurrentPartitions: 2, partitionSize: 10 };
    fixture.writeEmployees(generateOrg(30, 2));
    const { client, taskQueue, nativeConnection } = pipeline.temporal;
    const workers = await createSyncWorkers({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      deps: { ...defaultActivityDeps(fixture.stateDirectory), resolveSecret: () => fixture.sandbox.token },
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: require.resolve('./sweep-children-workflows'),
        ...(abandonChildren ? { workflowInterceptorModules: [require.resolve('./abandon-children-interceptor')] } : {}),
        ...workflowBundleConverterOptions(connectorDataConverter()),
        logger: silent,
      }),
    });
    const lockId = tenantLockWorkflowId(fixture.config.tenant);
    return workers.runUntil(
      (async () => {
        const run = await fixture.startSync({ tuning: { ...TEST_TUNING, scimActivityTimeoutMs: 30_000 } });
        await eventually('a partition of the second wave with an employee writing', async () => {
          const { partitions, employees } = await childrenOf(client, run.workflowId);
          const running = async (children: Child[]) => (await Promise.all(children.map((child) => statusOf(client, child)))).filter((status) => status === 'RUNNING').length;
          return partitions.length >= 2 && (await running(partitions)) >= 1 && (await running(employees)) >= 1 ? true : undefined;
        }, 60_000, 200);
        // A bad deploy: the run's workflow task fails at every attempt from now on; its children's tasks do not.
        await run.signal('test-break-run');
        await eventually('the run to fail its workflow task again and again', async () => ((await run.describe()).raw.pendingWorkflowTask?.attempt ?? 0) >= 2 || undefined, 30_000, 100);
        // Its lease runs out (it cannot renew) and the next sync takes the tenant.
        await client.workflow.getHandle(lockId).terminate('test: the stuck run did not renew its lease');
        const other = await client.workflow.start('tenantLockWorkflow', { taskQueue, workflowId: lockId, args: [{ holderRunId: 'peakon-sync/other/run', leaseMs: 600_000 }], memo: { holderRunId: 'peakon-sync/other/run' } });
        await eventually('the run to be listed with its memo', async () => {
          for await (const execution of client.workflow.list({ query: `WorkflowId = '${run.workflowId}' AND ExecutionStatus = 'Running'` })) if (typeof execution.memo?.tenant === 'string') return true;
          return undefined;
        }, 30_000, 100);
        // The children go on writing beside the other sync: what the sweep is for.
        const beforeSweep = Date.now();
        await eventually('the children to write on while the run is stuck', async () => writes(fixture, beforeSweep).length > 0 || undefined, 30_000, 100);

        let now = 1_000_000;
        const withoutLock: LocklessRuns = { seen: new Map(), graceMs: 120_000, now: () => now };
        const warnings: string[] = [];
        const sweep = () => pollQueuesOfRunningSyncs({ client, taskQueue, pool: noPool(), warn: (message) => void warnings.push(message), withoutLock });
        await sweep();
        expect(withoutLock.seen.size).toBe(1);
        expect((await run.describe()).status.name).toBe('RUNNING');
        now += 120_000;
        const inFlight = await childrenOf(client, run.workflowId);
        await sweep();
        const terminatedAt = Date.now();
        expect(warnings).toEqual(['terminated a sync that went on without its tenant lock']);
        expect((await run.describe()).status.name).toBe('TERMINATED');
        await other.terminate('test: the other run is done');
        await then({ fixture, run, inFlight, terminatedAt });
      })(),
    );
  }

  it('terminates the run, and its partitions and employees in flight end with it: nothing of it writes after', async () => {
    const { client } = pipeline.temporal;
    await stuckRunTerminatedBySweep(false, async ({ fixture, run }) => {
      // Each child the run ever started ended: those in flight terminated with it (Temporal applies the parent-close
      // policy a moment after the parent closes), the others had completed before.
      const statuses = await eventually('every child of the run to have ended', async () => {
        const { partitions, employees } = await childrenOf(client, run.workflowId);
        const of = async (children: Child[]) => Promise.all(children.map((child) => statusOf(client, child)));
        const found = { partitions: await of(partitions), employees: await of(employees) };
        return [...found.partitions, ...found.employees].every((status) => status !== 'RUNNING') ? found : undefined;
      }, 30_000, 200);
      expect(statuses.partitions.filter((status) => status === 'TERMINATED').length).toBeGreaterThanOrEqual(1);
      expect(statuses.employees.filter((status) => status === 'TERMINATED').length).toBeGreaterThanOrEqual(1);
      expect(new Set([...statuses.partitions, ...statuses.employees])).toEqual(new Set(['COMPLETED', 'TERMINATED']));
      // No write of the run reaches Peakon once its children have ended (a write on the wire then was sent before; one an
      // activity sends in the milliseconds between the run's end and its children's is not counted here).
      const ended = Date.now();
      await sleep(3 * LATENCY_MS);
      expect(writes(fixture, ended)).toEqual([]);
    });
  }, 180_000);

  it('control: children started with policy ABANDON survive the same sweep and write on', async () => {
    const { client } = pipeline.temporal;
    await stuckRunTerminatedBySweep(true, async ({ fixture, run, inFlight, terminatedAt }) => {
      try {
        await sleep(3 * LATENCY_MS);
        const { partitions } = await childrenOf(client, run.workflowId);
        expect((await Promise.all(partitions.map((child) => statusOf(client, child)))).filter((status) => status === 'RUNNING').length).toBeGreaterThanOrEqual(1);
        expect(writes(fixture, terminatedAt).length).toBeGreaterThan(0);
      } finally {
        const { partitions, employees } = await childrenOf(client, run.workflowId);
        for (const child of [...inFlight.partitions, ...inFlight.employees, ...partitions, ...employees]) await client.workflow.getHandle(child.workflowId).terminate('test: done').catch(() => undefined);
      }
    });
  }, 180_000);
});
