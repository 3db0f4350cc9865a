import { executeChild, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { partitionSizesOfPhase } from '../../sync/phases';
import { slidingWindow } from '../../workflows/window';

/**
 * The connector's workflow shape with nothing inside: a parent fans out to partitions, each partition to one child
 * per employee, each child runs one activity that does nothing, on an activity task queue of its own. What this costs
 * is the floor of the product design (a child workflow per employee) on a machine, whatever the connector does in it.
 */
export interface FloorShape {
  /**
   * What an employee costs: `child-activity` is the product design (a child workflow running one activity on the
   * SCIM queue); the others are the alternatives a product decision could choose, measured for comparison:
   * `child-local-activity` (the child runs its HTTP call as a local activity, off the rate-limited queue) and
   * `partition-activities` (no child per employee: the partition runs its employees' activities itself).
   */
  kind: FloorKind;
  employees: number;
  partitionSize: number;
  maxConcurrentPartitions: number;
  maxConcurrentEmployees: number;
  /** Like the connector's SCIM activities, on a task queue of their own (the connector's is rate limited per tenant). */
  activityQueue: string;
  /** Prefix of the partitions' and employees' workflow IDs. */
  idPrefix: string;
  /**
   * Employees in waves of these sizes, one after the other (each wave's partitions done before the next starts), as
   * the connector's phase 1 creates a tree level by level; absent: one wave of `employees`.
   */
  waves?: number[];
}

export const FLOOR_KINDS = ['child-activity', 'child-local-activity', 'partition-activities'] as const;
export type FloorKind = (typeof FLOOR_KINDS)[number];

interface FloorActivities {
  nothing(index: number): Promise<number>;
}

const activitiesOn = (taskQueue: string) => proxyActivities<FloorActivities>({ startToCloseTimeout: '1 minute', taskQueue });
const local = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '1 minute' });

export async function floorEmployeeWorkflow(index: number, activityQueue: string): Promise<number> {
  return await activitiesOn(activityQueue).nothing(index);
}

export async function floorEmployeeLocalWorkflow(index: number): Promise<number> {
  return await local.nothing(index);
}

export async function floorPartitionWorkflow(shape: FloorShape, first: number, count: number): Promise<number> {
  let done = 0;
  const indexes = Array.from({ length: count }, (_, offset) => first + offset);
  await slidingWindow(indexes, shape.maxConcurrentEmployees, async (index) => {
    const workflowId = `${shape.idPrefix}-employee-${index}`;
    if (shape.kind === 'partition-activities') await activitiesOn(shape.activityQueue).nothing(index);
    else if (shape.kind === 'child-local-activity') await executeChild(floorEmployeeLocalWorkflow, { workflowId, args: [index] });
    else await executeChild(floorEmployeeWorkflow, { workflowId, args: [index, shape.activityQueue] });
    done += 1;
  });
  return done;
}

export async function floorParentWorkflow(shape: FloorShape): Promise<number> {
  let done = 0;
  let waveStart = 0;
  const waves = shape.waves ?? [shape.employees];
  // Partitions sized as the connector sizes a wave's: small waves still fill every partition slot.
  const sizings = partitionSizesOfPhase(waves, shape);
  for (const [wave, waveSize] of waves.entries()) {
    const waveEnd = waveStart + waveSize;
    const partitionSize = sizings[wave]?.usual ?? shape.partitionSize;
    const firsts: number[] = [];
    for (let first = waveStart; first < waveEnd; first += partitionSize) firsts.push(first);
    await slidingWindow(firsts, shape.maxConcurrentPartitions, async (first) => {
      // Not `done += await …`: that reads `done` before the await, and partitions finishing meanwhile would be lost.
      const partitionDone = await executeChild(floorPartitionWorkflow, { workflowId: `${shape.idPrefix}-partition-${first}`, args: [shape, first, Math.min(partitionSize, waveEnd - first)] });
      done += partitionDone;
    });
    waveStart = waveEnd;
  }
  return done;
}
