/** The progress line `sync --wait` and `status` print: what each phase says, and that `done` does not misreport. */
import { describeProgress, type RunProgress } from '../../client/progress';

const base: RunProgress = { phase: 'create', done: 12, total: 30, failures: 1, operations: 40, operationsPerHour: 25_000 };

describe('describeProgress', () => {
  it('counts the employees of the phase in flight', () => {
    expect(describeProgress({ ...base, wave: 1, waves: 3 })).toBe('phase 1 (create, wave 2/3): 12/30 employees, 1 failed, 40 operations');
    expect(describeProgress({ ...base, phase: 'update', done: 0, total: 0 })).toBe('phase 2 (update): no employees to write, 1 failed, 40 operations');
  });

  it('at done says the run\'s failures and operations, not the last phase\'s empty count (a first load wrote 30)', () => {
    const line = describeProgress({ ...base, phase: 'done', done: 0, total: 0, failures: 0, operations: 32, secondsLeft: 0 });
    expect(line).toBe('done: 0 failed, 32 operations');
    expect(line).not.toContain('no employees to write');
  });
});
