/**
 * A plan that meets a 429 (another integration spent the tenant's hour) waits it out on a durable timer and plans again,
 * as an employee step does, instead of ending the run after five quick attempts. Real Temporal dev server, the sandbox
 * over HTTP with a small budget that the test lifts once the run has waited twice.
 */
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { expectConverged } from '../harness/converged';
import { eventually } from '../harness/wait';

describe('a plan rate limited by Peakon', () => {
  const pipeline = usePipelineTests();

  it('waits out the 429s and plans again; the run completes and counts every request, the refused ones included', async () => {
    // Two requests an hour, each 429 asking for one second: the test, not the hour, ends the limit.
    const fixture = await pipeline.fixture({ sandbox: { quotaPerHour: 2, faults: { rateLimitRetryAfter: 1 } } });
    const employees = generateOrg(5, 2);
    // No HR file yet: the plan asks Peakon (its preflight) before it reads the HR system, so a plan refused by a 429
    // never read it, and its retries after each wait do not read the whole HR system again in a shared plan slot.
    // Another integration's requests: the hour is spent before the run starts.
    for (let request = 0; request < 2; request += 1) {
      const answer = await fetch(`${fixture.sandbox.baseUrl}/Users?count=1`, { headers: { Authorization: `Bearer ${fixture.sandbox.token}` } });
      expect(answer.status).toBe(200);
    }
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync();
        // Two plans refused (each its own activity, failed at once): five quick attempts would have ended the run by now.
        await eventually('two rate-limited plans in the run history', async () => {
          const events = (await handle.fetchHistory()).events ?? [];
          if (events.some((event) => event.workflowExecutionFailedEventAttributes)) throw new Error('the run failed instead of waiting');
          return events.filter((event) => event.activityTaskFailedEventAttributes).length >= 2 || undefined;
        });
        fixture.writeEmployees(employees);
        fixture.sandbox.setQuotaPerHour(25_000);
        return (await handle.result()) as SyncReport;
      })(),
    );
    expect(report.status).toBe('completed');
    expect(report.counts).toMatchObject({ created: employees.length, failed: 0 });
    expectConverged(fixture.sandbox.users(), employees);
    const ops = fixture.sandbox.ops();
    expect(ops.filter((op) => op.status === 429).length).toBeGreaterThanOrEqual(2);
    // Every request the run sent is in its count, the 429s of its refused plans too (the sandbox also logged ours).
    expect(report.operations).toBe(ops.length - 2);
  });
});
