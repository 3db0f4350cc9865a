/**
 * Every committed history (test/replay/histories/, recorded from real runs by record.test.ts) still replays against
 * today's workflows: a change to workflow code that would break runs already in flight fails here, not in production.
 * How to change a workflow safely, and when to record: docs/versioning.md.
 */
import * as workflows from '../../workflows';
import { committedHistories, payloadProblems } from './histories';
import { bundleForReplay, describeFailures, quietReplayRuntime, replayHistories, type ReplayOutcome } from './replay';

const histories = committedHistories();

describe('committed workflow histories replay against the current workflow code', () => {
  let outcomes: ReplayOutcome[] = [];

  beforeAll(async () => {
    quietReplayRuntime();
    outcomes = await replayHistories(await bundleForReplay(require.resolve('../../workflows')), histories);
  }, 180_000);

  it('has a recorded history of every workflow type a worker registers', () => {
    const registered = Object.entries(workflows).filter(([, value]) => typeof value === 'function').map(([name]) => name).sort();
    const recorded = [...new Set(histories.map((history) => history.workflowType))].sort();
    expect(registered).toEqual(recorded);
  });

  it.each(histories.map((history) => [history.file] as const))('%s replays without a determinism violation or any other replay error', (file) => {
    const outcome = outcomes.find((candidate) => candidate.file === file);
    expect(outcome).toBeDefined();
    expect(describeFailures(outcome ? [outcome] : [])).toEqual([]);
  });

  it.each(histories.map((history) => [history.file, history] as const))('%s carries every payload inline, readable with the test-only key', async (_file, history) => {
    expect(await payloadProblems(history.history)).toEqual([]);
  });
});
