import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { isNotFound } from '../errors';
import { SYNC_SCHEDULE_WORKFLOW_TYPES } from './options';

export type RawSchedule = temporal.api.workflowservice.v1.IDescribeScheduleResponse;

/**
 * The schedule as the raw describeSchedule returns it (no payload decoded, so a schedule under a key this CLI no longer
 * holds is still read), once it is known to be one of this connector's: one that starts a sync workflow type. In a
 * namespace shared with other tools, `schedule describe|pause|unpause|trigger|delete|update|rekey <id>` would otherwise
 * show or act on another team's schedule (delete it, start its workflow) given its ID; `list` leaves such schedules out.
 */
export async function describeSyncScheduleRaw(client: Client, scheduleId: string): Promise<RawSchedule> {
  let raw: RawSchedule;
  try {
    raw = await client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId });
  } catch (error) {
    if (isNotFound(error)) throw new Error(`no schedule ${scheduleId}: see peakon-sync schedule list`);
    throw error;
  }
  assertSyncWorkflowType(scheduleId, raw.schedule?.action?.startWorkflow?.workflowType?.name ?? '');
  return raw;
}

/**
 * Refuses a schedule that does not start one of this connector's sync workflow types (another tool's), naming what it
 * starts. The one place of that rule: describeSyncScheduleRaw, and `schedule update`'s check of the schedule it is
 * about to change, both use it.
 */
export function assertSyncWorkflowType(scheduleId: string, workflowType: string): void {
  if (!SYNC_SCHEDULE_WORKFLOW_TYPES.includes(workflowType)) {
    throw new Error(`schedule ${scheduleId} is not a peakon-sync schedule (it starts ${workflowType !== '' ? `workflow type ${workflowType}` : 'no workflow'}, not a sync of this connector): left as it is`);
  }
}

/** Deletes a sync schedule of this connector (runs it started are not affected); another tool's is refused. */
export async function deleteSyncSchedule(client: Client, scheduleId: string): Promise<void> {
  await describeSyncScheduleRaw(client, scheduleId);
  await client.schedule.getHandle(scheduleId).delete();
}
