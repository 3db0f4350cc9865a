/**
 * The report's operation count includes a request the plan sent in an attempt that timed out while the request was in
 * flight: the plan heartbeats each request as it goes out, and the next attempt starts from that count. End to end:
 * Temporal dev server (the plan's heartbeat timeout and retry are the server's), the sandbox over real HTTP.
 */
import { temporal } from '@temporalio/proto';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { TEST_TUNING, usePipelineTests } from '../harness/pipeline';
import { expectConverged } from '../harness/converged';

describe('a plan attempt that times out mid-request', () => {
  const pipeline = usePipelineTests();

  it('has counted the request: the next attempt plans, and the report counts every request Peakon received', async () => {
    // The first request (the preflight's schema read) is held far longer than the plan's 2 s heartbeat timeout and
    // the test; the client would wait 50 s for it (its timeout), so only the attempt's timeout ends the attempt.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 120_000 } } });
    fixture.config.peakon = { ...fixture.config.peakon, timeoutMs: 50_000 };
    const employees = generateOrg(8, 2);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const run = await fixture.startSync({ tuning: { ...TEST_TUNING, planHeartbeatTimeoutMs: 2_000 } });
    const report: SyncReport = await workers.runUntil(
      (async () => {
        const deadline = Date.now() + 30_000;
        while (fixture.sandbox.ops().length === 0) {
          if (Date.now() > deadline) throw new Error('the plan sent no request');
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        // Only that request is held: its latency was drawn on arrival, every later request is answered at once.
        fixture.sandbox.setFaults({});
        return (await run.result()) as SyncReport;
      })(),
    );
    // The plan's first attempt timed out (its heartbeat timeout: it was waiting on the request) and its second planned.
    const events = (await run.fetchHistory()).events ?? [];
    const planScheduled = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'planSync')?.eventId?.toString();
    const planStarted = events.find((event) => event.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === planScheduled)?.activityTaskStartedEventAttributes;
    expect(planStarted?.attempt).toBe(2);
    expect(planStarted?.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
    const ops = fixture.sandbox.ops();
    // The held request was never answered (the attempt timed out, then its worker dropped it): no status logged.
    expect(ops[0]).toMatchObject({ method: 'GET', status: null });
    expect(ops.filter((op) => op.status === null)).toHaveLength(1);
    // The plan ran a second attempt: the schema was requested again and answered.
    expect(ops.filter((op) => op.method === 'GET' && op.path.includes('/Schemas') && op.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ created: employees.length, failed: 0 });
    expectConverged(fixture.sandbox.users(), employees);
    // Every request Peakon received, the timed-out one included.
    expect(report.operations).toBe(ops.length);
  });
});
