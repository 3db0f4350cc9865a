import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { errorText } from '../client/errors';

// What the benchmarks read about processes from /proc (Linux): memory, CPU time, and the dev server among our children;
// and how the pipeline benchmark's runs go on when the workers they depend on go away (WorkerLoss, runOneAfterAnother).

export function procStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Descendants of this process whose command name is `name` (the dev server is spawned by the SDK's core). */
export function findDescendants(name: string): number[] {
  const parentOf = new Map<number, number>();
  const commOf = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      commOf.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parentOf.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  for (const [pid, comm] of commOf) {
    if (comm !== name) continue;
    for (let cursor = parentOf.get(pid); cursor !== undefined && cursor > 1; cursor = parentOf.get(cursor)) {
      if (cursor === process.pid) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

export function cpuSecondsOf(pid: number): number {
  // utime + stime (fields 14 and 15 of /proc/<pid>/stat), in clock ticks of 1/100 s.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Resets a process's VmHWM to its current RSS (writing 5 to /proc/<pid>/clear_refs, Linux ≥ 4.0), so the next VmHWM
 * read is the peak since now. False when the kernel or permissions refuse it: the caller falls back to sampling.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * The workers a benchmark's runs depend on going away: a worker process exiting (an OOM under --worker-heap-mb, a
 * crash), or the in-process worker's run() ending. The first loss is kept; `gone` rejects with it. After `stop()` (the
 * benchmark stopping the workers itself) nothing more is a loss.
 */
export class WorkerLoss {
  private first: Error | undefined;
  private stopped = false;
  private rejectGone: (error: Error) => void = () => undefined;
  readonly gone: Promise<never> = new Promise<never>((_, reject) => (this.rejectGone = reject));
  constructor() {
    this.gone.catch(() => undefined);
  }
  get error(): Error | undefined {
    return this.first;
  }
  lose(error: Error): void {
    if (this.stopped || this.first) return;
    this.first = error;
    this.rejectGone(error);
  }
  stop(): void {
    this.stopped = true;
  }
  /** `promise`, unless the workers go first: a run waiting on them would wait forever. */
  race<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.gone]);
  }
  /** The in-process worker: its run() ending before the runs do, failed or not, is a loss (nothing polls any more). */
  watch(run: Promise<unknown>): void {
    run.then(
      () => this.lose(new Error('the in-process worker stopped')),
      (error: unknown) => this.lose(new Error(`the in-process worker failed: ${errorText(error)}`, { cause: error })),
    );
  }
}

/** A benchmark run's steps, as runOneAfterAnother calls them. */
export interface RunSteps<S, R> {
  /** Before the run's sync starts (its input written, its memory peaks reset): needs no worker. */
  prepare(spec: S): Promise<void>;
  /** Starts the run's sync (needs no worker): `result` settles when it ends; `end` ends it early. */
  start(spec: S): Promise<{ result: Promise<R>; end(): Promise<void> }>;
  /** The sync ended with a report: its figures are recorded. */
  completed(spec: S, result: R): void;
  /** What the next run needs of this one (the tenant lock released): needs a worker. */
  settled(spec: S): Promise<unknown>;
  /** Checks and history reading after the run: need no worker. */
  inspect(spec: S, result: R): Promise<void>;
  /** The run failed (its sync, the workers' loss while it ran, a throw of any step): recorded `failed` with `error`. */
  failed(spec: S, error: unknown): void;
  /** The run was not started: the workers were lost after the run before it had completed. */
  notStarted(spec: S, error: Error): void;
}

/**
 * Runs `specs` one after the other; the runs after one that failed or was not started are not run (each builds on the
 * end state of the one before). Every wait on the workers is raced with their loss, so this always ends and the
 * caller closes the connections after it, not under a run still waiting. A loss:
 * - while a run's sync runs: that run failed, with the loss as its error;
 * - after a run's sync completed (the lock's release, the checks, the histories, the next run's preparation): that
 *   run's figures stand (its sync completed) and its checks are still made; the next run is recorded not started with
 *   the loss, or, after the last run, the loss is returned (`lostAfterLastRun`) for the output to say: workers that do
 *   not survive the benchmark make no valid measurement of it (an OOM under --worker-heap-mb counts wherever it comes).
 * `inProcessWorker` (the in-process worker's run(), if any) is watched as a worker process's exit is.
 */
export async function runOneAfterAnother<S, R>(specs: readonly S[], workers: WorkerLoss, inProcessWorker: Promise<unknown> | undefined, steps: RunSteps<S, R>): Promise<{ lostAfterLastRun?: Error }> {
  if (inProcessWorker) workers.watch(inProcessWorker);
  for (const spec of specs) {
    let result: R;
    let end: (() => Promise<void>) | undefined;
    try {
      await steps.prepare(spec);
      const lost = workers.error;
      if (lost) {
        steps.notStarted(spec, lost);
        return {};
      }
      const started = await steps.start(spec);
      end = started.end;
      result = await workers.race(started.result);
    } catch (error) {
      steps.failed(spec, error);
      // A sync left waiting for workers that are gone: ended, so its result's long poll ends before the connection
      // closes (a poll retried on a closed channel throws out of a timer).
      await end?.().catch(() => undefined);
      return {};
    }
    try {
      steps.completed(spec, result);
      await workers.race(steps.settled(spec)).catch((error: unknown) => {
        // The workers' loss here is the next run's (or the benchmark's) failure, not this run's.
        if (error !== workers.error) throw error;
      });
      await steps.inspect(spec, result);
    } catch (error) {
      steps.failed(spec, error);
      return {};
    }
  }
  return workers.error ? { lostAfterLastRun: workers.error } : {};
}
