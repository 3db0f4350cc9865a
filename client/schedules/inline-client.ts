import { ScheduleClient, ServiceError, type Client } from '@temporalio/client';
import { ExternalStorage, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/**
 * The largest a schedule's argument (the stored config, encrypted) may be: it is kept inline in the schedule and
 * copied into every run's start event, so well under Temporal's 2 MB blob limit and its 512 KB warning. A real config
 * is a few KB; one this large is refused at `create`/`update`, naming its size and this limit.
 */
export const MAX_SCHEDULE_ARGUMENT_BYTES = 256 * 1024;

/** A schedule's argument too large to keep inline: `create`/`update` refuse it with this message. */
export class ScheduleArgumentTooLargeError extends Error {
  constructor(readonly sizeBytes: number, readonly limitBytes: number = MAX_SCHEDULE_ARGUMENT_BYTES) {
    super(
      `the schedule's config is ${formatKiB(sizeBytes)} encoded, above the ${formatKiB(limitBytes)} a schedule keeps inline ` +
        '(its stored argument must never go to the payload store, whose retention would delete it and fail every run): ' +
        'make the config smaller, e.g. shorter lists and maps',
    );
    this.name = 'ScheduleArgumentTooLargeError';
  }
}

function formatKiB(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB (${bytes} bytes)`;
}

/**
 * The schedule client `create` and `update` write with: the caller's data converter (the codec encrypts the argument
 * as always) with external storage that never offloads.
 *
 * Why: a schedule keeps its argument for as long as it exists, months or years, but the payload store is swept by
 * retention (PEAKON_SYNC_RETENTION_DAYS, storage/retention.ts). An argument offloaded there (the config at or above
 * the 16 KiB threshold) was deleted after the retention period, and then every scheduled run failed (payload missing)
 * and `schedule describe`/`list` with it. Keeping it inline is the simplest design that is correct: nothing outside
 * Temporal to keep alive, to clean up when the schedule is deleted or updated, or to exempt from retention. The cost is
 * a cap (MAX_SCHEDULE_ARGUMENT_BYTES), enforced here where the encoded size is known.
 *
 * The drivers stay, so a schedule an earlier version offloaded can still be read (describe, and the describe inside
 * `update`) while its payload exists; any `update` then writes it back inline.
 */
export function inlineScheduleClient(client: Client): ScheduleClient {
  const { loadedDataConverter, namespace, identity, interceptors } = client.schedule.options;
  const { externalStorage } = loadedDataConverter;
  const inlineOnly = externalStorage
    ? new ExternalStorage({
        drivers: externalStorage.drivers,
        // Only payloads above the cap reach the selector; those are refused, every other payload stays inline.
        payloadSizeThreshold: MAX_SCHEDULE_ARGUMENT_BYTES + 1,
        driverSelector: (_context, payload) => {
          throw new ScheduleArgumentTooLargeError(payloadSize(payload));
        },
      })
    : undefined;
  return new ScheduleClient({
    connection: client.connection,
    namespace,
    identity,
    interceptors,
    dataConverter: { ...loadedDataConverter, externalStorage: inlineOnly },
  });
}

/** The encoded size the SDK compares with its thresholds: the payload's protobuf size. */
function payloadSize(payload: Payload): number {
  return temporal.api.common.v1.Payload.encode(payload).finish().length;
}

/**
 * Runs a schedule write, turning a refused argument (which the SDK wraps as an "unexpected error while making gRPC
 * request") back into its own message. Without external storage nothing is offloaded anyway; Temporal's own blob
 * limit then refuses what is too large.
 */
export async function withInlineArgument<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ServiceError && error.cause instanceof ScheduleArgumentTooLargeError) throw error.cause;
    throw error;
  }
}
