/**
 * The partition's circuit breaker (workflows/partition.ts), at the edges the README states: a run is quarantined when
 * more than 40% of a partition's last 50 writes failed after retries, counted once the partition has 20 outcomes.
 */
import type { EmployeeOutcome, EmployeeStatus } from '../../sync/types';
import { BREAKER_FAILURE_SHARE, BREAKER_MIN_SAMPLES, BREAKER_WINDOW, circuitBreaker } from '../../workflows/partition';

let counter = 0;
const outcome = (status: EmployeeStatus): EmployeeOutcome => {
  counter += 1;
  return { ref: `e-${counter}`, employeeKey: `person${counter}@example.com`, phase: 'create', status, operations: 1, ...(status === 'failed' ? { reason: `503 number ${counter}`, errorType: 'ServerError' } : {}) };
};

/** A breaker fed `statuses` in order; its verdict after the last one. */
function feed(statuses: EmployeeStatus[]) {
  const breaker = circuitBreaker();
  for (const status of statuses) breaker.record(outcome(status));
  return breaker;
}

const times = (count: number, status: EmployeeStatus): EmployeeStatus[] => Array.from({ length: count }, () => status);

describe('the circuit breaker', () => {
  it('has the README\'s numbers: a window of 50, 20 outcomes before it counts, more than 40% failed', () => {
    expect(BREAKER_WINDOW).toBe(50);
    expect(BREAKER_MIN_SAMPLES).toBe(20);
    expect(BREAKER_FAILURE_SHARE).toBe(0.4);
  });

  it('does not trip before 20 outcomes, even when all 19 failed', () => {
    expect(feed(times(19, 'failed')).tripped()).toBeUndefined();
    expect(feed([]).tripped()).toBeUndefined();
  });

  it('trips at the 20th outcome when they all failed', () => {
    expect(feed(times(20, 'failed')).tripped()).toMatch(/^circuit breaker: 20 of the last 20 Peakon writes failed \(latest: 503 number \d+\); the run stopped writing$/);
  });

  it('at 20 outcomes: 8 failed (exactly 40%) does not trip, 9 failed (45%) does', () => {
    expect(feed([...times(12, 'created'), ...times(8, 'failed')]).tripped()).toBeUndefined();
    expect(feed([...times(8, 'failed'), ...times(12, 'created')]).tripped()).toBeUndefined();
    expect(feed([...times(11, 'created'), ...times(9, 'failed')]).tripped()).toMatch(/^circuit breaker: 9 of the last 20 Peakon writes failed/);
    // Where the failures fall among the 20 does not matter.
    expect(feed([...times(9, 'failed'), ...times(11, 'updated')]).tripped()).toMatch(/^circuit breaker: 9 of the last 20/);
  });

  it('at a full window of 50: 20 failed (40%) does not trip, 21 does', () => {
    expect(feed([...times(30, 'created'), ...times(20, 'failed')]).tripped()).toBeUndefined();
    expect(feed([...times(29, 'created'), ...times(21, 'failed')]).tripped()).toMatch(/^circuit breaker: 21 of the last 50/);
  });

  it('counts only the last 50 outcomes: old failures slide out of the window', () => {
    // 15 failures, 35 successes, then 10 failures: 25 of all 60 outcomes failed (42%, would trip), but the window holds
    // the last 50 only, where the first 10 failures are gone: 15 of 50 (30%), not tripped.
    const breaker = feed([...times(15, 'failed'), ...times(35, 'created'), ...times(10, 'failed')]);
    expect(breaker.tripped()).toBeUndefined();
    // Six more failures push out the other five old ones and a success: 16 of 50, still not tripped.
    for (const status of times(6, 'failed')) breaker.record(outcome(status));
    expect(breaker.tripped()).toBeUndefined();
    // Five more push out successes only: 21 of 50 (42%), tripped.
    for (const status of times(5, 'failed')) breaker.record(outcome(status));
    expect(breaker.tripped()).toMatch(/^circuit breaker: 21 of the last 50/);
  });

  it('counts only the last 50 outcomes: old successes slide out too', () => {
    // 40 successes, 20 failures: 20 of 60 overall (33%); the window's 30 successes and 20 failures are 40%, not tripped.
    const breaker = feed([...times(40, 'created'), ...times(20, 'failed')]);
    expect(breaker.tripped()).toBeUndefined();
    // One failure more: 21 of 61 overall (34%) but 21 of the last 50 (42%), tripped.
    breaker.record(outcome('failed'));
    expect(breaker.tripped()).toMatch(/^circuit breaker: 21 of the last 50/);
  });

  it('is no latch by itself (the partition keeps its first stop reason): early failures pushed out leave it untripped', () => {
    const breaker = feed(times(20, 'failed'));
    expect(breaker.tripped()).toMatch(/^circuit breaker: 20 of the last 20/);
    for (const status of times(49, 'created')) breaker.record(outcome(status));
    // Window: the last failure and 49 successes.
    expect(breaker.tripped()).toBeUndefined();
    // And once full of successes, one failure more is 1 of 50.
    breaker.record(outcome('created'));
    breaker.record(outcome('failed'));
    expect(breaker.tripped()).toBeUndefined();
  });

  it('counts only failed outcomes as failures: skipped, unchanged and found are not', () => {
    // Each kind alone past the 40% line (21 of the last 50): counted as failed, any one of them would trip it.
    for (const status of ['skipped', 'unchanged', 'found'] as const) {
      expect(feed([...times(29, 'created'), ...times(21, status)]).tripped()).toBeUndefined();
    }
    // The control: 21 failed in the same place do trip it.
    expect(feed([...times(29, 'created'), ...times(21, 'failed')]).tripped()).toMatch(/^circuit breaker: 21 of the last 50/);
  });
});
