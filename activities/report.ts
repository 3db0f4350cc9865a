import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { checkedTenantName } from '../config/schema';
import type { RecordProblem } from '../mapping/employee';
import { whileTicking } from '../net/while-ticking';
import type { OwnershipChange } from '../ownership/ledger';
import { RECORD_HEARTBEAT_MS } from '../ownership/store';
import { syncDirectory, syncFile } from '../storage/durable-file';
import { employeeLine, invalidRecordLine, lineStatus, planLine, type EmployeeReportLine, type PlannedEmployee } from '../sync/employee-report';
import { createChanges } from '../sync/payloads';
import type { SyncReport } from '../sync/report';
import type { StoredPlan } from '../sync/stored-plan';
import type { EmployeeOutcome, FieldChange, RunRef } from '../sync/types';
import { requirePlanPages, type ActivityDeps } from './deps';
import { convertingFailures } from './failures';

/**
 * What the report needs of a plan entry (the workflow drops the write bodies before sending it). An entry of a stored
 * plan has no changes but its slot: the report reads its changes from the plan's pages.
 */
export type ReportEntry = Omit<PlannedEmployee, 'changes'> & { changes?: FieldChange[]; slot?: number };

export interface RunReportInput {
  run: RunRef;
  report: SyncReport;
  entries: ReportEntry[];
  /** The stored plan whose pages hold the entries' changes (a whole-tenant run). */
  stored?: StoredPlan;
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

/**
 * The report file's path, absolute (it goes into the run's result, which a CLI started from another folder reads): one
 * per run, under the tenant's folder.
 */
export function reportFilePath(reportDirectory: string, run: RunRef): string {
  return path.resolve(reportDirectory, checkedTenantName(run.tenant), `${run.runId.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`);
}

/**
 * Writes the run report as JSON into the report folder (PEAKON_SYNC_REPORT_DIR), one file per run, readable by the
 * worker's user only (it holds personal data), and returns its path. Per-employee detail lives here, not in history.
 */
export function writeRunReportActivity(deps: ActivityDeps) {
  return async function writeRunReport(input: RunReportInput): Promise<string> {
    // A heartbeat per stored page read and per thousand lines written: at 50,000 employees the step reads hundreds of
    // pages (from S3, one request each) and writes some 150 MB, longer than a fixed time-out should have to guess,
    // while a hung store or disk is still noticed within the heartbeat time-out (workflows/activity-options.ts).
    const context = Context.current();
    const heartbeat = (stage: string) => context.heartbeat(stage);
    return convertingFailures(async () => {
      const { run } = input;
      // Neither step may cost the other: who the connector created decides who is a leaver later, and the file tells
      // people what happened. The ledger is written first (a report folder that cannot be written must not lose the
      // run's ownership), the file even when the ledger failed; the attempt then fails with the ledger's error and is
      // retried. Recording twice is harmless: the change is applied as a set.
      let ledgerFailure: { error: unknown } | undefined;
      if (input.ownership && deps.ownership && !input.report.dryRun) {
        try {
          // Heartbeats while it waits: a folder ledger may wait up to a minute for another writer's lock (and break a
          // stale one), then rewrite a ledger of tens of thousands of ids, all within the step's heartbeat time-out.
          heartbeat('recording ownership');
          await whileTicking(deps.ownership.record(run.tenant, input.ownership), () => heartbeat('recording ownership'), RECORD_HEARTBEAT_MS);
        } catch (error) {
          ledgerFailure = { error };
        }
      }
      const created = new Map<string, EmployeeOutcome>();
      const updated = new Map<string, EmployeeOutcome>();
      for (const outcome of input.outcomes) (outcome.phase === 'create' ? created : updated).set(outcome.ref, outcome);
      heartbeat('reading the stored plan');
      const changesAt = input.stored ? await storedChanges(deps, input.stored, () => heartbeat('reading the stored plan')) : undefined;
      // The summary, written before the lines, counts the planned writes without an outcome (`not_done` lines) that the
      // workflow's counts leave out, so that the file's statuses add up to its counts.
      let notDone = 0;
      if (!input.report.dryRun) for (const entry of input.entries) if (lineStatus(entry.action, created.get(entry.ref), updated.get(entry.ref)) === 'not_done') notDone += 1;
      const lines = function* (): Generator<EmployeeReportLine> {
        let written = 0;
        for (const { slot, changes, ...entry } of input.entries) {
          written += 1;
          if (written % 1000 === 0) heartbeat(`writing the report (${written} lines)`);
          const extra = input.warnings[entry.ref] ?? [];
          const stored = slot !== undefined ? changesAt?.[slot] : undefined;
          const planned: PlannedEmployee = { ...entry, changes: changes ?? stored?.changes ?? [], ...(stored?.createChanges ? { createChanges: stored.createChanges } : {}) };
          const withWarnings = extra.length ? { ...planned, warnings: [...planned.warnings, ...extra] } : planned;
          yield input.report.dryRun ? planLine(withWarnings) : employeeLine(withWarnings, created.get(entry.ref), updated.get(entry.ref), input.report);
        }
        yield* invalidRecordLines(input.problems);
      };
      const file = reportFilePath(deps.reportDirectory, run);
      // The file system's error says what failed (`EEXIST: file already exists, mkdir '…'`), not that it was the report's
      // folder. (Not around the write below: its lines read the stored plan's pages, whose failures are not the folder's.)
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 }).catch((error: unknown) => {
        // Not `instanceof Error`: fs errors may come from another realm (jest's sandbox).
        const message = (error as { message?: unknown } | undefined)?.message;
        throw new Error(`the run report's folder cannot be made (PEAKON_SYNC_REPORT_DIR): ${typeof message === 'string' ? message : String(error)}`, { cause: error });
      });
      // Its own name per attempt (a retried attempt may overlap the one it replaces), created new (never an existing
      // file or a link planted in the folder, which would keep its owner and mode).
      const temporary = `${file}.${randomBytes(8).toString('hex')}.tmp`;
      try {
        await writeReportFile(temporary, { ...input.report, ...(notDone > 0 ? { counts: { ...input.report.counts, notDone } } : {}), reportPath: file }, lines());
        await chmod(temporary, 0o600);
        // On disk before the rename, and the rename with its folder: after a power loss the file is whole or absent,
        // never an empty one under the final name (the activity has completed, so nothing would write it again).
        await syncFile(temporary);
        await rename(temporary, file);
        await syncDirectory(path.dirname(file));
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      if (ledgerFailure) throw ledgerFailure.error;
      return file;
    });
  };
}

/**
 * Every stored entry's changes, by slot, read page by page (only the changes are kept); a filter-discovery entry's
 * also what its create sets (it plans none), from the desired state its page keeps: its line lists them if created.
 */
async function storedChanges(deps: ActivityDeps, stored: StoredPlan, onPage: () => void): Promise<Pick<PlannedEmployee, 'changes' | 'createChanges'>[]> {
  const pages = requirePlanPages(deps);
  const changes: Pick<PlannedEmployee, 'changes' | 'createChanges'>[] = [];
  for (const key of stored.pages) {
    for (const entry of await pages.get(key)) {
      const desired = entry.action === 'discover' ? entry.create?.desiredIfFound : undefined;
      changes.push({ changes: entry.changes, ...(desired ? { createChanges: createChanges(desired) } : {}) });
    }
    onPage();
  }
  return changes;
}

/**
 * Writes `JSON.stringify({ summary, employees }, null, 2)` line by line: at 50,000 employees the whole text is about
 * 150 MB, which the worker would otherwise hold as one string next to the lines it was built from.
 */
export async function writeReportFile(file: string, summary: SyncReport, employees: Iterable<EmployeeReportLine>): Promise<void> {
  const out = createWriteStream(file, { encoding: 'utf8', mode: 0o600, flags: 'wx' });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  const write = async (text: string) => {
    if (!out.write(text)) await Promise.race([once(out, 'drain'), failed]);
  };
  // Nested values: JSON.stringify's own indentation, shifted right (JSON strings never hold a raw newline).
  const nested = (value: unknown, depth: number) => JSON.stringify(value, null, 2).replace(/\n/g, `\n${'  '.repeat(depth)}`);
  try {
    await write(`{\n  "summary": ${nested(summary, 1)},\n  "employees": [`);
    let first = true;
    for (const line of employees) {
      await write(`${first ? '' : ','}\n    ${nested(line, 2)}`);
      first = false;
    }
    await write(first ? ']\n}' : '\n  ]\n}');
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  } catch (error) {
    out.destroy();
    await rm(file, { force: true });
    throw error;
  }
}
