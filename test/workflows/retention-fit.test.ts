/**
 * A run whose writes at the configured budget would outlast half the worker's payload retention fails at its plan,
 * before it writes anything: the run reads its stored plan until it ends, and the retention sweep goes by age alone.
 * Real Temporal dev server, real workers, the sandbox over HTTP.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { LeaversSchema } from '../../config/schema';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, type PipelineFixture } from '../harness/pipeline';

describe('a run longer than the payload retention allows', () => {
  const pipeline = usePipelineTests();

  it('fails at its plan, naming the budget and PEAKON_SYNC_RETENTION_DAYS, and writes nothing', async () => {
    const before = process.env['PEAKON_SYNC_RETENTION_DAYS'];
    let fixture: PipelineFixture;
    // The workers' retention is read from the environment when the fixture builds their activities.
    process.env['PEAKON_SYNC_RETENTION_DAYS'] = '1';
    try {
      fixture = await pipeline.fixture();
    } finally {
      if (before === undefined) delete process.env['PEAKON_SYNC_RETENTION_DAYS'];
      else process.env['PEAKON_SYNC_RETENTION_DAYS'] = before;
    }
    fixture.writeEmployees(generateOrg(20, 3));
    // 20 creates at 1 an hour: 20 hours, more than half a day's retention (leavers off: no guard wait to add).
    const config = { ...fixture.config, peakon: { ...fixture.config.peakon, operationsPerHour: 1 }, leavers: LeaversSchema.parse({ action: 'off' }) };
    const workers = await fixture.startWorkers();
    const failure = await workers.runUntil((async () => (await fixture.startSync({ config })).result().then(() => undefined, (error: unknown) => error))());
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause?.message).toMatch(/^peakon\.operationsPerHour: this run's 20 writes at 1 an hour take about 20h, more than half this worker's payload retention \(PEAKON_SYNC_RETENTION_DAYS=1, at most 12h\)/);
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
    expect(fixture.sandbox.users()).toEqual([]);
  });
});
