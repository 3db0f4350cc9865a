// Bundled only by test/worker/sweep-children.test.ts: the production workflows, their partitions and employees
// unchanged, but a sync whose workflow task fails at every attempt from the moment it gets the `test-break-run` signal,
// as a run does after a bad deploy breaks its replay (a plain Error in a handler fails the task, not the workflow, so
// the server retries it for ever and the run stays running, its children going on). Never registered by a production
// worker.
import { defineSignal, setHandler } from '@temporalio/workflow';
import { syncTenantWorkflow as productionSyncTenantWorkflow, type SyncWorkflowInput } from '../../workflows/sync';

export * from '../../workflows';

export const breakRunSignal = defineSignal('test-break-run');

export async function syncTenantWorkflow(input: SyncWorkflowInput): ReturnType<typeof productionSyncTenantWorkflow> {
  setHandler(breakRunSignal, () => {
    throw new Error('this run is stuck: its workflow task fails at every attempt');
  });
  return productionSyncTenantWorkflow(input);
}
