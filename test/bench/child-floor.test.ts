import { FLOOR_KINDS, floorParentWorkflow, type FloorShape } from '../../bench/floor/workflows';
import { createWaveSizes, orgShape } from '../../bench/org-data';
import { connectToDevServer, withWorker, type TemporalTestContext } from '../harness/temporal';

/**
 * The floor benchmark (bench/child-floor.ts) is the README's evidence that the product design, not the connector,
 * sets the first load's Temporal ÷ baseline ratio. Its figures mean something only if every kind does exactly one
 * activity per employee and counts every employee (an earlier version lost the partitions that finished concurrently).
 */
describe('the floor benchmark’s workflows', () => {
  let temporal: TemporalTestContext;
  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    await temporal.close();
  });

  it.each(FLOOR_KINDS)('%s: one call per employee, every partition counted', async (kind) => {
    const shape: FloorShape = { kind, employees: 11, partitionSize: 3, maxConcurrentPartitions: 3, maxConcurrentEmployees: 2, activityQueue: `${temporal.taskQueue}-${kind}-activities`, idPrefix: `${temporal.taskQueue}-${kind}` };
    const remoteCalls: number[] = [];
    const localCalls: number[] = [];
    const done = await withWorker({ connection: temporal.nativeConnection, taskQueue: shape.activityQueue, activities: { nothing: async (index: number) => (remoteCalls.push(index), index) } }, () =>
      withWorker({ connection: temporal.nativeConnection, taskQueue: `${temporal.taskQueue}-${kind}`, workflowsPath: require.resolve('../../bench/floor/workflows'), activities: { nothing: async (index: number) => (localCalls.push(index), index) } }, () =>
        temporal.client.workflow.execute(floorParentWorkflow, { taskQueue: `${temporal.taskQueue}-${kind}`, workflowId: `${shape.idPrefix}-parent`, args: [shape] }),
      ),
    );
    expect(done).toBe(11);
    const calls = kind === 'child-local-activity' ? localCalls : remoteCalls;
    expect([...calls].sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, index) => index));
    expect(kind === 'child-local-activity' ? remoteCalls : localCalls).toEqual([]);
  });

  it('--like-bench: waves run one after the other, each complete before the next starts', async () => {
    const shape: FloorShape = { kind: 'child-activity', employees: 11, waves: [1, 4, 6], partitionSize: 3, maxConcurrentPartitions: 3, maxConcurrentEmployees: 2, activityQueue: `${temporal.taskQueue}-waves-activities`, idPrefix: `${temporal.taskQueue}-waves` };
    const calls: number[] = [];
    const done = await withWorker({ connection: temporal.nativeConnection, taskQueue: shape.activityQueue, activities: { nothing: async (index: number) => (calls.push(index), index) } }, () =>
      withWorker({ connection: temporal.nativeConnection, taskQueue: `${temporal.taskQueue}-waves`, workflowsPath: require.resolve('../../bench/floor/workflows') }, () =>
        temporal.client.workflow.execute(floorParentWorkflow, { taskQueue: `${temporal.taskQueue}-waves`, workflowId: `${shape.idPrefix}-parent`, args: [shape] }),
      ),
    );
    expect(done).toBe(11);
    const waveOf = (index: number) => (index < 1 ? 0 : index < 5 ? 1 : 2);
    expect(calls.map(waveOf)).toEqual([...calls.map(waveOf)].sort((a, b) => a - b));
    expect([...calls].sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, index) => index));
  });

  it("--like-bench's waves are the bench org's: one per tree level, leavers' reports in the first, leavers never created", () => {
    const shape = orgShape(120);
    const waves = createWaveSizes(shape);
    expect(waves.reduce((sum, size) => sum + size, 0)).toBe(shape.employees - shape.leavers);
    expect(waves).toHaveLength(shape.depth);
    // The CEO, and the people whose manager is a leaver (their Manager is left out: nothing to wait for).
    const isLeaver = (index: number) => (index + 1) % 40 === 0;
    const reportsOfLeavers = Array.from({ length: shape.employees }, (_, index) => index).filter((index) => index > 0 && !isLeaver(index) && isLeaver(Math.floor((index - 1) / shape.branching)));
    expect(reportsOfLeavers.length).toBeGreaterThan(0);
    expect(waves[0]).toBe(1 + reportsOfLeavers.length);
  });
});
