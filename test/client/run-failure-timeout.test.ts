import { WorkflowFailedError } from '@temporalio/client';
import { formatFailedRun, readRunOutcome } from '../../client/commands/status';
import { runFailureMessage } from '../../client/format-report';
import { generateOrg } from '../fixtures/org';
import { TEST_TUNING, usePipelineTests } from '../harness/pipeline';

/**
 * A run that fails because an activity timed out before the run had ended: workflows/sync.ts puts only an activity's
 * ApplicationFailure (or a failed report step of a run that had ended) in its own words, so a plan's time-out reaches
 * the client as the SDK's ActivityFailure ("Activity task timed out") with the kind of time-out one cause deeper. What `sync --wait`, `status` and `status --employee` print names the step and the kind.
 * A real run on the dev server: its plan's every Peakon request is answered after 4 s, past a 1 s heartbeat time-out
 * (the plan heartbeats as each request goes out), as a plan OOM-killed on each attempt stops heartbeating.
 */
describe('a run failed by an activity time-out', () => {
  const pipeline = usePipelineTests();

  it('says which activity timed out and which time-out it was, not just "Activity task timed out"', async () => {
    // slowAnswers: a 10 s request deadline, so the request is still waiting (no error of its own) when the heartbeat
    // time-out ends the attempt.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 4_000 } }, slowAnswers: true });
    fixture.writeEmployees(generateOrg(3, 2));
    const workers = await fixture.startWorkers();
    const tuning = { ...TEST_TUNING, planHeartbeatTimeoutMs: 1_000, scimRetry: { ...TEST_TUNING.scimRetry, initialIntervalMs: 50, maximumIntervalMs: 50, maximumAttempts: 2 } };
    await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync({ tuning });
        const failure = await handle.result().then(() => undefined, (error: unknown) => error);
        expect(failure).toBeInstanceOf(WorkflowFailedError);
        // What the SDK alone says: the reason the client printed before.
        expect((failure as WorkflowFailedError).cause?.message).toBe('Activity task timed out');

        const said = runFailureMessage(failure as WorkflowFailedError);
        expect(said).toMatch(/^the planSync activity timed out \(heartbeat timeout: the worker running it stopped reporting progress, e\.g\. it was killed \(out of memory\?\), lost its connection or was blocked\), on its last allowed attempt/);
        // `status <run>`: the same words after the run's state.
        const outcome = await readRunOutcome(handle);
        expect('failed' in outcome && formatFailedRun(outcome.failed).split('\n')[0]).toBe(`${handle.workflowId} ended failed: ${said}`);
      })(),
    );
  });
});
