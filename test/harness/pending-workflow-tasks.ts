import type { Client } from '@temporalio/client';

/** Partitions and employees of the run with a workflow task waiting for a worker (scheduled or started). */
export async function childrenWithPendingWorkflowTask(client: Client, runId: string): Promise<string[]> {
  const pending: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH "${runId}/" AND ExecutionStatus = "Running"` })) {
    const description = await client.workflow.getHandle(execution.workflowId, execution.runId).describe();
    if (description.raw.pendingWorkflowTask) pending.push(execution.workflowId);
  }
  return pending;
}
