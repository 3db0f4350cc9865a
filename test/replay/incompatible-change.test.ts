/**
 * The replay tests can fail: the committed histories replayed against a deliberately incompatible variant of the
 * workflows (incompatible/workflows.ts: employeeCreateWorkflow starts with a sleep) report a determinism violation for
 * every employee-create history, and nothing for the workflows the variant leaves alone.
 */
import { committedHistories } from './histories';
import { bundleForReplay, describeFailures, quietReplayRuntime, replayHistories, type ReplayOutcome } from './replay';

const histories = committedHistories();
const changedType = 'employeeCreateWorkflow';

describe('an incompatible workflow change fails the replay tests', () => {
  let outcomes: ReplayOutcome[] = [];

  beforeAll(async () => {
    quietReplayRuntime();
    outcomes = await replayHistories(await bundleForReplay(require.resolve('./incompatible/workflows')), histories);
  }, 180_000);

  it('reports a DeterminismViolationError, naming the file, for every history of the changed workflow type', () => {
    const changed = histories.filter((history) => history.workflowType === changedType).map((history) => history.file);
    expect(changed.length).toBeGreaterThan(0);
    const violations = outcomes.filter((outcome) => outcome.error?.name === 'DeterminismViolationError');
    expect(violations.map((outcome) => outcome.file)).toEqual(changed);
    for (const violation of violations) expect(violation.error?.message).toMatch(/nondetermin/i);
  });

  it('still replays every history of the workflows it did not change', () => {
    const others = outcomes.filter((outcome) => histories.find((history) => history.file === outcome.file)?.workflowType !== changedType);
    expect(others.length).toBeGreaterThan(0);
    expect(describeFailures(others)).toEqual([]);
  });
});
