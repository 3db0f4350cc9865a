import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { isNotFound } from '../errors';
import { SYNC_SCHEDULE_WORKFLOW_TYPES } from './options';

export type RawSchedule = temporal.api.workflowservice.v1.IDescribeScheduleResponse;

/**
 * The schedule as the raw describeSchedule returns it (no payload decoded, so a schedule under a key this CLI no longer
 * holds is still read), once it is known to be one of this connector's: one that starts a sync workflow type. In a
 * namespace shared with other tools, `schedule pause|unpause|trigger|delete <id>` would otherwise act on another team's
 * schedule (delete it, start its workflow) given its ID; `list`, `update` and `rekey` already leave such schedules alone.
 */
export async function describeSyncScheduleRaw(client: Client, scheduleId: string): Promise<RawSchedule> {
  let raw: RawSchedule;
  try {
    raw = await client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId });
  } catch (error) {
    if (isNotFound(error)) throw new Error(`no schedule ${scheduleId}: see peakon-sync schedule list`);
    throw error;
  }
  const workflowType = raw.schedule?.action?.startWorkflow?.workflowType?.name ?? '';
  if (!SYNC_SCHEDULE_WORKFLOW_TYPES.includes(workflowType)) {
    throw new Error(`schedule ${scheduleId} is not a peakon-sync schedule (it starts ${workflowType !== '' ? `workflow type ${workflowType}` : 'no workflow'}, not a sync of this connector): left as it is`);
  }
  return raw;
}

/** Deletes a sync schedule of this connector (runs it started are not affected); another tool's is refused. */
export async function deleteSyncSchedule(client: Client, scheduleId: string): Promise<void> {
  await describeSyncScheduleRaw(client, scheduleId);
  await client.schedule.getHandle(scheduleId).delete();
}
