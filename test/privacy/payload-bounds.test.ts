import { temporal } from '@temporalio/proto';
import { statSync } from 'node:fs';
import { mapEmployees } from '../../mapping/map';
import { employeeRefFor } from '../../sync/employee-ref';
import { createWorkOfWave, MAX_PARTITION_BYTES, partitionBySize } from '../../sync/phases';
import { buildPlan } from '../../sync/plan';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

/** Temporal warns from 512 KB per payload and fails at 2 MB: nothing the connector keeps inline may come near it. */
const INLINE_LIMIT = 512 * 1024;

describe('payload sizes of a 10,000-employee tenant', () => {
  const pipeline = usePipelineTests();
  const employees = generateOrg(10_000, 7);

  it('partitions the largest partition size (1,000) by bytes, so no partition input exceeds 256 KB', async () => {
    const fixture = await pipeline.fixture();
    const config = { ...fixture.config, sync: { ...fixture.config.sync, partitionSize: 1000 } };
    const { employees: desired } = mapEmployees(employees as unknown as Record<string, unknown>[], config);
    expect(desired.length).toBeGreaterThan(9_000);
    const plan = buildPlan(desired, [], { matchingKey: 'email', updateMethod: 'patch', refOf: employeeRefFor(undefined, config.tenant) });
    let partitions = 0;
    for (let wave = 0; wave < plan.waves; wave += 1) {
      const { work } = createWorkOfWave(plan.entries, wave, new Set());
      for (const partition of partitionBySize(work, config.sync.partitionSize)) {
        partitions += 1;
        const largestItem = Math.max(...partition.map((item) => JSON.stringify(item).length));
        expect(JSON.stringify(partition).length).toBeLessThanOrEqual(MAX_PARTITION_BYTES + largestItem);
      }
    }
    expect(partitions).toBeGreaterThan(plan.waves);
  });

  it('keeps no payload above 512 KB inline in a dry run\'s history with the default payload-store threshold, and writes the report 0600', async () => {
    const fixture = await pipeline.fixture();
    fixture.config.sync = { ...fixture.config.sync, partitionSize: 1000 };
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync({ dryRun: true })).result());
    expect(report.employees).toBeGreaterThan(9_000);
    expect(report.plan?.length).toBe(100);
    const { history } = await pipeline.temporal.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: report.runId } });
    const sizes = (history?.events ?? []).map((event) => temporal.api.history.v1.HistoryEvent.encode(event).finish().length);
    expect(Math.max(...sizes)).toBeLessThan(INLINE_LIMIT);
    expect(statSync(report.reportPath ?? '').mode & 0o777).toBe(0o600);
  }, 240_000);

  it('keeps partition work out of the parent\'s history: partition inputs and results of about 100 employees are references', async () => {
    // A partition's input is about 400 bytes per employee and its result about 200: at 100 employees both pass the
    // 16 KiB default threshold, go to the payload store, and the parent's history keeps a reference. With the old
    // 128 KiB default they stayed inline, and a 50,000-employee parent history reached 9.7 MB (248 partitions).
    const fixture = await pipeline.fixture();
    fixture.config.sync = { ...fixture.config.sync, partitionSize: 100, maxConcurrentPartitions: 2 };
    fixture.writeEmployees(generateOrg(400, 3));
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(report.status).toBe('completed');
    expect(report.counts.created).toBe(400);
    const { history } = await pipeline.temporal.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: report.runId } });
    const events = history?.events ?? [];
    const partitions = events.filter((event) => event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'syncPartitionWorkflow').length;
    // Waves of 1, about 20 and about 380 employees: the big wave runs as four partitions of about 95.
    expect(partitions).toBeGreaterThanOrEqual(4);
    expect(partitions).toBeLessThanOrEqual(8);
    const largest = Math.max(...events.map((event) => temporal.api.history.v1.HistoryEvent.encode(event).finish().length));
    expect(largest).toBeLessThan(16 * 1024);
  }, 180_000);
});
