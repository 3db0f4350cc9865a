/**
 * .ci/summarize, the end of .ci/run: CI reads the last line, `tests: N passed, N failed`, so every failed step (the
 * moto install, the SCIM conformance check, a jest the timeout stopped) must count in it and come before it. Runs the
 * real script with bash over results files written here, as jest and .ci/progress-reporter.js write them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../../.ci/summarize');

interface Outcome {
  lines: string[];
  last: string;
  code: number | null;
}

describe('.ci/summarize', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ci-summarize-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: { status: number; moto?: 0 | 1; conformance?: 0 | 1; results?: object | string; progress?: object[] }): Outcome => {
    const results = path.join(dir, 'jest-results.json');
    const progress = path.join(dir, 'jest-progress.jsonl');
    if (args.results !== undefined) writeFileSync(results, typeof args.results === 'string' ? args.results : JSON.stringify(args.results));
    if (args.progress !== undefined) writeFileSync(progress, args.progress.map((line) => JSON.stringify(line)).join('\n') + '\n');
    const child = spawnSync('bash', [SCRIPT, String(args.status), String(args.moto ?? 0), String(args.conformance ?? 0), results, progress], { encoding: 'utf8' });
    const lines = child.stdout.split('\n').filter((line) => line.trim() !== '');
    return { lines, last: lines[lines.length - 1] ?? '', code: child.status };
  };
  const jestResults = (passed: number, failed: number, suiteErrors = 0) => ({ numPassedTests: passed, numFailedTests: failed, numRuntimeErrorTestSuites: suiteErrors });

  it('a clean run: jest\'s counts, exit 0', () => {
    expect(run({ status: 0, results: jestResults(12, 0) })).toEqual({ lines: ['tests: 12 passed, 0 failed'], last: 'tests: 12 passed, 0 failed', code: 0 });
  });

  it('failing tests and suites that could not run count, with npm test\'s exit code', () => {
    const outcome = run({ status: 1, results: jestResults(12, 2, 1) });
    expect(outcome.last).toBe('tests: 12 passed, 3 failed');
    expect(outcome.code).toBe(1);
  });

  it('a failed conformance check or moto install: said first, counted in the last line, exit 1', () => {
    const outcome = run({ status: 0, moto: 1, conformance: 1, results: jestResults(12, 0) });
    expect(outcome.lines.slice(0, -1)).toEqual([expect.stringContaining('moto install failed'), expect.stringContaining('SCIM conformance failed')]);
    expect(outcome.last).toBe('tests: 12 passed, 2 failed');
    expect(outcome.code).toBe(1);
  });

  it('results written, then jest stopped by the timeout: one failure more', () => {
    const outcome = run({ status: 124, results: jestResults(12, 0) });
    expect(outcome.lines[0]).toContain('stopped by the timeout');
    expect(outcome.last).toBe('tests: 12 passed, 1 failed');
    expect(outcome.code).toBe(124);
  });

  it('no results, only the progress of the files that finished: their counts and one failure for the stop', () => {
    const outcome = run({ status: 137, progress: [{ passed: 5, failed: 1 }, { passed: 7, failed: 0 }] });
    expect(outcome.lines).toContainEqual('2 test file(s) finished before that');
    expect(outcome.last).toBe('tests: 12 passed, 2 failed');
    expect(outcome.code).toBe(137);
  });

  it('a results file that cannot be read, or no jest at all: a failure, never a clean line', () => {
    const unreadable = run({ status: 0, results: '{"numPassed' });
    expect(unreadable.last).toBe('tests: 0 passed, 1 failed');
    expect(unreadable.code).toBe(1);
    rmSync(path.join(dir, 'jest-results.json'));
    const none = run({ status: 2 });
    expect(none.lines[0]).toContain('npm test stopped before jest ran any test file');
    expect(none.last).toBe('tests: 0 passed, 1 failed');
    expect(none.code).toBe(2);
  });
});
