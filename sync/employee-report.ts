import type { RecordProblem } from '../mapping/employee';
import type { PlanEntry, PlannedAction } from './plan';
import type { EmployeeOutcome, EmployeeStatus, FieldChange } from './types';

/** One employee's line in the run report (and in a dry run's plan). */
export interface EmployeeReportLine {
  employeeKey: string;
  /** The employee's name in workflow IDs (`…/create/<ref>`) and logs; absent for records rejected before planning. */
  employeeRef?: string;
  recordRef: string;
  /** What the plan decided. `invalid`: the record was rejected before planning. */
  action: PlannedAction | 'invalid';
  /** What happened; `planned` in a dry run. */
  status: EmployeeStatus | 'planned';
  changes: FieldChange[];
  error?: string;
  warnings?: string[];
  /** An inactive Peakon user back in the HR read, reactivated. */
  returner?: boolean;
  /** A Peakon user the connector did not own before (e.g. created by hand), matched by email or employee number: owned from now on. */
  adopted?: boolean;
  /**
   * Why the plan decided the action: a leaver (deactivate / delete), a returner, a rename, a leaver already switched off
   * (unchanged). Never a failure: only a failed line, and a skipped line saying why nothing was written (a `skip`,
   * `leavers.action: off` among them, or a step that wrote nothing), carry `error`.
   */
  reason?: string;
}

const ACTION_STATUS: Partial<Record<PlannedAction, EmployeeStatus>> = { unchanged: 'unchanged', skip: 'skipped' };

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

/** What a report line needs of a plan entry. */
export type PlannedEmployee = Pick<PlanEntry, 'ref' | 'employeeKey' | 'recordRef' | 'action' | 'changes' | 'warnings' | 'reason' | 'returner' | 'adopted'>;

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
 * Folds the plan and both phases' outcomes into one line per employee. The employee's status is the worst of its
 * phases: a user created in phase 1 whose PUT failed in phase 2 is reported failed, with the phase-2 reason.
 */
export function employeeLine(entry: PlannedEmployee, created: EmployeeOutcome | undefined, updated: EmployeeOutcome | undefined): EmployeeReportLine {
  const line = planLine(entry);
  const failed = [created, updated].find((outcome) => outcome?.status === 'failed');
  // A step that wrote nothing (an unreadable user, a user holding the HR id under another email) says why.
  const skipped = [created, updated].find((outcome) => outcome?.status === 'skipped' && outcome.reason);
  const warnings = [...entry.warnings, ...(created?.warnings ?? []), ...(updated?.warnings ?? [])];
  let status: EmployeeStatus = ACTION_STATUS[entry.action] ?? 'skipped';
  if (failed) status = 'failed';
  else if (created?.status === 'created') status = 'created';
  else if (updated?.status === 'updated' || updated?.status === 'deactivated' || updated?.status === 'deleted') status = updated.status;
  else if (created?.status === 'unchanged' || updated?.status === 'unchanged') status = 'unchanged';
  // A created employee's line lists every attribute it got, whether its create carried it or phase 2 wrote it.
  const changes = status === 'created' ? entry.changes : (updated?.changes ?? created?.update?.changes ?? (status === 'unchanged' ? [] : entry.changes));
  return {
    ...line,
    status,
    changes,
    ...(failed?.reason ? { error: failed.reason } : status === 'skipped' && skipped?.reason ? { error: skipped.reason } : {}),
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
