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

// Renewed every third of the lease: every 1.7 s at the run's lease, every 6.7 s while it waits.
const LEASE_MS = 5_000;
const AWAITING_APPROVAL_LEASE_MS = 20_000;

/** A history event's server time, in ms since the epoch. */
const eventTimeMs = (event: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }): number => Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);

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

        // The renewal that told the lock of the stretched lease and the next three, sent during the wait.
        const waitRenewals = await eventually('three renewals at the stretched lease', async () => {
          const sent = ((await handle.fetchHistory()).events ?? []).filter((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'renew');
          const stretch = sent.findIndex((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes?.input?.payloads?.length);
          return stretch >= 0 && sent.length - stretch >= 4 ? sent.slice(stretch, stretch + 4) : undefined;
        }, 60_000, 500);
        const pairs = waitRenewals.flatMap((earlier, index) => {
          const later = waitRenewals[index + 1];
          return later ? [{ earlier, later }] : [];
        });
        // In server time, each came a third of the stretched lease after the one before at the earliest (every 6.7 s;
        // at the run's lease it would have been every 1.7 s, four times as many), longer than the run's own lease.
        const intervals = pairs.map(({ earlier, later }) => eventTimeMs(later) - eventTimeMs(earlier));
        for (const interval of intervals) {
          expect(interval).toBeGreaterThanOrEqual(Math.floor(AWAITING_APPROVAL_LEASE_MS / 3) - 100);
          expect(interval).toBeGreaterThan(LEASE_MS);
        }
        // What the README and config/schema.ts say of a 3-day wait at the default leases, from what a renewal costs here:
        // the events from one renewal to the next (nothing else happens in the run while it waits). The median of three:
        // a stray workflow task timeout (three more events) in one of them is not what a renewal costs.
        const gaps = pairs.map(({ earlier, later }) => Number(later.eventId) - Number(earlier.eventId)).sort((a, b) => a - b);
        const eventsPerRenewal = gaps[1] ?? 0;
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
        // Seconds of slack around each step, for a loaded machine: signals and queries take a workflow task each.
        const lock = await client.workflow.start('stretchableTenantLockWorkflow', { taskQueue, workflowId: tenantLockWorkflowId(fixture.config.tenant), args: [{ holderRunId: 'peakon-sync/waiting/run', leaseMs: 2_000 }] });
        await lock.signal('renew', { leaseMs: 8_000 });
        await sleep(4_000); // past the lease it started with
        expect((await lock.describe()).status.name).toBe('RUNNING');
        // A lease that is not a positive number is ignored, and the renewal still counts.
        await lock.signal('renew', { leaseMs: -1 });
        expect((await lock.query<TenantLockState>('holder')).leaseMs).toBe(8_000);
        const startedWaiting = Date.now();
        const end = (await lock.result()) as TenantLockEnd;
        expect(end).toMatchObject({ ended: 'expired', message: expect.stringContaining('did not renew the lock for 8 s') });
        expect(Date.now() - startedWaiting).toBeGreaterThanOrEqual(5_000);
      })(),
    );
  });
});
