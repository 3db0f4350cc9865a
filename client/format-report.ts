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
  if (report.warnings.length > 0) {
    lines.push('', 'Warnings:');
    for (const warning of report.warnings) lines.push(`  ! ${warning}`);
  }
  return lines.join('\n');
}

/** Non-zero when anything failed, so cron jobs and CI notice. */
export function exitCodeFor(report: SyncReport): number {
  return report.status === 'completed' || report.status === 'skipped' ? 0 : 1;
}
