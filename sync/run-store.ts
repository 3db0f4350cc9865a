import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PlanEntry } from './plan';
import type { EmployeeOutcome, RunRef, SyncPhase } from './types';

/**
 * A run's working files: the plan (one file per partition) and phase-1 outcomes. They live outside Temporal because
 * 10,000 employees do not fit in one payload (2 MB) and must never travel as a workflow argument.
 * Every worker of a deployment must see the same folder (one host, or a shared volume).
 */
export class RunStoreMissingError extends Error {
  override readonly name = 'RunStoreMissingError';
}

export interface RunStore {
  writePlanPartition(run: RunRef, partition: number, entries: PlanEntry[]): Promise<void>;
  readPlanPartition(run: RunRef, partition: number): Promise<PlanEntry[]>;
  writeOutcomes(run: RunRef, phase: SyncPhase, partition: number, outcomes: EmployeeOutcome[]): Promise<void>;
  /** Undefined when the partition wrote no outcomes for that phase. */
  readOutcomes(run: RunRef, phase: SyncPhase, partition: number): Promise<EmployeeOutcome[] | undefined>;
  writeJson(run: RunRef, name: string, value: unknown): Promise<string>;
  readJson(run: RunRef, name: string): Promise<unknown>;
  runDirectory(run: RunRef): string;
}

/** Workflow IDs contain `/` and `:`; folder names must not. */
function folderName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9._-]+/g, '_');
}

export function createFileRunStore(rootDirectory: string): RunStore {
  const runDirectory = (run: RunRef) => path.join(rootDirectory, folderName(run.tenant), folderName(run.runId));

  // Write-then-rename: an activity killed mid-write never leaves a half file for its retry to read.
  async function writeAtomically(file: string, value: unknown): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, JSON.stringify(value));
    await rename(temporary, file);
  }

  async function readJson<T>(file: string, run: RunRef, what: string): Promise<T> {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new RunStoreMissingError(
          `${what} of run ${run.runId} is missing in ${rootDirectory}: every worker must share the state folder (PEAKON_SYNC_STATE_DIR)`,
        );
      }
      throw error;
    }
  }

  return {
    runDirectory,
    writePlanPartition: (run, partition, entries) => writeAtomically(path.join(runDirectory(run), `plan-${partition}.json`), entries),
    readPlanPartition: (run, partition) => readJson<PlanEntry[]>(path.join(runDirectory(run), `plan-${partition}.json`), run, `plan partition ${partition}`),
    writeOutcomes: (run, phase, partition, outcomes) => writeAtomically(path.join(runDirectory(run), `outcomes-${phase}-${partition}.json`), outcomes),
    async readOutcomes(run, phase, partition) {
      try {
        return JSON.parse(await readFile(path.join(runDirectory(run), `outcomes-${phase}-${partition}.json`), 'utf8')) as EmployeeOutcome[];
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    readJson: (run, name) => readJson<unknown>(path.join(runDirectory(run), name), run, name),
    async writeJson(run, name, value) {
      const file = path.join(runDirectory(run), name);
      await writeAtomically(file, value);
      return file;
    },
  };
}
