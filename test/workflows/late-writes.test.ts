/**
 * A slow Peakon that finishes a write after the client gave up on it: the create's retry may land first (201) and the
 * late original then meet the uniqueness check, or the original land first and the retry get 409 (then discovery finds
 * the user by the externalId it sent). Either order must leave one user per employee, counted created once. Made real:
 * the sandbox's hangThenApply fault applies every hung request after its hang, longer than the client's 2 s timeout.
 */
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { expectConverged } from '../harness/converged';
import { usePipelineTests } from '../harness/pipeline';

const HANG_MS = 3_000;

describe('writes a slow Peakon applies after the client gave up', () => {
  const pipeline = usePipelineTests();

  it('leave one user per employee, each counted created once', async () => {
    const fixture = await pipeline.fixture({ sandbox: { faults: { seed: 5, hangRate: 0.3, hangMs: HANG_MS, hangThenApply: true } } });
    const employees = generateOrg(20, 3);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    // Every original still hanging when the run ended lands now.
    await new Promise((resolve) => setTimeout(resolve, HANG_MS + 500));
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ created: employees.length, failed: 0 });
    const posts = fixture.sandbox.ops().filter((op) => op.method === 'POST');
    // The fault really happened: creates the client gave up on (no answer reached it: status null), each sent again.
    const hung = posts.filter((op) => op.status === null).length;
    expect(hung).toBeGreaterThan(0);
    expect(posts.length).toBeGreaterThanOrEqual(employees.length + hung);
    expectConverged(fixture.sandbox.users(), employees);
  }, 120_000);
});
