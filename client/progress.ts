import type { Client } from '@temporalio/client';
import type { PartitionProgress } from '../workflows/partition';
import type { AwaitingApproval, SyncProgress } from '../workflows/sync';

/** A run's progress as a person wants it: where it is, how far, what it cost, how long it still takes at the budget. */
export interface RunProgress {
  phase: SyncProgress['phase'];
  done: number;
  total: number;
  failures: number;
  operations: number;
  /** At the tenant's operation budget: remaining operations ÷ operations per second. Undefined before the plan exists. */
  secondsLeft?: number;
  operationsPerHour: number;
  /** Phase 1's current wave and how many there are (managers before their reports). */
  wave?: number;
  waves?: number;
  /** The run's leaver writes the guard holds for a person's decision. */
  awaitingApproval?: AwaitingApproval;
  /** The run's workflow ID, for the commands that answer the guard. */
  runId?: string;
}

/** Queries the parent, then each running partition for employee-level counts. */
export async function readProgress(client: Client, runId: string): Promise<RunProgress> {
  const parent = await client.workflow.getHandle(runId).query<SyncProgress>('progress');
  let done = parent.employeesDone;
  let failures = parent.failures;
  let operations = parent.operations;
  if (parent.phase === 'create' || parent.phase === 'update' || parent.phase === 'leavers') {
    const running = await Promise.all(
      parent.runningPartitions.map((workflowId) =>
        client.workflow
          .getHandle(workflowId)
          .query<PartitionProgress>('partitionProgress')
          // A partition that finished between the two queries is already counted by the parent.
          .catch(() => undefined),
      ),
    );
    for (const partition of running) {
      if (!partition) continue;
      done += partition.done;
      failures += partition.failures;
      operations += partition.operations;
    }
  }
  return { phase: parent.phase, done, total: parent.employeesTotal, failures, operations, operationsPerHour: parent.operationsPerHour, wave: parent.wave, waves: parent.waves, ...timeLeft(parent, done), ...(parent.awaitingApproval ? { awaitingApproval: parent.awaitingApproval, runId } : {}) };
}

/** Every remaining employee step costs at least one operation; phase 1 still has all of phase 2 ahead of it. */
function timeLeft(parent: SyncProgress, done: number): { secondsLeft?: number } {
  if (parent.phase === 'locking' || parent.phase === 'planning' || parent.phase === 'awaiting approval') return {};
  const remaining = Math.max(0, parent.employeesTotal - done) + (parent.phase === 'create' ? parent.updateWorkTotal : 0);
  return { secondsLeft: parent.phase === 'done' ? 0 : Math.ceil(remaining / (parent.operationsPerHour / 3600)) };
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line of progress, the same on a terminal and in a log. */
export function describeProgress(progress: RunProgress): string {
  const waiting = progress.awaitingApproval;
  if (waiting) {
    const run = progress.runId ?? '<run>';
    // The preview is the first few: approve applies all of them, so say where the whole list is.
    const all = waiting.leavers > waiting.preview.length ? `; all ${waiting.leavers}: peakon-sync status ${run} --held` : '';
    return `awaiting approval: ${waiting.leavers} leaver write(s) held (${waiting.reason}); first: ${waiting.preview.join(', ')}${all}; answer with peakon-sync approve ${run} or peakon-sync reject ${run} before ${waiting.deadline}`;
  }
  if (progress.phase === 'locking' || progress.phase === 'planning') return `${progress.phase}: reading the HR system and Peakon, ${progress.operations} operations`;
  const counts = progress.total > 0 ? `${progress.done}/${progress.total} employees` : 'no employees to write';
  const left = progress.secondsLeft === undefined ? '' : `, ~${duration(progress.secondsLeft)} left at ${progress.operationsPerHour} ops/h`;
  const phase = progress.phase === 'create' ? `phase 1 (create${progress.waves && progress.waves > 1 ? `, wave ${(progress.wave ?? 0) + 1}/${progress.waves}` : ''})` : progress.phase === 'update' ? 'phase 2 (update)' : progress.phase === 'leavers' ? 'leavers' : progress.phase;
  return `${phase}: ${counts}, ${progress.failures} failed, ${progress.operations} operations${left}`;
}

export function progressBar(progress: RunProgress, width = 24): string {
  const share = progress.total > 0 ? Math.min(1, progress.done / progress.total) : progress.phase === 'done' ? 1 : 0;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${describeProgress(progress)}`;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/**
 * A message line amid progress output: on a terminal it first clears the current line (a progress bar drawn there, by
 * watchProgress or anyone), so the bar is drawn afresh below the message. Used by watchProgress and warnWhileNoWorker.
 */
export function writeLine(stream: ProgressStream, line: string): void {
  stream.write(`${stream.isTTY ? '\r\x1b[K' : ''}${line}\n`);
}

/**
 * Progress queries that fail this many times in a row, over at least QUERY_FAILURES_WARN_AFTER_MS, get a warning. A
 * query nobody answers fails after about 30 s (the server's deadline), so that is about a minute without a worker; a
 * worker restart (a deploy) answers the queries that wait for it and stays below, and so do the failures of a run
 * whose first task has not run yet.
 */
export const QUERY_FAILURES_BEFORE_WARNING = 2;
export const QUERY_FAILURES_WARN_AFTER_MS = 45_000;

/** The run's task queue, for the warning; undefined when even that cannot be read. */
async function taskQueueOf(client: Client, runId: string): Promise<string | undefined> {
  try {
    return (await client.workflow.getHandle(runId).describe()).taskQueue;
  } catch {
    return undefined;
  }
}

/**
 * Shows progress until `finished` settles: a redrawn bar on a terminal, a plain line whenever something changed
 * otherwise (CI logs, pipes). Returns once `finished` has settled. When the progress query keeps failing (no worker
 * answers it), says so once, naming the likely cause, and once more when progress can be read again.
 */
export async function watchProgress(client: Client, runId: string, finished: Promise<unknown>, stream: ProgressStream, intervalMs = 1000): Promise<void> {
  let settled = false;
  void finished.then(() => (settled = true), () => (settled = true));
  let last = '';
  /** The current run of failed queries: how many, since when (the first one's start), and whether it was reported. */
  let failures = 0;
  let failingSince = 0;
  let warned = false;
  /** On a terminal, a message replaces the bar's line; the bar is drawn afresh below it (nothing to pad over). */
  const say = (message: string): void => {
    writeLine(stream, message);
    if (stream.isTTY) last = '';
  };
  while (!settled) {
    const asked = Date.now();
    try {
      const progress = await readProgress(client, runId);
      if (warned && !settled) say(`progress of ${runId} can be read again`);
      failures = 0;
      warned = false;
      const line = stream.isTTY ? progressBar(progress) : describeProgress(progress);
      if (stream.isTTY) stream.write(`\r${line.padEnd(last.length)}`);
      else if (line !== last) stream.write(`${line}\n`);
      last = line;
    } catch {
      // The run may not have started its first task yet; the next tick asks again. Only a long run of failures is news.
      if (failures === 0) failingSince = asked;
      failures += 1;
      const failingFor = Date.now() - failingSince;
      if (!warned && !settled && failures >= QUERY_FAILURES_BEFORE_WARNING && failingFor >= QUERY_FAILURES_WARN_AFTER_MS) {
        warned = true;
        const taskQueue = await taskQueueOf(client, runId);
        const queue = taskQueue === undefined ? 'its task queue' : `task queue "${taskQueue}"`;
        if (!settled) say(`progress of ${runId} could not be read for ${Math.round(failingFor / 1000)} s (${failures} queries in a row failed): most likely no worker polls ${queue} (stopped, killed or overloaded): start one with \`peakon-sync worker\`; this command keeps waiting`);
      }
    }
    await Promise.race([finished.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, intervalMs))]);
  }
  if (stream.isTTY && last) stream.write('\n');
}
