/**
 * A run whose work is done reports its outcome once. A cancel (`peakon-sync cancel`, the UI's button) that comes while
 * that report is being written must not stop the write and start a second one saying `cancelled`: before the
 * `report-outlives-cancel` patch it did, two attempts raced on the file, and the file could then say `completed` while
 * the run said `cancelled`. Real Temporal dev server, sandbox over real HTTP.
 */
import type { temporal } from '@temporalio/proto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reportFilePath, type RunReportFile } from '../../activities/report';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { TEST_TUNING, usePipelineTests } from '../harness/pipeline';
import { eventually } from '../harness/wait';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const scheduledReports = (events: readonly HistoryEvent[]) => events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'writeRunReport');

describe('a cancel while a finished run writes its report', () => {
  const pipeline = usePipelineTests();

  it('neither stops that write nor writes a second report: the run and its file say completed', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(3, 1));
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        // The report cannot be written (its folder is a file) until the cancel has reached the run; its step retries
        // for long enough (about 9 s) to outlast that.
        const reportFolder = path.dirname(reportFilePath(fixture.stateDirectory, { tenant: fixture.config.tenant, runId: 'any' }));
        writeFileSync(reportFolder, 'not a folder: the report waits');
        let reportHeld = true;
        const unblockReport = () => {
          if (reportHeld) rmSync(reportFolder);
          reportHeld = false;
        };
        try {
          const run = await fixture.startSync({ tuning: { ...TEST_TUNING, scimRetry: { initialIntervalMs: 50, maximumIntervalMs: 2_000, maximumAttempts: 25 } } });
          await eventually(
            'the report step failing and retrying',
            async () => {
              const pending = (await run.describe()).raw.pendingActivities ?? [];
              return pending.some((activity) => activity.activityType?.name === 'writeRunReport' && (activity.attempt ?? 0) >= 2) ? true : undefined;
            },
            60_000,
            50,
          );
          await run.cancel();
          await eventually('the cancel in the run', async () => ((await run.fetchHistory()).events ?? []).some((event) => event.workflowExecutionCancelRequestedEventAttributes) || undefined, 30_000, 50);
          unblockReport();

          const report: SyncReport = await run.result();
          expect(report.status).toBe('completed');
          expect((await run.describe()).status.name).toBe('COMPLETED');
          const events = (await run.fetchHistory()).events ?? [];
          expect(scheduledReports(events)).toHaveLength(1);
          expect(events.some((event) => event.activityTaskCancelRequestedEventAttributes)).toBe(false);
          const file = JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile;
          expect(file.summary.status).toBe('completed');
          expect(fixture.sandbox.users()).toHaveLength(3);
        } finally {
          unblockReport();
        }
      })(),
    );
  }, 120_000);
});
