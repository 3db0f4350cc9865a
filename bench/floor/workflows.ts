import { executeChild, proxyActivities } from '@temporalio/workflow';
import { slidingWindow } from '../../workflows/window';

/**
 * The connector's workflow shape with nothing inside: a parent fans out to partitions, each partition to one child
 * per employee, each child runs one activity that does nothing, on an activity task queue of its own. What this costs is the floor of the product design
 * (a child workflow per employee) on a machine, whatever the connector does in it.
 */
export interface FloorShape {
  employees: number;
  partitionSize: number;
  maxConcurrentPartitions: number;
  maxConcurrentEmployees: number;
}

/** Like the connector's SCIM activities, on a task queue of their own (the connector's is rate limited per tenant). */
export const FLOOR_ACTIVITY_QUEUE = 'floor-activities';

const { nothing } = proxyActivities<{ nothing(index: number): Promise<number> }>({ startToCloseTimeout: '1 minute', taskQueue: FLOOR_ACTIVITY_QUEUE });

export async function floorEmployeeWorkflow(index: number): Promise<number> {
  return await nothing(index);
}

export async function floorPartitionWorkflow(first: number, count: number, width: number): Promise<number> {
  let done = 0;
  const indexes = Array.from({ length: count }, (_, offset) => first + offset);
  await slidingWindow(indexes, width, async (index) => {
    await executeChild(floorEmployeeWorkflow, { workflowId: `floor-employee-${index}`, args: [index] });
    done += 1;
  });
  return done;
}

export async function floorParentWorkflow(shape: FloorShape): Promise<number> {
  let done = 0;
  const firsts: number[] = [];
  for (let first = 0; first < shape.employees; first += shape.partitionSize) firsts.push(first);
  await slidingWindow(firsts, shape.maxConcurrentPartitions, async (first) => {
    // Not `done += await …`: that reads `done` before the await, and partitions finishing meanwhile would be lost.
    const partitionDone = await executeChild(floorPartitionWorkflow, { workflowId: `floor-partition-${first}`, args: [first, Math.min(shape.partitionSize, shape.employees - first), shape.maxConcurrentEmployees] });
    done += partitionDone;
  });
  return done;
}
