/**
 * A run that loses its tenant lock after it created people still records them in the ownership ledger (a
 * compare-and-swap union, safe without the lock), but not its HR read: the guard's shrink baseline stays the last
 * completed run's. Otherwise a person it created and HR removed before the next whole-tenant run would be "not owned"
 * and stay active in Peakon for good. Real Temporal dev server, real workers and sandbox over HTTP.
 */
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { ledgerStoreFromEnv } from '../../ownership/store';
import type { SyncReport } from '../../sync/report';
import { defaultPayloadDirectory } from '../../worker/environment';
import { tenantLockWorkflowId } from '../../workflows/ids';
import { syncProgressQuery, type SyncProgress } from '../../workflows/sync';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, TEST_TUNING } from '../harness/pipeline';
import { eventually } from '../harness/wait';

describe('a run that loses its tenant lock', () => {
  const pipeline = usePipelineTests();

  it('records whom it created in the ownership ledger, but not its HR read', async () => {
    // Slow Peakon answers, one employee and one partition of three at a time: the run is surely still creating when the
    // test takes its lock, after its first partition's creates reached it.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 300 } }, slowAnswers: true });
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1, maxConcurrentPartitions: 1, partitionSize: 3 };
    // Waves of 1, 4 and 15: the first run brings the managers, the second creates the other 15.
    const org = generateOrg(20, 3);
    const managers = org.slice(0, 5);
    const workers = await fixture.startWorkers();
    const { client, taskQueue } = pipeline.temporal;
    const ledger = () => ledgerStoreFromEnv(process.env, defaultPayloadDirectory()).read(fixture.config.tenant);
    await workers.runUntil(
      (async () => {
        fixture.writeEmployees(managers);
        const first = await fixture.startSync({ tuning: { ...TEST_TUNING, scimActivityTimeoutMs: 30_000 } });
        const firstReport: SyncReport = await first.result();
        expect(firstReport).toMatchObject({ status: 'completed', counts: { created: 5 } });
        const idOf = new Map(fixture.sandbox.users().map((user) => [user.userName, user.id]));
        const before = await ledger();
        // The premise: a completed whole-tenant run recorded its HR read, the guard's baseline.
        expect(before.lastCompleteRead).toEqual({ records: 5, runId: first.workflowId });
        expect(new Set(before.owned)).toEqual(new Set(managers.map((employee) => idOf.get(employee.work_email))));

        fixture.writeEmployees(org);
        const second = await fixture.startSync({ tuning: { ...TEST_TUNING, scimActivityTimeoutMs: 30_000 } });
        await eventually('a partition of creates finished', () => second.query(syncProgressQuery).then((progress: SyncProgress) => (progress.phase === 'create' && progress.partitionsDone >= 1) || undefined, () => undefined), 60_000, 100);
        // Where a worker outage longer than the lease leads (or `unlock --force`): the run's lock ends, and another run
        // takes the tenant.
        const lockId = tenantLockWorkflowId(fixture.config.tenant);
        await client.workflow.getHandle(lockId).terminate('test: the lease ran out');
        const other = await client.workflow.start('tenantLockWorkflow', { taskQueue, workflowId: lockId, args: [{ holderRunId: 'peakon-sync/other/run', leaseMs: 600_000 }] });
        const report: SyncReport = await second.result();
        expect(report.status).toBe('lock_lost');
        expect((await other.describe()).status.name).toBe('RUNNING');
        await other.terminate('test: the other run is done');

        // Whom it created, by its report: at least the first partition's three, not all 15.
        const lines = (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees;
        const created = lines.filter((line) => line.status === 'created').map((line) => line.employeeKey);
        expect(created.length).toBe(report.counts.created);
        expect(created.length).toBeGreaterThanOrEqual(3);
        expect(created.length).toBeLessThan(15);
        const ids = new Map(fixture.sandbox.users().map((user) => [user.userName, user.id]));
        const createdIds = created.map((email) => ids.get(email));
        expect(createdIds.every((id) => id !== undefined)).toBe(true);

        const after = await ledger();
        expect(new Set(after.owned)).toEqual(new Set([...before.owned, ...createdIds]));
        // Its read of 20 did not become the baseline: the run did not complete, and another may have recorded since.
        expect(after.lastCompleteRead).toEqual({ records: 5, runId: first.workflowId });
        // …and its report says so.
        expect(report.message).toContain('it recorded whom it created or deleted in the ownership ledger, but not its HR read');
      })(),
    );
  }, 180_000);
});
