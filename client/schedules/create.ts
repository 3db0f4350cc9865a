import { ScheduleAlreadyRunning, type Client, type ScheduleHandle } from '@temporalio/client';
import { hasSearchAttributes } from '../temporal-client';
import { buildSyncScheduleOptions, type SyncScheduleRequest } from './options';

export type CreateSyncScheduleRequest = Omit<SyncScheduleRequest, 'withSearchAttributes'> & { namespace: string };

/** Creates a tenant's sync schedule; a schedule with the same ID is an error a person can act on, not a stack trace. */
export async function createSyncSchedule(client: Client, request: CreateSyncScheduleRequest): Promise<ScheduleHandle> {
  const withSearchAttributes = await hasSearchAttributes(client, request.namespace);
  const options = buildSyncScheduleOptions({ ...request, withSearchAttributes });
  try {
    return await client.schedule.create(options);
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) {
      throw new Error(`schedule ${options.scheduleId} already exists: pick another --id, or delete it first (peakon-sync schedule delete ${options.scheduleId})`);
    }
    throw error;
  }
}
