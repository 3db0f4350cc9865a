import type { EmployeeReportLine } from '../sync/employee-report';
import type { SyncReport } from '../sync/report';

/** The run report as a person reads it on a terminal. */
export function formatReport(report: SyncReport): string {
  const { counts } = report;
  const lines = [
    `Sync ${report.runId} — ${report.status}${report.dryRun ? ' (dry run: nothing written)' : ''}`,
    `  employees read:  ${report.employees}`,
    `  created:         ${counts.created}`,
    `  updated:         ${counts.updated}`,
    `  unchanged:       ${counts.unchanged}`,
    `  skipped:         ${counts.skipped}`,
    `  failed:          ${counts.failed}`,
    `  SCIM operations: ${report.operations}`,
  ];
  if (report.ownedUsersNotInSource > 0) lines.push(`  in Peakon (created by a connector) but not in the HR read: ${report.ownedUsersNotInSource} (left untouched)`);
  if (report.message) lines.push('', `  ${report.message}`);
  if (report.failures.length > 0) {
    lines.push('', 'Failures:');
    for (const failure of report.failures) lines.push(`  ✗ ${failure.employeeKey} [${failure.phase}] ${failure.reason}`);
    if (report.failuresTotal > report.failures.length) lines.push(`  … and ${report.failuresTotal - report.failures.length} more (see the outcome files)`);
  }
  if (report.trace) {
    lines.push('', 'Steps:');
    report.trace.forEach((step, index) => lines.push(`  ${index + 1}. ${step}`));
  }
  if (report.plan && !report.trace) lines.push('', formatPlan(report.plan));
  if (report.warnings.length > 0) {
    lines.push('', 'Warnings:');
    for (const warning of report.warnings) lines.push(`  ! ${warning}`);
  }
  if (report.reportPath) lines.push('', `Report: ${report.reportPath}`);
  return lines.join('\n');
}

const show = (value: unknown): string => (value === null || value === undefined || value === '' ? '∅' : String(value));

/** The plan per employee: what a dry run would do, each changed field as old → new. */
export function formatPlan(plan: readonly EmployeeReportLine[]): string {
  const width = Math.min(48, Math.max(8, ...plan.map((line) => line.employeeKey.length)));
  const lines = [`${'employee'.padEnd(width)}  ${'action'.padEnd(9)}  changes`];
  for (const line of plan) {
    const detail = line.action === 'create'
      ? `${line.changes.length} attributes`
      : line.changes.map((change) => `${change.field}: ${show(change.from)} → ${show(change.to)}`).join('; ');
    lines.push(`${line.employeeKey.padEnd(width)}  ${line.action.padEnd(9)}  ${line.error ?? detail}`);
  }
  return lines.join('\n');
}

/** Non-zero when anything failed, so cron jobs and CI notice. */
export function exitCodeFor(report: SyncReport): number {
  return report.status === 'completed' || report.status === 'skipped' ? 0 : 1;
}
