import { temporal } from '@temporalio/proto';
import { readFileSync, statSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { mapEmployees } from '../../mapping/map';
import { employeeRefFor } from '../../sync/employee-ref';
import { createStepsOfWave, createWorkOfWave, MAX_PARTITION_BYTES, partitionBySize } from '../../sync/phases';
import { buildPlan } from '../../sync/plan';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

/** Temporal warns from 512 KB per payload and fails at 2 MB: nothing the connector keeps inline may come near it. */
const INLINE_LIMIT = 512 * 1024;

describe('payload sizes of a 10,000-employee tenant', () => {
  const pipeline = usePipelineTests();
  const employees = generateOrg(10_000, 7);
  /**
   * A finished workflow's whole history: every page (fetchHistory follows nextPageToken; one raw page may hold only a
   * prefix of a long history), checked to end with the workflow's completion, so a size check sees every event.
   */
  const completedHistory = async (workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> => {
    const events = (await pipeline.temporal.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    expect(events.at(-1)?.eventType).toBe(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    return events;
  };

  it('keeps partition inputs small at the largest partition size (1,000): steps by count, a pre-stored-plan run\'s work by bytes (256 KB)', async () => {
    const fixture = await pipeline.fixture();
    const config = { ...fixture.config, sync: { ...fixture.config.sync, partitionSize: 1000 } };
    const { employees: desired } = mapEmployees(employees as unknown as Record<string, unknown>[], config);
    expect(desired.length).toBeGreaterThan(9_000);
    const plan = buildPlan(desired, [], { matchingKey: 'email', updateMethod: 'patch', refOf: employeeRefFor(undefined, config.tenant) });
    // What partitions get today: steps into the stored plan (positions and references to leave out), a few dozen bytes
    // per employee, so even 1,000 of them stay far below the bound and a partition is cut by count.
    let stepPartitions = 0;
    for (let wave = 0; wave < plan.waves; wave += 1) {
      const { steps } = createStepsOfWave(plan.entries, wave, new Map());
      for (const partition of partitionBySize(steps, config.sync.partitionSize)) {
        stepPartitions += 1;
        expect(JSON.stringify({ phase: 'create', wave, steps: partition }).length).toBeLessThan(64 * 1024);
      }
    }
    expect(stepPartitions).toBeGreaterThanOrEqual(plan.waves);
    // A run that started before stored plans hands partitions the employees' work itself: cut by bytes as well.
    let workPartitions = 0;
    for (let wave = 0; wave < plan.waves; wave += 1) {
      const { work } = createWorkOfWave(plan.entries, wave, new Map());
      for (const partition of partitionBySize(work, config.sync.partitionSize)) {
        workPartitions += 1;
        const largestItem = Math.max(...partition.map((item) => JSON.stringify(item).length));
        expect(JSON.stringify(partition).length).toBeLessThanOrEqual(MAX_PARTITION_BYTES + largestItem);
      }
    }
    expect(workPartitions).toBeGreaterThan(plan.waves);
  });

  it('keeps no payload above 512 KB inline in a dry run\'s history with the default payload-store threshold, and writes the report 0600', async () => {
    const fixture = await pipeline.fixture();
    fixture.config.sync = { ...fixture.config.sync, partitionSize: 1000 };
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync({ dryRun: true })).result());
    expect(report.employees).toBeGreaterThan(9_000);
    expect(report.plan?.length).toBe(100);
    const sizes = (await completedHistory(report.runId)).map((event) => temporal.api.history.v1.HistoryEvent.encode(event).finish().length);
    expect(Math.max(...sizes)).toBeLessThan(INLINE_LIMIT);
    expect(statSync(report.reportPath ?? '').mode & 0o777).toBe(0o600);
  }, 240_000);

  it('keeps employees\' work out of the parent: partitions get steps into the stored plan, and results of about 100 employees go by reference', async () => {
    // The plan's entries are stored in pages; a partition's input is its steps (about 20 bytes per employee) and it
    // loads its work from the pages. Its result (about 200 bytes per employee) passes the 16 KiB default threshold at
    // 100 employees and goes to the payload store. Before, partition inputs and results stayed inline under a 128 KiB
    // threshold, and a 50,000-employee parent history reached 9.7 MB (248 partitions).
    const fixture = await pipeline.fixture();
    fixture.config.sync = { ...fixture.config.sync, partitionSize: 100, maxConcurrentPartitions: 2 };
    fixture.writeEmployees(generateOrg(400, 3));
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(report.status).toBe('completed');
    expect(report.counts.created).toBe(400);
    const events = await completedHistory(report.runId);
    const partitions = events.filter((event) => event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'syncPartitionWorkflow').length;
    // Waves of 1, about 20 and about 380 employees: the big wave runs as four partitions of about 95.
    expect(partitions).toBeGreaterThanOrEqual(4);
    expect(partitions).toBeLessThanOrEqual(8);
    const largestEvent = (historyEvents: typeof events) => Math.max(...historyEvents.map((event) => temporal.api.history.v1.HistoryEvent.encode(event).finish().length));
    expect(largestEvent(events)).toBeLessThan(16 * 1024);
    // The parent stored the plan and handed partitions steps: each loaded its employees' work from the plan's pages.
    const partitionIds = events.flatMap((event) => (event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'syncPartitionWorkflow' ? [event.startChildWorkflowExecutionInitiatedEventAttributes.workflowId ?? ''] : []));
    let employeeHistories = 0;
    for (const workflowId of partitionIds) {
      const partitionEvents = await completedHistory(workflowId);
      const loads = partitionEvents.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'loadCreateWork');
      expect(loads).toHaveLength(1);
      // Every workflow of the run, not only the parent, keeps its payloads under the threshold: the partition (its
      // loaded work and its result go by reference) and each of its employees.
      expect(largestEvent(partitionEvents)).toBeLessThan(16 * 1024);
      for (const event of partitionEvents) {
        const employeeId = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
        if (!employeeId) continue;
        employeeHistories += 1;
        expect(largestEvent(await completedHistory(employeeId))).toBeLessThan(16 * 1024);
      }
    }
    expect(employeeHistories).toBe(400);
    // The report reads each employee's changes from the pages too: a created employee lists every attribute it got.
    const file = JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile;
    const created = file.employees.filter((line) => line.status === 'created');
    expect(created).toHaveLength(400);
    for (const line of created) expect(line.changes.map((change) => change.field)).toEqual(expect.arrayContaining(['userName', 'name.givenName', 'Department']));
  }, 180_000);
});
