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
}

const ACTION_STATUS: Partial<Record<PlannedAction, EmployeeStatus>> = { unchanged: 'unchanged', skip: 'skipped' };

/** What a report line needs of a plan entry. */
export type PlannedEmployee = Pick<PlanEntry, 'ref' | 'employeeKey' | 'recordRef' | 'action' | 'changes' | 'warnings' | 'reason'>;

/** A dry run's view: the plan, per employee. */
export function planLine(entry: PlannedEmployee): EmployeeReportLine {
  return {
    employeeKey: entry.employeeKey,
    employeeRef: entry.ref,
    recordRef: entry.recordRef,
    action: entry.action,
    status: 'planned',
    changes: entry.changes,
    ...(entry.reason ? { error: entry.reason } : {}),
    ...(entry.warnings.length ? { warnings: entry.warnings } : {}),
  };
}

/**
 * Folds the plan and both phases' outcomes into one line per employee. The employee's status is the worst of its
 * phases: a user created in phase 1 whose PUT failed in phase 2 is reported failed, with the phase-2 reason.
 */
export function employeeLine(entry: PlannedEmployee, created: EmployeeOutcome | undefined, updated: EmployeeOutcome | undefined): EmployeeReportLine {
  const line = planLine(entry);
  const failed = [created, updated].find((outcome) => outcome?.status === 'failed');
  const warnings = [...entry.warnings, ...(created?.warnings ?? []), ...(updated?.warnings ?? [])];
  let status: EmployeeStatus = ACTION_STATUS[entry.action] ?? 'skipped';
  if (failed) status = 'failed';
  else if (created?.status === 'created') status = 'created';
  else if (updated?.status === 'updated') status = 'updated';
  else if (created?.status === 'unchanged') status = 'unchanged';
  // A created employee's line lists every attribute it got, whether its create carried it or phase 2 wrote it.
  const changes = status === 'created' ? entry.changes : (updated?.changes ?? created?.update?.changes ?? (status === 'unchanged' ? [] : entry.changes));
  return {
    ...line,
    status,
    changes,
    ...(failed?.reason ? { error: failed.reason } : {}),
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
