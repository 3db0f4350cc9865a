import { ScheduleAlreadyRunning, type Client, type ScheduleHandle } from '@temporalio/client';
import { hasSearchAttributes } from '../temporal-client';
import { inlineScheduleClient, withInlineArgument } from './inline-client';
import { buildSyncScheduleOptions, timingForCreate, type SyncScheduleRequest, type SyncScheduleTimingChange } from './options';

/** `timing` as the flags give it (timingFromFlags): `--timezone` alone is refused here, before anything is asked of the server. */
export type CreateSyncScheduleRequest = Omit<SyncScheduleRequest, 'withSearchAttributes' | 'timing'> & { namespace: string; timing: SyncScheduleTimingChange };

/** Creates a tenant's sync schedule; a schedule with the same ID is an error a person can act on, not a stack trace. */
export async function createSyncSchedule(client: Client, request: CreateSyncScheduleRequest): Promise<ScheduleHandle> {
  const timing = timingForCreate(request.timing);
  const withSearchAttributes = await hasSearchAttributes(client, request.namespace);
  const options = buildSyncScheduleOptions({ ...request, timing, withSearchAttributes });
  try {
    // Written through the inline client: the config must stay in the schedule, never in the payload store that
    // retention sweeps (inline-client.ts says why).
    await withInlineArgument(() => inlineScheduleClient(client).create(options));
    return client.schedule.getHandle(options.scheduleId);
  } catch (error) {
    if (error instanceof ScheduleAlreadyRunning) {
      throw new Error(`schedule ${options.scheduleId} already exists: pick another --id, or delete it first (peakon-sync schedule delete ${options.scheduleId})`);
    }
    throw error;
  }
}
