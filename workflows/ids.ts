/**
 * Workflow IDs, made in one place so the client, the workflows, schedules and tests agree. They read well in the
 * Temporal UI: tenant, run time, phase and employee key.
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

export function partitionWorkflowId(runId: string, phase: 'create' | 'update', partition: number): string {
  return `${runId}/${phase}/partition-${partition}`;
}

export function employeeWorkflowId(runId: string, phase: 'create' | 'update', employeeKey: string): string {
  return `${runId}/${phase}/${employeeKey}`;
}

/** SCIM writes run on their own task queue so a server-side rate limit can pace them across every worker. */
export function scimTaskQueue(taskQueue: string): string {
  return `${taskQueue}-scim`;
}
