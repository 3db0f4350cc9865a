import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { RecordProblemSchema, type RecordProblem } from '../mapping/employee';
import { employeeLine, invalidRecordLine, planLine, type EmployeeReportLine } from '../sync/employee-report';
import type { SyncReport } from '../sync/report';
import type { RunRef } from '../sync/types';
import type { ActivityDeps } from './deps';
import { convertingFailures } from './failures';

export interface RunReportInput {
  run: RunRef;
  report: SyncReport;
  partitions: number;
}

/** The file a person (or a script) reads after a run: the summary plus one line per employee. */
export interface RunReportFile {
  summary: SyncReport;
  employees: EmployeeReportLine[];
}

const StoredPlanSummarySchema = z.object({ problems: z.array(RecordProblemSchema) });

/** One line per rejected record, all its problems together. */
function invalidRecordLines(problems: RecordProblem[]): EmployeeReportLine[] {
  const byRecord = new Map<string, RecordProblem[]>();
  for (const problem of problems) byRecord.set(problem.recordRef, [...(byRecord.get(problem.recordRef) ?? []), problem]);
  return [...byRecord.values()].map((recordProblems) => {
    const line = invalidRecordLine(recordProblems[0] as RecordProblem);
    return { ...line, error: recordProblems.map((problem) => `${problem.field}: ${problem.message}`).join('; ') };
  });
}

/**
 * Writes the run report as JSON into the report folder (PEAKON_SYNC_REPORT_DIR), one file per run, and returns its
 * path. Assembled from the run's stored plan and outcomes, because per-employee detail does not belong in history.
 */
export function writeRunReportActivity(deps: ActivityDeps) {
  return async function writeRunReport(input: RunReportInput): Promise<string> {
    return convertingFailures(async () => {
      const { run } = input;
      const employees: EmployeeReportLine[] = [];
      for (let partition = 0; partition < input.partitions; partition += 1) {
        const entries = await deps.runStore.readPlanPartition(run, partition);
        if (input.report.dryRun) {
          employees.push(...entries.map(planLine));
          continue;
        }
        const created = new Map((await deps.runStore.readOutcomes(run, 'create', partition))?.map((outcome) => [outcome.employeeKey, outcome]));
        const updated = new Map((await deps.runStore.readOutcomes(run, 'update', partition))?.map((outcome) => [outcome.employeeKey, outcome]));
        employees.push(...entries.map((entry) => employeeLine(entry, created.get(entry.employeeKey), updated.get(entry.employeeKey))));
      }
      const stored = StoredPlanSummarySchema.safeParse(await deps.runStore.readJson(run, 'plan-summary.json'));
      if (stored.success) employees.push(...invalidRecordLines(stored.data.problems));
      const file = path.join(deps.reportDirectory, run.tenant, `${run.runId.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`);
      const content: RunReportFile = { summary: { ...input.report, reportPath: file }, employees };
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify(content, null, 2));
      await rename(`${file}.tmp`, file);
      return file;
    });
  };
}
