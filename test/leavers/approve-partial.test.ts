/**
 * What `peakon-sync approve` answers when the approved leaver writes do not all run: the run is cancelled while they
 * are being written, or the circuit breaker quarantines it partway. The answer says the phase stopped, why, and how
 * many of the held writes finished, and counts only the leaver writes (not the run's other failures). A real Temporal
 * dev server, the connector's workflows and activities, and the sandbox over HTTP.
 */
import { describeLeaverDecision } from '../../client/commands/approve';
import type { SyncReport } from '../../sync/report';
import { approveLeaversUpdate, type LeaverDecisionResult } from '../../workflows/sync';
import { generateOrg, leaves } from '../fixtures/org';
import { usePipelineTests, TEST_TUNING } from '../harness/pipeline';
import { progressOf } from '../harness/progress';
import { eventually } from '../harness/wait';

describe('approve, when the leaver writes stop partway', () => {
  const pipeline = usePipelineTests();

  it('a run cancelled while the approved writes run: the answer says it stopped, and after how many', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(10, 3);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        fixture.writeEmployees(org);
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(10);
        const gone = leaves(org).slice(0, 3);
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        // One leaver write at a time, each slow: the cancel comes while the first is being written.
        fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1 };
        const handle = await fixture.startSync();
        await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        fixture.sandbox.setFaults({ latencyMs: 3_000 });
        const writesBefore = fixture.sandbox.ops().filter((op) => op.method === 'PATCH').length;
        const answer = handle.executeUpdate(approveLeaversUpdate);
        await eventually('the first leaver write', async () => (fixture.sandbox.ops().filter((op) => op.method === 'PATCH').length > writesBefore ? true : undefined), 60_000, 20);
        await handle.cancel();

        const decided: LeaverDecisionResult = await answer;
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('cancelled');
        const deactivated = fixture.sandbox.users().filter((user) => user.active === false).length;
        expect(deactivated).toBeLessThan(3);
        expect(decided).toMatchObject({ decision: 'approved', leavers: 3, leaverPhase: 'cancelled', deactivated: report.counts.deactivated, failed: 0 });
        expect(decided.finished).toBe(report.counts.deactivated);
        expect(decided.finished).toBeLessThan(3);
        const said = describeLeaverDecision(decided);
        expect(said).toBe(`approved, but not all applied: the run was cancelled while the approved writes ran; ${decided.finished ?? ''} of 3 held leaver write(s) finished — deactivated ${decided.deactivated}, deleted 0; the other ${3 - (decided.finished ?? 0)} were not written or not finished (see peakon-sync status)`);
      })(),
    );
  });

  it('a run the circuit breaker quarantines partway: the answer names the quarantine and counts only the leaver writes', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(40, 2);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        fixture.writeEmployees(org);
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(40);
        const gone = leaves(org).slice(0, 30);
        expect(gone).toHaveLength(30);
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        // One partition, one write at a time, each failing without retries: the breaker trips after its 20 samples, and
        // the other 10 writes are never sent.
        fixture.config.sync = { ...fixture.config.sync, maxConcurrentPartitions: 1, maxConcurrentEmployees: 1 };
        const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, scimRetry: { initialIntervalMs: 50, maximumIntervalMs: 50, maximumAttempts: 1 } } });
        await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        fixture.sandbox.setFaults({ faultRate: 1 });

        const decided = await handle.executeUpdate(approveLeaversUpdate);
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('quarantined');
        expect(report.message).toMatch(/^circuit breaker/);
        expect(decided).toMatchObject({ decision: 'approved', leavers: 30, leaverPhase: 'quarantined', deactivated: 0, deleted: 0, failed: 20, finished: 20 });
        const said = describeLeaverDecision(decided);
        expect(said).toBe('approved, but not all applied: the run was quarantined while the approved writes ran; 20 of 30 held leaver write(s) finished — deactivated 0, deleted 0, failed 20; the other 10 were not written or not finished (see peakon-sync status)');
      })(),
    );
  }, 180_000);
});
