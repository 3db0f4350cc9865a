import { ScheduleAlreadyRunning, type Client, type ScheduleDescription, type ScheduleOptions, type ScheduleOptionsAction } from '@temporalio/client';
import type { SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE, allowsUnencryptedPayloads, ENCRYPTION_KEY_VARIABLE, OLD_ENCRYPTION_KEYS_VARIABLE, readEncryptionKeys } from '../../codec/keys';
import { inlineScheduleClient, withInlineArgument } from './inline-client';
import { listSyncSchedules } from './inspect';
import { scheduleKeyIds, UNENCRYPTED } from './key-ids';
import { SYNC_SCHEDULE_WORKFLOW_TYPES } from './options';

/**
 * `schedule rekey`: a schedule's memo and its action's arguments (the stored config) are encrypted once, with the key
 * current when the schedule was created or last updated, and Temporal copies the arguments into every run it starts.
 * After a key rotation they stay under the old key; once that key is dropped from PEAKON_SYNC_ENCRYPTION_OLD_KEYS every
 * scheduled run fails at its first workflow task and `schedule describe`/`update` fail. ScheduleUpdateOptions cannot
 * change a memo, so a rekey deletes the schedule and creates it again under the same ID, everything it holds decoded
 * with the configured keys and encoded again with the current one.
 */

/** The keys this process holds, as the codec reads them (codec/keys.ts): the one it encrypts with, and every one it decrypts with. */
export interface RekeyKeys {
  currentKeyId: string;
  decryptableKeyIds: ReadonlySet<string>;
  /** PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS=1 beside a key: a plain payload is read, and so can be encrypted. */
  acceptsUnencrypted: boolean;
}

export function rekeyKeysFromEnv(env: Record<string, string | undefined> = process.env): RekeyKeys {
  const keys = readEncryptionKeys(env);
  if (!keys) throw new Error(`schedule rekey encrypts with the current key: set ${ENCRYPTION_KEY_VARIABLE}_FILE (or ${ENCRYPTION_KEY_VARIABLE})`);
  return { currentKeyId: keys.current.id, decryptableKeyIds: new Set(keys.decryptionKeys.keys()), acceptsUnencrypted: allowsUnencryptedPayloads(env) };
}

export type RekeyResult = { scheduleId: string; rekeyed: false } | { scheduleId: string; rekeyed: true; previousKeyIds: string[] };
/** A schedule `rekey --all` could not rekey; the others are rekeyed all the same. */
export interface RekeyFailure {
  scheduleId: string;
  error: Error;
}

/** How often, and after how long, the create after the delete is tried again (the deleted schedule may take a moment to go). */
export interface RekeyRetry {
  attempts: number;
  delayMs: number;
}

const DEFAULT_RETRY: RekeyRetry = { attempts: 5, delayMs: 500 };

function isNotFound(error: unknown): boolean {
  // gRPC NOT_FOUND (5), as the raw describeSchedule reports a missing schedule.
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 5;
}

/**
 * Encrypts one sync schedule with the current key. A schedule already under the current key is left as it is (so
 * running it twice is safe); the check reads the key ids in the payloads' plain metadata and decrypts nothing.
 */
export async function rekeySyncSchedule(client: Client, scheduleId: string, keys: RekeyKeys, retry: RekeyRetry = DEFAULT_RETRY): Promise<RekeyResult> {
  let raw: temporal.api.workflowservice.v1.IDescribeScheduleResponse;
  try {
    raw = await client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId });
  } catch (error) {
    if (isNotFound(error)) throw new Error(`no schedule ${scheduleId}: see peakon-sync schedule list`);
    throw error;
  }
  const workflowType = raw.schedule?.action?.startWorkflow?.workflowType?.name ?? '';
  if (!SYNC_SCHEDULE_WORKFLOW_TYPES.includes(workflowType)) {
    throw new Error(`schedule ${scheduleId} is not a sync schedule of this connector (it starts ${workflowType || 'no workflow'}): left as it is`);
  }
  const stale = scheduleKeyIds(raw).filter((id) => id !== keys.currentKeyId);
  if (stale.length === 0) return { scheduleId, rekeyed: false };

  const missing = stale.filter((id) => id !== UNENCRYPTED && !keys.decryptableKeyIds.has(id));
  if (missing.length > 0) {
    throw new Error(
      `schedule ${scheduleId} is encrypted with key ${missing.join(', ')}, which is not configured: put that old key back in ${OLD_ENCRYPTION_KEYS_VARIABLE} ` +
        `(beside ${ENCRYPTION_KEY_VARIABLE}, the current key), run peakon-sync schedule rekey again, and drop the old key only after that; the schedule is left as it is`,
    );
  }
  if (stale.includes(UNENCRYPTED) && !keys.acceptsUnencrypted) {
    throw new Error(
      `schedule ${scheduleId} holds unencrypted payloads (written without a key), which this codec refuses: run peakon-sync schedule rekey ${scheduleId} once with ${ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE}=1 beside the key to encrypt them; the schedule is left as it is`,
    );
  }

  // Decoded through the SDK with the current and old keys (and, from a schedule an earlier version offloaded, its
  // payload store), before anything is changed.
  const description = await client.schedule.getHandle(scheduleId).describe();
  const options = recreateOptions(description);
  await client.schedule.getHandle(scheduleId).delete();
  await createAgain(client, options, retry);
  return { scheduleId, rekeyed: true, previousKeyIds: stale };
}

/** The schedule as the SDK described it, as options that create it again: same ID, spec, action, policies, state, memo, search attributes. */
export function recreateOptions(description: ScheduleDescription): ScheduleOptions {
  // Only the typed search attributes: the deprecated untyped ones hold the same values.
  const { searchAttributes: _untyped, typedSearchAttributes, priority, ...action } = description.action;
  const { remainingActions, ...state } = description.state;
  return {
    scheduleId: description.scheduleId,
    spec: description.spec,
    // The SDK describes an unset priority as its zero values; only a priority someone set is written again.
    action: { ...action, ...customSearchAttributes(typedSearchAttributes), ...(priority && Object.values(priority).some((value) => value) ? { priority } : {}) } as ScheduleOptionsAction,
    policies: description.policies,
    state: { ...state, ...(remainingActions !== undefined ? { remainingActions } : {}) },
    ...(description.memo !== undefined ? { memo: description.memo } : {}),
    ...customSearchAttributes(description.typedSearchAttributes),
  };
}

/** Search attributes set by the one who created the schedule; those the server sets itself (Temporal…) are its own. */
function customSearchAttributes(attributes: TypedSearchAttributes | SearchAttributePair[] | undefined): { typedSearchAttributes?: SearchAttributePair[] } {
  const pairs = (Array.isArray(attributes) ? attributes : (attributes?.getAll() ?? [])).filter((pair) => !pair.key.name.startsWith('Temporal'));
  return pairs.length > 0 ? { typedSearchAttributes: pairs } : {};
}

async function createAgain(client: Client, options: ScheduleOptions, retry: RekeyRetry): Promise<void> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= retry.attempts; attempt += 1) {
    try {
      // Through the inline client, as create and update write: the config stays in the schedule (inline-client.ts).
      await withInlineArgument(() => inlineScheduleClient(client).create(options));
      return;
    } catch (error) {
      lastError = error;
      if (attempt < retry.attempts) await new Promise((resolve) => setTimeout(resolve, retry.delayMs * attempt));
    }
  }
  // The server's or the SDK's message names no config value; the config itself is never printed.
  const why = lastError instanceof ScheduleAlreadyRunning ? 'the deleted schedule had not gone yet' : lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(
    `schedule ${options.scheduleId} was DELETED to be created again under the current key, but creating it again failed ${retry.attempts} times (${why}): ` +
      `create it again from its config file: peakon-sync schedule create --config <file> --id ${options.scheduleId} with its cadence (--every or --cron), ` +
      'and --paused/--note if it had them',
  );
}

/** `rekeyed <id> (was key <id>)`, or that it already was under the current key. */
export function formatRekeyResult(result: RekeyResult, currentKeyId: string): string {
  if (!result.rekeyed) return `${result.scheduleId}: already under the current key ${currentKeyId}, nothing to change`;
  return `rekeyed ${result.scheduleId} (was key ${result.previousKeyIds.join(', ')})`;
}

export const RECENT_RUNS_NOTE =
  'A rekeyed schedule is a new schedule under the same ID: its recent-runs list (schedule describe) and its counters start empty; the runs it started before are still in Temporal (peakon-sync status).';

/** Every sync schedule of the namespace (as `schedule list` finds them): one result or error per schedule, none stopping the others. */
export async function rekeyAllSyncSchedules(client: Client, keys: RekeyKeys, retry?: RekeyRetry): Promise<Array<RekeyResult | RekeyFailure>> {
  const results: Array<RekeyResult | RekeyFailure> = [];
  for (const row of await listSyncSchedules(client)) {
    try {
      results.push(await rekeySyncSchedule(client, row.scheduleId, keys, retry));
    } catch (error) {
      results.push({ scheduleId: row.scheduleId, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return results;
}
