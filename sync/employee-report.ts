import type { RecordProblem } from '../mapping/employee';
import type { PlanEntry, PlannedAction } from './plan';
import type { SyncReport } from './report';
import type { EmployeeOutcome, EmployeeStatus, FieldChange } from './types';

/**
 * What became of an employee, as a run report's line says it: an outcome's status, or `not_done`: the plan planned a
 * write (create, update, leaver…) but the run has no outcome for the employee. It ended before their turn (cancelled,
 * quarantined, its tenant lock lost, a partition failed), stopped them mid-write (a cancel, or the partition that
 * failed: what they sent may have reached Peakon), or the leaver guard held their write and nobody approved it. The
 * line's `reason` says which, its `changes` are the planned ones; the report file counts them as `counts.notDone`.
 */
export type ReportLineStatus = EmployeeStatus | 'not_done';

/** One employee's line in the run report (and in a dry run's plan). */
export interface EmployeeReportLine {
  employeeKey: string;
  /** The employee's name in workflow IDs (`…/create/<ref>`) and logs; absent for records rejected before planning. */
  employeeRef?: string;
  recordRef: string;
  /** What the plan decided. `invalid`: the record was rejected before planning. */
  action: PlannedAction | 'invalid';
  /** What happened; `planned` in a dry run. */
  status: ReportLineStatus | 'planned';
  changes: FieldChange[];
  error?: string;
  warnings?: string[];
  /** An inactive Peakon user back in the HR read, reactivated. */
  returner?: boolean;
  /** A Peakon user the connector did not own before (e.g. created by hand), matched by email or employee number: owned from now on. */
  adopted?: boolean;
  /**
   * Why the plan decided the action: a leaver (deactivate / delete), a returner, a rename, a leaver already switched off
   * (unchanged); on a `not_done` line also why the run did not do it (`…; not done: …`). Never a failure: only a failed line, and a skipped line saying why nothing was written (a `skip`,
   * `leavers.action: off` among them, or a step that wrote nothing), carry `error`.
   */
  reason?: string;
}

const ACTION_STATUS: Partial<Record<PlannedAction, EmployeeStatus>> = { unchanged: 'unchanged', skip: 'skipped' };

const LEAVER_ACTIONS: ReadonlySet<PlannedAction> = new Set(['deactivate', 'delete']);

/** A dry run's result shows the first lines of the plan; the report file holds every line. */
export const PREVIEW_PAGE = 100;

/**
 * A whole-tenant dry run's preview: at most PREVIEW_PAGE entries, the writes first (creates, updates, leavers,
 * returners, in plan order), then those that say why nothing is written (skips). Unchanged people are left out (the
 * table hides them anyway): leavers, planned last, are never cut off behind a hundred unchanged people or a hundred
 * past terminations the HR export keeps.
 */
export function planPreview(entries: readonly PlannedEmployee[]): EmployeeReportLine[] {
  const writes = entries.filter((entry) => entry.action !== 'unchanged' && entry.action !== 'skip');
  const skips = entries.filter((entry) => entry.action === 'skip');
  return [...writes, ...skips].slice(0, PREVIEW_PAGE).map(planLine);
}

/**
 * What a report line needs of a plan entry. `createChanges`: a filter-discovery entry's (`discover`) attributes its
 * create sets (createChanges), which its planned `changes` leave out (discovery may find the user instead).
 */
export type PlannedEmployee = Pick<PlanEntry, 'ref' | 'employeeKey' | 'recordRef' | 'action' | 'changes' | 'warnings' | 'reason' | 'returner' | 'adopted'> & { createChanges?: FieldChange[] };

/** A dry run's view: the plan, per employee. */
export function planLine(entry: PlannedEmployee): EmployeeReportLine {
  return {
    employeeKey: entry.employeeKey,
    employeeRef: entry.ref,
    recordRef: entry.recordRef,
    action: entry.action,
    status: 'planned',
    changes: entry.changes,
    // A skip's reason says why nothing is written (an `error`, as a skipped step's is); any other explains the action
    // (a leaver, a returner, a rename, a leaver already inactive) and is no failure.
    ...(entry.reason ? (entry.action === 'skip' ? { error: entry.reason } : { reason: entry.reason }) : {}),
    ...(entry.warnings.length ? { warnings: entry.warnings } : {}),
    ...(entry.returner ? { returner: true } : {}),
    ...(entry.adopted ? { adopted: true } : {}),
  };
}

/**
 * An employee's status in a run's report: the worst of its phases (a user created in phase 1 whose PUT failed in phase
 * 2 is failed). A planned write without an outcome that says what became of it (none, or filter discovery's `found`
 * without its phase-2 write) is `not_done`; a planned `unchanged` or `skip` needs no outcome.
 */
export function lineStatus(action: PlannedAction, created: EmployeeOutcome | undefined, updated: EmployeeOutcome | undefined): ReportLineStatus {
  if (created?.status === 'failed' || updated?.status === 'failed') return 'failed';
  if (created?.status === 'created') return 'created';
  if (updated?.status === 'updated' || updated?.status === 'deactivated' || updated?.status === 'deleted') return updated.status;
  if (created?.status === 'unchanged' || updated?.status === 'unchanged') return 'unchanged';
  if (created?.status === 'skipped' || updated?.status === 'skipped') return 'skipped';
  return ACTION_STATUS[action] ?? 'not_done';
}

/** What a `not_done` line's reason is built from: how the run ended (its report's summary). */
export type RunEnd = Pick<SyncReport, 'status' | 'message' | 'leavers'>;

/** Why the run did not do an employee's planned write (a `not_done` line), from how the run ended. */
export function notDoneReason(run: RunEnd, action: PlannedAction): string {
  const decision = run.leavers?.held ? run.leavers.decision : undefined;
  if (LEAVER_ACTIONS.has(action)) {
    if (decision === 'rejected') return 'held by the leaver guard and rejected: not written';
    if (decision === 'timed out') return 'held by the leaver guard and nobody approved it in time: not written (the next sync holds it again)';
    // workflows/sync.ts sets `cancelled` for any stop during the guard's wait: an operator's cancel or a lost tenant lock.
    if (decision === 'cancelled') return `held by the leaver guard when the run ${run.status === 'lock_lost' ? 'lost its tenant lock' : 'was cancelled'}: not written (the next sync holds it again)`;
  }
  switch (run.status) {
    case 'cancelled':
      return 'the run was cancelled before it finished this employee (not started, or stopped mid-write: it may be partly written); the next sync completes it';
    case 'lock_lost':
      return 'the run lost its tenant lock before it finished this employee (not started, or stopped mid-write: it may be partly written); the next sync completes it';
    case 'quarantined':
      return 'not started: the run was quarantined (Peakon refused it, or most of its writes failed) before this employee\'s turn; the next sync does it';
    case 'failed': {
      // workflows/sync.ts names the partition in the run's message: `failed during <phase>: partition <id> failed (…)`.
      const partition = /partition (\S+) failed/.exec(run.message ?? '')?.[1];
      return `the run failed${partition ? ` (partition ${partition} failed)` : ''} before it finished this employee: it was in the partition that failed (what it sent may have reached Peakon) or its turn never came; the next sync completes it`;
    }
    default:
      return 'the run has no outcome for this employee; the next sync does it';
  }
}

/**
 * Folds the plan and both phases' outcomes into one line per employee (its status: lineStatus). A `not_done` line says
 * why in its reason, after the plan's own (a leaver's), from how the run ended.
 */
export function employeeLine(entry: PlannedEmployee, created: EmployeeOutcome | undefined, updated: EmployeeOutcome | undefined, run: RunEnd): EmployeeReportLine {
  const line = planLine(entry);
  const failed = [created, updated].find((outcome) => outcome?.status === 'failed');
  // A step that wrote nothing (an unreadable user, a user holding the HR id under another email) says why.
  const skipped = [created, updated].find((outcome) => outcome?.status === 'skipped' && outcome.reason);
  const warnings = [...entry.warnings, ...(created?.warnings ?? []), ...(updated?.warnings ?? [])];
  const status = lineStatus(entry.action, created, updated);
  // A created employee's line lists every attribute it got, whether its create carried it or phase 2 wrote it; a
  // discovered one's plan lists none (it might have been found), so what its create set, as a list-mode create's does.
  const changes = status === 'created' ? (entry.action === 'discover' && entry.createChanges ? entry.createChanges : entry.changes) : (updated?.changes ?? created?.update?.changes ?? (status === 'unchanged' ? [] : entry.changes));
  const notDone = status === 'not_done' ? `not done: ${notDoneReason(run, entry.action)}` : undefined;
  return {
    ...line,
    status,
    changes,
    ...(failed?.reason ? { error: failed.reason } : status === 'skipped' && skipped?.reason ? { error: skipped.reason } : {}),
    ...(notDone ? { reason: line.reason ? `${line.reason}; ${notDone}` : notDone } : {}),
    ...(warnings.length ? { warnings: [...new Set(warnings)] } : {}),
  };
}

export function invalidRecordLine(problem: RecordProblem): EmployeeReportLine {
  return {
    employeeKey: problem.employeeKey ?? problem.recordRef,
    recordRef: problem.recordRef,
    action: 'invalid',
    status: 'failed',
    changes: [],
    error: `${problem.field}: ${problem.message}`,
  };
}
