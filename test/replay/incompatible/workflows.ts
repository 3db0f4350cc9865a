// A deliberately incompatible change, bundled only by incompatible-change.test.ts to prove the replay tests catch one:
// every workflow as it is, except that employeeCreateWorkflow now waits a moment before its first SCIM step. A new run
// would work, but a run started by the real code replays a StartTimer where its history has an activity scheduled.
// Never registered by a worker.
import { sleep } from '@temporalio/workflow';
import { employeeCreateWorkflow as currentEmployeeCreateWorkflow } from '../../../workflows/employee';

export * from '../../../workflows';

export async function employeeCreateWorkflow(...args: Parameters<typeof currentEmployeeCreateWorkflow>): ReturnType<typeof currentEmployeeCreateWorkflow> {
  await sleep('1 second');
  return await currentEmployeeCreateWorkflow(...args);
}
