import type { Client, ScheduleDescription } from '@temporalio/client';
import { scheduleMemo } from './inspect';
import { SYNC_SCHEDULE_OVERLAP_POLICY } from './options';

/** What `schedule trigger` found: the run it started, or nothing within the wait (the tenant, to point at `runs`). */
export interface TriggeredRun {
  scheduleId: string;
  tenant?: string;
  /** The runs the schedule started since the trigger: normally one; a due time falling in the same moment adds one. */
  started: Array<{ workflowId: string; startedAt: Date }>;
}

export const TRIGGER_WAIT_MS = 10_000;
const TRIGGER_POLL_MS = 250;

function runsOf(description: ScheduleDescription): Map<string, { workflowId: string; startedAt: Date }> {
  const runs = new Map<string, { workflowId: string; startedAt: Date }>();
  for (const action of description.info.recentActions) runs.set(action.action.workflow.firstExecutionRunId, { workflowId: action.action.workflow.workflowId, startedAt: action.takenAt });
  // Tracked by the server only under some overlap policies; under ALLOW_ALL the recent actions say it.
  for (const { workflow } of description.info.runningActions) if (!runs.has(workflow.firstExecutionRunId)) runs.set(workflow.firstExecutionRunId, { workflowId: workflow.workflowId, startedAt: new Date(Number.NaN) });
  return runs;
}

/**
 * Triggers the schedule, then reads its description until a run it did not list before shows (up to `waitMs`): the
 * schedule starts the run a moment after the trigger returns. Compared with the runs listed just before the trigger,
 * not with this machine's clock, which may differ from the server's.
 */
export async function triggerSyncSchedule(client: Client, scheduleId: string, waitMs = TRIGGER_WAIT_MS): Promise<TriggeredRun> {
  const handle = client.schedule.getHandle(scheduleId);
  const before = await handle.describe();
  const known = new Set(runsOf(before).keys());
  const tenant = scheduleMemo(before.memo)?.tenant;
  // The schedules' own policy (ALLOW_ALL, see schedules/options.ts): under SKIP a run stuck after a bad deploy would
  // swallow the trigger silently; now the tenant lock decides, and a run that meets it ends 'skipped', visibly.
  await handle.trigger(SYNC_SCHEDULE_OVERLAP_POLICY);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const started = [...runsOf(await handle.describe())].filter(([runId]) => !known.has(runId)).map(([, run]) => run);
    if (started.length > 0 || Date.now() >= deadline) {
      started.sort((left, right) => left.startedAt.getTime() - right.startedAt.getTime());
      return { scheduleId, ...(tenant !== undefined ? { tenant } : {}), started };
    }
    await new Promise((resolve) => setTimeout(resolve, TRIGGER_POLL_MS));
  }
}

function time(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'just now' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function formatTriggeredRun(triggered: TriggeredRun, waitMs = TRIGGER_WAIT_MS): string {
  const { scheduleId, tenant, started } = triggered;
  const findIt = tenant !== undefined ? `peakon-sync runs ${tenant}` : `peakon-sync schedule describe ${scheduleId}`;
  if (started.length === 0) {
    // Temporal names a scheduled run by its schedule and the second: a trigger in the same second as another run of
    // the schedule starts nothing (docs/schedules.md).
    return (
      `triggered ${scheduleId}, but no new run showed on the schedule within ${Math.round(waitMs / 1000)} s: find it with ${findIt} ` +
      `(a trigger in the same second as another run of this schedule starts nothing; trigger again a second later)`
    );
  }
  const [only] = started;
  if (only !== undefined && started.length === 1) {
    return [
      `triggered ${scheduleId}: run ${only.workflowId} started ${time(only.startedAt)}`,
      `  follow it:  peakon-sync status '${only.workflowId}'`,
      `  cancel it:  peakon-sync cancel '${only.workflowId}'`,
      `  it ends skipped if another sync of the tenant holds the tenant lock; it waits for peakon-sync approve|reject '${only.workflowId}' if its leaver writes are held`,
    ].join('\n');
  }
  // A due time in the same moment: both are listed, as neither can be told apart from the other by the schedule.
  return [
    `triggered ${scheduleId}: ${started.length} runs started since (a due time fell in the same moment):`,
    ...started.map((run) => `  ${time(run.startedAt)}  ${run.workflowId}   follow: peakon-sync status '${run.workflowId}'`),
    `  see also ${findIt}`,
  ].join('\n');
}
