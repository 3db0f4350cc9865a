/**
 * `peakon_sync_runs_terminated_total`: a run the worker's sweep terminates (stuck, its workflow task failing, without
 * its tenant's lock past the grace) never runs its workflow code again, so the run metrics' interceptor never sees it
 * end and `peakon_sync_runs_total` never counts it; the sweep counts it here, by tenant. This process's Temporal
 * runtime serves the SDK's Prometheus endpoint (metrics/prometheus.ts, as `peakon-sync worker` installs it) and the
 * test scrapes it over HTTP; real dev server, real runs, the sweep called as the worker's timer calls it, its clock
 * moved past the grace (as test/worker/running-syncs.test.ts does).
 */
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { connectorDataConverter, workflowBundleConverterOptions } from '../../codec/data-converter';
import { freePort } from '../../devserver/ports';
import { CONNECTOR_METRICS, RUNS, RUNS_TERMINATED } from '../../metrics/definitions';
import { prometheusTelemetry } from '../../metrics/prometheus';
import type { TenantQueuePool } from '../../worker/tenant-queues';
import { pollQueuesOfRunningSyncs, type LocklessRuns } from '../../worker/running-syncs';
import { tenantLockWorkflowId } from '../../workflows/ids';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { eventually } from '../harness/wait';
import { scrape, select, total } from './prometheus-text';

const noPool = (): TenantQueuePool => ({ ensurePolling: () => undefined, shutdown: () => Promise.resolve(), polled: () => new Map(), retireIdle: () => [] });
const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never;

describe('peakon_sync_runs_terminated_total', () => {
  let temporal: TemporalTestContext;
  let endpoint: string;
  beforeAll(async () => {
    endpoint = `http://127.0.0.1:${await freePort()}/metrics`;
    // Before any connection: the runtime is installed once per process (the harness's own install then does nothing).
    Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: prometheusTelemetry(new URL(endpoint).host) });
    temporal = await connectToDevServer();
  });
  afterAll(() => temporal.close());

  it('counts a run the sweep terminates by its tenant; a stuck run it leaves alone is not counted', async () => {
    const { client, nativeConnection, taskQueue } = temporal;
    const queue = `${taskQueue}-stuck`;
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const free = `t-${randomUUID().slice(0, 8)}`;
    const start = (workflowId: string, memo: Record<string, unknown>) => client.workflow.start('syncTenantWorkflow', { taskQueue: queue, workflowId, args: [], memo });
    // Stuck (every workflow task fails, as after a bad deploy): a run of a tenant whose lock another run holds, and a
    // run of a tenant whose lock nobody holds (no other sync writes: left alone).
    const stuck = await start(`peakon-sync/${tenant}/stuck`, { tenant, operationsPerHour: 25_000 });
    const alone = await start(`peakon-sync/${free}/alone`, { tenant: free, operationsPerHour: 25_000 });
    const lock = await client.workflow.start('tenantLockWorkflow', { taskQueue: `${taskQueue}-nobody`, workflowId: tenantLockWorkflowId(tenant), args: [{ holderRunId: `peakon-sync/${tenant}/other`, leaseMs: 600_000 }], memo: { holderRunId: `peakon-sync/${tenant}/other` } });
    const badDeploy = await Worker.create({
      connection: nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue: queue,
      dataConverter: connectorDataConverter(),
      workflowBundle: await bundleWorkflowCode({ workflowsPath: require.resolve('../worker/stuck-workflows'), ...workflowBundleConverterOptions(connectorDataConverter()), logger: silent }),
    });
    try {
      await badDeploy.runUntil(async () => {
        await eventually('both runs to fail their workflow task again and again', async () => {
          const attempts = await Promise.all([stuck, alone].map(async (run) => (await run.describe()).raw.pendingWorkflowTask?.attempt ?? 0));
          return attempts.every((attempt) => attempt >= 2) || undefined;
        }, 60_000, 100);
        await eventually('both runs to be listed with their memo', async () => {
          let count = 0;
          for await (const execution of client.workflow.list({ query: `TaskQueue = '${queue}' AND ExecutionStatus = 'Running'` })) if (typeof execution.memo?.tenant === 'string') count += 1;
          return count === 2 || undefined;
        }, 30_000, 100);

        let now = 1_000_000;
        const withoutLock: LocklessRuns = { seen: new Map(), graceMs: 120_000, now: () => now };
        const warnings: string[] = [];
        const sweep = () => pollQueuesOfRunningSyncs({ client, taskQueue: queue, pool: noPool(), warn: (message) => void warnings.push(message), withoutLock });
        await sweep();
        expect(total(await scrape(endpoint), RUNS_TERMINATED.name)).toBe(0);
        now += 120_000;
        await sweep();
        expect(warnings).toEqual(['terminated a sync that went on without its tenant lock']);
        expect((await stuck.describe()).status.name).toBe('TERMINATED');
        expect((await alone.describe()).status.name).toBe('RUNNING');

        const metrics = await eventually('the terminated run to be counted', async () => {
          const scraped = await scrape(endpoint);
          return total(scraped, RUNS_TERMINATED.name, { tenant }) === 1 ? scraped : undefined;
        }, 10_000, 200);
        expect(select(metrics, RUNS_TERMINATED.name).map((sample) => sample.labels)).toEqual([{ tenant }]);
        expect(metrics.types.get(RUNS_TERMINATED.name)).toBe('counter');
        // The run metrics never see it: its workflow code does not run again.
        expect(total(metrics, RUNS.name, { tenant })).toBe(0);
        expect(RUNS_TERMINATED.labels).toEqual(['tenant']);
        expect(CONNECTOR_METRICS).toContain(RUNS_TERMINATED);

      });
    } finally {
      for (const handle of [stuck, alone, lock]) await handle.terminate().catch(() => undefined);
    }
  }, 120_000);
});
