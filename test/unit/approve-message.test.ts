/**
 * What `peakon-sync approve` prints from the run's answer: "applied" only when every held leaver write ran; otherwise
 * why the run stopped and how many of the held writes finished. The leaver writes' own failures are told apart from the
 * run's others. (The answers themselves, from real runs: test/leavers/approve-partial.test.ts.)
 */
import { ServiceError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describeLeaverDecision, leaverDecisionExitCode, leaverDecisionFailure } from '../../client/commands/approve';
import type { LeaverDecisionResult } from '../../workflows/sync';

const approved = (fields: Partial<LeaverDecisionResult>): LeaverDecisionResult => ({ decision: 'approved', leavers: 5, deactivated: 5, deleted: 0, failed: 0, leaverPhase: 'completed', finished: 5, runFailures: 0, ...fields });

describe('the approve message', () => {
  it('every held write ran: applied, with the counts; the run\'s other failures are named as such', () => {
    expect(describeLeaverDecision(approved({}))).toBe('approved: 5 held leaver write(s) applied — deactivated 5, deleted 0');
    expect(describeLeaverDecision(approved({ runFailures: 2 }))).toBe('approved: 5 held leaver write(s) applied — deactivated 5, deleted 0; the run has 2 other failure(s) (see peakon-sync status)');
    expect(describeLeaverDecision(approved({ deactivated: 4, failed: 1, runFailures: 3 }))).toBe('approved: 5 held leaver write(s) ran — deactivated 4, deleted 0, failed 1; the run has 2 other failure(s) (see peakon-sync status)');
  });

  it('stopped partway: says why and how many of the held writes finished, never "applied —"', () => {
    const cases: [LeaverDecisionResult['leaverPhase'], string][] = [
      ['cancelled', 'the run was cancelled'],
      ['quarantined', 'the run was quarantined'],
      ['lock lost', 'the run lost its tenant lock'],
    ];
    for (const [leaverPhase, why] of cases) {
      expect(describeLeaverDecision(approved({ leaverPhase, finished: 2, deactivated: 2 }))).toBe(`approved, but not all applied: ${why} while the approved writes ran; 2 of 5 held leaver write(s) finished — deactivated 2, deleted 0; the other 3 were not written or not finished (see peakon-sync status)`);
    }
    expect(describeLeaverDecision(approved({ leaverPhase: 'failed', finished: 4, deactivated: 3, failed: 1, runFailures: 1 }))).toBe('approved, but not all applied: a partition of the run failed while the approved writes ran; 4 of 5 held leaver write(s) finished — deactivated 3, deleted 0, failed 1; the other 1 was not reported done (those of the failed partition may have been written) (see peakon-sync status)');
  });

  it('every held write ran, then the run stopped (the breaker tripped on the last one): ran, and then why', () => {
    expect(describeLeaverDecision(approved({ leaverPhase: 'quarantined', deactivated: 0, failed: 5, runFailures: 5 }))).toBe('approved: 5 held leaver write(s) ran — deactivated 0, deleted 0, failed 5; then the run was quarantined (see peakon-sync status)');
  });

  it('an answer of a run whose code predates the leaver phase\'s outcome: the run\'s counts, not "applied"', () => {
    expect(describeLeaverDecision({ decision: 'approved', leavers: 3, deactivated: 3, deleted: 0, failed: 2 })).toBe('approved: 3 held leaver write(s); the run so far: deactivated 3, deleted 0, 2 failure(s) (see peakon-sync status)');
  });

  it('rejected: nothing written', () => {
    expect(describeLeaverDecision({ decision: 'rejected', leavers: 3, deactivated: 0, deleted: 0, failed: 0 })).toBe('rejected: 3 held leaver write(s) dropped; nobody was deactivated');
  });

  it('the exit code: 0 only when every approved leaver write happened, and for a rejection; 1 when the phase stopped before they all finished or a write failed', () => {
    expect(leaverDecisionExitCode(approved({}))).toBe(0);
    // The run's other failures are not the approval's.
    expect(leaverDecisionExitCode(approved({ runFailures: 2 }))).toBe(0);
    expect(leaverDecisionExitCode(approved({ deactivated: 4, failed: 1, runFailures: 1 }))).toBe(1);
    for (const leaverPhase of ['cancelled', 'quarantined', 'lock lost', 'failed'] as const) {
      expect(leaverDecisionExitCode(approved({ leaverPhase, finished: 2, deactivated: 2 }))).toBe(1);
      // Every held write finished, none failed, then the run stopped (cancelled right after the last one): they all happened.
      expect(leaverDecisionExitCode(approved({ leaverPhase }))).toBe(0);
      expect(leaverDecisionExitCode(approved({ leaverPhase, deactivated: 3, deleted: 2 }))).toBe(0);
      // Every held write finished, but one failed: 1, whatever stopped the run.
      expect(leaverDecisionExitCode(approved({ leaverPhase, deactivated: 4, failed: 1, runFailures: 1 }))).toBe(1);
      // Stopped with one write left (or no count of the finished ones): 1.
      expect(leaverDecisionExitCode(approved({ leaverPhase, finished: 4, deactivated: 4 }))).toBe(1);
      expect(leaverDecisionExitCode(approved({ leaverPhase, finished: undefined }))).toBe(1);
    }
    expect(leaverDecisionExitCode({ decision: 'rejected', leavers: 3, deactivated: 0, deleted: 0, failed: 0 })).toBe(0);
    // An answer of a run whose code predates the leaver phase's outcome: as before, 0 (its `failed` is the run's).
    expect(leaverDecisionExitCode({ decision: 'approved', leavers: 3, deactivated: 3, deleted: 0, failed: 2 })).toBe(0);
  });

  it("the error line: the run's own refusal, not the SDK's wrapper; Temporal's reason behind the SDK's \"Failed to …\"", () => {
    // The run refused the answer: its reason is the failure the SDK wraps in "Workflow Update failed".
    expect(leaverDecisionFailure(new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'run x holds no leaver writes', nonRetryable: true })))).toBe('run x holds no leaver writes');
    // Temporal refused the call: the gRPC status (the reason) is the ServiceError's cause, whose own message says only what it tried.
    const grpc = (text: string): Error => Object.assign(new Error(text), { code: Number(text.split(' ')[0]) });
    expect(leaverDecisionFailure(new ServiceError('Failed to describe workflow', { cause: grpc('7 PERMISSION_DENIED: Request unauthorized.') }))).toBe('Failed to describe workflow: 7 PERMISSION_DENIED: Request unauthorized.');
    // Also when the update itself could not be delivered.
    expect(leaverDecisionFailure(new WorkflowUpdateFailedError('Workflow Update failed', new ServiceError('Failed to update workflow', { cause: grpc('14 UNAVAILABLE: No connection established') })))).toBe('Failed to update workflow: 14 UNAVAILABLE: No connection established');
  });
});
