import { childFloorResultFile, parsePipelineOptions, pipelineResultFile, runProblems, type ChildFloorNameOptions } from '../../bench/options';
import { DEFAULT_SQLITE_PRAGMAS } from '../../devserver/dev-server';

/**
 * The benchmarks write one result file per set of options that changes the figures (README, "Benchmarks"): two runs
 * that measure different things must not overwrite each other, and the default names must stay as the README cites them.
 */
describe('npm run bench’s result file', () => {
  const name = (...args: string[]) => pipelineResultFile(parsePipelineOptions(args));

  it('keeps the names of the default runs', () => {
    expect(name()).toBe('bench/results/pipeline-1000-latency-0.json');
    expect(name('--employees', '1000', '--first-load-only')).toBe('bench/results/pipeline-1000-latency-0-first-load-only.json');
    expect(name('--employees', '300')).toBe('bench/results/pipeline-300-latency-0.json');
    // A paced run has no baseline: its name says budget, not no-baseline.
    expect(name('--workers', '2', '--separate-workers', '--budget-per-hour', '14400', '--first-load-only')).toBe('bench/results/pipeline-1000-latency-0-workers-2-separate-workers-budget-14400-first-load-only.json');
    // The defaults spelt out are the defaults.
    expect(name('--history-sample', '2000', '--db-dir', '/dev/shm')).toBe('bench/results/pipeline-1000-latency-0.json');
  });

  it.each([
    [['--db-dir', 'memory'], 'db-memory'],
    [['--db-dir', '/var/tmp'], 'db-var_tmp'],
    [['--max-employees', '10'], 'max-employees-10'],
    [['--max-partitions', '3'], 'max-partitions-3'],
    [['--no-baseline'], 'no-baseline'],
    [['--history-sample', '0'], 'history-sample-0'],
  ])('%j names the file apart from the default run', (args, part) => {
    const file = name(...args);
    expect(file).not.toBe(name());
    expect(file).toContain(`-${part}`);
  });

  it('every option that changes the figures gives another file', () => {
    const variants = [[], ['--db-dir', 'memory'], ['--db-dir', '/tmp'], ['--max-employees', '10'], ['--max-partitions', '3'], ['--no-baseline'], ['--history-sample', '0'], ['--max-employees', '10', '--max-partitions', '3']];
    expect(new Set(variants.map((args) => name(...args))).size).toBe(variants.length);
  });
});

describe('child-floor’s result file', () => {
  const defaults: ChildFloorNameOptions = { employees: '1000', kind: 'child-activity', likeBench: false, cliPragmas: false, inMemory: false, dbDir: undefined, sqlitePragmas: undefined };
  const name = (changes: Partial<ChildFloorNameOptions> = {}) => childFloorResultFile({ ...defaults, ...changes });

  it('keeps the names of the default runs', () => {
    expect(name()).toBe('bench/results/child-floor-1000.json');
    expect(name({ likeBench: true })).toBe('bench/results/child-floor-1000-like-bench.json');
    expect(name({ cliPragmas: true })).toBe('bench/results/child-floor-1000-cli-pragmas.json');
    expect(name({ sqlitePragmas: [...DEFAULT_SQLITE_PRAGMAS], dbDir: '/dev/shm' })).toBe('bench/results/child-floor-1000.json');
  });

  it('--in-memory, --db-dir and --sqlite-pragma name the file apart', () => {
    expect(name({ inMemory: true })).toBe('bench/results/child-floor-1000-in-memory.json');
    expect(name({ dbDir: '/tmp' })).toBe('bench/results/child-floor-1000-db-tmp.json');
    expect(name({ sqlitePragmas: ['synchronous=FULL'] })).toBe('bench/results/child-floor-1000-pragmas-synchronous_FULL.json');
    const variants = [name(), name({ inMemory: true }), name({ dbDir: '/tmp' }), name({ sqlitePragmas: ['synchronous=FULL'] }), name({ sqlitePragmas: ['synchronous=OFF'] })];
    expect(new Set(variants).size).toBe(variants.length);
  });
});

describe('a benchmark run’s validity', () => {
  const clean = { status: 'completed', failed: 0, users: 975, counts: { created: 975, updated: 0 }, operationsByMethod: { GET: 2, POST: 975 } };
  const expected = { users: 975, work: { kind: 'first load', created: 975 } as const };

  it('a completed run with every user and nothing failed is a measurement', () => {
    expect(runProblems(clean, expected)).toEqual([]);
  });

  it.each(['completed_with_failures', 'quarantined', 'skipped'])('status %s is not', (status) => {
    expect(runProblems({ ...clean, status }, expected)).toEqual([`status ${status}`]);
  });

  it('failed employees or users missing from the sandbox are not', () => {
    expect(runProblems({ ...clean, failed: 2 }, expected)).toEqual(['2 failed']);
    expect(runProblems({ ...clean, users: 970 }, expected)).toEqual(['970 users in the sandbox, expected 975']);
  });
});
