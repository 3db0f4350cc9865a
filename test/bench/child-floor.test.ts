import { FLOOR_KINDS, floorParentWorkflow, type FloorShape } from '../../bench/floor/workflows';
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
});
