import {
  ActivityFailure,
  ApplicationFailure,
  ParentClosePolicy,
  defineQuery,
  executeChild,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { SyncActivities } from '../activities';
import type { PartitionWork, PlanSummary } from '../activities/plan';
import type { ConnectorConfig } from '../config/schema';
import { addCounts, appendCapped, emptyCounts, REPORT_FAILURE_CAP, WARNING_CAP, type PartitionSummary, type SyncReport, type SyncStatus } from '../sync/report';
import { withTuningDefaults, type RunTuning } from '../sync/settings';
import type { SyncPhase } from '../sync/types';
import { planActivityOptions, stateActivityOptions } from './activity-options';
import { partitionWorkflowId, tenantLockWorkflowId } from './ids';
import { releaseTenantLockSignal, tenantLockWorkflow } from './lock';
import { syncPartitionWorkflow } from './partition';
import { SYNC_STATUS_SEARCH_ATTRIBUTE } from './search-attributes';
import { slidingWindow } from './window';

export interface SyncWorkflowInput {
  /** The parsed connector config. It names secrets (`{ env }`/`{ file }`) but never contains them. */
  config: ConnectorConfig;
  tuning?: Partial<RunTuning>;
  /** Plan only: read, map, compare, and write nothing. */
  dryRun?: boolean;
  /** Sync this one employee (matching-key value) now, like "provision on demand". */
  employeeKey?: string;
}

export interface SyncProgress {
  phase: 'locking' | 'planning' | SyncPhase | 'done';
  partitionsDone: number;
  partitionsTotal: number;
  /** Employees of the current phase in finished partitions (running partitions answer their own query). */
  employeesDone: number;
  employeesTotal: number;
  /** Partitions of the current phase in flight: the client queries each for finer progress. */
  runningPartitions: number[];
  /** Employees phase 2 may still update, for the time-left estimate during phase 1. */
  updateWorkTotal: number;
  failures: number;
  operations: number;
  operationsPerHour: number;
}

export const syncProgressQuery = defineQuery<SyncProgress>('progress');

/**
 * One sync of one tenant, following Peakon's connector guide: plan (read HR system and tenant), phase 1 creates
 * (discover, create if absent), then, only after every phase-1 child has finished, phase 2 updates (every attribute,
 * employee references included). Each phase fans out to partition children, which fan out to per-employee children.
 */
export async function syncTenantWorkflow(input: SyncWorkflowInput): Promise<SyncReport> {
  const { config } = input;
  const info = workflowInfo();
  const tuning = withTuningDefaults(input.tuning);
  const run = { tenant: config.tenant, runId: info.workflowId };
  const report: SyncReport = {
    tenant: config.tenant,
    runId: run.runId,
    status: 'running',
    dryRun: input.dryRun ?? false,
    employees: 0,
    counts: emptyCounts(),
    operations: 0,
    failures: [],
    failuresTotal: 0,
    warnings: [],
    ownedUsersNotInSource: 0,
  };
  const progress: SyncProgress = { phase: 'locking', partitionsDone: 0, partitionsTotal: 0, employeesDone: 0, employeesTotal: 0, runningPartitions: [], updateWorkTotal: 0, failures: 0, operations: 0, operationsPerHour: config.peakon.operationsPerHour };
  setHandler(syncProgressQuery, () => ({ ...progress, runningPartitions: [...progress.runningPartitions], failures: report.failuresTotal, operations: report.operations }));
  const publish = (status: SyncStatus) => {
    report.status = status;
    upsertMemo({ tenant: config.tenant, status, counts: report.counts, failures: report.failuresTotal, operations: report.operations });
    // Search attributes exist only where they were registered; the starter sets them only then.
    if (info.typedSearchAttributes.get(SYNC_STATUS_SEARCH_ATTRIBUTE) !== undefined) upsertSearchAttributes([{ key: SYNC_STATUS_SEARCH_ATTRIBUTE, value: status }]);
  };
  publish('running');

  // A dry run writes nothing, so it may run beside a real sync.
  const lock = input.dryRun ? undefined : await acquireTenantLock(config.tenant, run.runId);
  if (lock === 'held-elsewhere') {
    report.message = `another sync of tenant ${config.tenant} is running (lock ${tenantLockWorkflowId(config.tenant)}); this run did nothing`;
    publish('skipped');
    return report;
  }
  try {
    progress.phase = 'planning';
    const { planSync } = proxyActivities<SyncActivities>(planActivityOptions(tuning));
    const single = input.employeeKey !== undefined;
    const plan = await planSync({ run, config, preview: Boolean(input.dryRun) || single, ...(single ? { employeeKey: input.employeeKey } : {}) });
    applyPlan(report, plan);
    const { writeRunReport } = proxyActivities<SyncActivities>(stateActivityOptions(tuning));
    const finish = async () => {
      if (plan.trace) report.trace = [...plan.trace, `result: ${resultLine(report)}`];
      publish(report.failuresTotal > 0 ? 'completed_with_failures' : 'completed');
      report.reportPath = await writeRunReport({ run, report, partitions: plan.partitions.length });
      return report;
    };
    if (input.dryRun) {
      if (plan.preview) report.plan = plan.preview;
      return await finish();
    }
    for (const phase of ['create', 'update'] as const) {
      const partitions = plan.partitions.filter((partition) => (phase === 'create' ? partition.createWork : partition.updateWork) > 0);
      Object.assign(progress, { phase, partitionsDone: 0, partitionsTotal: partitions.length, employeesDone: 0, employeesTotal: sumWork(partitions, phase), updateWorkTotal: sumWork(plan.partitions, 'update') });
      await slidingWindow(partitions, config.sync.maxConcurrentPartitions, async (partition) => {
        progress.runningPartitions.push(partition.index);
        const summary = await executeChild(syncPartitionWorkflow, {
          workflowId: partitionWorkflowId(run.runId, phase, partition.index),
          args: [{ run, peakon: config.peakon, tuning, phase, partition: partition.index, maxConcurrentEmployees: config.sync.maxConcurrentEmployees }],
        });
        applyPartition(report, summary);
        progress.runningPartitions = progress.runningPartitions.filter((index) => index !== partition.index);
        progress.partitionsDone += 1;
        progress.employeesDone += phase === 'create' ? partition.createWork : partition.updateWork;
      }, () => report.message !== undefined);
      if (report.message !== undefined) {
        publish('failed');
        throw ApplicationFailure.create({ type: 'AuthenticationFailed', nonRetryable: true, message: report.message });
      }
    }
    progress.phase = 'done';
    return await finish();
  } catch (error) {
    if (report.status === 'running') publish('failed');
    throw runFailure(error);
  } finally {
    if (lock) await lock.signal(releaseTenantLockSignal);
  }
}

/** Surfaces the activity's own failure (e.g. "authentication failed …") as the run's failure, instead of "Activity task failed". */
function runFailure(error: unknown): unknown {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({ type: error.cause.type ?? 'ActivityFailed', nonRetryable: true, message: error.cause.message });
  }
  return error;
}

async function acquireTenantLock(tenant: string, runId: string) {
  try {
    return await startChild(tenantLockWorkflow, {
      workflowId: tenantLockWorkflowId(tenant),
      args: [{ holderRunId: runId }],
      // Whatever ends this run (completion, failure, termination) frees the tenant.
      parentClosePolicy: ParentClosePolicy.TERMINATE,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'held-elsewhere' as const;
    throw error;
  }
}

function resultLine(report: SyncReport): string {
  const { counts } = report;
  const done = (['created', 'updated', 'unchanged', 'skipped', 'failed'] as const).filter((status) => counts[status] > 0).map((status) => `${status} ${counts[status]}`);
  const failure = report.failures[0] ? ` — ${report.failures[0].reason}` : '';
  return `${done.join(', ') || 'nothing to do'} (${report.operations} SCIM operations)${failure}`;
}

function sumWork(partitions: PartitionWork[], phase: SyncPhase): number {
  return partitions.reduce((total, partition) => total + (phase === 'create' ? partition.createWork : partition.updateWork), 0);
}

function applyPlan(report: SyncReport, plan: PlanSummary): void {
  const { counts } = plan;
  report.employees = counts.employees + counts.invalid;
  report.operations += plan.operations;
  report.counts.unchanged += counts.unchanged;
  report.counts.skipped += counts.skip;
  report.counts.failed += counts.invalid;
  report.failuresTotal += counts.invalid;
  report.ownedUsersNotInSource = plan.ownedUsersNotInSource;
  appendCapped(report.failures, plan.problems, REPORT_FAILURE_CAP);
  appendCapped(report.warnings, plan.warnings, WARNING_CAP);
}

function applyPartition(report: SyncReport, summary: PartitionSummary): void {
  addCounts(report.counts, summary.counts);
  report.operations += summary.operations;
  report.failuresTotal += summary.failuresTotal;
  appendCapped(report.failures, summary.failures, REPORT_FAILURE_CAP);
  appendCapped(report.warnings, summary.warnings, WARNING_CAP);
  if (summary.authenticationFailure && report.message === undefined) {
    report.message = `authentication failed: Peakon rejected the SCIM token (${summary.authenticationFailure}); the run stopped`;
  }
}
