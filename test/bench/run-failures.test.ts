import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runOneAfterAnother, WorkerLoss, type RunSteps } from '../../bench/processes';

/**
 * How the pipeline benchmark records its runs when the workers go (README, "Performance": a run that fails is recorded
 * `failed` with its error, the runs after it skipped, the file still written). Killing a worker process at the precise
 * moment (while the tenant lock is released, or while the in-process worker's run() rejects mid-sync) cannot be made
 * deterministic with real processes, so the runs' order and what each is recorded as are driven here through the same
 * runOneAfterAnother the benchmark calls, with steps that record what was called.
 */
describe('the benchmark’s runs when the workers go', () => {
  const never = new Promise<never>(() => undefined);
  /** Steps recording each call; `result(spec)` is the sync's result, `settled` the lock's release. */
  const steps = (overrides: Partial<{ result: (spec: string) => Promise<string>; settled: (spec: string) => Promise<unknown>; inspect: (spec: string) => Promise<void> }> = {}) => {
    const log: string[] = [];
    const recorded: RunSteps<string, string> = {
      prepare: async (spec) => void log.push(`prepare ${spec}`),
      start: async (spec) => {
        log.push(`start ${spec}`);
        return { result: overrides.result?.(spec) ?? Promise.resolve('completed'), end: async () => void log.push(`end ${spec}`) };
      },
      completed: (spec, result) => void log.push(`${spec} ${result}`),
      settled: (spec) => overrides.settled?.(spec) ?? Promise.resolve(),
      inspect: async (spec) => {
        log.push(`inspect ${spec}`);
        await overrides.inspect?.(spec);
      },
      failed: (spec, error) => void log.push(`${spec} failed: ${error instanceof Error ? error.message : String(error)}`),
      notStarted: (spec, error) => void log.push(`${spec} not started: ${error.message}`),
    };
    return { log, recorded };
  };
  /** The driver's outcome, or 'still waiting' when it has not ended within `ms`: a run left waiting on gone workers. */
  const within = <T>(promise: Promise<T>, ms = 2_000) => Promise.race([promise, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), ms).unref())]);

  it('every run completes and is inspected, in order, when the workers stay', async () => {
    const { log, recorded } = steps();
    expect(await runOneAfterAnother(['first', 'second'], new WorkerLoss(), undefined, recorded)).toEqual({});
    expect(log).toEqual(['prepare first', 'start first', 'first completed', 'inspect first', 'prepare second', 'start second', 'second completed', 'inspect second']);
  });

  it('a worker process exiting after run k completed (the lock not yet released): k stays completed and is still checked; the next run is recorded not started with the exit', async () => {
    const workers = new WorkerLoss();
    const { log, recorded } = steps({
      settled: (spec) => {
        if (spec !== 'first') return Promise.resolve();
        // The lock's release needs a worker: gone, it would never come.
        workers.lose(new Error('worker process 0 exited (exit code null, signal SIGKILL)'));
        return never;
      },
    });
    expect(await within(runOneAfterAnother(['first', 'second', 'third'], workers, undefined, recorded))).toEqual({});
    expect(log).toEqual(['prepare first', 'start first', 'first completed', 'inspect first', 'prepare second', 'second not started: worker process 0 exited (exit code null, signal SIGKILL)']);
  });

  it('a worker process exiting while the last run’s histories are read: that run stands, and the loss is returned for the output to say', async () => {
    const workers = new WorkerLoss();
    const { log, recorded } = steps({ inspect: async () => workers.lose(new Error('worker process 0 exited (exit code 137, signal null)')) });
    const outcome = await within(runOneAfterAnother(['first'], workers, undefined, recorded));
    expect(outcome).toEqual({ lostAfterLastRun: new Error('worker process 0 exited (exit code 137, signal null)') });
    expect(log).toEqual(['prepare first', 'start first', 'first completed', 'inspect first']);
  });

  it('the in-process worker’s run() rejecting while a sync runs: that run is recorded failed with the worker’s error at once, its sync ended', async () => {
    const { log, recorded } = steps({ result: () => never });
    let fail: (error: Error) => void = () => undefined;
    const inProcessWorker = new Promise<void>((_, reject) => (fail = reject));
    const driven = runOneAfterAnother(['first', 'second'], new WorkerLoss(), inProcessWorker, recorded);
    await new Promise((resolve) => setImmediate(resolve));
    fail(new Error('Shutdown requested: core panicked'));
    expect(await within(driven)).toEqual({});
    expect(log).toEqual(['prepare first', 'start first', 'first failed: the in-process worker failed: Shutdown requested: core panicked', 'end first']);
  });

  it('a worker lost after the benchmark stopped the workers is no loss', async () => {
    const workers = new WorkerLoss();
    workers.stop();
    workers.lose(new Error('worker process 0 exited (exit code 0, signal null)'));
    expect(workers.error).toBeUndefined();
  });
});

/**
 * An error before any run (here the dev server's database folder missing; the dev server or the sandbox not starting
 * fail the same way) comes after the old result file was removed: the benchmark writes its failure under the name.
 */
describe('npm run bench failing before any run', () => {
  const built = path.resolve(__dirname, '../../dist/bench/pipeline.js');
  let cwd: string;
  beforeAll(() => {
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first (npm test does)`);
    cwd = mkdtempSync(path.join(os.tmpdir(), 'bench-fails-early-'));
    symlinkSync(path.resolve(__dirname, '../../examples'), path.join(cwd, 'examples'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('writes a failed result file with the error in place of the old one, and exits 1', async () => {
    const missing = path.join(cwd, 'no-such-folder');
    const file = path.join(cwd, 'bench/results/pipeline-3-latency-0-no-baseline-db-' + missing.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]+/g, '_') + '.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ valid: true, note: 'an earlier run’s figures' }));
    const ran = await promisify(execFile)(process.execPath, [built, '--employees', '3', '--no-baseline', '--db-dir', missing], { cwd }).then(
      () => ({ code: 0 }),
      (error: { code: number }) => ({ code: error.code }),
    );
    expect(ran.code).toBe(1);
    const written = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({ command: `npm run bench -- --employees 3 --no-baseline --db-dir ${missing}`, valid: false, status: 'failed' });
    expect(String(written.error)).toContain('no-such-folder');
    expect(written.invalidBecause).toEqual([`the benchmark failed: ${String(written.error)}`]);
  });
});
