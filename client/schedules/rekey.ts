import { closeSync, fchmodSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScheduleAlreadyRunning, ServiceError, type Client, type ScheduleDescription, type ScheduleOptions, type ScheduleOptionsAction } from '@temporalio/client';
import type { SearchAttributePair, TypedSearchAttributes } from '@temporalio/common';
import YAML from 'yaml';
import { ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE, allowsUnencryptedPayloads, ENCRYPTION_KEY_VARIABLE, OLD_ENCRYPTION_KEYS_VARIABLE, readEncryptionKeys } from '../../codec/keys';
import { errorText, grpcCode, GrpcStatus, isNotFound } from '../errors';
import { inlineScheduleClient, withInlineArgument } from './inline-client';
import { listSyncSchedules } from './inspect';
import { scheduleKeyIds, UNENCRYPTED } from './key-ids';
import { timingFromSpec } from './options';
import { describeSyncScheduleRaw } from './ownership';
import { scheduleInputOf, storedAsWritten } from './stored-config';

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

export type RekeyResult =
  | { scheduleId: string; rekeyed: false }
  | { scheduleId: string; rekeyed: true; previousKeyIds: string[] }
  /** `rekey --all` left it as it is: it starts runs on another deployment's task queue (whose workers hold other keys). */
  | { scheduleId: string; rekeyed: false; skipped: { taskQueue: string; ownTaskQueue: string } };
/**
 * A schedule `rekey --all` could not rekey. One that failed before its delete (an old key not configured) leaves the
 * others to be rekeyed all the same; one deleted and not created again stops `--all` (RecreateFailedError).
 */
export interface RekeyFailure {
  scheduleId: string;
  error: Error;
}

/**
 * How long the create after the delete is tried again: a deleted schedule may take a while to go on a loaded server or
 * Temporal Cloud (ScheduleAlreadyRunning meanwhile), and the connection may drop for a moment. The waits grow from
 * `delayMs` to at most `maxDelayMs`; no attempt starts after `timeoutMs`.
 */
export interface RekeyRetry {
  timeoutMs: number;
  delayMs: number;
  maxDelayMs: number;
  /**
   * How long one create may take (its gRPC deadline, and a timer besides): one without an answer by then counts as a
   * failed attempt that may have landed, so a hung create cannot hold the process past `timeoutMs` (default 10 s).
   */
  callTimeoutMs?: number;
}

export const DEFAULT_REKEY_RETRY: Required<RekeyRetry> = { timeoutMs: 60_000, delayMs: 500, maxDelayMs: 5_000, callTimeoutMs: 10_000 };

/**
 * Creates the schedule again, by `call.deadline`; rekeySyncSchedule writes through the inline client with that gRPC
 * deadline (tests inject a failing one).
 */
export type CreateSchedule = (options: ScheduleOptions, call: { deadline: Date }) => Promise<unknown>;

/**
 * Whether the schedule exists again with everything under the current key: after a create that timed out or lost its
 * connection, the server may have created it all the same, and the next create then meets ScheduleAlreadyRunning. Read
 * from the raw schedule's key ids (the deleted one, not gone yet, still has its old key).
 */
export type RecreatedCheck = () => Promise<boolean>;

/** The schedule was deleted and could not be created again: `rekey --all` stops there (the error names its backup). */
export class RecreateFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecreateFailedError';
  }
}

/**
 * The delete before the create failed, and whether the server deleted the schedule all the same could not be told: it
 * may be deleted, and its backup is kept. `rekey --all` stops there too.
 */
export class DeleteUncertainError extends RecreateFailedError {
  constructor(message: string) {
    super(message);
    this.name = 'DeleteUncertainError';
  }
}

/** A create (or a look at the schedule) without an answer within its time: it may have landed all the same. */
class NoAnswerError extends Error {
  constructor(milliseconds: number) {
    super(`no answer within ${milliseconds < 1000 ? `${milliseconds} ms` : `${Math.round(milliseconds / 1000)} s`}`);
    this.name = 'NoAnswerError';
  }
}

/** `promise`, or a NoAnswerError after `milliseconds`; the timer never keeps the process alive. */
async function within<T>(promise: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new NoAnswerError(milliseconds)), milliseconds);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface RekeyOptions {
  retry?: RekeyRetry;
  /** Default: through the inline client, as create and update write (inline-client.ts). */
  create?: CreateSchedule;
  /**
   * Where the backup of the stored config is written before the delete (default: the current directory); it is removed
   * once the schedule is created again, and kept when it could not be (or may have been deleted and not created).
   */
  backupDirectory?: string;
  /** Where the note about a deferred Ctrl-C/SIGTERM goes (default: stderr). */
  messages?: { write(text: string): unknown };
  /** What happens to a signal deferred while the schedule was deleted (default: raised again, so the process ends as it would have). */
  raiseDeferredSignal?: (signal: NodeJS.Signals) => void;
  /**
   * Each schedule's result, as soon as it is known: before a signal held during the delete and create is raised again,
   * so the command prints `rekeyed <id>` before the process ends at it.
   */
  onResult?: (result: RekeyResult) => void;
  /** Default: the raw schedule's key ids, all the current key's (scheduleKeyIds). */
  isRecreated?: RecreatedCheck;
}

// gRPC codes a create may meet while the server is busy or the connection drops: worth trying again.
const RETRYABLE_GRPC_CODES = new Set([
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  10, // ABORTED
  14, // UNAVAILABLE
]);

/**
 * Whether a failed create after the delete is worth trying again: the deleted schedule not gone yet
 * (ScheduleAlreadyRunning), or a busy server or dropped connection. Anything else (an invalid argument, a config too
 * large, a permission refused) fails the same way again.
 */
export function isRetryableCreateError(error: unknown): boolean {
  if (error instanceof ScheduleAlreadyRunning || error instanceof NoAnswerError) return true;
  const code = grpcCode(error);
  if (code !== undefined) return RETRYABLE_GRPC_CODES.has(code);
  // The SDK wraps a failure without a gRPC status (the connection itself) as a ServiceError without a code.
  return error instanceof ServiceError && error.cause === undefined;
}

/**
 * Encrypts one sync schedule with the current key. A schedule already under the current key is left as it is (so
 * running it twice is safe); the check reads the key ids in the payloads' plain metadata and decrypts nothing.
 */
export async function rekeySyncSchedule(client: Client, scheduleId: string, keys: RekeyKeys, rekey: RekeyOptions & { onlyTaskQueue?: string } = {}): Promise<RekeyResult> {
  const result = await rekeyOrLeave(client, scheduleId, keys, rekey);
  // A rekeyed schedule's result was reported before a held signal was raised again (rekeyOrLeave).
  if (!result.rekeyed) rekey.onResult?.(result);
  return result;
}

async function rekeyOrLeave(client: Client, scheduleId: string, keys: RekeyKeys, rekey: RekeyOptions & { onlyTaskQueue?: string }): Promise<RekeyResult> {
  // Another tool's schedule (or none) is refused as by every schedule command (ownership.ts).
  const raw = await describeSyncScheduleRaw(client, scheduleId);
  const taskQueue = raw.schedule?.action?.startWorkflow?.taskQueue?.name ?? '';
  if (rekey.onlyTaskQueue !== undefined && taskQueue !== rekey.onlyTaskQueue) {
    return { scheduleId, rekeyed: false, skipped: { taskQueue, ownTaskQueue: rekey.onlyTaskQueue } };
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
  const create: CreateSchedule =
    rekey.create ?? ((recreated, call) => client.withDeadline(call.deadline, () => withInlineArgument(() => inlineScheduleClient(client).create(recreated))));
  const isRecreated: RecreatedCheck =
    rekey.isRecreated ??
    (async () => {
      try {
        const ids = scheduleKeyIds(await client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId }));
        return ids.length > 0 && ids.every((id) => id === keys.currentKeyId);
      } catch {
        // Not there (NOT_FOUND) or not readable now: not known to be created.
        return false;
      }
    });
  // Written before the delete: from the delete until the create has succeeded, the schedule exists only in this
  // process's memory and in this file, which a SIGKILL (docker stop after its grace period) does not take away.
  const backup = writeRekeyBackup(description, rekey.backupDirectory ?? process.cwd());
  // A Ctrl-C or SIGTERM meanwhile waits for the create (and, if it fails, the message naming the backup).
  const signals = deferSignals(scheduleId, rekey.messages ?? process.stderr);
  let failure: Error | undefined;
  let keepBackup = true;
  try {
    await deleteForRekey(client, scheduleId, backup, rekey.retry?.callTimeoutMs ?? DEFAULT_REKEY_RETRY.callTimeoutMs);
    await createAgain(create, options, description, { ...rekey, isRecreated, backup });
    // Created again: the backup is not needed.
    keepBackup = false;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    // Not deleted: the schedule is still there as it was, and the backup is not needed either.
    if (error instanceof ScheduleStillThereError) keepBackup = false;
  }
  if (!keepBackup) backup.remove();
  const result: RekeyResult = { scheduleId, rekeyed: true, previousKeyIds: stale };
  try {
    // Reported first: a held signal ends the process as soon as it is released.
    if (!failure) rekey.onResult?.(result);
  } finally {
    signals.release(failure, rekey.raiseDeferredSignal);
  }
  if (failure) throw failure;
  return result;
}

/** The delete failed and the schedule is still there, as it was: nothing changed. */
class ScheduleStillThereError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleStillThereError';
  }
}

/**
 * Deletes the schedule before it is created again. A failed delete may have been carried out all the same (its answer
 * lost: UNAVAILABLE and then, on the SDK's retry, NOT_FOUND; or a deadline exceeded after the server acted), so the
 * schedule is looked up, raw (decoding nothing), as trigger does: gone (NOT_FOUND) counts as deleted and the create
 * follows; still there after a refusal is a delete that failed (ScheduleStillThereError, the schedule as it was); still
 * there after a delete that got no answer, or a look that fails too, leaves it unknown (DeleteUncertainError, naming the
 * backup): the delete may still be carried out.
 */
async function deleteForRekey(client: Client, scheduleId: string, backup: RekeyBackup, callTimeoutMs: number): Promise<void> {
  let deleteError: unknown;
  try {
    await client.schedule.getHandle(scheduleId).delete();
    return;
  } catch (error) {
    deleteError = error;
  }
  const why = errorText(deleteError);
  try {
    await within(
      client.withDeadline(Date.now() + callTimeoutMs, () => client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId })),
      callTimeoutMs,
    );
  } catch (checkError) {
    // Gone: the delete was carried out, only its answer was lost.
    if (isNotFound(checkError)) return;
    throw new DeleteUncertainError(
      `deleting schedule ${scheduleId} to create it again under the current key failed (${why}), and whether the server deleted it all the same cannot be told (looking it up failed too: ${errorText(checkError)}): it may be DELETED. ` +
        `If peakon-sync schedule list still shows it, nothing changed: run peakon-sync schedule rekey ${scheduleId} again. If not: ${backup.hint}`,
    );
  }
  // Still there. A refusal is final: nothing changed. A delete that timed out or lost its connection may still be
  // carried out after this look, so its backup stays and --all stops.
  if (DEFINITE_REFUSALS.has(grpcCode(deleteError) ?? -1)) {
    throw new ScheduleStillThereError(`deleting schedule ${scheduleId} to create it again under the current key failed (${why}): it is still there, left as it was (under its old key); run peakon-sync schedule rekey ${scheduleId} again`);
  }
  throw new DeleteUncertainError(
    `deleting schedule ${scheduleId} to create it again under the current key failed (${why}); it is still there now, but a delete that got no answer may still be carried out: ` +
      `if peakon-sync schedule list shows it in a minute, nothing changed: run peakon-sync schedule rekey ${scheduleId} again. If not: ${backup.hint}`,
  );
}

/** Answers to a delete that say the server did not and will not carry it out. */
const DEFINITE_REFUSALS = new Set<number>([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.PERMISSION_DENIED, GrpcStatus.FAILED_PRECONDITION, GrpcStatus.UNAUTHENTICATED]);

interface SignalDeferral {
  release(failure: Error | undefined, raise?: (signal: NodeJS.Signals) => void): void;
}

/** Holds SIGINT/SIGTERM while the schedule is deleted, saying once why; `release` raises a held one again. */
export function deferSignals(scheduleId: string, messages: { write(text: string): unknown }): SignalDeferral {
  let received: NodeJS.Signals | undefined;
  const hold = (signal: NodeJS.Signals): void => {
    if (received === undefined) messages.write(`finishing the rekey of ${scheduleId}: it is deleted and being created again\n`);
    received ??= signal;
  };
  const signalNames: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const signal of signalNames) process.on(signal, hold);
  return {
    release(failure, raise = (signal) => process.kill(process.pid, signal)) {
      for (const signal of signalNames) process.removeListener(signal, hold);
      if (received === undefined) return;
      // The process ends at the signal, before its caller could print the failure: it is printed here.
      if (failure) messages.write(`${failure.message}\n`);
      raise(received);
    },
  };
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

/**
 * Creates the deleted schedule again, trying again while the failure is one that passes (isRetryableCreateError) for
 * up to `retry.timeoutMs`, each attempt bounded by `retry.callTimeoutMs`. An attempt that timed out or lost its
 * connection may have created the schedule all the same: then a ScheduleAlreadyRunning, or the end of the window, is
 * checked against the schedule itself (`isRecreated`), and a schedule there under the current key is success. When it
 * still fails, the error (a RecreateFailedError) names the backup file of the schedule's stored config (`rekey.backup`,
 * written before the delete; without it, one is written now) and the `schedule create` command that makes the schedule
 * again from it.
 */
export async function createAgain(
  create: CreateSchedule,
  options: ScheduleOptions,
  description: ScheduleDescription,
  rekey: Pick<RekeyOptions, 'retry' | 'backupDirectory' | 'isRecreated'> & { backup?: RekeyBackup } = {},
): Promise<void> {
  const retry = rekey.retry ?? DEFAULT_REKEY_RETRY;
  const callTimeoutMs = retry.callTimeoutMs ?? DEFAULT_REKEY_RETRY.callTimeoutMs;
  const deadline = Date.now() + retry.timeoutMs;
  // A failure of the check counts as "not created": the create is tried again, or the backup written.
  const { isRecreated } = rekey;
  const recreated = async (): Promise<boolean> => (isRecreated ? within(Promise.resolve().then(isRecreated), callTimeoutMs).catch(() => false) : false);
  let attempts = 0;
  let lastError: unknown;
  let mayHaveLanded = false;
  let checkedLast = false;
  for (let delay = retry.delayMs; ; delay = Math.min(delay * 2, retry.maxDelayMs)) {
    attempts += 1;
    // Even the last attempt, started at the end of the window, gets a moment to answer.
    const bound = Math.min(callTimeoutMs, Math.max(deadline - Date.now(), Math.min(callTimeoutMs, 1_000)));
    try {
      await within(create(options, { deadline: new Date(Date.now() + bound) }), bound);
      return;
    } catch (error) {
      lastError = error;
    }
    checkedLast = false;
    if (lastError instanceof ScheduleAlreadyRunning) {
      if (mayHaveLanded) {
        if (await recreated()) return;
        checkedLast = true;
      }
    } else if (isRetryableCreateError(lastError)) {
      mayHaveLanded = true;
    }
    if (!isRetryableCreateError(lastError) || Date.now() + delay > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  // An attempt without an answer may have landed after all: one look before calling the schedule deleted.
  if (mayHaveLanded && !checkedLast && (await recreated())) return;
  // The server's or the SDK's message names no config value; the config itself is never printed.
  const why = lastError instanceof ScheduleAlreadyRunning ? 'the deleted schedule had not gone yet' : lastError instanceof Error ? lastError.message : String(lastError);
  const tried = attempts === 1 ? 'once' : `${attempts} times in ${Math.round(retry.timeoutMs / 1000)} s`;
  throw new RecreateFailedError(
    `schedule ${options.scheduleId} was DELETED to be created again under the current key, but creating it again failed (tried ${tried}: ${why}). ` +
      (rekey.backup?.hint ?? recreateHint(description, rekey.backupDirectory ?? process.cwd())),
  );
}

/** A schedule ID as part of a file name: what `create --id` takes stays, anything else becomes `_`. */
function fileNameOf(scheduleId: string): string {
  return scheduleId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_') || 'schedule';
}

/** A word as a POSIX shell reads it: as it is when nothing in it is special, else in single quotes. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9._/:=@%+,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Writes `text` to a new file (never over an existing one), readable by its owner alone; returns its path. */
function writeNewFile(directory: string, baseName: string, extension: string, text: string): string {
  for (let copy = 1; ; copy += 1) {
    const file = path.join(directory, `${baseName}${copy === 1 ? '' : `-${copy}`}.${extension}`);
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && copy < 100) continue;
      throw error;
    }
    try {
      fchmodSync(fd, 0o600);
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    return file;
  }
}

/** The backup of a schedule's stored config: the sentence naming it and the create command, and its removal. */
export interface RekeyBackup {
  /** The new file, or undefined when none could be written. */
  file: string | undefined;
  hint: string;
  /** Removes the file (once the schedule is back, or was never deleted); a file already gone is fine. */
  remove(): void;
}

/**
 * The schedule's stored config as it is kept (YAML when it was written from a YAML file, JSON from a JSON one), in a new
 * file of mode 0600 in `directory` (the system's temporary folder when that cannot be written), and the
 * `schedule create` command that makes the schedule again from it, with the cadence, pause and note it had.
 */
export function recreateHint(description: ScheduleDescription, directory: string): string {
  return writeRekeyBackup(description, directory).hint;
}

/** recreateHint's file and sentence: written before the delete, removed once the schedule is created again. */
export function writeRekeyBackup(description: ScheduleDescription, directory: string): RekeyBackup {
  const { file, hint } = writeBackupFile(description, directory);
  const remove = (): void => {
    try {
      if (file !== undefined) rmSync(file, { force: true });
    } catch {
      // A backup that cannot be removed stays, readable by its owner alone; the rekey itself succeeded.
    }
  };
  return { file, hint, remove };
}

function writeBackupFile(description: ScheduleDescription, directory: string): { file: string | undefined; hint: string } {
  const { scheduleId } = description;
  const input = scheduleInputOf({ workflowType: description.action.type === 'startWorkflow' ? description.action.workflowType : '', args: description.action.type === 'startWorkflow' ? description.action.args : [] });
  if (!input) return { file: undefined, hint: 'Its stored config could not be read back, so no backup was written: create it again from its config file with peakon-sync schedule create --config <file> --id ' + shellWord(scheduleId) };
  const stored = storedAsWritten(input);
  const asJson = stored.configFile !== undefined && /\.json$/i.test(stored.configFile);
  const text = asJson ? `${JSON.stringify(stored.storedConfig, null, 2)}\n` : YAML.stringify(stored.storedConfig);
  let file: string | undefined;
  const problems: string[] = [];
  for (const folder of [directory, os.tmpdir()]) {
    try {
      file = writeNewFile(folder, `${fileNameOf(scheduleId)}.rekey-backup`, asJson ? 'json' : 'yaml', text);
      break;
    } catch (error) {
      problems.push(`${folder}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  const command = ['peakon-sync schedule create --config', shellWord(file ?? '<file>'), '--id', shellWord(scheduleId), ...cadenceFlags(description)].join(' ');
  if (file === undefined) return { file, hint: `Its stored config could not be written to a backup file (${problems.join('; ')}): create it again from its config file with ${command}` };
  const relativeTo = stored.configFile !== undefined ? path.dirname(stored.configFile) : undefined;
  const paths =
    relativeTo !== undefined && relativeTo !== path.dirname(file)
      ? ` Relative paths in it (the CSV export, secret files) were read from ${relativeTo}, the folder of ${stored.configFile}: move the file there first, or create from the original file if you still have it.`
      : '';
  return { file, hint: `Its stored config, as the schedule kept it, is in ${file} (readable by you alone): create it again with ${command}${paths}` };
}

/** An interval as `--every` takes it: one number and one unit (90m, not formatDuration's 1h30m). */
function everyFlag(milliseconds: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (milliseconds % size === 0) return `${milliseconds / size}${unit}`;
  }
  return `${milliseconds}ms`;
}

/** `--every 1h` or `--cron "0 2 * * *" --timezone Europe/Copenhagen`, `--paused`, `--note "…"`: as the schedule had them. */
function cadenceFlags(description: ScheduleDescription): string[] {
  const timing = timingFromSpec(description.spec);
  const cadence = !timing
    ? ['<--every <interval> or --cron "<expression>": its spec is not one schedule create makes>']
    : 'everyMs' in timing
      ? ['--every', everyFlag(timing.everyMs)]
      : ['--cron', shellWord(timing.cron), ...(timing.timezone !== undefined && timing.timezone !== 'UTC' ? ['--timezone', shellWord(timing.timezone)] : [])];
  return [...cadence, ...(description.state.paused ? ['--paused'] : []), ...(description.state.note ? ['--note', shellWord(description.state.note)] : [])];
}

/** `rekeyed <id> (was key <id>)`, that it already was under the current key, or that `--all` left it to its deployment. */
export function formatRekeyResult(result: RekeyResult, currentKeyId: string): string {
  if ('skipped' in result) {
    const { taskQueue, ownTaskQueue } = result.skipped;
    return `${result.scheduleId}: starts runs on task queue ${taskQueue || '(none)'}, not this deployment's ${ownTaskQueue}: left as it is; rekey it by its ID from that deployment`;
  }
  if (!result.rekeyed) return `${result.scheduleId}: already under the current key ${currentKeyId}, nothing to change`;
  return `rekeyed ${result.scheduleId} (was key ${result.previousKeyIds.join(', ')})`;
}

export const RECENT_RUNS_NOTE =
  'A rekeyed schedule is a new schedule under the same ID: its recent-runs list (schedule describe) and its counters start empty; the runs it started before are still in Temporal (peakon-sync status).';

/**
 * Every sync schedule of the namespace (as `schedule list` finds them) that starts its runs on `taskQueue`, this
 * deployment's: another deployment sharing the namespace (staging beside production) has workers with other keys, which
 * could not read its schedules once encrypted with this one's. One result or error per schedule. A failure before the
 * delete (an old key not configured) leaves the schedule as it is, and the others are rekeyed all the same; but a
 * schedule deleted and not created again stops the rest (the same refusal, a permission say, would delete them all and
 * leave only backups): each of them is reported `not attempted`.
 */
export async function rekeyAllSyncSchedules(client: Client, keys: RekeyKeys, taskQueue: string, rekey: RekeyOptions = {}): Promise<Array<RekeyResult | RekeyFailure>> {
  const results: Array<RekeyResult | RekeyFailure> = [];
  let stoppedAfter: string | undefined;
  for (const row of await listSyncSchedules(client)) {
    if (stoppedAfter !== undefined) {
      results.push({ scheduleId: row.scheduleId, error: new Error(`not attempted: stopped after ${stoppedAfter}`) });
      continue;
    }
    try {
      results.push(await rekeySyncSchedule(client, row.scheduleId, keys, { ...rekey, onlyTaskQueue: taskQueue }));
    } catch (error) {
      results.push({ scheduleId: row.scheduleId, error: error instanceof Error ? error : new Error(String(error)) });
      if (error instanceof RecreateFailedError) {
        stoppedAfter = error instanceof DeleteUncertainError ? `${row.scheduleId}, which may have been deleted and was not created again` : `${row.scheduleId} could not be created again`;
      }
    }
  }
  return results;
}
