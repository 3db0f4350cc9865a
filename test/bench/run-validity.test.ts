import { mapCsvProblems, operationsMismatch, parseSyncOperationsArgs, runProblems, syncOperationsResultFile, type RunOutcome } from '../../bench/options';
import { changedEmployees, createWaveSizes, orgShape } from '../../bench/org-data';

/**
 * A benchmark's figures are published only for runs that did the work they claim (README, "Benchmarks"): a regression
 * that sends 5 of 10 PATCHes completes with nothing failed and every user in place, and its better figures must not
 * pass as a measurement.
 */
describe('a benchmark run must do its work to count', () => {
  const shape = orgShape(1000);
  const active = shape.employees - shape.leavers;
  const users = active;
  const run = (changes: Partial<RunOutcome> = {}): RunOutcome => ({ status: 'completed', failed: 0, users, counts: { created: 0, updated: 0, unchanged: active }, operationsByMethod: { GET: 11 }, ...changes });

  it('the expected creates are every active employee the generator writes (leavers never created)', () => {
    expect(active).toBe(975);
    expect(createWaveSizes(shape).reduce((sum, size) => sum + size, 0)).toBe(active);
  });

  it('a run that did not complete, failed an employee or left the sandbox a user short is no measurement, whatever the work', () => {
    const work = { kind: 'unchanged re-sync' } as const;
    expect(runProblems(run(), { users, work })).toEqual([]);
    expect(runProblems(run({ status: 'failed' }), { users, work })).toEqual(['status failed']);
    expect(runProblems(run({ failed: 1 }), { users, work })).toEqual(['1 failed']);
    expect(runProblems(run({ users: users - 1 }), { users, work })).toEqual(['974 users in the sandbox, expected 975']);
    expect(runProblems(run({ status: 'failed', failed: 2, users: users - 1 }), { users, work })).toEqual(['status failed', '2 failed', '974 users in the sandbox, expected 975']);
  });

  it('a first load that created fewer than every active employee is no measurement', () => {
    const work = { kind: 'first load', created: active } as const;
    expect(runProblems(run({ counts: { created: active }, operationsByMethod: { GET: 2, POST: active } }), { users, work })).toEqual([]);
    expect(runProblems(run({ counts: { created: 970 }, operationsByMethod: { GET: 2, POST: 970 } }), { users, work })).toEqual(['first load created 970, expected 975 (every active employee)', 'the sandbox received 970 POST, expected 975 (one per active employee)']);
    expect(runProblems(run({ counts: {}, operationsByMethod: { GET: 2, POST: active } }), { users, work })).toEqual(['first load created 0, expected 975 (every active employee)']);
  });

  it('a first load whose report says every employee created is no measurement unless the sandbox received one POST each and no other write', () => {
    const work = { kind: 'first load', created: active } as const;
    const counts = { created: active };
    expect(runProblems(run({ counts, operationsByMethod: { GET: 2, POST: 970 } }), { users, work })).toEqual(['the sandbox received 970 POST, expected 975 (one per active employee)']);
    expect(runProblems(run({ counts, operationsByMethod: { GET: 2, POST: 980 } }), { users, work })).toEqual(['the sandbox received 980 POST, expected 975 (one per active employee)']);
    expect(runProblems(run({ counts, operationsByMethod: { GET: 2, POST: active, PATCH: 3 } }), { users, work })).toEqual(['the sandbox also received 3 PATCH, expected no write but POST']);
    expect(runProblems(run({ counts, operationsByMethod: { GET: 2 } }), { users, work })).toEqual(['the sandbox received 0 POST, expected 975 (one per active employee)']);
  });

  it('an unchanged re-sync that wrote anything is no measurement', () => {
    const work = { kind: 'unchanged re-sync' } as const;
    expect(runProblems(run(), { users, work })).toEqual([]);
    expect(runProblems(run({ operationsByMethod: { GET: 11, PATCH: 3, DELETE: 1 } }), { users, work })).toEqual(['unchanged re-sync wrote 3 PATCH, 1 DELETE, expected no POST, PUT, PATCH or DELETE']);
    expect(runProblems(run({ operationsByMethod: { GET: 11, POST: 1 } }), { users, work })).toHaveLength(1);
    expect(runProblems(run({ operationsByMethod: { GET: 11, PUT: 1 } }), { users, work })).toHaveLength(1);
  });

  it('a re-sync with K changed that updated other than K is no measurement (5 of 10 PATCHes)', () => {
    const changed = changedEmployees(shape, 10);
    expect(changed.size).toBe(10);
    const work = { kind: 'changed re-sync', updated: changed.size } as const;
    expect(runProblems(run({ counts: { updated: 10 }, operationsByMethod: { GET: 11, PATCH: 10 } }), { users, work })).toEqual([]);
    expect(runProblems(run({ counts: { updated: 5 }, operationsByMethod: { GET: 11, PATCH: 5 } }), { users, work })).toEqual(['re-sync updated 5, expected 10 (the changed employees)', 'the sandbox received 5 PATCH, expected 10 (one per changed employee)']);
  });

  it('a re-sync whose report says 10 updated is no measurement when the sandbox received 5 PATCHes (or other writes)', () => {
    const work = { kind: 'changed re-sync', updated: 10 } as const;
    const counts = { updated: 10 };
    expect(runProblems(run({ counts, operationsByMethod: { GET: 11, PATCH: 5 } }), { users, work })).toEqual(['the sandbox received 5 PATCH, expected 10 (one per changed employee)']);
    expect(runProblems(run({ counts, operationsByMethod: { GET: 11, PATCH: 15 } }), { users, work })).toEqual(['the sandbox received 15 PATCH, expected 10 (one per changed employee)']);
    expect(runProblems(run({ counts, operationsByMethod: { GET: 11, PATCH: 10, PUT: 2, POST: 1 } }), { users, work })).toEqual(['the sandbox also received 1 POST, 2 PUT, expected no write but PATCH']);
  });

  it('Temporal and the baseline must send the same requests, method by method', () => {
    expect(operationsMismatch({ GET: 11, PATCH: 10 }, { GET: 11, PATCH: 10 })).toEqual([]);
    expect(operationsMismatch({ GET: 11, PATCH: 5 }, { GET: 11, PATCH: 10 })).toEqual(["requests differ from the baseline's: PATCH 5 (baseline 10)"]);
    expect(operationsMismatch({ GET: 2, POST: 975 }, { GET: 2, POST: 975, PUT: 1 })).toEqual(["requests differ from the baseline's: PUT 0 (baseline 1)"]);
  });
});

describe('map-csv’s validity', () => {
  it('every row read and mapped without a problem', () => {
    expect(mapCsvProblems(50_000, { recordsRead: 50_000, employees: 50_000, problems: 0 })).toEqual([]);
    expect(mapCsvProblems(50_000, { recordsRead: 50_000, employees: 49_998, problems: 2 })).toEqual(['49998 employees mapped, expected 50000', '2 mapping problems']);
    expect(mapCsvProblems(50_000, { recordsRead: 49_000, employees: 49_000, problems: 0 })).toEqual(['49000 records read, expected 50000', '49000 employees mapped, expected 50000']);
  });
});

describe('sync-operations’ result file', () => {
  const name = (...args: string[]) => syncOperationsResultFile(parseSyncOperationsArgs(args));

  it('names the size and the discovery, so a run of one discovery keeps the other’s figures', () => {
    expect(name()).toBe('bench/results/sync-operations-1000.json');
    expect(name('1000')).toBe('bench/results/sync-operations-1000.json');
    expect(name('1000', 'filter')).toBe('bench/results/sync-operations-1000-filter.json');
    expect(name('1000', 'list')).toBe('bench/results/sync-operations-1000-list.json');
    expect(name('300')).toBe('bench/results/sync-operations-300.json');
    expect(new Set([name(), name('1000', 'filter'), name('1000', 'list'), name('300')]).size).toBe(4);
  });

  it('refuses arguments it cannot name a file by', () => {
    expect(() => parseSyncOperationsArgs(['many'])).toThrow('employees must be an integer ≥ 1, got many');
    expect(() => parseSyncOperationsArgs(['1000', 'scan'])).toThrow('discovery must be list or filter, got scan');
  });
});
