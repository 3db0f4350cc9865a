import type { MappingReport } from './map';

export interface MappingSummary {
  recordsRead: number;
  /** Employees that will be written (active and inactive). */
  employees: number;
  active: number;
  inactive: number;
  /** Left out by the scope rules. */
  excluded: number;
  /** Records rejected by validation (each may have several problems). */
  rejectedRecords: number;
  problems: number;
  /** Problems per field, most frequent first: points at the column to fix in the HRIS. */
  problemsByField: Array<{ field: string; count: number }>;
  employeesWithWarnings: number;
  warnings: number;
}

export function summarizeMapping(report: MappingReport): MappingSummary {
  const active = report.employees.filter((employee) => employee.user.active !== false).length;
  const byField = new Map<string, number>();
  for (const problem of report.problems) byField.set(problem.field, (byField.get(problem.field) ?? 0) + 1);
  return {
    recordsRead: report.recordsRead,
    employees: report.employees.length,
    active,
    inactive: report.employees.length - active,
    excluded: report.excluded,
    rejectedRecords: new Set(report.problems.map((problem) => problem.recordRef)).size,
    problems: report.problems.length,
    problemsByField: [...byField].map(([field, count]) => ({ field, count })).sort((a, b) => b.count - a.count || a.field.localeCompare(b.field)),
    employeesWithWarnings: report.employees.filter((employee) => employee.warnings.length > 0).length,
    warnings: report.employees.reduce((sum, employee) => sum + employee.warnings.length, 0),
  };
}

/** The human-readable report of `peakon-sync validate`: summary first, then every problem and warning by record. */
export function formatMappingReport(report: MappingReport): string {
  const summary = summarizeMapping(report);
  const lines = [
    `${summary.recordsRead} records read: ${summary.employees} employees to sync (${summary.active} active, ${summary.inactive} inactive), ` +
      `${summary.excluded} out of scope, ${summary.rejectedRecords} rejected`,
  ];
  if (summary.problems > 0) {
    lines.push('', `${summary.problems} problem(s) — these records are not synced until fixed in the HR system:`);
    for (const problem of report.problems) {
      const who = problem.employeeKey ? ` (${problem.employeeKey})` : '';
      // The form the run report uses (workflows/sync.ts), so one search finds a record's problem in either.
      lines.push(`  ${problem.recordRef}${who}, ${problem.field}: ${problem.message}`);
    }
    lines.push('', `by field: ${summary.problemsByField.map(({ field, count }) => `${field} ${count}`).join(', ')}`);
  }
  if (summary.warnings > 0) {
    lines.push('', `${summary.warnings} warning(s) on ${summary.employeesWithWarnings} employee(s) — synced, with the noted attribute left out:`);
    for (const employee of report.employees) {
      for (const warning of employee.warnings) lines.push(`  ${employee.recordRef} (${employee.employeeKey}): ${warning}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
