import type { Client } from '@temporalio/client';
import { errorText } from './errors';
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
  // At `done` the employee counts are the last phase's (often an empty phase 2 after a first load's creates), which
  // would read "no employees to write" for a run that wrote many: the run's failures and operations say it all.
  if (progress.phase === 'done') return `done: ${progress.failures} failed, ${progress.operations} operations`;
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
 * watchProgress or anyone), so the bar is drawn afresh below the message. Used by watchProgress and warnWhileWaiting.
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

/**
 * A run's workflow task as the server describes it (one DescribeWorkflowExecution, raw: nothing is decoded, so a memo
 * encrypted with a key this client lacks does not get in the way): its task queue, and the attempt of its pending
 * workflow task (absent when none is pending). Undefined when the run cannot be described.
 */
export async function describeWorkflowTask(client: Client, namespace: string, workflowId: string): Promise<{ taskQueue?: string; attempt?: number } | undefined> {
  try {
    const raw = await client.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } });
    const taskQueue = raw.executionConfig?.taskQueue?.name ?? undefined;
    const attempt = raw.pendingWorkflowTask?.attempt ?? undefined;
    return { ...(taskQueue ? { taskQueue } : {}), ...(typeof attempt === 'number' ? { attempt } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * A run whose pending workflow task is at this attempt or later has had its task fail (or time out) on a worker at
 * least twice. A task that fails for good (a payload the workers cannot decode, a workflow code error, a bad deploy)
 * climbs past it: a live worker fails each attempt again (about every 10 s), and queries are refused meanwhile. Not 2:
 * a worker killed under a task leaves it at attempt 2, unstarted, while the dead worker is still listed as polling
 * (for up to 90 s); that is the no-worker hint's case, not a failing task's.
 */
export const FAILING_WORKFLOW_TASK_ATTEMPT = 3;

/** Where to find why a run's workflow task fails, and its usual cause; names no data of the run. */
export function failingTaskAdvice(): string {
  return "why is in the worker's log and in the run's history (Web UI); most often the workers lack the PEAKON_SYNC_ENCRYPTION_KEY the run was started with (they cannot decode its input), or a deploy broke them";
}

/**
 * Shows progress until `finished` settles: a redrawn bar on a terminal, a plain line whenever something changed
 * otherwise (CI logs, pipes). Returns once `finished` has settled. When the progress query keeps failing (for
 * `warnAfterMs`), says so once with the last query's reason and the likely cause (the run's workflow task failing on a
 * worker when the server says so; otherwise no worker answering), and once more when progress can be read again.
 */
export async function watchProgress(client: Client, runId: string, finished: Promise<unknown>, stream: ProgressStream, intervalMs = 1000, warnAfterMs = QUERY_FAILURES_WARN_AFTER_MS): Promise<void> {
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
    } catch (error) {
      // The run may not have started its first task yet; the next tick asks again. Only a long run of failures is news.
      if (failures === 0) failingSince = asked;
      failures += 1;
      const failingFor = Date.now() - failingSince;
      if (!warned && !settled && failures >= QUERY_FAILURES_BEFORE_WARNING && failingFor >= warnAfterMs) {
        warned = true;
        const task = await describeWorkflowTask(client, client.options.namespace, runId);
        const queue = task?.taskQueue === undefined ? 'its task queue' : `task queue "${task.taskQueue}"`;
        // Temporal's reason (a ServiceError's own message says only "Failed to query Workflow"); never a payload.
        const failed = `${failures} queries in a row failed, the last: ${errorText(error)}`;
        // A worker polls but fails the run's task (the server then refuses queries): starting a worker would not help.
        const why =
          task?.attempt !== undefined && task.attempt >= FAILING_WORKFLOW_TASK_ATTEMPT
            ? `the run's workflow task keeps failing on the worker of ${queue} (attempt ${task.attempt}): ${failingTaskAdvice()}`
            : `most likely no worker polls ${queue} (stopped, killed or overloaded): start one with \`peakon-sync worker\``;
        if (!settled) say(`progress of ${runId} could not be read for ${Math.round(failingFor / 1000)} s (${failed}): ${why}; this command keeps waiting`);
      }
    }
    await Promise.race([finished.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, intervalMs))]);
  }
  if (stream.isTTY && last) stream.write('\n');
}
