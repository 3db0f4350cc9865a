/**
 * A run that loses its tenant lock while the leaver guard waits for a decision: the run records the held writes'
 * decision as `cancelled` (workflows/sync.ts, as for an operator's cancel) and ends `lock_lost`; the report file's
 * lines for the held leavers say the lock was lost, not that the run was cancelled. A real Temporal dev server, the
 * connector's workflows and activities, the sandbox over HTTP.
 */
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import type { SyncReport } from '../../sync/report';
import { tenantLockWorkflowId } from '../../workflows/ids';
import { generateOrg, leaves } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { progressOf } from '../harness/progress';

describe('held leaver writes of a run that lost its tenant lock during the guard\'s wait', () => {
  const pipeline = usePipelineTests();

  it("their report lines say the run lost its tenant lock, not that it was cancelled", async () => {
    const fixture = await pipeline.fixture();
    fixture.config.leavers = { ...fixture.config.leavers, guard: { ...fixture.config.leavers.guard, maxCount: 2, maxShare: 1, timeout: 600_000 } };
    const org = generateOrg(20, 3);
    const gone = leaves(org).slice(0, 4);
    expect(gone).toHaveLength(4);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(20);
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        const handle = await fixture.startSync();
        await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        // Where a worker outage longer than the lease leads (or `unlock --force`): the run's lock ends.
        await pipeline.temporal.client.workflow.getHandle(tenantLockWorkflowId(fixture.config.tenant)).terminate('test: the lease ran out');
        const report = (await handle.result()) as SyncReport;
        expect(report).toMatchObject({ status: 'lock_lost', leavers: { held: true, decision: 'cancelled' } });
        const lines = (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees;
        const held = lines.filter((line) => gone.some((employee) => employee.work_email === line.employeeKey));
        expect(held).toHaveLength(4);
        for (const line of held) {
          expect(line.status).toBe('not_done');
          expect(line.reason).toContain('not done: held by the leaver guard when the run lost its tenant lock: not written (the next sync holds it again)');
          expect(line.reason).not.toContain('cancelled');
        }
      })(),
    );
  });
});
