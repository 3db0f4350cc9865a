import { ScheduleAlreadyRunning, type Client, type ScheduleHandle } from '@temporalio/client';
import { hasSearchAttributes } from '../temporal-client';
import { buildSyncScheduleOptions, timingForCreate, type SyncScheduleRequest, type SyncScheduleTimingChange } from './options';

/** `timing` as the flags give it (timingFromFlags): `--timezone` alone is refused here, before anything is asked of the server. */
export type CreateSyncScheduleRequest = Omit<SyncScheduleRequest, 'withSearchAttributes' | 'timing'> & { namespace: string; timing: SyncScheduleTimingChange };

/** Creates a tenant's sync schedule; a schedule with the same ID is an error a person can act on, not a stack trace. */
export async function createSyncSchedule(client: Client, request: CreateSyncScheduleRequest): Promise<ScheduleHandle> {
  const timing = timingForCreate(request.timing);
  const withSearchAttributes = await hasSearchAttributes(client, request.namespace);
  const options = buildSyncScheduleOptions({ ...request, timing, withSearchAttributes });
  try {
    return await client.schedule.create(options);
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) {
      throw new Error(`schedule ${options.scheduleId} already exists: pick another --id, or delete it first (peakon-sync schedule delete ${options.scheduleId})`);
    }
    throw error;
  }
}
