import { ActivityFailure, type WorkflowFailedError } from '@temporalio/client';
import { activityFailureText } from '../sync/failure-text';
import type { EmployeeReportLine } from '../sync/employee-report';
import type { ReportLines } from './report-file';
import { notDoneCount, type SyncReport } from '../sync/report';

/**
 * Why a run ended without a report (it failed as a whole: bad token, unreadable HR source, …, or was terminated): the
 * run's own words, its failure's cause's message (e.g. `source.path: … is outside the worker's data directories …`),
 * not the SDK's wrapper ("Workflow execution failed"). What `sync --wait` prints after `sync <run> failed: `, and
 * `status` (and `status --employee`) after `ended failed: `.
 *
 * An activity's failure the run did not put in its own words (workflows/sync.ts `runFailure` words an activity's
 * ApplicationFailure, and any failure of the report step of a run that had ended, with the same activityFailureText):
 * the SDK's message says only "Activity task timed out" (or "… failed"), so it names the step and what its causes say,
 * e.g. the plan killed by the OOM killer on every attempt: `the planSync activity timed out (heartbeat timeout: …)`.
 */
export function runFailureMessage(error: WorkflowFailedError): string {
  if (error.cause instanceof ActivityFailure) return activityFailureText(error.cause);
  return error.cause?.message ?? error.message;
}

/**
 * What `sync --wait` says when the run's report file is not on this host (`lines` undefined: readReportLines found no
 * file): with several workers on several hosts the file is on the one that ran the report step, so the per-employee
 * table cannot be shown here, and the `Report:` path alone would send the reader looking on the wrong machine.
 */
export function reportElsewhereNote(report: Pick<SyncReport, 'reportPath'>, lines: ReportLines): string {
  if (!report.reportPath || lines !== undefined) return '';
  return `(the report file is not on this host: the worker that wrote it has it, in its PEAKON_SYNC_REPORT_DIR; its per-employee lines are not shown here)`;
}

/** The run report as a person reads it on a terminal. */
export function formatReport(report: SyncReport): string {
  const { counts } = report;
  const planned = report.planned;
  // Planned (what the plan decided) beside done (what the run did): a dry run shows only the plan.
  const row = (label: string, done: number, plan: number | undefined) =>
    `  ${`${label}:`.padEnd(17)}${report.dryRun ? `${plan ?? 0} planned` : `${done}${plan !== undefined && plan !== done ? ` (planned ${plan})` : ''}`}`;
  const lines = [
    `Sync ${report.runId} — ${report.status}${report.dryRun ? ' (dry run: nothing written)' : ''}`,
    `  employees read:  ${report.employees}`,
    row('created', counts.created, planned?.['create']),
    row('updated', counts.updated, planned?.['update']),
    ...leaverRows(report, row),
    row('unchanged', counts.unchanged, planned?.['unchanged']),
    row('skipped', counts.skipped, planned?.['skip']),
    row('failed', counts.failed, planned?.['invalid']),
    ...notDoneRows(report),
    `  SCIM operations: ${report.operations}`,
  ];
  if (planned?.['discover']) lines.push(`  to discover:     ${planned['discover']} (filter discovery decides create or update per employee)`);
  lines.push(...leaverLines(report));
  if (report.message) lines.push('', `  ${report.message}`);
  if (report.failures.length > 0) {
    lines.push('', 'Failures:');
    for (const failure of report.failures) lines.push(`  ✗ ${failure.employeeKey} [${failure.phase}] ${failure.reason}`);
    if (report.failuresTotal > report.failures.length) lines.push(`  … and ${report.failuresTotal - report.failures.length} more (every one is in the report file${report.reportPath ? `: ${report.reportPath}` : ''})`);
  }
  if (report.trace) {
    lines.push('', 'Steps:');
    report.trace.forEach((step, index) => lines.push(`  ${index + 1}. ${step}`));
  }
  const table = report.plan && !report.trace ? formatEmployeeTable(report.plan) : '';
  if (table) lines.push('', table);
  const cut = report.trace ? '' : previewCutNote(report);
  if (cut) lines.push(cut);
  if (report.warnings.length > 0) {
    lines.push('', 'Warnings:');
    for (const warning of report.warnings) lines.push(`  ! ${warning}`);
  }
  if (report.reportPath) lines.push('', `Report: ${report.reportPath}`);
  return lines.join('\n');
}

/**
 * A whole-tenant dry run's `plan` is a preview (sync/employee-report.ts planPreview): at most PREVIEW_PAGE lines, its
 * planned writes (creates, discoveries, updates, leavers) first, then its skips, no unchanged people. When the plan's
 * counts give more writes and skips than the preview has lines, one line says how many the table shows of how many,
 * and where every line is; without it the table of a 500-create dry run stops at 100 rows as if that were all.
 */
function previewCutNote(report: SyncReport): string {
  const { plan, planned } = report;
  if (!plan || !planned) return '';
  const count = (action: string) => planned[action] ?? 0;
  const writes = count('create') + count('discover') + count('update') + count('deactivate') + count('delete');
  const skips = count('skip');
  // A run from before planPreview cut the plan's first entries, unchanged people among them: count the others.
  const shown = plan.filter((line) => line.action !== 'unchanged').length;
  if (shown >= writes + skips) return '';
  const what = skips > 0 ? 'planned writes and skips' : 'planned writes';
  const where = report.reportPath ? `every line is in the report file: ${report.reportPath}` : 'the others are not shown';
  return `(the first ${shown} of ${writes + skips} ${what}; ${where})`;
}

/**
 * Deactivated and deleted, each against its own plan. Under `leavers.action: delete` a person the HR system marks
 * inactive (no termination date) is still only deactivated, never deleted (sync/plan.ts), so one "deleted" row would
 * hide those deactivations and count them as deletes that did not happen.
 */
function leaverRows(report: SyncReport, row: (label: string, done: number, plan: number | undefined) => string): string[] {
  const action = report.leavers?.action;
  if (!action || action === 'off') return [];
  const { counts, planned } = report;
  const deactivated = row('deactivated', counts.deactivated, planned?.['deactivate'] ?? 0);
  if (action !== 'delete') return [deactivated];
  const anyDeactivation = counts.deactivated > 0 || (planned?.['deactivate'] ?? 0) > 0;
  return [...(anyDeactivation ? [deactivated] : []), row('deleted', counts.deleted, planned?.['delete'] ?? 0)];
}

/**
 * Planned writes the run has no outcome for (the report file's `not_done` lines, each saying why): it ended first, or
 * the guard held them and nobody approved. Shown only when there are some.
 */
function notDoneRows(report: SyncReport): string[] {
  const notDone = notDoneCount(report);
  return notDone > 0 ? [`  ${'not done:'.padEnd(17)}${notDone} (planned, but this run has no outcome for them; the report file says why)`] : [];
}

/** Leavers, returners, the guard and the users the connector does not own. */
function leaverLines(report: SyncReport): string[] {
  const leavers = report.leavers;
  if (!leavers) {
    return report.ownedUsersNotInSource > 0 ? [`  in Peakon with an externalId but not in the HR read: ${report.ownedUsersNotInSource} (left untouched)`] : [];
  }
  const lines: string[] = [];
  if (leavers.returners > 0) lines.push(`  returners:       ${leavers.returners} (reactivated)`);
  if (leavers.action === 'off' && leavers.planned > 0) lines.push(`  leavers:         ${leavers.planned} left active (leavers.action: off)`);
  if (leavers.unowned > 0) lines.push(`  not owned:       ${leavers.unowned} Peakon user(s) no HR record matches and this connector never owned (never touched)`);
  if (leavers.held) {
    lines.push(`  guard:           held ${leavers.planned} leaver write(s) — ${leavers.heldReason ?? ''}`);
    if (leavers.heldPreview?.length) lines.push(`                   first: ${leavers.heldPreview.join(', ')}`);
    lines.push(`                   ${leavers.decision ?? undecidedHold(report)}`);
  }
  return lines;
}

/**
 * A hold nobody decided: only a run waiting for the decision can take approve/reject; a dry run holds nothing, and a run
 * that ended before its leaver phase (quarantined, cancelled, lock lost, failed) never waited.
 */
function undecidedHold(report: SyncReport): string {
  if (report.dryRun) return 'a real run would wait for approval (dry run: nothing held)';
  if (report.status === 'awaiting_approval' || report.status === 'running') return `awaiting approval: peakon-sync approve ${report.runId} | peakon-sync reject ${report.runId}`;
  return `never asked: the run ended ${report.status} before its leaver phase (the next sync holds them again)`;
}

const show = (value: unknown): string => (value === null || value === undefined || value === '' ? '∅' : String(value));

/**
 * One line per employee: planned action, what happened (`planned` in a dry run), and each changed field as old → new
 * (or the error). Unchanged employees are summarised in one line unless `showUnchanged`; empty when nothing else is left.
 */
export function formatEmployeeTable(lines: readonly EmployeeReportLine[], options: { showUnchanged?: boolean } = {}): string {
  const shown = options.showUnchanged ? lines : lines.filter((line) => line.status !== 'unchanged' && line.action !== 'unchanged');
  // Nothing to show (a run stopped before its plan, or nothing changed): no table, not a header over no rows.
  if (shown.length === 0) return '';
  const width = Math.min(48, Math.max(8, ...shown.map((line) => line.employeeKey.length)));
  const rows = [`${'employee'.padEnd(width)}  ${'action'.padEnd(10)}  ${'status'.padEnd(11)}  changes`];
  for (const line of shown) {
    const detail = line.action === 'create' && line.status !== 'failed'
      ? `${line.changes.length} attributes`
      : line.changes.map((change) => `${change.field}: ${show(change.from)} → ${show(change.to)}`).join('; ');
    const note = [line.returner ? 'returner' : '', line.adopted ? 'adopted' : '', line.reason ?? ''].filter(Boolean).join(', ');
    rows.push(`${line.employeeKey.padEnd(width)}  ${line.action.padEnd(10)}  ${line.status.padEnd(11)}  ${line.error ?? detail}${note ? ` (${note})` : ''}`);
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

/**
 * Exit code when the leaver guard held leaver writes and nobody decided before leavers.guard.timeout: the run did
 * everything else, but a person has to look at the HR read (and approve or reject the next run's leavers).
 */
export const EXIT_LEAVERS_HELD = 3;

/**
 * True when the run's only failures are invalid HR records found while planning (nothing failed to write). Decided on
 * the counts, not on the failure list: the list is capped, and a write failure may be left out of it. `failuresTotal`
 * counts failed employees, the plan's invalid records (`planned.invalid`) among them; the rest failed to write.
 */
export function onlyInvalidRecords(report: SyncReport): boolean {
  return report.failuresTotal > 0 && writeFailures(report) === 0;
}

/** Employees whose write failed: every failure that is not one of the plan's invalid records. */
function writeFailures(report: SyncReport): number {
  return Math.max(0, report.failuresTotal - (report.planned?.['invalid'] ?? 0));
}

/**
 * For schedulers: 0 all good (completed, skipped because another run holds the lock, nothing to change); 3 completed,
 * but the guard held leaver writes and nobody decided in time (a dry run: a real run would hold them); 2 completed but
 * some HR records are invalid; 1 the run failed, was quarantined or cancelled, lost its tenant lock, an employee write
 * failed, or (`failOn: 'invalid-records'`, ranked before 3) some HR records are invalid.
 */
export function exitCodeFor(report: SyncReport, options: { failOn?: FailOn; employeeRun?: boolean } = {}): number {
  const completed = report.status === 'completed' || (report.status === 'completed_with_failures' && onlyInvalidRecords(report));
  // A skipped whole-tenant run is fine (the run holding the lock does the work); a skipped `--employee` run did not sync
  // the one person it was asked for (skippedEmployeeRunNote says why): 1, "not done", as for a lost lock.
  if (!completed) return report.status === 'skipped' && options.employeeRun !== true ? 0 : 1;
  // `--fail-on invalid-records` ranks first: whoever asked to fail on bad HR data gets 1 for it, a hold or not.
  if (report.status === 'completed_with_failures' && options.failOn === 'invalid-records') return 1;
  // A guard that held leavers until its timeout did its job, but exit 0 would let a scheduler hide that the HR read
  // looked wrong (or that a real wave of leavers waits) until someone reads the report: the run asks for a person.
  if (report.leavers?.held === true && report.leavers.decision === 'timed out') return EXIT_LEAVERS_HELD;
  // A dry run gates a real one (CI runs it before a deploy or a new HR export): one whose leavers a real run would hold
  // for approval asks for the same person, before the real run waits for them.
  if (report.dryRun && report.leavers?.held === true) return EXIT_LEAVERS_HELD;
  return report.status === 'completed' ? 0 : EXIT_INVALID_RECORDS;
}

/**
 * The stderr line for a run started for one employee that ended `skipped` (exit 1, exitCodeFor): the tenant was busy and
 * this person was not synced; a retry is worth it. Undefined for any other run or outcome.
 */
export function skippedEmployeeRunNote(report: SyncReport, employeeRun: boolean): string | undefined {
  if (!employeeRun || report.status !== 'skipped') return undefined;
  return `the employee was not ${report.dryRun ? 'planned' : 'synced'}: tenant ${report.tenant} was busy (another run of it is running; the report's message names it); retry once that run ends`;
}

/** How bad an exit code of exitCodeFor is, least first: ok, invalid HR records, leavers held undecided, failed. */
const EXIT_CODE_SEVERITY: readonly number[] = [0, EXIT_INVALID_RECORDS, EXIT_LEAVERS_HELD, 1];

/** The exit code of several runs (the demo's two syncs): the worst run's, as `sync --wait` would have exited for it. */
export function worstExitCode(reports: readonly SyncReport[]): number {
  const severity = (code: number): number => EXIT_CODE_SEVERITY.indexOf(code);
  return reports.map((report) => exitCodeFor(report)).reduce((worst, code) => (severity(code) > severity(worst) ? code : worst), 0);
}
