/**
 * `peakon-sync cancel` cancels a run, which then still stops its partitions in flight and writes its report (and
 * ownership ledger) before it ends. Its tenant lock must hold until then: another sync of the tenant that tries to take
 * the lock meanwhile is skipped, and the lock ends released by the run, not cancelled with it.
 */
import type { temporal } from '@temporalio/proto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reportFilePath } from '../../activities/report';
import type { SyncReport } from '../../sync/report';
import { tenantLockWorkflowId } from '../../workflows/ids';
import type { TenantLockEnd } from '../../workflows/lock';
import { generateOrg } from '../fixtures/org';
import { TEST_TUNING, usePipelineTests } from '../harness/pipeline';
import { eventually } from '../harness/wait';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** An event's time in milliseconds since the epoch (the server's clock, as `describe().closeTime`). */
function eventMs(event: HistoryEvent | undefined): number {
  return Number(event?.eventTime?.seconds ?? 0) * 1000 + Math.floor((event?.eventTime?.nanos ?? 0) / 1e6);
}

/**
 * When a sync tried to take the tenant lock, from its history: it asked to start the lock child (initiated), and the
 * server answered, refusing it because the lock's workflow ID was running (refused) or starting the run's own lock.
 */
interface LockAttempt {
  initiatedAt: number;
  answeredAt: number;
  outcome: 'refused' | 'started';
}

function lockAttemptOf(events: readonly HistoryEvent[], lockId: string): LockAttempt {
  const initiated = events.find((event) => event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === lockId);
  const initiatedId = initiated?.eventId?.toString();
  const refused = events.find((event) => event.startChildWorkflowExecutionFailedEventAttributes?.workflowId === lockId);
  const started = events.find((event) => event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId === lockId);
  expect(initiatedId).toBeDefined();
  expect(refused === undefined).not.toBe(started === undefined);
  const answer = refused ?? started;
  expect((refused?.startChildWorkflowExecutionFailedEventAttributes ?? started?.childWorkflowExecutionStartedEventAttributes)?.initiatedEventId?.toString()).toBe(initiatedId);
  return { initiatedAt: eventMs(initiated), answeredAt: eventMs(answer), outcome: refused ? 'refused' : 'started' };
}

describe('cancelling a run', () => {
  const pipeline = usePipelineTests();

  it('keeps the tenant locked until the cancelled run has stopped its partitions and written its report, then releases it', async () => {
    // Slow answers: partitions are in flight when the cancel comes.
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
        // Its report step retries for long enough (about 9 s) to outlast the hold on its report folder below.
        const cancelled = await fixture.startSync({ tuning: { ...TEST_TUNING, scimRetry: { initialIntervalMs: 50, maximumIntervalMs: 2_000, maximumAttempts: 25 } } });
        await eventually('partitions writing', async () => (posts() >= 5 ? true : undefined), 60_000, 20);
        const lockRunId = (await client.workflow.getHandle(lockId).describe()).runId;
        const lockOfCancelled = client.workflow.getHandle(lockId, lockRunId);

        // Stopping the partitions takes only a few workflow tasks (their SCIM activities are abandoned at once), about as
        // many as another sync needs to try the lock: which comes first is a race. So the cancelled run's report cannot
        // be written (its folder is a file) until the first sync started after the cancel has ended: that sync must find
        // the tenant locked, every time.
        const reportFolder = path.dirname(reportFilePath(fixture.stateDirectory, { tenant: fixture.config.tenant, runId: cancelled.workflowId }));
        writeFileSync(reportFolder, 'not a folder: the report waits');
        let reportHeld = true;
        const unblockReport = () => {
          if (reportHeld) rmSync(reportFolder);
          reportHeld = false;
        };
        await cancelled.cancel();
        // Started at once, and again and again until the cancelled run has ended: each is skipped if it tried the lock
        // before the cancelled run's lock ended, and runs if it tried after (checked below, against the lock's end).
        const meanwhile: { status: string; attempt: LockAttempt }[] = [];
        try {
          do {
            const handle = await fixture.startSync();
            const other: SyncReport = await handle.result();
            unblockReport();
            meanwhile.push({ status: other.status, attempt: lockAttemptOf((await handle.fetchHistory()).events ?? [], lockId) });
            if (other.status !== 'skipped') {
              expect((await lockOfCancelled.describe()).status.name).toBe('COMPLETED');
              expect((await lockOfCancelled.result()) as TenantLockEnd).toEqual({ ended: 'released' });
              break;
            }
          } while ((await cancelled.describe()).status.name === 'RUNNING');
        } finally {
          unblockReport();
        }

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
        const reportWrittenAt = eventMs(reportWritten);
        expect(reportWrittenAt).toBeGreaterThan(0);
        const lockClosedAt = lockDescription.closeTime?.getTime() ?? 0;
        expect(lockClosedAt).toBeGreaterThanOrEqual(reportWrittenAt);

        // The rule, for each sync started after the cancel: one whose try for the lock was answered before the cancelled
        // run's lock ended is skipped; one that asked after it ended is not (the lock was released, above). A try that
        // straddles the end may go either way, but a refusal was asked before the end and a lock of its own started after.
        const broken = meanwhile.flatMap(({ status, attempt }, index) => {
          const run = `sync #${index + 1} (${status}; lock ${attempt.outcome}, asked ${attempt.initiatedAt - lockClosedAt} ms and answered ${attempt.answeredAt - lockClosedAt} ms after the cancelled run's lock closed)`;
          const wrong: string[] = [];
          if ((status === 'skipped') !== (attempt.outcome === 'refused')) wrong.push(`${run}: skipped exactly when the lock was refused`);
          if (attempt.answeredAt < lockClosedAt && status !== 'skipped') wrong.push(`${run}: tried while the tenant was locked, must be skipped`);
          if (attempt.initiatedAt > lockClosedAt && status === 'skipped') wrong.push(`${run}: tried after the lock was released, must not be skipped`);
          if (attempt.outcome === 'refused' && attempt.initiatedAt > lockClosedAt) wrong.push(`${run}: refused a lock asked for after the lock closed`);
          if (attempt.outcome === 'started' && attempt.answeredAt < lockClosedAt) wrong.push(`${run}: started a lock of its own while the cancelled run's was open`);
          return wrong;
        });
        expect(broken).toEqual([]);
        // The first one was answered while the report was still held back, so it found the tenant locked.
        expect(meanwhile[0]?.attempt.answeredAt).toBeLessThan(lockClosedAt);
        expect(meanwhile[0]?.status).toBe('skipped');

        // Released, the tenant is free: the next sync completes the cancelled one's work.
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(fixture.sandbox.users()).toHaveLength(employees.length);
      })(),
    );
  }, 240_000);
});
