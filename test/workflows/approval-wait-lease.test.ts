/**
 * A run waiting for a person to approve held leaver writes renews its tenant lock at a stretched lease: a wait of days
 * at the run's own lease would fill its history with renewals (about ten events each). Real Temporal dev server, real
 * workers and sandbox; leases are scaled down to seconds.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { connectorDataConverter } from '../../codec/data-converter';
import { MAX_GUARD_TIMEOUT_MS } from '../../config/schema';
import type { SyncReport } from '../../sync/report';
import { DEFAULT_RUN_TUNING } from '../../sync/settings';
import { tenantLockWorkflowId } from '../../workflows/ids';
import type { TenantLockEnd, TenantLockState } from '../../workflows/lock';
import { approveLeaversUpdate, syncProgressQuery, type SyncProgress } from '../../workflows/sync';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, TEST_TUNING } from '../harness/pipeline';
import { eventually } from '../harness/wait';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const LEASE_MS = 1_500;
const AWAITING_APPROVAL_LEASE_MS = 6_000;

describe('a run awaiting approval', () => {
  const pipeline = usePipelineTests();

  it('renews its lock at the stretched lease while it waits (fewer history events), keeps the tenant, and goes back to its lease after the decision', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(10, 3);
    const workers = await fixture.startWorkers();
    const { client } = pipeline.temporal;
    await workers.runUntil(
      (async () => {
        fixture.writeEmployees(org);
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(10);
        // 3 of 10 gone (leaves, not managers): the guard's 20% share holds them for approval.
        const managers = new Set(org.map((employee) => employee.manager_id));
        const gone = org.filter((employee) => !managers.has(employee.employee_id)).slice(0, 3);
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));

        const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, lockLeaseMs: LEASE_MS, awaitingApprovalLeaseMs: AWAITING_APPROVAL_LEASE_MS } });
        await eventually('the run to await approval', () => handle.query(syncProgressQuery).then((progress: SyncProgress) => progress.phase === 'awaiting approval' || undefined, () => undefined), 60_000, 100);
        const lock = client.workflow.getHandle(tenantLockWorkflowId(fixture.config.tenant));
        expect((await lock.describe()).type).toBe('stretchableTenantLockWorkflow');
        // The lock hears of the stretch with the first renewal of the wait.
        await eventually('the stretched lease', () => lock.query<TenantLockState>('holder').then((state) => state.leaseMs === AWAITING_APPROVAL_LEASE_MS || undefined, () => undefined), 10_000, 100);

        /** The event ids of the renewals sent so far (each a SignalExternalWorkflowExecutionInitiated event). */
        const renewals = async () => ((await handle.fetchHistory()).events ?? []).filter((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'renew').map((event) => Number(event.eventId));
        const before = await renewals();
        await sleep(4_500);
        const after = await renewals();
        const during = after.length - before.length;
        // At the run's lease (every 500 ms) 4.5 s would take about 9 renewals; at the stretched one (every 2 s) 2 or 3.
        expect(during).toBeGreaterThanOrEqual(1);
        expect(during).toBeLessThanOrEqual(3);
        // What the README and config/schema.ts say of a 3-day wait at the default leases, from what a renewal costs here:
        // the events from one renewal to the next (nothing else happens in the run while it waits).
        const eventsPerRenewal = ((after.at(-1) ?? 0) - (before.at(-1) ?? 0)) / during;
        expect(eventsPerRenewal).toBeGreaterThan(0);
        expect(eventsPerRenewal).toBeLessThanOrEqual(10);
        const threeDaysOfRenewals = (leaseMs: number) => Math.ceil(MAX_GUARD_TIMEOUT_MS / Math.floor(leaseMs / 3)) * eventsPerRenewal;
        expect(threeDaysOfRenewals(DEFAULT_RUN_TUNING.awaitingApprovalLeaseMs)).toBeLessThanOrEqual(2_200);
        expect(threeDaysOfRenewals(DEFAULT_RUN_TUNING.lockLeaseMs)).toBeGreaterThan(10_240);
        // Renewed less often than its own lease, the lock still holds: the lock honours the stretched lease.
        expect((await lock.describe()).status.name).toBe('RUNNING');
        const meanwhile: SyncReport = await (await fixture.startSync()).result();
        expect(meanwhile.status).toBe('skipped');

        await handle.executeUpdate(approveLeaversUpdate);
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('completed');
        expect(report.counts.deactivated).toBe(3);
        // Released before the run closed (the run waits for its lock to end, test/workflows/lock-release.test.ts).
        expect((await lock.describe()).status.name).toBe('COMPLETED');
        // The leases the run told its lock, in order (the renewals that carry one): stretched for the wait, then its own
        // again after the decision.
        const [codec] = connectorDataConverter(process.env).payloadCodecs ?? [];
        if (!codec) throw new Error('no payload codec');
        const leaseChanges: unknown[] = [];
        for (const event of (await handle.fetchHistory()).events ?? []) {
          const signal = event.signalExternalWorkflowExecutionInitiatedEventAttributes;
          if (signal?.signalName !== 'renew' || !signal.input?.payloads?.length) continue;
          const decoded = await codec.decode(signal.input.payloads as Payload[]);
          leaseChanges.push(...decoded.map((payload) => defaultPayloadConverter.fromPayload(payload)));
        }
        expect(leaseChanges).toEqual([{ leaseMs: AWAITING_APPROVAL_LEASE_MS }, { leaseMs: LEASE_MS }]);
      })(),
    );
  }, 180_000);

  it('a stretched lock still expires when its holder stops renewing it, after the stretched lease', async () => {
    const fixture = await pipeline.fixture();
    const workers = await fixture.startWorkers();
    const { client, taskQueue } = pipeline.temporal;
    await workers.runUntil(
      (async () => {
        const lock = await client.workflow.start('stretchableTenantLockWorkflow', { taskQueue, workflowId: tenantLockWorkflowId(fixture.config.tenant), args: [{ holderRunId: 'peakon-sync/waiting/run', leaseMs: 1_000 }] });
        await lock.signal('renew', { leaseMs: 4_000 });
        await sleep(2_500); // past the lease it started with
        expect((await lock.describe()).status.name).toBe('RUNNING');
        // A lease that is not a positive number is ignored, and the renewal still counts.
        await lock.signal('renew', { leaseMs: -1 });
        expect((await lock.query<TenantLockState>('holder')).leaseMs).toBe(4_000);
        const startedWaiting = Date.now();
        const end = (await lock.result()) as TenantLockEnd;
        expect(end).toMatchObject({ ended: 'expired', message: expect.stringContaining('did not renew the lock for 4 s') });
        expect(Date.now() - startedWaiting).toBeGreaterThanOrEqual(3_000);
      })(),
    );
  });
});
