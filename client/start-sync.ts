import type { Client, WorkflowHandle } from '@temporalio/client';
import type { ConnectorConfig } from '../config/schema';
import type { RunTuning } from '../sync/settings';
import { employeeRef } from '../sync/employee-ref';
import { employeeRefKeyFromEnv } from '../worker/create-worker';
import { syncWorkflowId } from '../workflows/ids';
import { SYNC_STATUS_SEARCH_ATTRIBUTE, TENANT_SEARCH_ATTRIBUTE } from '../workflows/search-attributes';
import type { SyncWorkflowInput } from '../workflows/sync';
import type { syncTenantWorkflow } from '../workflows';
import { hasSearchAttributes } from './temporal-client';

export interface StartSyncOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  config: ConnectorConfig;
  dryRun?: boolean;
  employeeKey?: string;
  tuning?: Partial<RunTuning>;
  now?: Date;
}

/** Starts one sync run; the workflow ID names tenant and start time so people can find it in the Temporal UI. */
export async function startSync(options: StartSyncOptions): Promise<WorkflowHandle<typeof syncTenantWorkflow>> {
  const input: SyncWorkflowInput = {
    config: options.config,
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.employeeKey !== undefined ? { employeeKey: options.employeeKey } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
  };
  // Workflow IDs are plain text in Temporal: an on-demand run is named by the employee's keyed ref, never the email.
  const suffix = options.dryRun ? '/dry-run' : options.employeeKey !== undefined ? `/employee/${employeeRef(employeeRefKeyFromEnv().employeeRefKey, options.config.tenant, options.employeeKey)}` : '';
  const withSearchAttributes = await hasSearchAttributes(options.client, options.namespace);
  return options.client.workflow.start<typeof syncTenantWorkflow>('syncTenantWorkflow', {
    taskQueue: options.taskQueue,
    workflowId: `${syncWorkflowId(options.config.tenant, options.now ?? new Date())}${suffix}`,
    args: [input],
    ...(withSearchAttributes
      ? { typedSearchAttributes: [{ key: TENANT_SEARCH_ATTRIBUTE, value: options.config.tenant }, { key: SYNC_STATUS_SEARCH_ATTRIBUTE, value: 'running' }] }
      : {}),
  });
}
