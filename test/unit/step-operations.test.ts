import { operationsBefore, timedOutStepOperations } from '../../sync/step-operations';

/**
 * The requests an employee step counts for attempts it cannot ask (earlier ones, or a last one Temporal timed out).
 * The count may exceed what Peakon received (a timed-out attempt counts one even if nothing was sent), never fall
 * below it: README, "the report's operation count".
 */
describe('step operation counts', () => {
  it('counts one request per earlier attempt without a heartbeat', () => {
    expect(operationsBefore(1, undefined)).toBe(0);
    expect(operationsBefore(4, undefined)).toBe(3);
  });

  it("adds one per attempt after the heartbeat of an attempt that sent more (a PUT's read, discovery's lookups)", () => {
    // Attempt 1 sent a GET and a PUT and said so; attempts 2 and 3 one each.
    expect(operationsBefore(4, { attempt: 1, operations: 2 })).toBe(4);
    // A heartbeat of the attempt itself (a retry of the same attempt's details) is not an earlier attempt's.
    expect(operationsBefore(2, { attempt: 2, operations: 5 })).toBe(1);
  });

  it('counts a timed-out last attempt and every attempt after the heartbeat, not only the most of the two', () => {
    // Attempt 1: GET + PUT (503), heartbeat {1, 2}; attempts 2–11: one GET each (503); attempt 12: a GET, then the worker
    // died and Temporal timed the attempt out. Peakon received 2 + 10 + 1 = 13.
    expect(timedOutStepOperations(12, { attempt: 1, operations: 2 })).toBe(13);
    // Without a heartbeat, every attempt one.
    expect(timedOutStepOperations(12, undefined)).toBe(12);
    expect(timedOutStepOperations(12, { unexpected: true })).toBe(12);
    // The last attempt heartbeated its own second request: what it said, which includes every earlier attempt.
    expect(timedOutStepOperations(3, { attempt: 3, operations: 5 })).toBe(5);
  });
});
