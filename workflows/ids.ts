import type * as connectorWorkflows from './index';

/**
 * Workflow IDs and task queues, made in one place so the client, the workflows, schedules and tests agree. IDs are
 * shown in plain text by Temporal (no codec covers them), so they carry the tenant, the run time, the phase and an
 * employee's privacy-safe ref (sync/employee-ref.ts) — never an email or a name.
 */
export function syncWorkflowId(tenant: string, startedAt: Date): string {
  return `peakon-sync/${tenant}/${startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

/** Schedules append the scheduled time to this themselves. */
export function scheduledSyncWorkflowIdPrefix(tenant: string): string {
  return `peakon-sync/${tenant}/scheduled`;
}

/** One lock per tenant: a tenant never has two syncs running at once, whoever started them. */
export function tenantLockWorkflowId(tenant: string): string {
  return `peakon-sync/${tenant}/lock`;
}

/** Phase 1 runs wave by wave (managers before their reports); phase 2 has a single wave; leavers come last. */
export function partitionWorkflowId(runId: string, phase: 'create' | 'update' | 'leave', wave: number, partition: number): string {
  return phase === 'create' ? `${runId}/create/wave-${wave}/partition-${partition}` : `${runId}/${phase}/partition-${partition}`;
}

export function employeeWorkflowId(runId: string, phase: 'create' | 'update' | 'leave', employeeRef: string): string {
  return `${runId}/${phase}/${employeeRef}`;
}

/**
 * The tenant's SCIM task queue. Every SCIM request runs as one activity attempt on it, and the Temporal server rate
 * limits the queue to the tenant's `operationsPerHour` across all workers (worker/tenant-queues.ts): the budget counts
 * operations, per tenant, whoever runs them. Tenants never wait behind each other's quota or Retry-After.
 */
export function scimTaskQueue(taskQueue: string, tenant: string): string {
  return `${taskQueue}-scim-${tenant}`;
}

/**
 * The task queue of the plan activity (reading a tenant's HR system and Peakon, mapping and planning): its own, so a
 * worker caps how many plans it holds at once (PEAKON_SYNC_PLAN_CONCURRENCY). A plan holds every record of its tenant
 * (about 4 KB per employee): tenants scheduled at the same hour would otherwise plan all at once on one worker and run
 * it out of memory, failing every tenant's run on it, again at each retry.
 */
export function planTaskQueue(taskQueue: string): string {
  return `${taskQueue}-plan`;
}

/** The workflow types a worker registers; checked against workflows/index.ts at compile time. */
export type ConnectorWorkflowType = Extract<keyof typeof connectorWorkflows, `${string}Workflow`>;

/** The workflow types of a run: started by hand, or by a schedule (which runs the same sync in the same execution). */
export const RUN_WORKFLOW_TYPES: readonly ConnectorWorkflowType[] = ['syncTenantWorkflow', 'scheduledSyncWorkflow'];

export function isRunWorkflowType(type: string): boolean {
  return (RUN_WORKFLOW_TYPES as readonly string[]).includes(type);
}
