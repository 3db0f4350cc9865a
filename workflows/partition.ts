import { CancellationScope, ChildWorkflowFailure, defineQuery, executeChild, isCancellation, patched, proxyActivities, setHandler, TerminatedFailure, TimeoutFailure, workflowInfo } from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import type { PeakonConnection } from '../activities/deps';
import type { CreateStep, UpdateStep } from '../sync/phases';
import type { StoredPlan } from '../sync/stored-plan';
import { appendCapped, countStatus, emptyCounts, failureLine, PARTITION_FAILURE_CAP, WARNING_CAP, type PartitionSummary } from '../sync/report';
import type { RunTuning } from '../sync/settings';
import type { CreateWork, EmployeeOutcome, RunRef, UpdateMethod, UpdateWork } from '../sync/types';
import { EMPLOYEE_RETURNS_SPEND_WHEN_CANCELLED_PATCH, employeeCreateWorkflow, employeeUpdateWorkflow } from './employee';
import { planWorkActivityOptions } from './activity-options';
import { employeeWorkflowId, scimTaskQueue } from './ids';
import { slidingWindow } from './window';

/**
 * A partition's work: steps into the stored plan (positions and what to leave out; the partition loads its employees'
 * work from the plan's pages), or, for a plan the parent holds whole, the work itself. Either way it travels as the
 * encrypted input (in the payload store when large), never through a folder.
 */
export type PartitionWork =
  | { phase: 'create'; wave: number; plan: StoredPlan; steps: CreateStep[] }
  | { phase: 'update'; plan: StoredPlan; steps: UpdateStep[] }
  | { phase: 'create'; wave: number; employees: CreateWork[] }
  | { phase: 'update'; employees: UpdateWork[] };

/** Employees in a partition's work. */
export function employeesIn(work: PartitionWork): number {
  return 'steps' in work ? work.steps.length : work.employees.length;
}

export interface PartitionWorkflowInput {
  run: RunRef;
  peakon: PeakonConnection;
  tuning: RunTuning;
  updateMethod: UpdateMethod;
  partition: number;
  maxConcurrentEmployees: number;
  work: PartitionWork;
}

/** Counts for the parent's summary, and every employee's outcome for phase 2 and the report. */
export interface PartitionResult {
  summary: PartitionSummary;
  outcomes: EmployeeOutcome[];
  /**
   * The partition was cancelled (with its run, or on its own): the outcomes are of the employees that finished; the
   * rest were stopped or never started.
   */
  cancelled?: true;
}

/**
 * patched() marker of a partition that, when cancelled, waits for its employees in flight and returns what finished
 * (2026-11). Before, it ended cancelled at the first stopped employee and its parent lost every outcome of it: people it
 * had created were neither counted nor recorded as owned. See docs/versioning.md.
 */
export const PARTITION_RETURNS_WHEN_CANCELLED_PATCH = 'partition-returns-when-cancelled';

/**
 * patched() marker of a partition one of whose employees ended without an outcome (terminated from the UI or the CLI,
 * timed out, its workflow failed) and counted it as that employee's failure (2026-11). Before, the partition failed at
 * once: its other employees in flight were terminated mid-step, and the run lost every outcome of the partition
 * (people created but neither counted nor recorded as owned). See docs/versioning.md.
 */
export const EMPLOYEE_WITHOUT_OUTCOME_FAILS_ALONE_PATCH = 'employee-without-outcome-fails-alone';

/**
 * patched() marker of a partition one of whose employees was cancelled on its own (from the Temporal UI or the CLI,
 * e.g. one waiting out a long 429), not with its partition or run, and counted it as that employee's failure (2026-12).
 * Before, the partition took it for a cancel of its own: it stopped starting employees and the run ended `cancelled`
 * for every employee, phase and leaver after it. Written only then. See docs/versioning.md.
 */
export const EMPLOYEE_CANCELLED_ALONE_FAILS_ALONE_PATCH = 'employee-cancelled-alone-fails-alone';

export interface PartitionProgress {
  done: number;
  total: number;
  failures: number;
  operations: number;
}

export const partitionProgressQuery = defineQuery<PartitionProgress>('partitionProgress');

/**
 * One slice of one phase (a few hundred employees at most, and at most MAX_PARTITION_BYTES of input): a child workflow
 * per employee, a sliding window of them in flight. Keeping employees in partitions keeps every workflow far from
 * Temporal's limits (2,000 pending children, 50 MB / 51,200 events of history).
 */
export async function syncPartitionWorkflow(input: PartitionWorkflowInput): Promise<PartitionResult> {
  const { run, work, partition } = input;
  const phase = work.phase;
  const childBase = { run, peakon: input.peakon, tuning: input.tuning, updateMethod: input.updateMethod, scimTaskQueue: scimTaskQueue(workflowInfo().taskQueue, run.tenant) };
  const summary: PartitionSummary = { phase, partition, counts: emptyCounts(), operations: 0, failures: [], failuresTotal: 0, warnings: [] };
  const outcomes: EmployeeOutcome[] = [];
  const breaker = circuitBreaker();
  setHandler(partitionProgressQuery, () => ({ done: outcomes.length, total: employeesIn(work), failures: summary.failuresTotal, operations: summary.operations }));

  let cancelled = false;
  // A cancel of the partition (or of its run, which cancels it) reaches this scope; one of a single employee does not.
  const partitionScope = CancellationScope.current();
  const cancelledAlone = () => !partitionScope.consideredCancelled && patched(EMPLOYEE_CANCELLED_ALONE_FAILS_ALONE_PATCH);
  const tally = (outcome: EmployeeOutcome, createdThisRun: boolean): void => {
    if (outcome.stopped && patched(EMPLOYEE_RETURNS_SPEND_WHEN_CANCELLED_PATCH)) {
      if (cancelledAlone()) return tally(employeeWithoutOutcome(outcome, phase, { how: 'was cancelled on its own' }, outcome.operations), createdThisRun);
      // Stopped by a cancel: what it sent counts, the employee itself is left to the next sync (no outcome, no count).
      summary.operations += outcome.operations;
      cancelled = true;
      return;
    }
    outcomes.push(outcome);
    summary.operations += outcome.operations;
    if (outcome.warnings) appendCapped(summary.warnings, outcome.warnings.map((warning) => `${outcome.employeeKey}: ${warning}`), WARNING_CAP);
    if (outcome.status === 'failed') {
      summary.failuresTotal += 1;
      appendCapped(summary.failures, [failureLine(outcome)], PARTITION_FAILURE_CAP);
      if (outcome.errorType === 'AuthenticationFailed') summary.stopReason ??= `authentication failed: Peakon rejected the SCIM token (${outcome.reason ?? 'authentication failed'}); the run stopped writing`;
    }
    breaker.record(outcome);
    summary.stopReason ??= breaker.tripped();
    if (phase === 'update' && createdThisRun) {
      // Phase 1 already counted this employee as created; a failed write turns it into a failure, a good one changes nothing.
      if (outcome.status === 'failed') {
        summary.counts.created -= 1;
        summary.counts.failed += 1;
      }
      return;
    }
    countStatus(summary.counts, outcome.status);
  };
  const stopped = () => summary.stopReason !== undefined || cancelled;
  /**
   * An employee stopped by a cancel is left to the next run; one that ended without an outcome is one failed employee.
   * The others in flight still finish and are counted either way.
   */
  const unlessCancelled = async (work: { ref: string; employeeKey: string; createdThisRun?: boolean }, employee: () => Promise<void>): Promise<void> => {
    try {
      await employee();
    } catch (error) {
      if (isCancellation(error)) {
        if (!patched(PARTITION_RETURNS_WHEN_CANCELLED_PATCH)) throw error;
        if (cancelledAlone()) return tally(employeeWithoutOutcome(work, phase, { how: 'was cancelled on its own' }, 1), work.createdThisRun ?? false);
        cancelled = true;
        return;
      }
      if (!(error instanceof ChildWorkflowFailure) || !patched(EMPLOYEE_WITHOUT_OUTCOME_FAILS_ALONE_PATCH)) throw error;
      tally(employeeWithoutOutcome(work, phase, endOf(error), 1), work.createdThisRun ?? false);
    }
  };

  const { loadCreateWork, loadUpdateWork } = proxyActivities<SyncActivities>(planWorkActivityOptions(input.tuning));
  if (work.phase === 'create') {
    const employees = 'steps' in work ? await loadCreateWork({ plan: work.plan, steps: work.steps }) : work.employees;
    await slidingWindow(employees, input.maxConcurrentEmployees, (employee: CreateWork) => unlessCancelled(employee, async () => {
      tally(await executeChild(employeeCreateWorkflow, { workflowId: employeeWorkflowId(run.runId, 'create', employee.ref), args: [{ ...childBase, work: employee }] }), false);
    }), stopped);
  } else {
    const employees = 'steps' in work ? await loadUpdateWork({ plan: work.plan, steps: work.steps, updateMethod: input.updateMethod }) : work.employees;
    await slidingWindow(employees, input.maxConcurrentEmployees, (employee: UpdateWork) => unlessCancelled(employee, async () => {
      tally(await executeChild(employeeUpdateWorkflow, { workflowId: employeeWorkflowId(run.runId, employee.leaver ? 'leave' : 'update', employee.ref), args: [{ ...childBase, work: employee }] }), employee.createdThisRun);
    }), stopped);
  }
  return { summary, outcomes, ...(cancelled ? { cancelled: true as const } : {}) };
}

/** How an employee's workflow ended without an outcome, and why when its failure says. */
function endOf(failure: ChildWorkflowFailure): { how: string; why?: string } {
  if (failure.cause instanceof TerminatedFailure) return { how: 'was terminated' };
  if (failure.cause instanceof TimeoutFailure) return { how: 'timed out' };
  // A termination's reason does not reach the parent (its message is "Terminated"); a failure's message says why.
  return { how: 'failed', ...(failure.cause?.message ? { why: failure.cause.message } : {}) };
}

/**
 * The failed outcome of an employee whose workflow ended without finishing (terminated, timed out, failed, cancelled on
 * its own): whatever it had sent may have reached Peakon, so the next sync finds out (discovery, or the listing) and
 * completes it. `operations`: what it said it spent, or one, as for a failed step without details, when it ended
 * before it could say.
 */
function employeeWithoutOutcome(work: { ref: string; employeeKey: string }, phase: 'create' | 'update', end: { how: string; why?: string }, operations: number): EmployeeOutcome {
  return { ref: work.ref, employeeKey: work.employeeKey, phase, status: 'failed', reason: `its workflow ${end.how} before it finished${end.why ? `: ${end.why}` : ''}; what it sent may have reached Peakon, and the next sync completes it`, errorType: 'EmployeeWorkflowEnded', operations };
}

/** Entra's quarantine, in small: the run stops writing when most of its recent Peakon writes failed after retries. */
export const BREAKER_WINDOW = 50;
export const BREAKER_MIN_SAMPLES = 20;
export const BREAKER_FAILURE_SHARE = 0.4;

/** The partition's breaker: record() each outcome, tripped() gives the stop reason once the failed share is too high. */
export function circuitBreaker() {
  const recent: EmployeeOutcome[] = [];
  return {
    record(outcome: EmployeeOutcome) {
      recent.push(outcome);
      if (recent.length > BREAKER_WINDOW) recent.shift();
    },
    tripped(): string | undefined {
      const failed = recent.filter((outcome) => outcome.status === 'failed');
      if (recent.length < BREAKER_MIN_SAMPLES || failed.length <= BREAKER_FAILURE_SHARE * recent.length) return undefined;
      return `circuit breaker: ${failed.length} of the last ${recent.length} Peakon writes failed (latest: ${failed.at(-1)?.reason ?? 'unknown'}); the run stopped writing`;
    },
  };
}
