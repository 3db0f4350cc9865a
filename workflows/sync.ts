import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import type { PlanResult } from '../activities/plan';
import type { ReportEntry } from '../activities/report';
import type { ConnectorConfig } from '../config/schema';
import { planLine } from '../sync/employee-report';
import { createWorkOfWave, missingPeople, partitionBySize, updateWork } from '../sync/phases';
import { addCounts, appendCapped, emptyCounts, REPORT_FAILURE_CAP, WARNING_CAP, type FailureLine, type PartitionSummary, type SyncReport, type SyncStatus } from '../sync/report';
import { withTuningDefaults, type RunTuning } from '../sync/settings';
import type { EmployeeOutcome, SyncPhase } from '../sync/types';
import { planActivityOptions, reportActivityOptions } from './activity-options';
import { partitionWorkflowId, tenantLockWorkflowId } from './ids';
import { holdTenantLock } from './lock';
import { syncPartitionWorkflow, type PartitionWork } from './partition';
import { SYNC_STATUS_SEARCH_ATTRIBUTE } from './search-attributes';
import { slidingWindow } from './window';

export interface SyncWorkflowInput {
  /** The parsed connector config. It names secrets (`{ env }`/`{ file }`) but never contains them. */
  config: ConnectorConfig;
  tuning?: Partial<RunTuning>;
  /** Plan only: read, map, compare, and write nothing. */
  dryRun?: boolean;
  /** Sync this one employee (matching-key value), like "provision on demand". */
  employeeKey?: string;
}

export interface SyncProgress {
  phase: 'locking' | 'planning' | SyncPhase | 'done';
  /** Phase 1 runs in waves (managers before their reports): the current one, and how many there are. */
  wave: number;
  waves: number;
  partitionsDone: number;
  partitionsTotal: number;
  /** Employees of the current phase in finished partitions (running partitions answer their own query). */
  employeesDone: number;
  employeesTotal: number;
  /** Partitions of the current phase in flight: the client queries each (by workflow ID) for finer progress. */
  runningPartitions: string[];
  /** Employees phase 2 may still update, for the time-left estimate during phase 1. */
  updateWorkTotal: number;
  failures: number;
  operations: number;
  operationsPerHour: number;
}

export const syncProgressQuery = defineQuery<SyncProgress>('progress');

/** A dry run's result shows the first lines of the plan; the report file holds every line. */
export const PREVIEW_PAGE = 100;

/**
 * One sync of one tenant, following Peakon's connector guide: plan (read HR system and tenant), phase 1 creates
 * (discover, create if absent) wave by wave, managers before their reports, each create carrying every attribute that
 * already resolves; then, only after every create, phase 2 writes what creates could not carry and the changes of
 * people already in Peakon. Each phase fans out to partition children, which fan out to per-employee children. The
 * run's data travels as encrypted payloads (large ones in the payload store), never through a shared folder.
 */
export async function syncTenantWorkflow(input: SyncWorkflowInput): Promise<SyncReport> {
  const { config } = input;
  const info = workflowInfo();
  const tuning = withTuningDefaults(input.tuning);
  const updateMethod = config.sync.updateMethod ?? 'patch';
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
  const progress: SyncProgress = { phase: 'locking', wave: 0, waves: 0, partitionsDone: 0, partitionsTotal: 0, employeesDone: 0, employeesTotal: 0, runningPartitions: [], updateWorkTotal: 0, failures: 0, operations: 0, operationsPerHour: config.peakon.operationsPerHour };
  setHandler(syncProgressQuery, () => ({ ...progress, runningPartitions: [...progress.runningPartitions], failures: report.failuresTotal, operations: report.operations }));
  const publish = (status: SyncStatus) => {
    report.status = status;
    upsertMemo({ tenant: config.tenant, status, counts: report.counts, failures: report.failuresTotal, operations: report.operations });
    // Search attributes exist only where they were registered; the starter sets them only then.
    if (info.typedSearchAttributes.get(SYNC_STATUS_SEARCH_ATTRIBUTE) !== undefined) upsertSearchAttributes([{ key: SYNC_STATUS_SEARCH_ATTRIBUTE, value: status }]);
  };
  publish('running');

  // A dry run writes nothing, so it may run beside a real sync.
  const lock = input.dryRun ? undefined : await holdTenantLock(config.tenant, run.runId, tuning.lockLeaseMs);
  if (lock === 'held-elsewhere') {
    report.message = `another sync of tenant ${config.tenant} is running (lock ${tenantLockWorkflowId(config.tenant)}); this run did nothing`;
    publish('skipped');
    return report;
  }
  let plan: PlanResult | undefined;
  const outcomes: EmployeeOutcome[] = [];
  const created = new Map<string, EmployeeOutcome>();
  const laterWarnings: Record<string, string[]> = {};
  const { writeRunReport } = proxyActivities<SyncActivities>(reportActivityOptions(tuning));
  const finish = async (status: SyncStatus) => {
    if (plan?.trace) report.trace = [...plan.trace, `result: ${resultLine(report)}`];
    publish(status);
    const entries: ReportEntry[] = (plan?.entries ?? []).map(({ ref, employeeKey, recordRef, action, changes, warnings, reason }) => ({ ref, employeeKey, recordRef, action, changes, warnings, ...(reason !== undefined ? { reason } : {}) }));
    report.reportPath = await writeRunReport({ run, report, entries, outcomes, warnings: laterWarnings, problems: plan?.problems ?? [] });
    return report;
  };
  const completed = () => finish(report.failuresTotal > 0 ? 'completed_with_failures' : 'completed');
  try {
    progress.phase = 'planning';
    const { planSync } = proxyActivities<SyncActivities>(planActivityOptions(tuning));
    plan = await planSync({ run, config, ...(input.employeeKey !== undefined ? { employeeKey: input.employeeKey } : {}) });
    const { entries } = plan;
    applyPlan(report, plan);
    const noteWarnings = (warnings: Map<string, string[]>) => {
      for (const [ref, lines] of warnings) {
        laterWarnings[ref] = [...(laterWarnings[ref] ?? []), ...lines];
        const key = entries.find((entry) => entry.ref === ref)?.employeeKey ?? ref;
        appendCapped(report.warnings, lines.map((line) => `${key}: ${line}`), WARNING_CAP);
      }
    };
    if (input.dryRun) {
      report.plan = entries.slice(0, PREVIEW_PAGE).map(planLine);
      return await completed();
    }
    // Partitions no larger than needed to keep every partition slot busy: a wave of 400 with 2 slots runs as 2 × 200,
    // not as 200 + 200 + a small last partition that runs alone.
    const partitionsOf = <T>(work: T[]) => partitionBySize(work, Math.max(1, Math.min(config.sync.partitionSize, Math.ceil(work.length / config.sync.maxConcurrentPartitions))));
    /** Runs one phase's (or wave's) partitions; false when the circuit breaker stopped the run. */
    const runPartitions = async (phase: SyncPhase, wave: number, partitions: PartitionWork[]): Promise<boolean> => {
      progress.partitionsTotal += partitions.length;
      await slidingWindow(partitions.map((work, index) => ({ work, index })), config.sync.maxConcurrentPartitions, async ({ work, index }) => {
        const workflowId = partitionWorkflowId(run.runId, phase, wave, index);
        progress.runningPartitions.push(workflowId);
        const result = await executeChild(syncPartitionWorkflow, {
          workflowId,
          args: [{ run, peakon: config.peakon, tuning, updateMethod, partition: index, maxConcurrentEmployees: config.sync.maxConcurrentEmployees, work }],
        });
        applyPartition(report, result.summary);
        for (const outcome of result.outcomes) {
          outcomes.push(outcome);
          if (outcome.phase === 'create') created.set(outcome.ref, outcome);
        }
        progress.runningPartitions = progress.runningPartitions.filter((running) => running !== workflowId);
        progress.partitionsDone += 1;
        progress.employeesDone += work.employees.length;
      }, () => report.message !== undefined);
      return report.message === undefined;
    };

    const phaseOneEntries = entries.filter((entry) => entry.create);
    Object.assign(progress, { phase: 'create', waves: plan.waves, partitionsDone: 0, partitionsTotal: 0, employeesDone: 0, employeesTotal: phaseOneEntries.length, updateWorkTotal: entries.filter((entry) => entry.action === 'update' || entry.deferredReferences).length });
    for (let wave = 0; wave < plan.waves; wave += 1) {
      progress.wave = wave;
      const { work, warnings } = createWorkOfWave(entries, wave, missingPeople(entries, created, wave));
      noteWarnings(warnings);
      if (!(await runPartitions('create', wave, partitionsOf(work).map((employees) => ({ phase: 'create', wave, employees }))))) return await finish('quarantined');
    }
    const phaseTwo = updateWork(entries, created, missingPeople(entries, created), updateMethod);
    noteWarnings(phaseTwo.warnings);
    Object.assign(progress, { phase: 'update', wave: 0, partitionsDone: 0, partitionsTotal: 0, employeesDone: 0, employeesTotal: phaseTwo.work.length, updateWorkTotal: phaseTwo.work.length });
    if (!(await runPartitions('update', 0, partitionsOf(phaseTwo.work).map((employees) => ({ phase: 'update', employees }))))) return await finish('quarantined');
    progress.phase = 'done';
    return await completed();
  } catch (error) {
    if (isCancellation(error)) {
      // Cancelled by an operator (`peakon-sync cancel`): what finished is reported, nothing more is started.
      return await CancellationScope.nonCancellable(() => {
        report.message = `cancelled during ${progress.phase}; ${progress.runningPartitions.length} partition(s) in flight were stopped (their employees may be partly written; the next sync completes them)`;
        return finish('cancelled');
      });
    }
    const cause = error instanceof ActivityFailure ? error.cause : undefined;
    if (cause instanceof ApplicationFailure && QUARANTINE_TYPES.has(cause.type ?? '')) {
      // Peakon refuses the token or does not know the base URL: stop, say why, and let the next run probe with a read.
      report.message = cause.message;
      return await finish('quarantined');
    }
    if (report.status === 'running') publish('failed');
    throw runFailure(error);
  } finally {
    if (lock) await lock.release();
  }
}

/** Plan failures that mean Peakon itself refuses this run (401/403, or 404 on the base URL): the run is quarantined. */
const QUARANTINE_TYPES = new Set(['AuthenticationFailed', 'NotFound']);

/** Surfaces the activity's own failure (e.g. "authentication failed …") as the run's failure, instead of "Activity task failed". */
function runFailure(error: unknown): unknown {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
    return ApplicationFailure.create({ type: error.cause.type ?? 'ActivityFailed', nonRetryable: true, message: error.cause.message });
  }
  return error;
}

function resultLine(report: SyncReport): string {
  const { counts } = report;
  const done = (['created', 'updated', 'unchanged', 'skipped', 'failed'] as const).filter((status) => counts[status] > 0).map((status) => `${status} ${counts[status]}`);
  const failure = report.failures[0] ? ` — ${report.failures[0].reason}` : '';
  return `${done.join(', ') || 'nothing to do'} (${report.operations} SCIM operations)${failure}`;
}

function applyPlan(report: SyncReport, plan: PlanResult): void {
  const { counts } = plan;
  report.employees = counts.employees + counts.invalid;
  report.operations += plan.operations;
  report.counts.unchanged += counts.unchanged;
  report.counts.skipped += counts.skip;
  report.counts.failed += counts.invalid;
  report.failuresTotal += counts.invalid;
  report.ownedUsersNotInSource = plan.ownedUsersNotInSource;
  appendCapped(report.failures, plan.problems.slice(0, REPORT_FAILURE_CAP).map(problemLine), REPORT_FAILURE_CAP);
  appendCapped(report.warnings, plan.warnings, WARNING_CAP);
}

function problemLine(problem: PlanResult['problems'][number]): FailureLine {
  return { employeeKey: problem.employeeKey ?? problem.recordRef, phase: 'plan', reason: `${problem.recordRef}, ${problem.field}: ${problem.message}`, errorType: 'InvalidRecord' };
}

function applyPartition(report: SyncReport, summary: PartitionSummary): void {
  addCounts(report.counts, summary.counts);
  report.operations += summary.operations;
  report.failuresTotal += summary.failuresTotal;
  appendCapped(report.failures, summary.failures, REPORT_FAILURE_CAP);
  appendCapped(report.warnings, summary.warnings, WARNING_CAP);
  if (summary.stopReason && report.message === undefined) report.message = summary.stopReason;
}
