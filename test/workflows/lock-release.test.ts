/**
 * A run's tenant lock is its child with the TERMINATE parent-close policy (so that whatever ends the run frees the
 * tenant). A run that released its lock must end it as released: before, the run closed right after sending the
 * release signal and the server terminated the lock whenever the lock's worker had not yet handled the signal, a race
 * lost often enough to show terminated locks in the Temporal UI (and to fail a test on a fast CI machine).
 */
import type { SyncReport } from '../../sync/report';
import { tenantLockWorkflowId } from '../../workflows/ids';
import type { TenantLockEnd } from '../../workflows/lock';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

describe('releasing the tenant lock', () => {
  const pipeline = usePipelineTests();

  it('ends the lock as released before the run closes, run after run', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(3, 1));
    const { client } = pipeline.temporal;
    const lockId = tenantLockWorkflowId(fixture.config.tenant);
    const workers = await fixture.startWorkers();
    const lockEnds: string[] = [];
    await workers.runUntil(
      (async () => {
        for (let run = 0; run < 8; run += 1) {
          const handle = await fixture.startSync();
          const report: SyncReport = await handle.result();
          expect(report.status).toBe('completed');
          const events = (await handle.fetchHistory()).events ?? [];
          const lockStarted = events.find((event) => event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId === lockId)?.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
          if (!lockStarted?.runId) throw new Error(`run ${run}: no lock child in the history`);
          // Checked at once, not eventually: the lock ended before the run did.
          const lock = client.workflow.getHandle(lockId, lockStarted.runId);
          const status = (await lock.describe()).status.name;
          lockEnds.push(status === 'COMPLETED' ? JSON.stringify((await lock.result()) as TenantLockEnd) : status);
          // The run saw its lock end: the lock's completion is in the run's history, before the run's own end.
          const lockCompleted = events.findIndex((event) => event.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.runId === lockStarted.runId);
          expect(lockCompleted).toBeGreaterThan(0);
          expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
        }
      })(),
    );
    expect(lockEnds).toEqual(Array.from({ length: 8 }, () => JSON.stringify({ ended: 'released' })));
  }, 180_000);
});
