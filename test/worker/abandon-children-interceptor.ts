// Bundled only by the control case of test/worker/sweep-children.test.ts: starts a run's partitions and employees with
// parent-close policy ABANDON (the tenant lock keeps its own), to show that the test's assertions tell children that
// end with their terminated parent from children that would go on writing. Never registered by a production worker.
import { ParentClosePolicy, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      startChildWorkflowExecution(input, next) {
        if (input.workflowType.endsWith('LockWorkflow')) return next(input);
        return next({ ...input, options: { ...input.options, parentClosePolicy: ParentClosePolicy.ABANDON } });
      },
    },
  ],
});
