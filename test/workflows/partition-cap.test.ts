/**
 * A phase with more employees than the cap on partitions allows at the configured `sync.partitionSize` runs in larger
 * partitions, so the parent's history stays bounded; runs the cap does not touch record nothing new (real Temporal dev
 * server, real sandbox over HTTP).
 */
import type { temporal } from '@temporalio/proto';
import { MAX_PARTITIONS_PER_PHASE } from '../../sync/phases';
import type { SyncReport } from '../../sync/report';
import { PARTITIONS_PER_PHASE_CAP_PATCH } from '../../workflows/partition-sizes';
import { generateOrg } from '../fixtures/org';
import { expectConverged } from '../harness/converged';
import { usePipelineTests } from '../harness/pipeline';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The ids of the patch markers a history recorded (Core writes each as plain JSON `{ id, deprecated }`). */
function patchIds(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((event) => {
    const data = event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
    if (event.markerRecordedEventAttributes?.markerName !== 'core_patch' || !data) return [];
    const parsed: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && 'id' in parsed && typeof parsed.id === 'string' ? [parsed.id] : [];
  });
}

function partitionStarts(events: readonly HistoryEvent[]): string[] {
  return events.flatMap((event) => {
    const started = event.startChildWorkflowExecutionInitiatedEventAttributes;
    return started?.workflowType?.name === 'syncPartitionWorkflow' && started.workflowId ? [started.workflowId] : [];
  });
}

describe('the cap on partitions per phase', () => {
  const pipeline = usePipelineTests();

  it('runs a phase that partitionSize 1 would split into more partitions than the cap in at most the cap (plus one per wave), recording the patch; a run within the cap records none', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(MAX_PARTITIONS_PER_PHASE + 10, 2);
    fixture.writeEmployees(employees);
    const config = { ...fixture.config, sync: { ...fixture.config.sync, partitionSize: 1, maxConcurrentPartitions: 20, maxConcurrentEmployees: 10 } };
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first = await fixture.startSync({ config });
        const report: SyncReport = await first.result();
        expect(report.failures).toEqual([]);
        expect(report.counts.created).toBe(employees.length);
        const events = (await first.fetchHistory()).events ?? [];
        const creates = partitionStarts(events).filter((id) => id.includes('/create/'));
        // Two waves (the manager, then everyone else): without the cap, one partition per employee.
        expect(creates.length).toBeLessThanOrEqual(MAX_PARTITIONS_PER_PHASE + 2);
        expect(creates.length).toBeLessThan(employees.length);
        expect(patchIds(events)).toContain(PARTITIONS_PER_PHASE_CAP_PATCH);
        expectConverged(fixture.sandbox.users(), employees);

        // Three changes: three partitions of one, as partitionSize 1 says, and no marker.
        const changed = employees.map((employee, index) => (index > 0 && index <= 3 ? { ...employee, department: 'Moved' } : employee));
        fixture.writeEmployees(changed);
        const second = await fixture.startSync({ config });
        const resync: SyncReport = await second.result();
        expect(resync.counts).toMatchObject({ updated: 3, failed: 0 });
        const resyncEvents = (await second.fetchHistory()).events ?? [];
        expect(partitionStarts(resyncEvents)).toHaveLength(3);
        expect(patchIds(resyncEvents)).not.toContain(PARTITIONS_PER_PHASE_CAP_PATCH);
      })(),
    );
  }, 240_000);
});
