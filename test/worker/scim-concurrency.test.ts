/**
 * A worker built without an explicit SCIM limit (the demo, `npm start`, embedders of createSyncWorkers) keeps as many
 * requests per tenant in flight as the worker command's documented default (PEAKON_SYNC_SCIM_CONCURRENCY, 10), not
 * more. Real Temporal dev server, real workers, real HTTP against the sandbox, whose every answer is held back so that
 * requests overlap; the sandbox's operation log says when each arrived and was answered.
 */
import type { OperationLogEntry } from '../../sandbox';
import type { SyncReport } from '../../sync/report';
import { DEFAULT_SCIM_CONCURRENCY } from '../../worker/environment';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

const EMPLOYEES = 30;
// Long enough that every request the limit allows is in flight before the first is answered, even on a busy CI
// machine (at 300 ms a loaded 2-core runner had only 6 of the 10 allowed overlapping).
const LATENCY_MS = 1_500;

/** The most requests the sandbox was answering at one moment. */
function maxInFlight(ops: readonly OperationLogEntry[]): number {
  const edges = ops.flatMap((op) => {
    if (op.answeredAt === null) throw new Error(`${op.method} ${op.path} was never answered`);
    return [
      { at: Date.parse(op.time), change: 1 },
      { at: Date.parse(op.answeredAt), change: -1 },
    ];
  });
  // At the same millisecond an answer counts before an arrival: the two did not overlap.
  edges.sort((a, b) => a.at - b.at || a.change - b.change);
  let current = 0;
  let max = 0;
  for (const edge of edges) {
    current += edge.change;
    max = Math.max(max, current);
  }
  return max;
}

describe('SCIM requests in flight per tenant', () => {
  const pipeline = usePipelineTests();

  it.each([
    ['the default', {}, (max: number) => expect(max).toBe(DEFAULT_SCIM_CONCURRENCY)],
    ['an explicit 30 (the control: the test sees more when the worker allows more)', { maxConcurrentScimActivities: 30 }, (max: number) => expect(max).toBeGreaterThan(DEFAULT_SCIM_CONCURRENCY)],
  ])('with %s, a first load of 30 employees that may all write at once keeps to the worker limit', async (_what, limits, expectMax) => {
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: LATENCY_MS } }, slowAnswers: true });
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 40, partitionSize: 50 };
    fixture.writeEmployees(generateOrg(EMPLOYEES, 1));
    const workers = await fixture.startWorkers(limits);
    const report = (await workers.runUntil(fixture.startSync().then((run) => run.result()))) as SyncReport;
    expect(report.status).toBe('completed');
    expect(report.counts.created).toBe(EMPLOYEES);
    const writes = fixture.sandbox.ops().filter((op) => op.method === 'POST');
    expect(writes).toHaveLength(EMPLOYEES);
    expectMax(maxInFlight(writes));
  }, 120_000);
});
