import { WorkflowNotFoundError, type Client, type ScheduleDescription, type ScheduleExecutionResult, type ScheduleSummary } from '@temporalio/client';
import { SYNC_WORKFLOW_TYPE, SyncScheduleMemoSchema } from './options';
import { SyncRunMemoSchema, type ScheduledRun, type SyncScheduleOverview, type SyncScheduleSummaryRow } from './overview';

/** Reads schedules and their runs from Temporal into the plain shapes overview.ts formats. */

function scheduleMemo(memo: Record<string, unknown> | undefined) {
  const parsed = SyncScheduleMemoSchema.safeParse(memo);
  return parsed.success ? parsed.data : undefined;
}

function lastRunAt(recentActions: readonly ScheduleExecutionResult[]): Date | undefined {
  return recentActions.at(-1)?.takenAt;
}

/** This connector's schedules in the namespace (others, if any, start other workflow types and are left out). */
export async function listSyncSchedules(client: Client): Promise<SyncScheduleSummaryRow[]> {
  const rows: SyncScheduleSummaryRow[] = [];
  for await (const summary of client.schedule.list()) {
    if (summary.action?.workflowType !== SYNC_WORKFLOW_TYPE) continue;
    rows.push(summaryRow(summary));
  }
  return rows.sort((left, right) => left.scheduleId.localeCompare(right.scheduleId));
}

function summaryRow(summary: ScheduleSummary): SyncScheduleSummaryRow {
  const memo = scheduleMemo(summary.memo);
  const last = lastRunAt(summary.info.recentActions);
  return {
    scheduleId: summary.scheduleId,
    ...(memo ? { tenant: memo.tenant, timing: memo.timing } : {}),
    paused: summary.state.paused,
    ...(summary.state.note ? { note: summary.state.note } : {}),
    nextRunTimes: summary.info.nextActionTimes,
    ...(last ? { lastRunAt: last } : {}),
  };
}

/** The run's Temporal status and the sync's own outcome (from the memo the workflow keeps current). */
async function inspectRun(client: Client, action: ScheduleExecutionResult): Promise<ScheduledRun> {
  const { workflowId, firstExecutionRunId } = action.action.workflow;
  const run = { workflowId, runId: firstExecutionRunId, scheduledAt: action.scheduledAt, startedAt: action.takenAt };
  try {
    const description = await client.workflow.getHandle(workflowId, firstExecutionRunId).describe();
    const outcome = SyncRunMemoSchema.safeParse(description.memo);
    return { ...run, execution: description.status.name, ...(outcome.success ? { outcome: outcome.data } : {}) };
  } catch (error) {
    // Closed runs disappear after the namespace's retention period; the schedule still remembers them.
    if (error instanceof WorkflowNotFoundError) return { ...run, execution: 'NOT_FOUND' };
    throw error;
  }
}

export async function describeSyncSchedule(client: Client, scheduleId: string): Promise<SyncScheduleOverview> {
  const description: ScheduleDescription = await client.schedule.getHandle(scheduleId).describe();
  const memo = scheduleMemo(description.memo);
  const last = lastRunAt(description.info.recentActions);
  const recentRuns = await Promise.all(description.info.recentActions.map((action) => inspectRun(client, action)));
  return {
    scheduleId,
    ...(memo ? { tenant: memo.tenant, timing: memo.timing } : {}),
    paused: description.state.paused,
    ...(description.state.note ? { note: description.state.note } : {}),
    nextRunTimes: description.info.nextActionTimes,
    ...(last ? { lastRunAt: last } : {}),
    ...(description.action.taskQueue ? { taskQueue: description.action.taskQueue } : {}),
    ...(description.action.workflowId ? { workflowIdPrefix: description.action.workflowId } : {}),
    overlapPolicy: description.policies.overlap ?? 'UNSPECIFIED',
    catchupWindowMs: description.policies.catchupWindow,
    actionsTaken: description.info.numActionsTaken,
    skippedBecauseStillRunning: description.info.numActionsSkippedOverlap,
    missedCatchupWindow: description.info.numActionsMissedCatchupWindow,
    running: description.info.runningActions.map((action) => action.workflow.workflowId),
    recentRuns,
  };
}
