import type { Sinks } from '@temporalio/workflow';

/**
 * Calls from workflow code into the worker process (fire and forget, outside the deterministic sandbox). A workflow
 * about to schedule SCIM activities on a tenant's task queue asks its worker to poll that queue at the tenant's rate;
 * every worker running the tenant's employee workflows then polls it (worker/tenant-queues.ts).
 */
export interface ConnectorSinks extends Sinks {
  tenantQueues: {
    ensurePolling(taskQueue: string, operationsPerHour: number): void;
  };
}
