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
  if (report.plan && !report.trace) lines.push('', formatEmployeeTable(report.plan));
  if (report.warnings.length > 0) {
    lines.push('', 'Warnings:');
    for (const warning of report.warnings) lines.push(`  ! ${warning}`);
  }
  if (report.reportPath) lines.push('', `Report: ${report.reportPath}`);
  return lines.join('\n');
}

const show = (value: unknown): string => (value === null || value === undefined || value === '' ? '∅' : String(value));

/**
 * One line per employee: planned action, what happened (`planned` in a dry run), and each changed field as old → new
 * (or the error). Unchanged employees are summarised in one line unless `showUnchanged`.
 */
export function formatEmployeeTable(lines: readonly EmployeeReportLine[], options: { showUnchanged?: boolean } = {}): string {
  const shown = options.showUnchanged ? lines : lines.filter((line) => line.status !== 'unchanged' && line.action !== 'unchanged');
  const width = Math.min(48, Math.max(8, ...shown.map((line) => line.employeeKey.length)));
  const rows = [`${'employee'.padEnd(width)}  ${'action'.padEnd(9)}  ${'status'.padEnd(9)}  changes`];
  for (const line of shown) {
    const detail = line.action === 'create' && line.status !== 'failed'
      ? `${line.changes.length} attributes`
      : line.changes.map((change) => `${change.field}: ${show(change.from)} → ${show(change.to)}`).join('; ');
    rows.push(`${line.employeeKey.padEnd(width)}  ${line.action.padEnd(9)}  ${line.status.padEnd(9)}  ${line.error ?? detail}`);
  }
  const hidden = lines.length - shown.length;
  if (hidden > 0) rows.push(`(${hidden} unchanged employees not shown)`);
  return rows.join('\n');
}

/** What may make a run with invalid HR records exit 1 instead of 2 (`--fail-on invalid-records`). */
export type FailOn = 'invalid-records';
export const FAIL_ON_CHOICES: readonly FailOn[] = ['invalid-records'];

/** Exit code when every failure is a record the HR data holds in a form the connector cannot use. */
export const EXIT_INVALID_RECORDS = 2;

/** True when the run's only failures are invalid HR records found while planning (nothing failed to write). */
export function onlyInvalidRecords(report: SyncReport): boolean {
  return (
    report.failures.length > 0 &&
    // A capped list may hide write failures behind the invalid records: then we cannot say "only invalid records".
    report.failures.length >= report.failuresTotal &&
    report.failures.every((failure) => failure.phase === 'plan' && failure.errorType === 'InvalidRecord')
  );
}

/**
 * For schedulers: 0 all good (completed, skipped because another run holds the lock, nothing to change); 2 completed
 * but some HR records are invalid (1 with `failOn: 'invalid-records'`); 1 the run failed, was quarantined or cancelled,
 * or an employee write failed.
 */
export function exitCodeFor(report: SyncReport, options: { failOn?: FailOn } = {}): number {
  if (report.status === 'completed' || report.status === 'skipped') return 0;
  if (report.status === 'completed_with_failures' && onlyInvalidRecords(report)) return options.failOn === 'invalid-records' ? 1 : EXIT_INVALID_RECORDS;
  return 1;
}
