import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { ConnectorConfig } from '../config/schema';
import { emptyReport, type SyncReport } from '../sync/report';
import type { RunTuning } from '../sync/settings';
import { employeeRef } from '../sync/employee-ref';
import { employeeRefKeyFromEnv } from '../worker/create-worker';
import { syncWorkflowId } from '../workflows/ids';
import { runStartSearchAttributes } from '../workflows/search-attributes';
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

/**
 * The run ID is taken: another start of the tenant in the same second (run IDs name the second) is still running under
 * it. Like a run that finds the tenant locked, this start did nothing: `report` is that `skipped` report (exit 0).
 */
export class SyncAlreadyStartedError extends Error {
  override readonly name = 'SyncAlreadyStartedError';
  constructor(readonly report: SyncReport) {
    super(report.message);
  }
}

function alreadyStartedReport(tenant: string, workflowId: string, dryRun: boolean): SyncReport {
  return emptyReport({
    tenant,
    runId: workflowId,
    status: 'skipped',
    dryRun,
    message: `another sync of tenant ${tenant} started in the same second is running as ${workflowId}; this start did nothing (follow that run: peakon-sync status '${workflowId}')`,
  });
}

/** What an on-demand run's workflow ID (`sync --employee`, not a dry run) carries before the employee's keyed ref. */
const EMPLOYEE_RUN_ID_MARK = '/employee/';

/**
 * Whether a run was started for one employee (`sync --employee`), told by its workflow ID: its report says nothing of
 * it, and `status` or `cancel` of such a run must exit as `sync --employee` does (a skipped run did not sync them).
 */
export function isEmployeeRunId(workflowId: string): boolean {
  // Told by where the mark stands (after tenant and start time), not by containing it: tenant `employee`'s own runs
  // (`peakon-sync/employee/<time>`) contain it too.
  const segments = workflowId.split('/');
  return segments.length === 5 && `/${segments[3]}/` === EMPLOYEE_RUN_ID_MARK;
}

/**
 * Starts one sync run; the workflow ID names tenant and start time so people can find it in the Temporal UI. Throws
 * SyncAlreadyStartedError when a run with that ID is still running (two starts of the tenant in one second).
 */
export async function startSync(options: StartSyncOptions): Promise<WorkflowHandle<typeof syncTenantWorkflow>> {
  const input: SyncWorkflowInput = {
    config: options.config,
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.employeeKey !== undefined ? { employeeKey: options.employeeKey } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
  };
  // Workflow IDs are plain text in Temporal: an on-demand run is named by the employee's keyed ref, never the email.
  const suffix = options.dryRun ? '/dry-run' : options.employeeKey !== undefined ? `${EMPLOYEE_RUN_ID_MARK}${employeeRef(employeeRefKeyFromEnv().employeeRefKey, options.config.tenant, options.employeeKey)}` : '';
  const withSearchAttributes = await hasSearchAttributes(options.client, options.namespace);
  const workflowId = `${syncWorkflowId(options.config.tenant, options.now ?? new Date())}${suffix}`;
  try {
    return await options.client.workflow.start<typeof syncTenantWorkflow>('syncTenantWorkflow', {
      taskQueue: options.taskQueue,
      workflowId,
      args: [input],
      ...(withSearchAttributes
        ? { typedSearchAttributes: runStartSearchAttributes(options.config.tenant) }
        : {}),
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new SyncAlreadyStartedError(alreadyStartedReport(options.config.tenant, workflowId, options.dryRun === true));
    throw error;
  }
}
