/**
 * A budget too small to list the tenant inside the plan's time fails the run after the first listing page, naming the
 * budget it needs, instead of holding a shared plan slot through attempt after timed-out attempt. Real Temporal dev
 * server, real workers, the sandbox over HTTP (its pages capped at 10 users, so 250 users are 25 pages).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { LeaversSchema } from '../../config/schema';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { employee } from '../sandbox/helpers';

describe('a listing longer than the plan may take', () => {
  const pipeline = usePipelineTests();

  it('fails at its first page, naming the budget the listing needs, and writes nothing', async () => {
    const fixture = await pipeline.fixture({ sandbox: { pageSizeCap: 10 } });
    fixture.sandbox.seedUsers(Array.from({ length: 250 }, (_, index) => employee(`other${index}@example.com`)));
    fixture.writeEmployees(generateOrg(3, 2));
    // 60 requests an hour: the 20 pages past the pacer's burst take 20 minutes, the plan has a minute (TEST_TUNING).
    const config = { ...fixture.config, peakon: { ...fixture.config.peakon, operationsPerHour: 60 }, leavers: LeaversSchema.parse({ action: 'off' }) };
    const workers = await fixture.startWorkers();
    const failure = await workers.runUntil((async () => (await fixture.startSync({ config })).result().then(() => undefined, (error: unknown) => error))());
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause?.message).toMatch(
      /^peakon\.operationsPerHour: listing the tenant's 250 Peakon users \(25 pages of 10\) at 60 requests an hour takes about 20m, more than the plan's time \(its start-to-close timeout, 1m\).*at least 1200 an hour/,
    );
    // One attempt: the schema read and the first page (a second attempt would have listed again).
    const listings = fixture.sandbox.ops().filter((op) => op.method === 'GET' && op.path.includes('/Users'));
    expect(listings).toHaveLength(1);
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
  });
});
