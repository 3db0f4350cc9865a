import type { Client } from '@temporalio/client';
import { decodeScheduleRecentActions, decodeScheduleRunningActions } from '@temporalio/client/lib/schedule-helpers';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';
import { SYNC_SCHEDULE_OVERLAP_POLICY } from './options';
import { describeSyncScheduleRaw, type RawSchedule } from './ownership';

/** What `schedule trigger` found: the run it started, or nothing within the wait (the tenant, to point at `runs`). */
export interface TriggeredRun {
  scheduleId: string;
  tenant?: string;
  /** The runs the schedule started since the trigger: normally one; a due time falling in the same moment adds one. */
  started: Array<{ workflowId: string; startedAt: Date }>;
  /** The trigger succeeded, but the schedule could not be read afterwards (the last look failed): its run is not listed yet. */
  unlisted?: true;
}

export const TRIGGER_WAIT_MS = 10_000;
const TRIGGER_POLL_MS = 250;
/** The least time one look at the schedule after the trigger gets, even at the end of the wait. */
const POLL_CALL_MS = 2_000;

function runsOf(raw: RawSchedule): Map<string, { workflowId: string; startedAt: Date }> {
  const runs = new Map<string, { workflowId: string; startedAt: Date }>();
  for (const action of decodeScheduleRecentActions(raw.info?.recentActions)) runs.set(action.action.workflow.firstExecutionRunId, { workflowId: action.action.workflow.workflowId, startedAt: action.takenAt });
  // Tracked by the server only under some overlap policies; under ALLOW_ALL the recent actions say it.
  for (const { workflow } of decodeScheduleRunningActions(raw.info?.runningWorkflows)) if (!runs.has(workflow.firstExecutionRunId)) runs.set(workflow.firstExecutionRunId, { workflowId: workflow.workflowId, startedAt: new Date(Number.NaN) });
  return runs;
}

/**
 * The tenant, from what the schedule keeps in plain form: its runs' tenant search attribute (never encoded), else its
 * runs' workflow ID, which starts `peakon-sync/<tenant>/` (workflows/ids.ts). The memo is not read: it is encrypted.
 */
function tenantOf(raw: RawSchedule): string | undefined {
  const start = raw.schedule?.action?.startWorkflow;
  try {
    const fromAttribute = decodeTypedSearchAttributes(start?.searchAttributes?.indexedFields).get(TENANT_SEARCH_ATTRIBUTE);
    if (typeof fromAttribute === 'string' && fromAttribute !== '') return fromAttribute;
  } catch {
    // An attribute this SDK cannot read: the workflow ID may still say.
  }
  return /^peakon-sync\/([a-z0-9][a-z0-9-]*)\//.exec(start?.workflowId ?? '')?.[1];
}

/**
 * Triggers the schedule, then reads it until a run it did not list before shows (up to `waitMs`): the schedule starts
 * the run a moment after the trigger returns. Compared with the runs listed just before the trigger, not with this
 * machine's clock, which may differ from the server's.
 *
 * Read through the raw describeSchedule, which decodes no payload: triggering needs neither the memo nor the stored
 * config, so a schedule still under an old key this CLI does not hold (or another deployment's) is triggered all the
 * same. Once the trigger succeeded the run is started: a look at the schedule that fails afterwards is tried again
 * within the wait, and should the last one fail too the command still succeeds, pointing at `runs <tenant>`.
 */
export async function triggerSyncSchedule(client: Client, scheduleId: string, waitMs = TRIGGER_WAIT_MS): Promise<TriggeredRun> {
  const describe = (): Promise<RawSchedule> => client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId });
  // Another tool's schedule in a shared namespace is refused: its workflow is not ours to start (ownership.ts).
  const before = await describeSyncScheduleRaw(client, scheduleId);
  const known = new Set(runsOf(before).keys());
  const tenant = tenantOf(before);
  // The schedules' own policy (ALLOW_ALL, see schedules/options.ts): under SKIP a run stuck after a bad deploy would
  // swallow the trigger silently; now the tenant lock decides, and a run that meets it ends 'skipped', visibly.
  await client.schedule.getHandle(scheduleId).trigger(SYNC_SCHEDULE_OVERLAP_POLICY);
  const deadline = Date.now() + waitMs;
  for (;;) {
    let started: Array<{ workflowId: string; startedAt: Date }> = [];
    let unlisted = false;
    try {
      const after = await client.withDeadline(Math.max(deadline, Date.now() + POLL_CALL_MS), describe);
      started = [...runsOf(after)].filter(([runId]) => !known.has(runId)).map(([, run]) => run);
    } catch {
      unlisted = true;
    }
    if (started.length > 0 || Date.now() >= deadline) {
      started.sort((left, right) => left.startedAt.getTime() - right.startedAt.getTime());
      return { scheduleId, ...(tenant !== undefined ? { tenant } : {}), started, ...(unlisted ? { unlisted: true as const } : {}) };
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
  // The schedule could not be read after the trigger: the run started all the same.
  if (triggered.unlisted && started.length === 0) return `triggered ${scheduleId}; its run is not listed yet: find it with peakon-sync runs ${tenant ?? '<tenant>'}`;
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
