/**
 * The run report: what a person reads after a sync. Pure data and pure functions, shared by workflows and the CLI.
 */
import type { EmployeeReportLine } from './employee-report';
import type { EmployeeOutcome, EmployeeStatus, SyncPhase } from './types';

export interface FailureLine {
  employeeKey: string;
  phase: SyncPhase | 'plan';
  reason: string;
  errorType?: string;
}

export interface OutcomeCounts {
  created: number;
  updated: number;
  /** Leavers switched off (active=false), and under `leavers.action: delete`, deleted. */
  deactivated: number;
  deleted: number;
  unchanged: number;
  failed: number;
  skipped: number;
  /**
   * Report file only, when not zero: planned writes the run has no outcome for (lines with status `not_done`: the run
   * ended first, or the guard held them and nobody approved). The workflow's own counts (its result, memo, metrics)
   * never carry it; notDoneCount works it out from them.
   */
  notDone?: number;
}

export interface PartitionSummary {
  phase: SyncPhase;
  partition: number;
  counts: OutcomeCounts;
  operations: number;
  /** Failed employees, capped (every one is in the run's report file). */
  failures: FailureLine[];
  failuresTotal: number;
  warnings: string[];
  /**
   * Why the partition stopped starting employees: Peakon refused the token (401/403), or the circuit breaker tripped
   * (most recent writes failed). The run stops and ends `quarantined` instead of failing everyone one by one.
   */
  stopReason?: string;
}

/**
 * `quarantined`: Peakon refused the run (401/403, 404 on the base URL) or most of its recent writes failed; it stopped
 * writing. `cancelled`: an operator cancelled it. `lock_lost`: it lost the tenant lock (the lease expired, e.g. during a
 * worker outage, or an operator terminated the lock), so another run may hold the tenant; it stopped writing. All
 * three still report what was done.
 */
export type SyncStatus = 'running' | 'awaiting_approval' | 'completed' | 'completed_with_failures' | 'failed' | 'skipped' | 'cancelled' | 'quarantined' | 'lock_lost';

/**
 * The run's leavers: how many the plan found, and what became of their writes. `held`: the guard stopped them for a
 * person's approval (`peakon-sync approve|reject <run>`); `decision` says how that ended.
 */
export interface LeaversSummary {
  action: 'deactivate' | 'separate' | 'delete' | 'off';
  /** Owned users no longer in scope, or past their termination date, that the run would switch off. */
  planned: number;
  /** Inactive owned users back in the HR read, reactivated by their update. */
  returners: number;
  held: boolean;
  /** Why the guard held them (count, share, or a shrunken HR read). */
  heldReason?: string;
  /** The first few held employees (keys), for the person who decides. */
  heldPreview?: string[];
  decision?: 'not needed' | 'approved' | 'rejected' | 'timed out' | 'cancelled';
  /** Peakon users no HR record matches and this connector never owned: never touched. */
  unowned: number;
}

export interface SyncReport {
  tenant: string;
  runId: string;
  status: SyncStatus;
  dryRun: boolean;
  /** Employees read from the HR system and in scope (valid or not). */
  employees: number;
  counts: OutcomeCounts;
  /** SCIM operations spent (every request counts against Peakon's 25,000/hour). */
  operations: number;
  /**
   * One line per failed employee (an invalid record's field problems on one line), at most REPORT_FAILURE_CAP; the
   * report file has every one.
   */
  failures: FailureLine[];
  /** Failed employees in all: the plan's invalid records (`planned.invalid`) and the employees whose write failed. */
  failuresTotal: number;
  warnings: string[];
  /** Owned users the HR read no longer contains (leavers; `leavers` says what became of them). */
  ownedUsersNotInSource: number;
  leavers?: LeaversSummary;
  /** What the plan decided, per action (a dry run's counts; a real run's `counts` say what was done). */
  planned?: Record<string, number>;
  /** Why the run was skipped or failed as a whole. */
  message?: string;
  /** Where the worker wrote the run report with one line per employee (JSON). */
  reportPath?: string;
  /** A dry run's plan, or a single-employee sync's plan, per employee (capped; the report file has every line). */
  plan?: EmployeeReportLine[];
  /** A single-employee sync's steps: read → map → match → action → result. */
  trace?: string[];
}

export const REPORT_FAILURE_CAP = 1000;
export const PARTITION_FAILURE_CAP = 200;
export const WARNING_CAP = 200;

export function emptyCounts(): OutcomeCounts {
  return { created: 0, updated: 0, deactivated: 0, deleted: 0, unchanged: 0, failed: 0, skipped: 0 };
}

/** A report of a run that has done nothing yet (or, skipped, nothing at all). */
export function emptyReport(fields: Pick<SyncReport, 'tenant' | 'runId' | 'status' | 'dryRun'> & { message?: string }): SyncReport {
  return { ...fields, employees: 0, counts: emptyCounts(), operations: 0, failures: [], failuresTotal: 0, warnings: [], ownedUsersNotInSource: 0 };
}

export function addCounts(into: OutcomeCounts, from: OutcomeCounts): void {
  // `?? 0`: summaries of partitions that ran before a version added a count do not carry it.
  for (const key of Object.keys(into) as (keyof OutcomeCounts)[]) into[key] = (into[key] ?? 0) + (from[key] ?? 0);
}

/** A run's end, once it has one: what the per-employee lines of its report file say. */
const ENDED: ReadonlySet<SyncStatus> = new Set(['completed', 'completed_with_failures', 'failed', 'cancelled', 'quarantined', 'lock_lost']);

/**
 * Planned writes an ended run has no outcome for (the report file's `not_done` lines): `counts.notDone` when the
 * report file's summary carries it, else worked out from the workflow's counts, which count every employee with an
 * outcome once (as what became of them) and every planned `unchanged`, `skip` and invalid record.
 */
export function notDoneCount(report: SyncReport): number {
  if (report.counts.notDone !== undefined) return report.counts.notDone;
  const { planned, counts } = report;
  if (report.dryRun || !planned || !ENDED.has(report.status)) return 0;
  const plan = (action: string) => planned[action] ?? 0;
  const writes = plan('create') + plan('discover') + plan('update') + plan('deactivate') + plan('delete');
  const done = counts.created + counts.updated + counts.deactivated + counts.deleted + (counts.unchanged - plan('unchanged')) + (counts.skipped - plan('skip')) + (counts.failed - plan('invalid'));
  return Math.max(0, writes - done);
}

export function countStatus(counts: OutcomeCounts, status: EmployeeStatus): void {
  if (status !== 'found') counts[status] += 1;
}

export function failureLine(outcome: EmployeeOutcome): FailureLine {
  return {
    employeeKey: outcome.employeeKey,
    phase: outcome.phase,
    reason: outcome.reason ?? 'unknown error',
    ...(outcome.errorType ? { errorType: outcome.errorType } : {}),
  };
}

/** Appends while under `cap`; the caller keeps the true total separately. */
export function appendCapped<T>(into: T[], items: readonly T[], cap: number): void {
  for (const item of items) {
    if (into.length >= cap) return;
    into.push(item);
  }
}
