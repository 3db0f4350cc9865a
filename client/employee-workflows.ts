import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { employeeRef } from '../sync/employee-ref';
import { describeChange } from '../sync/trace';
import type { EmployeeOutcome, SyncPhase } from '../sync/types';
import { employeeRefKeyFromEnv } from '../worker/create-worker';
import { employeeWorkflowId } from '../workflows/ids';

/** `peakon-sync/<tenant>/<time>…` → the tenant. */
export function tenantOfRun(runId: string): string {
  const tenant = runId.split('/')[1];
  if (!runId.startsWith('peakon-sync/') || !tenant) throw new Error(`${runId} is not a sync run ID (peakon-sync/<tenant>/<time>)`);
  return tenant;
}

export interface EmployeeStep {
  phase: SyncPhase;
  workflowId: string;
  status: string;
  outcome?: EmployeeOutcome;
}

/**
 * An employee's workflows in one run, found by their email or employee number: workflow IDs carry only the keyed ref
 * (no personal data in plain text), which this computes with the same key as the worker.
 */
export async function employeeSteps(client: Client, runId: string, employeeKey: string, env: NodeJS.ProcessEnv = process.env): Promise<{ ref: string; steps: EmployeeStep[] }> {
  const ref = employeeRef(employeeRefKeyFromEnv(env).employeeRefKey, tenantOfRun(runId), employeeKey);
  const steps: EmployeeStep[] = [];
  for (const phase of ['create', 'update'] as const) {
    const workflowId = employeeWorkflowId(runId, phase, ref);
    const handle = client.workflow.getHandle(workflowId);
    try {
      const description = await handle.describe();
      const status = description.status.name;
      steps.push({ phase, workflowId, status, ...(status === 'COMPLETED' ? { outcome: (await handle.result()) as EmployeeOutcome } : {}) });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
  return { ref, steps };
}

export function formatEmployeeSteps(employeeKey: string, ref: string, steps: readonly EmployeeStep[]): string {
  if (steps.length === 0) return `${employeeKey} (${ref}): no workflow in this run — the plan found nothing to write, or the employee is not in the HR read`;
  return steps
    .map((step) => {
      const outcome = step.outcome;
      const detail = outcome ? `${outcome.status}, ${outcome.operations} operations${outcome.reason ? ` — ${outcome.reason}` : ''}${outcome.changes?.length ? `: ${outcome.changes.map(describeChange).join(', ')}` : ''}` : step.status.toLowerCase();
      return `${employeeKey} ${step.phase}: ${detail} (${step.workflowId})`;
    })
    .join('\n');
}
