import {
  ServiceError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleExecutionResult,
  type ScheduleSpecDescription,
} from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { decodeScheduleRecentActions, decodeScheduleSpec } from '@temporalio/client/lib/schedule-helpers';
import { tsToDate } from '@temporalio/common/lib/time';
import { decodeMapFromPayloads, extstoreInboundOptions, visit, walkListSchedulesResponse } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { defaultScheduleId, describeTiming, SyncScheduleMemoSchema, SYNC_SCHEDULE_WORKFLOW_TYPES, timingFromSpec } from './options';
import { assertSyncWorkflowType, describeSyncScheduleRaw } from './ownership';
import { SyncRunMemoSchema, type ScheduledRun, type SyncScheduleOverview, type SyncScheduleSummaryRow } from './overview';
import { memoKeyIds, UNENCRYPTED } from './key-ids';
import { scheduleInputOf, storedConfigStatus } from './stored-config';
import { grpcCode, isNotFound } from '../errors';

/** Reads schedules and their runs from Temporal into the plain shapes overview.ts formats. */

export function scheduleMemo(memo: Record<string, unknown> | undefined) {
  const parsed = SyncScheduleMemoSchema.safeParse(memo);
  return parsed.success ? parsed.data : undefined;
}

/** The timing from the spec, which `schedule update` changes; schedules of earlier versions said it in their memo. */
export function scheduleTiming(spec: ScheduleSpecDescription | undefined, memo: Record<string, unknown> | undefined): string | undefined {
  const timing = timingFromSpec(spec);
  return timing ? describeTiming(timing) : scheduleMemo(memo)?.timing;
}

function lastRunAt(recentActions: readonly ScheduleExecutionResult[]): Date | undefined {
  return recentActions.at(-1)?.takenAt;
}

type RawScheduleListEntry = temporal.api.schedule.v1.IScheduleListEntry;

/**
 * This connector's schedules in the namespace (others, if any, start other workflow types and are left out). Read
 * through the raw listSchedules, not client.schedule.list(): that decodes every schedule's memo with the connector's
 * codec before any filter, so one schedule of another tool (a plain memo, or one encrypted with another key) made the
 * whole list fail. Rows are filtered on the workflow type first, and a memo is decoded per row: one this codec cannot
 * read leaves the tenant unknown ('?') instead of failing the list.
 *
 * With `currentKeyId`, a row whose memo is encrypted with another key says which (`oldKey`), read from the memo's
 * plain metadata: such a schedule stops working once that key is dropped, until `schedule rekey` encrypts it again.
 */
export async function listSyncSchedules(client: Client, options: { currentKeyId?: string } = {}): Promise<SyncScheduleSummaryRow[]> {
  const rows: SyncScheduleSummaryRow[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const response = await client.workflowService.listSchedules({ namespace: client.options.namespace, ...(nextPageToken ? { nextPageToken } : {}) });
    for (const raw of response.schedules ?? []) {
      if (!SYNC_SCHEDULE_WORKFLOW_TYPES.includes(raw.info?.workflowType?.name ?? '')) continue;
      rows.push({ ...summaryRow(raw, await decodedMemo(client, raw)), ...oldKeyOf(raw, options.currentKeyId) });
    }
    nextPageToken = response.nextPageToken && response.nextPageToken.length > 0 ? response.nextPageToken : undefined;
  } while (nextPageToken);
  return rows.sort((left, right) => left.scheduleId.localeCompare(right.scheduleId));
}

/** The row's memo as client.schedule.list() decodes it (external storage references, then the codec), or undefined when it cannot be read. */
async function decodedMemo(client: Client, raw: RawScheduleListEntry): Promise<Record<string, unknown> | undefined> {
  const converter = client.options.loadedDataConverter;
  try {
    const memo = { fields: { ...raw.memo?.fields } };
    await visit({ schedules: [{ memo }] }, walkListSchedulesResponse, extstoreInboundOptions(converter.externalStorage));
    return await decodeMapFromPayloads(converter, memo.fields);
  } catch {
    return undefined;
  }
}

/** The memo's key ids other than the current one (a plain memo, which no key encrypted, is not marked). */
function oldKeyOf(raw: RawScheduleListEntry, currentKeyId: string | undefined): { oldKey?: string } {
  if (currentKeyId === undefined) return {};
  const old = memoKeyIds(raw.memo?.fields).filter((id) => id !== currentKeyId && id !== UNENCRYPTED);
  return old.length > 0 ? { oldKey: old.join(', ') } : {};
}

function summaryRow(raw: RawScheduleListEntry, memoFields: Record<string, unknown> | undefined): SyncScheduleSummaryRow {
  const memo = scheduleMemo(memoFields);
  const timing = scheduleTiming(decodeScheduleSpec(raw.info?.spec ?? {}), memoFields);
  const last = lastRunAt(decodeScheduleRecentActions(raw.info?.recentActions));
  return {
    scheduleId: raw.scheduleId ?? '',
    ...(memo ? { tenant: memo.tenant } : {}),
    ...(timing !== undefined ? { timing } : {}),
    paused: raw.info?.paused === true,
    ...(raw.info?.notes ? { note: raw.info.notes } : {}),
    nextRunTimes: raw.info?.futureActionTimes?.map((time) => tsToDate(time)) ?? [],
    ...(last ? { lastRunAt: last } : {}),
  };
}

/**
 * The schedule a person means: a schedule ID, or a tenant (its default schedule ID, or the one schedule of that
 * tenant). Several schedules of one tenant are an error that lists them. So is a name that is both a schedule's ID and
 * a tenant whose default schedule (`peakon-sync-<tenant>`) exists, when those are two schedules: tenant beta's schedule
 * created with `--id acme` beside tenant acme's `peakon-sync-acme` must not be changed by `schedule update acme`.
 *
 * A candidate is only taken when it is a sync schedule that name can mean: another tool's schedule under the name (a
 * shared namespace) is passed over, so the tenant's only schedule is still found, and is refused by name only when
 * nothing else is found; `peakon-sync-<name>` whose memo names another tenant (tenant acme's schedule created with
 * `--id peakon-sync-beta`) is not tenant <name>'s default schedule, and is reached by its full ID only.
 */
export async function findSyncSchedule(client: Client, idOrTenant: string): Promise<string> {
  const found: Array<{ scheduleId: string; tenant?: string }> = [];
  const passedOver: Array<{ scheduleId: string; workflowType?: string; tenant?: string }> = [];
  const byDefaultId = defaultScheduleId(idOrTenant);
  for (const scheduleId of new Set([idOrTenant, byDefaultId])) {
    // Raw, as `schedule pause` reads it: a schedule whose memo this codec cannot decode still exists (tenant '?').
    let raw;
    try {
      raw = await client.workflowService.describeSchedule({ namespace: client.options.namespace, scheduleId });
    } catch (error) {
      if (isNotFound(error)) continue;
      throw error;
    }
    const workflowType = raw.schedule?.action?.startWorkflow?.workflowType?.name ?? '';
    if (!SYNC_SCHEDULE_WORKFLOW_TYPES.includes(workflowType)) {
      passedOver.push({ scheduleId, workflowType });
      continue;
    }
    const tenant = scheduleMemo(await decodedMemo(client, { memo: raw.memo ?? null }))?.tenant;
    // A memo this codec cannot read keeps the candidate (tenant '?'), as before: only a tenant known to differ excludes it.
    if (scheduleId === byDefaultId && tenant !== undefined && tenant !== idOrTenant) {
      passedOver.push({ scheduleId, tenant });
      continue;
    }
    found.push({ scheduleId, ...(tenant !== undefined ? { tenant } : {}) });
  }
  const [first, second] = found;
  if (first !== undefined && second !== undefined) throw new Error(ambiguousScheduleMessage(idOrTenant, first, second));
  if (first !== undefined) return first.scheduleId;
  // The list reads the visibility store, a second or so behind; a schedule just created is found by its ID above.
  const ofTenant = (await listSyncSchedules(client)).filter((row) => row.tenant === idOrTenant).map((row) => row.scheduleId);
  const [only] = ofTenant;
  if (only !== undefined && ofTenant.length === 1) return only;
  if (ofTenant.length > 1) throw new Error(`tenant ${idOrTenant} has ${ofTenant.length} schedules (${ofTenant.join(', ')}): name one by its ID`);
  // Nothing of ours by that name: another tool's schedule under it is refused as every schedule command refuses it.
  for (const other of passedOver) if (other.workflowType !== undefined) assertSyncWorkflowType(other.scheduleId, other.workflowType);
  const otherTenant = passedOver.find((other) => other.tenant !== undefined);
  const hint = otherTenant ? ` (schedule ${otherTenant.scheduleId} is tenant ${otherTenant.tenant ?? '?'}'s: name it by that full ID)` : '';
  throw new Error(`no schedule ${idOrTenant}, and no schedule of a tenant ${idOrTenant}${hint}: see peakon-sync schedule list`);
}

/** Why `idOrTenant` names two schedules (its ID, and the default schedule of a tenant of that name), and how to name one. */
function ambiguousScheduleMessage(idOrTenant: string, byId: { scheduleId: string; tenant?: string }, byTenant: { scheduleId: string; tenant?: string }): string {
  const which = (found: { scheduleId: string; tenant?: string }): string => `${found.scheduleId} (tenant ${found.tenant ?? '?'})`;
  const otherTenant = byId.tenant !== undefined && byId.tenant !== idOrTenant ? `; schedule ${byId.scheduleId} by its tenant, ${byId.tenant}, when that is its only schedule` : '';
  return (
    `${idOrTenant} names two schedules: ${which(byId)}, whose ID it is, and ${which(byTenant)}, the default schedule of a tenant ${idOrTenant}; nothing was changed. ` +
    `Name the one you mean by an ID that is not ambiguous: schedule ${byTenant.scheduleId} by its ID${otherTenant} (see peakon-sync schedule list)`
  );
}

/**
 * A run's Temporal status and the sync's own outcome (from the memo the workflow keeps current). A memo this codec
 * cannot decode (encrypted with a key no longer configured) leaves that run's status, marked `memoUnreadable` with the
 * codec's reason (which names the key), rather than failing the whole describe, as `peakon-sync runs` lists it.
 */
async function runState(client: Client, workflowId: string, runId: string): Promise<Pick<ScheduledRun, 'execution' | 'outcome' | 'memoUnreadable'>> {
  try {
    const description = await client.workflow.getHandle(workflowId, runId).describe();
    const outcome = SyncRunMemoSchema.safeParse(description.memo);
    return { execution: description.status.name, ...(outcome.success ? { outcome: outcome.data } : {}) };
  } catch (error) {
    // Closed runs disappear after the namespace's retention period; the schedule still remembers them.
    if (error instanceof WorkflowNotFoundError) return { execution: 'NOT_FOUND' };
    // The server's own errors stand; anything else failed in decoding the answer: read it again without its memo.
    if (error instanceof ServiceError) throw error;
    const namespace = client.options.namespace;
    const raw = await client.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId, runId } });
    const info = await executionInfoFromRaw({ ...raw.workflowExecutionInfo, memo: null }, client.options.loadedDataConverter, raw, namespace);
    return { execution: info.status.name, memoUnreadable: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The schedule's runs that are still running. The server tracks them itself only under overlap policies that need them,
 * not under ALLOW_ALL, so visibility is asked too (`TemporalScheduledById`, set on every run a schedule starts; a
 * second or so behind). A visibility store that cannot answer leaves the server's own list.
 */
async function runningRuns(client: Client, scheduleId: string, description: ScheduleDescription): Promise<Array<{ workflowId: string; runId: string }>> {
  const runs = new Map(description.info.runningActions.map(({ workflow }) => [workflow.firstExecutionRunId, workflow.workflowId]));
  // A double-quoted literal with JSON's escapes is a string in Temporal's list filter, whatever the ID holds.
  const query = `TemporalScheduledById = ${JSON.stringify(scheduleId)} AND ExecutionStatus = 'Running'`;
  try {
    // Raw: only the IDs are read, and client.workflow.list() decodes every memo, so one run under a key no longer
    // configured failed the whole describe (runState shows such a run as memo unreadable).
    let nextPageToken: Uint8Array | undefined;
    do {
      const response = await client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query, ...(nextPageToken ? { nextPageToken } : {}) });
      for (const { execution } of response.executions ?? []) if (execution?.runId && execution.workflowId) runs.set(execution.runId, execution.workflowId);
      nextPageToken = response.nextPageToken && response.nextPageToken.length > 0 ? response.nextPageToken : undefined;
    } while (nextPageToken);
  } catch (error) {
    if (grpcCode(error) === undefined) throw error;
  }
  return [...runs].map(([runId, workflowId]) => ({ workflowId, runId }));
}

async function inspectRun(client: Client, action: ScheduleExecutionResult): Promise<ScheduledRun> {
  const { workflowId, firstExecutionRunId } = action.action.workflow;
  return { workflowId, runId: firstExecutionRunId, scheduledAt: action.scheduledAt, startedAt: action.takenAt, ...(await runState(client, workflowId, firstExecutionRunId)) };
}

export async function describeSyncSchedule(client: Client, scheduleId: string): Promise<SyncScheduleOverview> {
  // Another tool's schedule (or none) is refused as by every schedule command (ownership.ts), before anything of it is
  // decoded: it is not shown as a sync schedule.
  await describeSyncScheduleRaw(client, scheduleId);
  const description: ScheduleDescription = await client.schedule.getHandle(scheduleId).describe();
  const memo = scheduleMemo(description.memo);
  const timing = scheduleTiming(description.spec, description.memo);
  const last = lastRunAt(description.info.recentActions);
  const input = scheduleInputOf(description.action);
  const recentRuns = await Promise.all(description.info.recentActions.map((action) => inspectRun(client, action)));
  // Every due time starts a run (overlap ALLOW_ALL), so a run held for approval for hours drops out of the ten recent
  // actions Temporal keeps, behind the runs that found its lock held: running runs are inspected too.
  const running = await runningRuns(client, scheduleId, description);
  const recentIds = new Set(recentRuns.map((run) => run.runId));
  const olderRunning = await Promise.all(running.filter((run) => !recentIds.has(run.runId)).map(async (run) => ({ workflowId: run.workflowId, ...(await runState(client, run.workflowId, run.runId)) })));
  const waiting = [...recentRuns, ...olderRunning].find((run) => run.execution === 'RUNNING' && run.outcome?.status === 'awaiting_approval');
  return {
    scheduleId,
    ...(memo ? { tenant: memo.tenant } : {}),
    ...(timing !== undefined ? { timing } : {}),
    paused: description.state.paused,
    ...(description.state.note ? { note: description.state.note } : {}),
    nextRunTimes: description.info.nextActionTimes,
    ...(last ? { lastRunAt: last } : {}),
    ...(description.action.taskQueue ? { taskQueue: description.action.taskQueue } : {}),
    ...(description.action.workflowId ? { workflowIdPrefix: description.action.workflowId } : {}),
    ...(input ? { storedConfig: storedConfigStatus(input) } : {}),
    overlapPolicy: description.policies.overlap ?? 'UNSPECIFIED',
    catchupWindowMs: description.policies.catchupWindow,
    actionsTaken: description.info.numActionsTaken,
    skippedBecauseStillRunning: description.info.numActionsSkippedOverlap,
    missedCatchupWindow: description.info.numActionsMissedCatchupWindow,
    running: running.map((run) => run.workflowId),
    ...(waiting ? { awaitingApproval: { workflowId: waiting.workflowId, leavers: waiting.outcome?.awaitingApproval?.leavers ?? 0, ...(waiting.outcome?.awaitingApproval?.reason ? { reason: waiting.outcome.awaitingApproval.reason } : {}) } } : {}),
    recentRuns,
  };
}
