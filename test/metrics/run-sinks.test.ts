import type { MetricCounter, MetricGauge, MetricHistogram, MetricMeter, MetricTags } from '@temporalio/common';
import type { WorkflowInfo } from '@temporalio/workflow';
import { EMPLOYEES, LEAVER_HOLDS, RUN_DURATION, RUNS } from '../../metrics/definitions';
import { runMetricsSinks, type RunEnd } from '../../metrics/run-sinks';

interface Recorded {
  name: string;
  value: number;
  tags: MetricTags;
}

/** A MetricMeter that remembers every value, as the Prometheus exporter would add them up. */
function recordingMeter(recorded: Recorded[]): MetricMeter {
  const record = (name: string) => (value: number, tags: MetricTags = {}) => {
    recorded.push({ name, value, tags });
  };
  const counter = (name: string): MetricCounter => ({ name, kind: 'counter', valueType: 'int', add: record(name), withTags: () => counter(name) });
  const histogram = (name: string): MetricHistogram => ({ name, kind: 'histogram', valueType: 'float', record: record(name), withTags: () => histogram(name) });
  const gauge = (name: string): MetricGauge => ({ name, kind: 'gauge', valueType: 'float', set: record(name), withTags: () => gauge(name) });
  const meter: MetricMeter = { createCounter: counter, createHistogram: histogram, createGauge: gauge, withTags: () => meter };
  return meter;
}

// Only the fields the sink reads; a whole WorkflowInfo would be noise here.
const info = (runId: string) => ({ workflowId: 'peakon-sync/acme/2026-11-28T02:00:00Z', runId, namespace: 'default', taskQueue: 'peakon-sync', workflowType: 'syncTenantWorkflow' }) as WorkflowInfo;

const end: RunEnd = { tenant: 'acme', status: 'completed', dryRun: false, durationSeconds: 12.5, employees: { created: 3, updated: 1, unchanged: 6 } };

describe('run metrics sink', () => {
  it('records a run once, even when its last workflow task runs again (completion rejected, e.g. UnhandledCommand)', async () => {
    const recorded: Recorded[] = [];
    const { runEnded } = runMetricsSinks(() => recordingMeter(recorded)).runMetrics;
    await runEnded.fn(info('run-1'), end);
    await runEnded.fn(info('run-1'), end);
    await runEnded.fn(info('run-2'), { ...end, status: 'quarantined', employees: { created: 0 } });

    const runs = recorded.filter((entry) => entry.name === RUNS.name);
    expect(runs.map((entry) => [entry.tags.status, entry.value])).toEqual([['completed', 1], ['quarantined', 1]]);
    expect(runs[0]?.tags).toEqual({ namespace: 'default', taskQueue: 'peakon-sync', workflowType: 'syncTenantWorkflow', tenant: 'acme', status: 'completed', dry_run: 'false' });
    expect(recorded.filter((entry) => entry.name === RUN_DURATION.name).map((entry) => entry.value)).toEqual([12.5, 12.5]);
    const employees = recorded.filter((entry) => entry.name === EMPLOYEES.name).map((entry) => [entry.tags.outcome, entry.value]);
    expect(employees).toEqual([['created', 3], ['updated', 1], ['unchanged', 6], ['created', 0]]);
    expect(runEnded.callDuringReplay).toBe(false);
  });

  it('counts a run whose guard held leaver writes, when it ends, by decision (timed_out: dropped, nobody decided); runs that held none are not counted', async () => {
    const recorded: Recorded[] = [];
    const { runEnded } = runMetricsSinks(() => recordingMeter(recorded)).runMetrics;
    await runEnded.fn(info('held-1'), { ...end, leaverHold: 'timed out' });
    await runEnded.fn(info('held-1'), { ...end, leaverHold: 'timed out' });
    await runEnded.fn(info('held-2'), { ...end, leaverHold: 'approved' });
    await runEnded.fn(info('held-3'), { ...end, status: 'cancelled', leaverHold: 'cancelled' });
    await runEnded.fn(info('held-4'), { ...end, leaverHold: 'rejected' });
    await runEnded.fn(info('none'), end);
    const holds = recorded.filter((entry) => entry.name === LEAVER_HOLDS.name);
    expect(holds.map((entry) => [entry.tags.decision, entry.value])).toEqual([['timed_out', 1], ['approved', 1], ['cancelled', 1], ['rejected', 1]]);
    expect(holds[0]?.tags).toEqual({ namespace: 'default', taskQueue: 'peakon-sync', workflowType: 'syncTenantWorkflow', tenant: 'acme', decision: 'timed_out' });
    expect(LEAVER_HOLDS.labels).toEqual(['tenant', 'decision']);
  });

  it('counts a dry run as a run, but not its planned employees', async () => {
    const recorded: Recorded[] = [];
    await runMetricsSinks(() => recordingMeter(recorded)).runMetrics.runEnded.fn(info('dry'), { ...end, dryRun: true });
    expect(recorded.map((entry) => entry.name)).toEqual([RUNS.name, RUN_DURATION.name]);
    expect(recorded[0]?.tags.dry_run).toBe('true');
  });
});
