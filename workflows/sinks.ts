import type { Sinks } from '@temporalio/workflow';

/**
 * Calls from workflow code into the worker process (fire and forget, outside the deterministic sandbox). A workflow
 * about to schedule SCIM activities on a tenant's task queue asks its worker to poll that queue at the tenant's rate;
 * every worker running the tenant's employee workflows then polls it (worker/tenant-queues.ts). A sync asks too at every
 * renewal of its tenant lock, so a worker polls the queue even when no employee workflow task comes (workflows/sync.ts).
 */
export interface ConnectorSinks extends Sinks {
  tenantQueues: {
    ensurePolling(taskQueue: string, operationsPerHour: number): void;
  };
}
