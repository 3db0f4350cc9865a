import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  condition,
  defineQuery,
  defineUpdate,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxySinks,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import type { PlanFailureSpend, PlanResult } from '../activities/plan';
import type { ReportEntry } from '../activities/report';
import type { ConnectorConfig } from '../config/schema';
import { planLine, PREVIEW_PAGE } from '../sync/employee-report';
import { createStepsOfWave, createWorkOfSteps, leaverSteps, missingPeople, updateSteps, updateWorkOfSteps, type CreateStep, type UpdateStep } from '../sync/phases';
import type { LightPlanEntry, PlanEntry } from '../sync/plan';
import { addCounts, appendCapped, emptyReport, REPORT_FAILURE_CAP, WARNING_CAP, type FailureLine, type LeaversSummary, type PartitionSummary, type SyncReport, type SyncStatus } from '../sync/report';
import { activityFailureText } from '../sync/failure-text';
import { withTuningDefaults, type RunTuning } from '../sync/settings';
import type { EmployeeOutcome, SyncPhase, UpdateMethod } from '../sync/types';
import { planActivityOptions, reportActivityOptions } from './activity-options';
import { partitionWorkflowId, planTaskQueue, scimTaskQueue, tenantLockWorkflowId } from './ids';
import { holdTenantLock } from './lock';
import { DEFAULT_RATE_LIMIT_WAIT_MS, rateLimitPatience } from './employee';
import { employeesIn, PARTITION_RETURNS_WHEN_CANCELLED_PATCH, syncPartitionWorkflow, type PartitionWork } from './partition';
import { partitionsOfPhase, phaseOnePartitions, type PartitionsOf } from './partition-sizes';
import { SYNC_STATUS_SEARCH_ATTRIBUTE } from './search-attributes';
import type { ConnectorSinks } from './sinks';
import { slidingWindow } from './window';

export interface SyncWorkflowInput {
  /** The parsed connector config. It names secrets (`{ env }`/`{ file }`) but never contains them. */
  config: ConnectorConfig;
  tuning?: Partial<RunTuning>;
  /** Plan only: read, map, compare, and write nothing. */
  dryRun?: boolean;
  /** Sync this one employee (matching-key value), like "provision on demand". */
  employeeKey?: string;
  /** "Today" for termination dates (YYYY-MM-DD); default: the day the run started, in `leavers.timeZone`. */
  asOf?: string;
}

/** Leaver writes the guard holds until a person decides (`peakon-sync approve|reject <run>`). */
export interface AwaitingApproval {
  leavers: number;
  /** The first few held employees (email or employee number), for the person who decides. */
  preview: string[];
  reason: string;
  /** When the held writes are dropped if nobody decides (ISO time). */
  deadline: string;
}

/**
 * How the leaver phase of an approved run ended: `completed` when every held write ran; otherwise why the run stopped
 * before they all had (quarantined by Peakon's refusal or the circuit breaker, cancelled, its tenant lock lost, or a
 * partition of leaver writes failed).
 */
export type LeaverPhaseEnd = 'completed' | 'quarantined' | 'cancelled' | 'lock lost' | 'failed';

export interface LeaverDecisionResult {
  decision: 'approved' | 'rejected';
  /** Leavers the decision covered. */
  leavers: number;
  /**
   * After an approval: what the leaver writes did (theirs only). Answers of runs whose workflow code predates
   * `leaverPhase` gave the whole run's counts, and as `failed` the whole run's failures.
   */
  deactivated: number;
  deleted: number;
  failed: number;
  /** After an approval: how the leaver phase ended. Absent from answers of runs whose code predates it. */
  leaverPhase?: LeaverPhaseEnd;
  /**
   * After an approval: held leaver writes that finished (deactivated, deleted, failed, or nothing to do); the others
   * were not written, or were cut off mid-write, when the phase stopped early. Counted from what the run was told: the
   * writes of a partition that failed are not.
   */
  finished?: number;
  /** After an approval: the failures of the whole run, the leaver writes' included. */
  runFailures?: number;
}

/** Applies exactly the held leaver writes; answers when they are done. Refused when the run holds nothing. */
export const approveLeaversUpdate = defineUpdate<LeaverDecisionResult>('approveLeavers');
/** Drops the held leaver writes. */
export const rejectLeaversUpdate = defineUpdate<LeaverDecisionResult>('rejectLeavers');

/** How many held employees the progress query, the memo and the report name. */
const HELD_PREVIEW = 10;

export interface SyncProgress {
  phase: 'locking' | 'planning' | SyncPhase | 'awaiting approval' | 'leavers' | 'done';
  /** Phase 1 runs in waves (managers before their reports): the current one, and how many there are. */
  wave: number;
  waves: number;
  partitionsDone: number;
  partitionsTotal: number;
  /** Employees of the current phase in finished partitions (running partitions answer their own query). */
  employeesDone: number;
  employeesTotal: number;
  /** Partitions of the current phase in flight: the client queries each (by workflow ID) for finer progress. */
  runningPartitions: string[];
  /** Employees phase 2 may still update, for the time-left estimate during phase 1. */
  updateWorkTotal: number;
  failures: number;
  operations: number;
  operationsPerHour: number;
  /** Set while leaver writes wait for a person's approval. */
  awaitingApproval?: AwaitingApproval;
}

export const syncProgressQuery = defineQuery<SyncProgress>('progress');

/** One leaver write the guard holds: whom it concerns and what it does. */
export interface HeldLeaver {
  /** The employee's matching key (email or employee number). */
  employeeKey: string;
  peakonUserId?: string;
  action: 'deactivate' | 'delete';
}

/**
 * Every leaver write the guard holds (the progress query, the memo and the report name only the first few), with why,
 * until when, and once known, the decision. `held` is 0 while the run holds none (before its leaver phase, or never).
 * A query's answer goes through the codec and never enters history, so it may name people; the memo may not.
 */
export interface HeldLeavers {
  held: number;
  leavers: HeldLeaver[];
  reason?: string;
  /** When the held writes are dropped if nobody decides (ISO time). */
  deadline?: string;
  decision?: 'approved' | 'rejected' | 'timed out' | 'cancelled';
}

/** A page of the held list: a query's answer is one payload (at most 2 MB), and a hold may name tens of thousands. */
export interface HeldLeaversPage {
  offset: number;
  limit: number;
}

/** The most leavers one answer names (about 100 bytes each: far below a payload's 2 MB). */
export const HELD_LEAVERS_PAGE_MAX = 2_000;

export const heldLeaversQuery = defineQuery<HeldLeavers, [HeldLeaversPage?]>('heldLeavers');


/**
 * One sync of one tenant, following Peakon's connector guide: plan (read HR system and tenant), phase 1 creates
 * (discover, create if absent) wave by wave, managers before their reports, each create carrying every attribute that
 * already resolves; then, only after every create, phase 2 writes what creates could not carry and the changes of
 * people already in Peakon. Each phase fans out to partition children, which fan out to per-employee children. The
 * run's data travels as encrypted payloads (large ones in the payload store), never through a shared folder.
 */
export async function syncTenantWorkflow(input: SyncWorkflowInput): Promise<SyncReport> {
  const { config } = input;
  const info = workflowInfo();
  const tuning = withTuningDefaults(input.tuning);
  const updateMethod = config.sync.updateMethod ?? 'patch';
  const run = { tenant: config.tenant, runId: info.workflowId };
  const report: SyncReport = emptyReport({ tenant: config.tenant, runId: run.runId, status: 'running', dryRun: input.dryRun ?? false });
  const progress: SyncProgress = { phase: 'locking', wave: 0, waves: 0, partitionsDone: 0, partitionsTotal: 0, employeesDone: 0, employeesTotal: 0, runningPartitions: [], updateWorkTotal: 0, failures: 0, operations: 0, operationsPerHour: config.peakon.operationsPerHour };
  setHandler(syncProgressQuery, () => ({ ...progress, runningPartitions: [...progress.runningPartitions], failures: report.failuresTotal, operations: report.operations }));
  // The guard's state: leaver writes held for a person's decision, and that decision.
  /** How many leaver writes the guard holds (undefined: none held). */
  let held: number | undefined;
  let decision: LeaverDecisionResult['decision'] | 'timed out' | 'cancelled' | undefined;
  /** The guard's held writes, in full, for `status --held` (set when the guard holds them). */
  let heldList: Omit<HeldLeavers, 'decision'> | undefined;
  // A query handler adds no command: runs recorded before it replay unchanged.
  setHandler(heldLeaversQuery, (page?: HeldLeaversPage): HeldLeavers => {
    if (!heldList) return { held: 0, leavers: [] };
    // A query's argument is outside input: an offset or limit that is not a sensible number is read as the first page.
    const offset = Number.isInteger(page?.offset) && (page?.offset ?? 0) >= 0 ? (page?.offset ?? 0) : 0;
    const limit = Math.min(HELD_LEAVERS_PAGE_MAX, Number.isInteger(page?.limit) && (page?.limit ?? 0) > 0 ? (page?.limit ?? HELD_LEAVERS_PAGE_MAX) : HELD_LEAVERS_PAGE_MAX);
    return { ...heldList, leavers: heldList.leavers.slice(offset, offset + limit), ...(decision !== undefined ? { decision } : {}) };
  });
  const publish = (status: SyncStatus, memo: Record<string, unknown> = {}) => {
    report.status = status;
    // The budget and whether the run writes at all: what a worker's sweep needs to poll the tenant's SCIM queue at the
    // run's rate (worker/running-syncs.ts), without asking the run. Neither is personal data.
    upsertMemo({ tenant: config.tenant, operationsPerHour: config.peakon.operationsPerHour, ...(input.dryRun ? { dryRun: true } : {}), status, counts: report.counts, failures: report.failuresTotal, operations: report.operations, ...memo });
    // Search attributes exist only where they were registered; the starter sets them only then.
    if (info.typedSearchAttributes.get(SYNC_STATUS_SEARCH_ATTRIBUTE) !== undefined) upsertSearchAttributes([{ key: SYNC_STATUS_SEARCH_ATTRIBUTE, value: status }]);
  };
  publish('running');

  // A dry run writes nothing, so it may run beside a real sync.
  const lock = input.dryRun ? undefined : await holdTenantLock(config.tenant, run.runId, tuning.lockLeaseMs, keepScimQueuePolled(info.taskQueue, config));
  if (lock === 'held-elsewhere') {
    // The lock's ID, not the holder's: finding the holder takes a read the workflow does not make, and `status` on the
    // lock's ID names it and follows it (client/commands/status.ts, lockHolderFromDescription).
    const lockId = tenantLockWorkflowId(config.tenant);
    report.message = `another sync of tenant ${config.tenant} is running (lock ${lockId}); this run did nothing (see which run holds it and follow it: peakon-sync status '${lockId}')`;
    publish('skipped');
    return report;
  }
  let plan: PlanResult | undefined;
  const outcomes: EmployeeOutcome[] = [];
  const created = new Map<string, EmployeeOutcome>();
  const laterWarnings: Record<string, string[]> = {};
  const { writeRunReport } = proxyActivities<SyncActivities>(reportActivityOptions(tuning));
  /** Why the tenant lock was lost, once it is: another sync of the tenant may hold it now, so this run stops. */
  let lockLost: string | undefined;
  /**
   * A cancel (of the run, or of one of its partitions) seen by the partition window: partitions in flight then return
   * what their employees finished, and `partitions` counts those that stopped early.
   */
  const stopped = { run: false, partitions: 0 };
  /** The first partition that failed; the run fails after the others in flight, with its report. */
  let failedPartition: { workflowId: string; error: unknown } | undefined;
  /** Set once the run writes its report: a lock lost then has nothing left to stop. */
  let finishing = false;
  const finish = async (status: SyncStatus) => {
    finishing = true;
    if (plan?.trace) report.trace = [...plan.trace, `result: ${resultLine(report)}`];
    // The guard's decision on held writes, in counts and words (no one named): `schedule describe` and alerts read it.
    const guard = held !== undefined && decision !== undefined ? { leavers: { held, decision } } : {};
    publish(status, report.leavers ? { awaitingApproval: null, ...guard } : {});
    const entries: ReportEntry[] = (plan?.entries ?? []).map(reportEntryOf);
    // Who the run created (and deleted) is recorded even when it lost its tenant lock: otherwise a person it created and
    // HR then removed before the next whole-tenant run would be "not owned" and stay active in Peakon for good. Safe
    // without the lock: a ledger write is a compare-and-swap that only adds those ids to (and removes those it deleted
    // from) the ledger as it is then, so it cannot undo what the run now holding the tenant recorded meanwhile. Its HR
    // read's size (`completeRead`, the baseline of the guard's shrink check) is left out: a run that lost its lock did
    // not complete, and another run may have recorded a newer read since. Only an activity's input changes: the commands
    // stay the same, and histories recorded before this replay unchanged.
    const change = ownershipChange(report, outcomes, input.employeeKey === undefined);
    const ownership = lockLost === undefined ? change : { owned: change.owned, deleted: change.deleted };
    const write = () => writeRunReport({ run, report, entries, ...(plan?.stored ? { stored: plan.stored } : {}), outcomes, warnings: laterWarnings, problems: plan?.problems ?? [], ownership });
    // The outcome is decided: a cancel that comes while it is being written must not stop the write and start a second
    // one saying `cancelled` (see REPORT_OUTLIVES_CANCEL_PATCH). One that came before (the lock lost, or an operator's
    // cancel, in the same activation as the last partition's result) is still the run's end: the write is then
    // cancelled at once and the run reports `lock_lost` or `cancelled`, as before.
    const shielded = patched(REPORT_OUTLIVES_CANCEL_PATCH) && !CancellationScope.current().consideredCancelled;
    report.reportPath = await (shielded ? CancellationScope.nonCancellable(write) : write());
    return report;
  };
  // The guard's state (held, decision: declared with the query that reads them, above).
  let leaversDone = false;
  /** Why the leaver phase stopped before every leaver write had run, when it did. */
  let leaversStopped: Exclude<LeaverPhaseEnd, 'completed'> | undefined;
  const decide = (verdict: LeaverDecisionResult['decision']) => async (): Promise<LeaverDecisionResult> => {
    decision = verdict;
    const leavers = held ?? 0;
    // Held writes wait for the decision, after every create and update: what changes from here is the leaver writes'.
    const before = { deactivated: report.counts.deactivated, deleted: report.counts.deleted, failures: report.failuresTotal, outcomes: outcomes.length };
    try {
      await condition(() => leaversDone);
    } catch (error) {
      // A cancel of the run stops the leaver writes; the approver is then told what they did instead of "cancelled".
      // Runs that failed the update on a cancel before this change replay without the marker and fail it again.
      if (!isCancellation(error) || !patched(APPROVAL_ANSWERED_AFTER_CANCEL_PATCH)) throw error;
      await CancellationScope.nonCancellable(() => condition(() => leaversDone));
    }
    // The run's decision is not this one (the deadline overwrote it, as runs recorded before APPROVAL_BEATS_TIMEOUT_PATCH
    // could): say so, rather than answer with a verdict the run did not act on (`approve` then prints the reason and
    // exits 1). Runs with the fix never reach it unless a later change lets the decision move again; runs recorded
    // before it answered with the verdict, and replay so (their history has no marker).
    if (decision !== verdict && patched(APPROVAL_BEATS_TIMEOUT_PATCH)) {
      throw ApplicationFailure.create({ type: 'LeaverDecisionOverridden', nonRetryable: true, message: `the leaver writes held by run ${run.runId} were ${decision ?? 'not decided'} before this ${verdict === 'approved' ? 'approval' : 'rejection'} took effect: none of them was written` });
    }
    if (verdict === 'rejected') return { decision: verdict, leavers, deactivated: 0, deleted: 0, failed: 0 };
    return {
      decision: verdict,
      leavers,
      deactivated: report.counts.deactivated - before.deactivated,
      deleted: report.counts.deleted - before.deleted,
      failed: report.failuresTotal - before.failures,
      leaverPhase: leaversStopped ?? 'completed',
      finished: outcomes.length - before.outcomes,
      runFailures: report.failuresTotal,
    };
  };
  const validateDecision = () => {
    if (held === undefined) throw new Error(`run ${run.runId} holds no leaver writes for approval`);
    if (decision !== undefined) throw new Error(`the leaver writes held by run ${run.runId} were already ${decision}`);
  };
  setHandler(approveLeaversUpdate, decide('approved'), { validator: validateDecision });
  setHandler(rejectLeaversUpdate, decide('rejected'), { validator: validateDecision });
  const completed = () => finish(report.failuresTotal > 0 ? 'completed_with_failures' : 'completed');
  // A run that fails after finish() published its outcome (its report could not be written) must not keep showing it.
  // Runs that failed so before this change published nothing more; replayed, they still do not.
  const publishFailedAfterFinish = () => {
    if (report.status !== 'failed' && patched(PUBLISH_FAILED_AFTER_FINISH_PATCH)) publish('failed');
  };
  /** The end of a cancelled or quarantined run, which fails like any other if its report cannot be written. */
  const finishOrFail = async (finishing: () => Promise<SyncReport>): Promise<SyncReport> => {
    try {
      return await finishing();
    } catch (error) {
      publishFailedAfterFinish();
      // Its failure still says how the run ended (a failed partition, a cancel, the lock lost, Peakon's refusal) and
      // carries its counts: the report that would have said so is what failed.
      throw runFailure(error, plan !== undefined ? report : undefined, report.message);
    }
  };
  // The run's work, in a scope of its own: when the tenant lock is lost, the scope is cancelled (below), as an operator's
  // cancel would, while the report and the lock's release still run.
  const work = new CancellationScope();
  if (lock) {
    lock.onLost((why) => {
      if (finishing || lockLost !== undefined) return;
      // A run that lost its lock before this change went on writing; its history replays down that path.
      if (!patched(STOP_WHEN_LOCK_LOST_PATCH)) return;
      log.warn('the tenant lock was lost: the run stops', { tenant: config.tenant, why });
      lockLost = why;
      work.cancel();
    });
  }
  try {
    return await work.run(async () => {
      progress.phase = 'planning';
      const { planSync } = proxyActivities<SyncActivities>(planActivityOptions(tuning, planTaskQueue(info.taskQueue)));
      const planInput = { run, config, ...(input.employeeKey !== undefined ? { employeeKey: input.employeeKey } : {}), dryRun: input.dryRun ?? false, startedAt: info.startTime.toISOString(), ...(input.asOf !== undefined ? { asOf: input.asOf } : {}), storedPlan: true };
      plan = await planWaitingOutRateLimits(() => planSync(planInput), (operations) => (report.operations += operations));
      const { entries } = plan;
      applyPlan(report, plan);
      // Built once: a find per warning is quadratic, and thousands of dropped references in a 50,000 plan would push
      // the workflow task past its timeout.
      let keyOfRef: Map<string, string> | undefined;
      const noteWarnings = (warnings: Map<string, string[]>) => {
        for (const [ref, lines] of warnings) {
          laterWarnings[ref] = [...(laterWarnings[ref] ?? []), ...lines];
          keyOfRef ??= new Map(entries.map((entry) => [entry.ref, entry.employeeKey]));
          const key = keyOfRef.get(ref) ?? ref;
          appendCapped(report.warnings, lines.map((line) => `${key}: ${line}`), WARNING_CAP);
        }
      };
      if (input.dryRun) {
        report.plan = plan.stored ? (plan.preview ?? []) : plan.entries.slice(0, PREVIEW_PAGE).map(planLine);
        return await completed();
      }
      // Partition sizes keep every partition slot busy and a phase to at most MAX_PARTITIONS_PER_PHASE partitions
      // (workflows/partition-sizes.ts); phase 1 counts its waves together.
      const partitionsOf: PartitionsOf = (work) => partitionsOfPhase(work, config.sync);
      /** Runs one phase's (or wave's) partitions; false when the circuit breaker stopped the run. */
      const runPartitions = async (phase: SyncPhase | 'leave', wave: number, partitions: PartitionWork[]): Promise<boolean> => {
        progress.partitionsTotal += partitions.length;
        await slidingWindow(partitions.map((work, index) => ({ work, index })), config.sync.maxConcurrentPartitions, async ({ work, index }) => {
          const workflowId = partitionWorkflowId(run.runId, phase, wave, index);
          progress.runningPartitions.push(workflowId);
          let result;
          try {
            result = await executeChild(syncPartitionWorkflow, {
              workflowId,
              args: [{ run, peakon: config.peakon, tuning, updateMethod, partition: index, maxConcurrentEmployees: config.sync.maxConcurrentEmployees, work }],
            });
          } catch (error) {
            if (!isCancellation(error)) {
              // A partition failed (terminated, timed out, its work could not be loaded): the others in flight finish,
              // and the run then fails with a report and the ownership of what they did. A run recorded before this
              // change failed at once, without either.
              if (!patched(PARTITION_FAILURE_REPORTED_PATCH)) throw error;
              failedPartition ??= { workflowId, error };
              progress.runningPartitions = progress.runningPartitions.filter((running) => running !== workflowId);
              return;
            }
            // Cancelled (the run, or this partition): wait for the partitions still in flight, which return what they
            // finished, before the report. A run recorded before this change went to its report at once.
            if (!patched(PARTITION_RETURNS_WHEN_CANCELLED_PATCH)) throw error;
            // One cancelled before it started has nothing to return; one that ended cancelled had started no employee.
            stopped.partitions += error instanceof ChildWorkflowFailure ? 1 : 0;
            stopped.run = true;
            progress.runningPartitions = progress.runningPartitions.filter((running) => running !== workflowId);
            return;
          }
          applyPartition(report, result.summary);
          for (const outcome of result.outcomes) {
            outcomes.push(outcome);
            if (outcome.phase === 'create') created.set(outcome.ref, outcome);
          }
          // The same marker: a run recorded before it continued its window after a partition's partial result.
          if (result.cancelled && patched(PARTITION_RETURNS_WHEN_CANCELLED_PATCH)) {
            stopped.partitions += 1;
            stopped.run = true;
          }
          progress.runningPartitions = progress.runningPartitions.filter((running) => running !== workflowId);
          progress.partitionsDone += 1;
          progress.employeesDone += employeesIn(work);
        }, () => report.message !== undefined || stopped.run || failedPartition !== undefined);
        if (stopped.run) throw new CancelledFailure(`${stopped.partitions} partition(s) of ${phase} stopped by a cancel`);
        if (failedPartition) throw failedPartition.error;
        return report.message === undefined;
      };

      const phaseOneEntries = entries.filter((entry) => entry.create);
      const partitionsOfWave = phaseOnePartitions(phaseOneEntries, plan.waves, config.sync);
      Object.assign(progress, { phase: 'create', waves: plan.waves, partitionsDone: 0, partitionsTotal: 0, employeesDone: 0, employeesTotal: phaseOneEntries.length, updateWorkTotal: entries.filter((entry) => entry.action === 'update' || entry.deferredReferences).length });
      // Someone filter discovery found under another email is renamed only by phase 2: references to the new email wait
      // for the next run. A run recorded before this change sent them (asked only when there is such a person).
      const renamed = () => patched(RENAMED_BY_FOUND_UPDATE_REFERENCES_WAIT_PATCH);
      for (let wave = 0; wave < plan.waves; wave += 1) {
        progress.wave = wave;
        const { steps, warnings } = createStepsOfWave(entries, wave, missingPeople(entries, created, wave, { renamed }));
        noteWarnings(warnings);
        if (!(await runPartitions('create', wave, createPartitions(plan, wave, steps, partitionsOfWave(wave))))) return await finish('quarantined');
      }
      const phaseTwo = updateSteps(entries, created, missingPeople(entries, created, undefined, { renamed }), { dropFromFound: () => patched(FOUND_UPDATE_DROPS_MISSING_REFERENCES_PATCH) });
      noteWarnings(phaseTwo.warnings);
      Object.assign(progress, { phase: 'update', wave: 0, partitionsDone: 0, partitionsTotal: 0, employeesDone: 0, employeesTotal: phaseTwo.steps.length, updateWorkTotal: phaseTwo.steps.length });
      if (!(await runPartitions('update', 0, updatePartitions(plan, phaseTwo.steps, updateMethod, partitionsOf)))) return await finish('quarantined');

      // Leavers last, after every create and update, and behind the guard.
      const leaverWork = leaverSteps(entries);
      const leaverEntries = entries.filter((entry) => entry.update?.leaver);
      const leavers = report.leavers;
      if (leavers && leaverWork.length > 0) {
        let apply = true;
        if (leavers.held) {
          held = leaverWork.length;
          const timeoutMs = config.leavers?.guard.timeout ?? DEFAULT_GUARD_TIMEOUT_MS;
          const awaiting: AwaitingApproval = { leavers: leaverWork.length, preview: leaverEntries.slice(0, HELD_PREVIEW).map((entry) => entry.employeeKey), reason: leavers.heldReason ?? 'guard', deadline: new Date(Date.now() + timeoutMs).toISOString() };
          leavers.heldPreview = awaiting.preview;
          heldList = { held: leaverWork.length, leavers: leaverEntries.map(heldLeaverOf), reason: awaiting.reason, deadline: awaiting.deadline };
          Object.assign(progress, { phase: 'awaiting approval', awaitingApproval: awaiting });
          // The memo names employees by ref only: it is shown in plain text wherever the codec does not reach.
          publish('awaiting_approval', { awaitingApproval: { leavers: awaiting.leavers, refs: leaverEntries.slice(0, HELD_PREVIEW).map((entry) => entry.ref), reason: awaiting.reason, deadline: awaiting.deadline, approve: `peakon-sync approve ${run.runId}`, reject: `peakon-sync reject ${run.runId}` } });
          // Days of waiting at the run's lease would fill its history with renewals: the lock is renewed less often.
          lock?.stretchLease(tuning.awaitingApprovalLeaseMs);
          // The deadline drops the held writes only if nobody decided: an approval accepted in the workflow task that
          // also saw the deadline's timer must not be overwritten after its handler took it (the approver would be told
          // "approved" while nothing is written). Today's SDK runs an update's handler before a timer's resolution in
          // one activation, so the condition wins that race and this never changes a run; it keeps the decision should
          // that order ever change. Runs recorded before this change overwrote it; replayed, they still do.
          if (!(await condition(() => decision !== undefined, timeoutMs)) && (decision === undefined || !patched(APPROVAL_BEATS_TIMEOUT_PATCH))) decision = 'timed out';
          lock?.stretchLease(undefined);
          leavers.decision = decision;
          apply = decision === 'approved';
          delete progress.awaitingApproval;
          publish('running', { awaitingApproval: null });
          if (!apply) report.message = decision === 'timed out' ? `${leaverWork.length} leaver write(s) held by the guard were dropped: nobody approved them within ${Math.round(timeoutMs / 60_000)} min` : `${leaverWork.length} leaver write(s) held by the guard were rejected`;
        } else leavers.decision = 'not needed';
        if (apply) {
          Object.assign(progress, { phase: 'leavers', partitionsDone: 0, partitionsTotal: 0, employeesDone: 0, employeesTotal: leaverWork.length });
          const completedLeavers = await runPartitions('leave', 0, updatePartitions(plan, leaverWork, updateMethod, partitionsOf));
          if (!completedLeavers) leaversStopped = 'quarantined';
          leaversDone = true;
          if (!completedLeavers) return await finish('quarantined');
        }
      }
      leaversDone = true;
      progress.phase = 'done';
      return await completed();
    });
  } catch (error) {
    if (isCancellation(error)) {
      // Runs recorded before partitions returned what they finished went to the report with their partitions in flight.
      const partitionsStopped = () => (stopped.run ? stopped.partitions : progress.runningPartitions.length);
      // A cancel that came while the run waited for its partitions after one had failed: the failure is said too.
      const failedBefore = () => (failedPartition ? `; before that, partition ${failedPartition.workflowId} had failed (${failureText(failedPartition.error)})` : '');
      // Cancelled by an operator (`peakon-sync cancel`), or stopped because the tenant lock was lost: what finished is
      // reported, nothing more is started, and partitions in flight are cancelled with their employees (writes already
      // sent finish; an employee not yet written is left to the next sync, like after a cancel).
      return await finishOrFail(() => CancellationScope.nonCancellable(() => {
        if (held && decision === undefined && report.leavers) report.leavers.decision = decision = 'cancelled';
        if (!leaversDone) leaversStopped = lockLost !== undefined ? 'lock lost' : 'cancelled';
        leaversDone = true;
        if (lockLost !== undefined) {
          report.message = `stopped during ${progress.phase}: ${lockLost}. Another sync of the tenant may be running, so this run started nothing more and stopped its ${partitionsStopped()} partition(s) in flight (their employees may be partly written; the next sync completes them); it recorded whom it created or deleted in the ownership ledger, but not its HR read${failedBefore()}`;
          return finish('lock_lost');
        }
        report.message = `cancelled during ${progress.phase}; ${partitionsStopped()} partition(s) in flight were stopped (employees they had finished are counted; one stopped mid-write may be partly written; the next sync completes it)${failedBefore()}`;
        return finish('cancelled');
      }));
    }
    if (failedPartition !== undefined && error === failedPartition.error) {
      // The run fails, but says so in a report first, and records who it created: they are leavers when they go.
      const { workflowId } = failedPartition;
      report.message = `failed during ${progress.phase}: partition ${workflowId} failed (${failureText(error)}); the partitions in flight finished and are counted, nothing more was started, and the next sync redoes the rest`;
      await finishOrFail(() => CancellationScope.nonCancellable(() => {
        if (!leaversDone) leaversStopped = 'failed';
        leaversDone = true;
        return finish('failed');
      }));
      // The run's failure says what its report says (which partition, why, what finished), not the SDK's "Child
      // Workflow execution failed": `sync --wait` and `status` print it. Only the failure's words differ from runs
      // before this change; replay compares commands, not a failure's message.
      throw ApplicationFailure.create({ type: 'PartitionFailed', nonRetryable: true, message: `${report.message}${report.reportPath ? ` (report: ${report.reportPath})` : ''}`, details: [failedRunCounts(report)] });
    }
    const cause = error instanceof ActivityFailure ? error.cause : undefined;
    if (cause instanceof ApplicationFailure && QUARANTINE_TYPES.has(cause.type ?? '')) {
      // Peakon refuses the token or does not know the base URL: stop, say why, and let the next run probe with a read.
      report.message = cause.message;
      if (plan === undefined) applyPlanFailureSpend(report, cause.details?.[0]);
      return await finishOrFail(() => finish('quarantined'));
    }
    // A run that had ended (finish() published its outcome: completed, quarantined by a partition, the guard's answer)
    // and whose report step then failed says how it had ended too.
    const ended = report.status !== 'running' && report.status !== 'awaiting_approval' ? (report.message ?? `it had ${report.status === 'completed' || report.status === 'completed_with_failures' ? 'completed' : `ended ${report.status}`}`) : undefined;
    if (report.status === 'running') publish('failed');
    else publishFailedAfterFinish();
    throw runFailure(error, plan !== undefined ? report : undefined, ended);
  } finally {
    if (lock) await lock.release();
  }
}

const { tenantQueues } = proxySinks<ConnectorSinks>();

/**
 * Makes the worker running the parent poll the tenant's SCIM task queue, at every lease renewal. Employee workflows ask
 * for it too, but only when they run a workflow task: if the one worker polling the queue dies while every employee
 * waits on a queued SCIM activity, no employee workflow task ever comes again, nothing polls the queue, and the run
 * hangs while still renewing its lock. The renewal is the task that still comes. A sink adds no command, so runs
 * recorded before this replay unchanged.
 */
function keepScimQueuePolled(taskQueue: string, config: ConnectorConfig): () => void {
  const queue = scimTaskQueue(taskQueue, config.tenant);
  return () => tenantQueues.ensurePolling(queue, config.peakon.operationsPerHour);
}

/** A wave's partitions: steps into the stored plan, or, for a plan held whole, the create work itself. */
function createPartitions(plan: PlanResult, wave: number, steps: CreateStep[], partitionsOf: PartitionsOf): PartitionWork[] {
  if (plan.stored === undefined) return partitionsOf(createWorkOfSteps(plan.entries, steps)).map((employees) => ({ phase: 'create', wave, employees }));
  const stored = plan.stored;
  return partitionsOf(steps).map((partition) => ({ phase: 'create', wave, plan: stored, steps: partition }));
}

/** Phase-2 (or leaver) partitions, likewise. */
function updatePartitions(plan: PlanResult, steps: UpdateStep[], method: UpdateMethod, partitionsOf: PartitionsOf): PartitionWork[] {
  if (plan.stored === undefined) return partitionsOf(updateWorkOfSteps(plan.entries, steps, method)).map((employees) => ({ phase: 'update', employees }));
  const stored = plan.stored;
  return partitionsOf(steps).map((partition) => ({ phase: 'update', plan: stored, steps: partition }));
}

/** A held leaver write, as `status --held` lists it. */
function heldLeaverOf(entry: LightPlanEntry): HeldLeaver {
  return { employeeKey: entry.employeeKey, ...(entry.peakonUserId !== undefined ? { peakonUserId: entry.peakonUserId } : {}), action: entry.update?.leaver ?? 'deactivate' };
}

/** What the report needs of an entry: its own words, and its changes (or, in a stored plan, its slot to load them). */
function reportEntryOf(entry: LightPlanEntry | PlanEntry): ReportEntry {
  const { ref, employeeKey, recordRef, action, warnings, reason, returner, adopted, slot } = entry;
  return { ref, employeeKey, recordRef, action, warnings, ...('changes' in entry ? { changes: entry.changes } : {}), ...(slot !== undefined ? { slot } : {}), ...(reason !== undefined ? { reason } : {}), ...(returner ? { returner } : {}), ...(adopted ? { adopted } : {}) };
}

/**
 * patched() marker of a run that stops when it loses its tenant lock (2026-11). A run whose history lost its lock
 * before this change went on writing; replayed, it takes that path again. See docs/versioning.md.
 */
const STOP_WHEN_LOCK_LOST_PATCH = 'stop-when-tenant-lock-lost';

/**
 * patched() marker of a run whose partition failed (2026-11): the run waits for its other partitions in flight, writes
 * its report and ownership, and fails. Written only then. See docs/versioning.md.
 */
const PARTITION_FAILURE_REPORTED_PATCH = 'partition-failure-reported';

/**
 * patched() marker of a run cancelled while an approval waited for its leaver writes (2026-11): the approval answers
 * with what the writes did before the cancel stopped them, instead of failing. Written only then. See docs/versioning.md.
 */
const APPROVAL_ANSWERED_AFTER_CANCEL_PATCH = 'approval-answered-after-cancel';

/**
 * patched() marker of a run whose report is written out of reach of a cancel (2026-12). Before, a cancel that came while
 * a finished run's report was being written cancelled that write and started a second one saying `cancelled`: two
 * attempts raced on the file, which could then say `completed` while the run said `cancelled`. Written by every run
 * that writes a report. See docs/versioning.md.
 */
const REPORT_OUTLIVES_CANCEL_PATCH = 'report-outlives-cancel';

/**
 * patched() marker of a run whose guard deadline came in the same workflow task as an approval or rejection its handler
 * had already taken, with the deadline winning the condition's race (2026-12): the decision stands, instead of being
 * overwritten with `timed out` while the approver was answered `approved` and nothing was written. Also the marker of
 * an update answering that the run's decision is not its verdict. Written only then, so ordinary runs carry no marker
 * (with today's SDK, which resolves the update's condition first, no run is known to write it). See docs/versioning.md.
 */
const APPROVAL_BEATS_TIMEOUT_PATCH = 'approval-beats-timeout';

/**
 * patched() marker of a run whose filter discovery found a user to update with a reference to someone phase 1 did not
 * bring into Peakon (their create failed, or they were skipped because their key is another person's user), and left
 * that reference out with a warning, as planned updates do (2026-12). Before, the found update sent it: Peakon refused
 * it (one more request) or, when another person's user held the key, took it for that person. Written only then.
 */
const FOUND_UPDATE_DROPS_MISSING_REFERENCES_PATCH = 'found-update-drops-missing-references';

/**
 * patched() marker of a run whose filter discovery found someone under another email than the HR record's (their found
 * update renames them in phase 2), and that left references to the new email out of later waves' creates and of phase
 * 2's writes, with a warning, as a listing plan leaves out references to someone it renames (2026-12). Before, a
 * create carried it: Peakon refused it (400) and the create was sent again without its references ("Peakon rejected
 * it"); a phase-2 write sent it, racing the rename. Written only when filter discovery finds such a person.
 */
const RENAMED_BY_FOUND_UPDATE_REFERENCES_WAIT_PATCH = 'renamed-by-found-update-references-wait';

/** patched() marker of a run that shows `failed` when it fails after publishing its outcome (2026-11). See docs/versioning.md. */
const PUBLISH_FAILED_AFTER_FINISH_PATCH = 'publish-failed-after-finish';

/** `leavers.guard.timeout`'s default, for runs whose config predates it. */
const DEFAULT_GUARD_TIMEOUT_MS = 24 * 3_600_000;

/**
 * What the run changes in the ownership ledger: users it created (or found by filter discovery) become owned, users
 * it deleted are no longer. A skipped create is no one the run took on, though its outcome names the Peakon user (so
 * phase 2 may still refer to them): an unreadable user found by filter or 409 discovery (left alone, as the plan's
 * unreadableEntry leaves them unowned), or a user someone else created after the listing (the next sync adopts it,
 * and its report says so). A completed whole-tenant run records its HR read's size for the guard's shrink check,
 * unless the guard held its leavers and nobody approved them (that read is the suspicious one).
 */
function ownershipChange(report: SyncReport, outcomes: readonly EmployeeOutcome[], wholeRun: boolean): { owned: string[]; deleted: string[]; completeRead?: { records: number; runId: string } } {
  const owned = outcomes.filter((outcome) => outcome.phase === 'create' && outcome.peakonUserId !== undefined && outcome.status !== 'failed' && outcome.status !== 'skipped').map((outcome) => outcome.peakonUserId as string);
  const deleted = outcomes.filter((outcome) => outcome.status === 'deleted' && outcome.peakonUserId !== undefined).map((outcome) => outcome.peakonUserId as string);
  const completed = report.status === 'completed' || report.status === 'completed_with_failures';
  const refused = report.leavers?.held === true && report.leavers.decision !== 'approved';
  return { owned, deleted, ...(wholeRun && completed && !refused && report.leavers ? { completeRead: { records: report.employees, runId: report.runId } } : {}) };
}

/** Plan failures that mean Peakon itself refuses this run (401/403, or 404 on the base URL): the run is quarantined. */
const QUARANTINE_TYPES = new Set(['AuthenticationFailed', 'NotFound']);

/**
 * Surfaces the activity's own failure (e.g. "authentication failed …") as the run's failure, instead of "Activity task
 * failed", after `endedBefore` (how the run had ended when its report failed); a run that had planned (and so may have
 * written) carries its counts along for the run metrics.
 */
function runFailure(error: unknown, report: SyncReport | undefined, endedBefore?: string): unknown {
  if (!(error instanceof ActivityFailure)) return error;
  const details = report ? { details: [failedRunCounts(report)] } : {};
  // Its report step records ownership first and writes the file after, so which of the two failed is the cause's to say.
  const after = (what: string) => (endedBefore !== undefined ? `${endedBefore}; then its report step failed (what that says it recorded may not have been): ${what}` : what);
  if (error.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({ type: error.cause.type ?? 'ActivityFailed', nonRetryable: true, message: after(error.cause.message), ...details });
  }
  // A report step that timed out (a hung report folder): how the run had ended is still said, and its counts carried.
  if (endedBefore !== undefined) return ApplicationFailure.create({ type: 'ActivityFailed', nonRetryable: true, message: after(activityFailureText(error)), ...details });
  return error;
}

/**
 * What a failed run had done, as its failure's details: counts and the leaver hold, never people. The run metrics
 * (metrics/workflow-interceptors.ts) add them as a completed run's report would be; the details are a payload, encoded
 * like any other. Only the failure's contents differ from runs before this change; replay compares commands.
 */
function failedRunCounts(report: SyncReport): Pick<SyncReport, 'status' | 'counts'> & { leavers?: Pick<LeaversSummary, 'held' | 'decision'> } {
  const leavers = report.leavers ? { held: report.leavers.held, ...(report.leavers.decision ? { decision: report.leavers.decision } : {}) } : undefined;
  return { status: 'failed', counts: { ...report.counts }, ...(leavers ? { leavers } : {}) };
}

/** The words of a child's failure: its cause's message (a terminated partition says "Workflow execution terminated"). */
function failureText(error: unknown): string {
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}

function resultLine(report: SyncReport): string {
  if (report.dryRun) {
    // A dry run did nothing by design: say what the plan would do, not "nothing to do".
    const planned = Object.entries(report.planned ?? {}).filter(([action, count]) => action !== 'employees' && count > 0).map(([action, count]) => `${action} ${count}`);
    return `dry run, nothing written: planned ${planned.join(', ') || 'nothing to do'} (${report.operations} SCIM operations)`;
  }
  const { counts } = report;
  const done = (['created', 'updated', 'deactivated', 'deleted', 'unchanged', 'skipped', 'failed'] as const).filter((status) => counts[status] > 0).map((status) => `${status} ${counts[status]}`);
  const failure = report.failures[0] ? ` — ${report.failures[0].reason}` : '';
  return `${done.join(', ') || 'nothing to do'} (${report.operations} SCIM operations)${failure}`;
}

/**
 * patched() marker of a run whose plan met a 429 and waited it out on a durable timer before planning again, with an
 * employee step's patience (rateLimitPatience: two days, each wait at least Peakon's Retry-After) (2026-11). Before,
 * the plan's five quick attempts ended the run within minutes while another integration held the tenant's hour.
 * Written at the plan's first 429 only. See docs/versioning.md.
 */
const PLAN_WAITS_OUT_RATE_LIMITS_PATCH = 'plan-waits-out-rate-limits';

/**
 * The plan, asked again after each 429 once Peakon's Retry-After (and the growing floor) has passed; `spent` counts
 * the requests each rate-limited attempt sent, which the report must still count. Any other failure, or patience
 * spent, is the plan's failure as before.
 */
async function planWaitingOutRateLimits(plan: () => Promise<PlanResult>, spent: (operations: number) => void): Promise<PlanResult> {
  let waitedMs = 0;
  for (let waits = 0; ; waits += 1) {
    try {
      return await plan();
    } catch (error) {
      const cause = error instanceof ActivityFailure ? error.cause : undefined;
      if (!(cause instanceof ApplicationFailure) || cause.type !== 'RateLimited' || !patched(PLAN_WAITS_OUT_RATE_LIMITS_PATCH)) throw error;
      const spend = (cause.details?.[0] ?? {}) as Partial<PlanFailureSpend>;
      const wait = rateLimitPatience(waits, waitedMs, Math.max(1_000, spend.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS));
      if (wait === undefined) throw error;
      if (typeof spend.operations === 'number') spent(spend.operations);
      waitedMs += wait;
      await sleep(wait);
    }
  }
}

/**
 * A plan that failed still read records and sent requests (activities/plan.ts PlanFailureSpend, its failure's details):
 * the report counts them. Read tolerantly: a failure recorded before plans carried it has no details.
 */
function applyPlanFailureSpend(report: SyncReport, details: unknown): void {
  const spend = (details ?? {}) as Partial<PlanFailureSpend>;
  if (typeof spend.operations === 'number') report.operations += spend.operations;
  if (typeof spend.recordsRead === 'number') report.employees = spend.recordsRead;
}

/** Adds the plan's counts, invalid records and warnings to the report. Exported for tests; the workflow's own accounting. */
export function applyPlan(report: SyncReport, plan: PlanResult): void {
  const { counts } = plan;
  report.employees = counts.employees + counts.invalid;
  report.operations += plan.operations;
  report.counts.unchanged += counts.unchanged;
  report.counts.skipped += counts.skip;
  report.counts.failed += counts.invalid;
  report.failuresTotal += counts.invalid;
  report.ownedUsersNotInSource = plan.ownedUsersNotInSource;
  if (plan.leavers) report.leavers = { ...plan.leavers };
  report.planned = { ...plan.counts };
  appendCapped(report.failures, invalidRecordLines(plan.problems, REPORT_FAILURE_CAP), REPORT_FAILURE_CAP);
  appendCapped(report.warnings, plan.warnings, WARNING_CAP);
}

/**
 * One failure line per invalid record, its field problems joined, so that the failure list counts what
 * `failuresTotal` counts (failed employees): a capped list then says truly how many more there are.
 */
function invalidRecordLines(problems: PlanResult['problems'], cap: number): FailureLine[] {
  const byRecord = new Map<string, FailureLine>();
  for (const problem of problems) {
    const line = byRecord.get(problem.recordRef);
    if (line) line.reason += `; ${problem.field}: ${problem.message}`;
    else if (byRecord.size < cap) byRecord.set(problem.recordRef, { employeeKey: problem.employeeKey ?? problem.recordRef, phase: 'plan', reason: `${problem.recordRef}, ${problem.field}: ${problem.message}`, errorType: 'InvalidRecord' });
  }
  return [...byRecord.values()];
}

/** Adds a partition's outcome to the report. Exported for tests, like applyPlan. */
export function applyPartition(report: SyncReport, summary: PartitionSummary): void {
  addCounts(report.counts, summary.counts);
  report.operations += summary.operations;
  report.failuresTotal += summary.failuresTotal;
  appendCapped(report.failures, summary.failures, REPORT_FAILURE_CAP);
  appendCapped(report.warnings, summary.warnings, WARNING_CAP);
  if (summary.stopReason && report.message === undefined) report.message = summary.stopReason;
}
