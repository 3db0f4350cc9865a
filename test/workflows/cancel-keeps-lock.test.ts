/**
 * `peakon-sync cancel` cancels a run, which then still stops its partitions in flight and writes its report (and
 * ownership ledger) before it ends. Its tenant lock must hold until then: another sync of the tenant started meanwhile
 * is skipped, and the lock ends released by the run, not cancelled with it.
 */
import type { SyncReport } from '../../sync/report';
import { tenantLockWorkflowId } from '../../workflows/ids';
import type { TenantLockEnd } from '../../workflows/lock';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { eventually } from '../harness/wait';

describe('cancelling a run', () => {
  const pipeline = usePipelineTests();

  it('keeps the tenant locked until the cancelled run has stopped its partitions and written its report, then releases it', async () => {
    // Slow answers: partitions are in flight when the cancel comes, and stopping them takes a while.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 300 } } });
    const employees = generateOrg(40, 1);
    fixture.writeEmployees(employees);
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 5, maxConcurrentPartitions: 2, partitionSize: 10 };
    const { client } = pipeline.temporal;
    const lockId = tenantLockWorkflowId(fixture.config.tenant);
    const posts = () => fixture.sandbox.ops().filter((op) => op.method === 'POST').length;
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const cancelled = await fixture.startSync();
        await eventually('partitions writing', async () => (posts() >= 5 ? true : undefined), 60_000, 20);
        const lockRunId = (await client.workflow.getHandle(lockId).describe()).runId;
        const lockOfCancelled = client.workflow.getHandle(lockId, lockRunId);

        await cancelled.cancel();
        // Started at once, and again and again until the cancelled run has ended: each finds the tenant locked, unless
        // the cancelled run had already released its lock (between its release and its own end).
        const meanwhile: string[] = [];
        do {
          const other: SyncReport = await (await fixture.startSync()).result();
          meanwhile.push(other.status);
          if (other.status !== 'skipped') {
            expect((await lockOfCancelled.describe()).status.name).toBe('COMPLETED');
            expect((await lockOfCancelled.result()) as TenantLockEnd).toEqual({ ended: 'released' });
            break;
          }
        } while ((await cancelled.describe()).status.name === 'RUNNING');
        expect(meanwhile[0]).toBe('skipped');

        const report: SyncReport = await cancelled.result();
        expect(report.status).toBe('cancelled');
        expect(report.message).toMatch(/^cancelled during create; \d+ partition\(s\) in flight were stopped/);
        expect(report.reportPath).toBeDefined();
        // The lock ended as the run released it, after the run wrote its report.
        const lockDescription = await lockOfCancelled.describe();
        expect(lockDescription.status.name).toBe('COMPLETED');
        expect((await lockOfCancelled.result()) as TenantLockEnd).toEqual({ ended: 'released' });
        const events = (await cancelled.fetchHistory()).events ?? [];
        const reportActivity = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'writeRunReport')?.eventId?.toString();
        const reportWritten = events.find((event) => reportActivity !== undefined && event.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === reportActivity);
        const reportWrittenAt = Number(reportWritten?.eventTime?.seconds ?? 0) * 1000 + Math.floor((reportWritten?.eventTime?.nanos ?? 0) / 1e6);
        expect(reportWrittenAt).toBeGreaterThan(0);
        expect(lockDescription.closeTime?.getTime()).toBeGreaterThanOrEqual(reportWrittenAt);

        // Released, the tenant is free: the next sync completes the cancelled one's work.
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(fixture.sandbox.users()).toHaveLength(employees.length);
      })(),
    );
  }, 240_000);
});
