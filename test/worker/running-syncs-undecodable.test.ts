/**
 * The worker's sweep of running syncs (worker/running-syncs.ts) goes on past a run whose memo it cannot decode: one
 * still open under an encryption key since dropped (here: encrypted with a key this worker does not hold), or an
 * encrypted one met by a keyless worker during a rollout to encryption. Listed through client.workflow.list(), that one
 * row threw and ended every sweep of the task queue: no queue resumed, none retired, no stuck run terminated, for any
 * tenant. Real dev server, real runs; the pool is a recorder of the calls, as in running-syncs.test.ts.
 */
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { connectorDataConverter, workflowBundleConverterOptions } from '../../codec/data-converter';
import { generateEncryptionKey } from '../../codec/keys';
import type { TenantQueuePool } from '../../worker/tenant-queues';
import { pollQueuesOfRunningSyncs, type LocklessRuns } from '../../worker/running-syncs';
import { scimTaskQueue, tenantLockWorkflowId } from '../../workflows/ids';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { eventually } from '../harness/wait';

function recordingPool(): TenantQueuePool & { calls: [string, number][]; retires: Set<string>[] } {
  const calls: [string, number][] = [];
  const retires: Set<string>[] = [];
  return {
    calls,
    retires,
    ensurePolling: (queue, operationsPerHour) => void calls.push([queue, operationsPerHour]),
    shutdown: () => Promise.resolve(),
    polled: () => new Map(),
    retireIdle: (active) => {
      retires.push(new Set(active));
      return [];
    },
  };
}

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never;

describe('the sweep of running syncs, past a run whose memo it cannot decode', () => {
  let temporal: TemporalTestContext;
  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(() => temporal.close());

  /** Whether `client` lists the running run with a memo naming a tenant (read by ID: a listing of the queue could hit the bad row). */
  const listedWithMemo = async (client: Client, workflowId: string) => {
    for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Running'` })) if (typeof execution.memo?.tenant === 'string') return true;
    return undefined;
  };

  it('skips it with a warning naming its workflow ID, and still paces, terminates and retires for the other runs', async () => {
    const { client, nativeConnection, taskQueue } = temporal;
    const queue = `${taskQueue}-stuck`;
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const dropped = `t-${randomUUID().slice(0, 8)}`;
    const start = (on: Client, workflowId: string, memo: Record<string, unknown>) => on.workflow.start('syncTenantWorkflow', { taskQueue: queue, workflowId, args: [], memo });
    // On a queue whose worker fails every workflow task (a bad deploy): a run stuck without its tenant's lock, the run
    // the lock names as holder, and a run whose memo is encrypted under a key this worker does not hold.
    const stuck = await start(client, `peakon-sync/${tenant}/stuck`, { tenant, operationsPerHour: 25_000 });
    const holder = await start(client, `peakon-sync/${tenant}/holder`, { tenant, operationsPerHour: 7_200 });
    const lock = await client.workflow.start('tenantLockWorkflow', { taskQueue: `${taskQueue}-nobody`, workflowId: tenantLockWorkflowId(tenant), args: [{ holderRunId: holder.workflowId, leaseMs: 600_000 }], memo: { holderRunId: holder.workflowId } });
    const otherKey = new Client({ connection: temporal.connection, namespace: TEST_NAMESPACE, dataConverter: connectorDataConverter({ ...process.env, PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() }) });
    const undecodable = await start(otherKey, `peakon-sync/${dropped}/old-key`, { tenant: dropped, operationsPerHour: 25_000 });
    const all = [stuck, holder, undecodable, lock];
    const badDeploy = await Worker.create({
      connection: nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue: queue,
      dataConverter: connectorDataConverter(),
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('./stuck-workflows'), ...workflowBundleConverterOptions(connectorDataConverter()), logger: silent }),
    });
    try {
      await badDeploy.runUntil(async () => {
        await eventually('the stuck run to fail its workflow task again and again', async () => ((await stuck.describe()).raw.pendingWorkflowTask?.attempt ?? 0) >= 2 || undefined, 60_000, 100);
        await eventually('the three runs to be listed with their memo', async () => ((await listedWithMemo(client, stuck.workflowId)) && (await listedWithMemo(client, holder.workflowId)) && (await listedWithMemo(otherKey, undecodable.workflowId))) || undefined, 30_000, 100);
        // The SDK's listing of the queue, as the sweep did it: the one row ends it.
        const throughSdk = async () => {
          for await (const execution of client.workflow.list({ query: `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'` })) void execution;
        };
        await expect(throughSdk()).rejects.toThrow(/not configured/);

        let now = 1_000_000;
        const withoutLock: LocklessRuns = { seen: new Map(), graceMs: 120_000, now: () => now };
        const warned = new Set<string>();
        const warnings: [string, Record<string, unknown>][] = [];
        const sweep = async () => {
          const pool = recordingPool();
          await pollQueuesOfRunningSyncs({ client, taskQueue: queue, pool, warn: (message, meta) => void warnings.push([message, meta]), warned, withoutLock, retireIdleMs: 600_000 });
          return pool;
        };
        const first = await sweep();
        // The holder's queue paced at its budget, the listing complete (retirement ran, keeping that queue).
        expect(first.calls).toEqual([[scimTaskQueue(queue, tenant), 7_200]]);
        expect(first.retires).toEqual([new Set([scimTaskQueue(queue, tenant)])]);
        expect([...withoutLock.seen.keys()]).toEqual([(await stuck.describe()).runId]);
        expect(warnings).toEqual([['skipped a running sync whose memo this worker cannot decode (encrypted with a key it does not hold?); the sweep goes on with the others', { workflowId: undecodable.workflowId, error: expect.stringContaining('not configured') }]]);

        // Past the grace the stuck run is terminated; the undecodable run is named once, not at every sweep.
        now += 120_000;
        const second = await sweep();
        expect((await stuck.describe()).status.name).toBe('TERMINATED');
        expect(second.retires).toHaveLength(1);
        expect(warnings.map(([message]) => message)).toEqual(['skipped a running sync whose memo this worker cannot decode (encrypted with a key it does not hold?); the sweep goes on with the others', 'terminated a sync that went on without its tenant lock']);
        expect((await otherKey.workflow.getHandle(undecodable.workflowId).describe()).status.name).toBe('RUNNING');
      });
    } finally {
      for (const handle of all) await client.workflow.getHandle(handle.workflowId).terminate().catch(() => undefined);
    }
  }, 120_000);

  it('a keyless worker (rolling out encryption) skips the encrypted runs and paces the plain ones', async () => {
    const { taskQueue } = temporal;
    const queue = `${taskQueue}-rollout`;
    const plainTenant = `t-${randomUUID().slice(0, 8)}`;
    const encryptedTenant = `t-${randomUUID().slice(0, 8)}`;
    const keyless = new Client({ connection: temporal.connection, namespace: TEST_NAMESPACE, dataConverter: connectorDataConverter({ PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '1' }) });
    // On a queue no worker polls: both stay running, neither stuck.
    const plain = await keyless.workflow.start('syncTenantWorkflow', { taskQueue: queue, workflowId: `peakon-sync/${plainTenant}/plain`, args: [], memo: { tenant: plainTenant, operationsPerHour: 7_200 } });
    const encrypted = await temporal.client.workflow.start('syncTenantWorkflow', { taskQueue: queue, workflowId: `peakon-sync/${encryptedTenant}/encrypted`, args: [], memo: { tenant: encryptedTenant, operationsPerHour: 25_000 } });
    try {
      await eventually('both runs to be listed with their memo', async () => ((await listedWithMemo(keyless, plain.workflowId)) && (await listedWithMemo(temporal.client, encrypted.workflowId))) || undefined, 30_000, 100);
      const pool = recordingPool();
      const warnings: [string, Record<string, unknown>][] = [];
      await pollQueuesOfRunningSyncs({ client: keyless, taskQueue: queue, pool, warn: (message, meta) => void warnings.push([message, meta]), retireIdleMs: 600_000 });
      expect(pool.calls).toEqual([[scimTaskQueue(queue, plainTenant), 7_200]]);
      expect(pool.retires).toEqual([new Set([scimTaskQueue(queue, plainTenant)])]);
      expect(warnings.map(([message, meta]) => [message.split(';')[0], meta.workflowId])).toEqual([['skipped a running sync whose memo this worker cannot decode (encrypted with a key it does not hold?)', encrypted.workflowId]]);
    } finally {
      for (const handle of [plain, encrypted]) await temporal.client.workflow.getHandle(handle.workflowId).terminate().catch(() => undefined);
    }
  }, 60_000);
});
