import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RecordProblem } from '../mapping/employee';
import type { OwnershipChange } from '../ownership/ledger';
import { employeeLine, invalidRecordLine, planLine, type EmployeeReportLine, type PlannedEmployee } from '../sync/employee-report';
import type { SyncReport } from '../sync/report';
import type { EmployeeOutcome, RunRef } from '../sync/types';
import type { ActivityDeps } from './deps';
import { convertingFailures } from './failures';

/** What the report needs of a plan entry (the workflow drops the write bodies before sending it). */
export type ReportEntry = PlannedEmployee;

export interface RunReportInput {
  run: RunRef;
  report: SyncReport;
  entries: ReportEntry[];
  /** Both phases' outcomes (absent in a dry run). */
  outcomes: EmployeeOutcome[];
  /** Extra warnings per employee ref found while the run went on (references left out). */
  warnings: Record<string, string[]>;
  problems: RecordProblem[];
  /**
   * The run's change to the ownership ledger (users it created or deleted; its HR read when it completed), recorded
   * with the report: the one activity every run ends with, so a run spends no extra step on it.
   */
  ownership?: OwnershipChange;
}

/** The file a person (or a script) reads after a run: the summary plus one line per employee. */
export interface RunReportFile {
  summary: SyncReport;
  employees: EmployeeReportLine[];
}

/** One line per rejected record, all its problems together. */
function invalidRecordLines(problems: RecordProblem[]): EmployeeReportLine[] {
  const byRecord = new Map<string, RecordProblem[]>();
  for (const problem of problems) byRecord.set(problem.recordRef, [...(byRecord.get(problem.recordRef) ?? []), problem]);
  return [...byRecord.values()].map((recordProblems) => {
    const line = invalidRecordLine(recordProblems[0] as RecordProblem);
    return { ...line, error: recordProblems.map((problem) => `${problem.field}: ${problem.message}`).join('; ') };
  });
}

/** The report file's path: one per run, under the tenant's folder. */
export function reportFilePath(reportDirectory: string, run: RunRef): string {
  return path.join(reportDirectory, run.tenant, `${run.runId.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`);
}

/**
 * Writes the run report as JSON into the report folder (PEAKON_SYNC_REPORT_DIR), one file per run, readable by the
 * worker's user only (it holds personal data), and returns its path. Per-employee detail lives here, not in history.
 */
export function writeRunReportActivity(deps: ActivityDeps) {
  return async function writeRunReport(input: RunReportInput): Promise<string> {
    return convertingFailures(async () => {
      const { run } = input;
      const created = new Map<string, EmployeeOutcome>();
      const updated = new Map<string, EmployeeOutcome>();
      for (const outcome of input.outcomes) (outcome.phase === 'create' ? created : updated).set(outcome.ref, outcome);
      const employees = input.entries.map((entry) => {
        const extra = input.warnings[entry.ref] ?? [];
        const withWarnings = extra.length ? { ...entry, warnings: [...entry.warnings, ...extra] } : entry;
        return input.report.dryRun ? planLine(withWarnings) : employeeLine(withWarnings, created.get(entry.ref), updated.get(entry.ref));
      });
      employees.push(...invalidRecordLines(input.problems));
      const file = reportFilePath(deps.reportDirectory, run);
      const content: RunReportFile = { summary: { ...input.report, reportPath: file }, employees };
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(content, null, 2), { mode: 0o600 });
      await chmod(temporary, 0o600);
      await rename(temporary, file);
      if (input.ownership && deps.ownership && !input.report.dryRun) await deps.ownership.record(run.tenant, input.ownership);
      return file;
    });
  };
}
