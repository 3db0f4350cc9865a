import { defineQuery, executeChild, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { SyncActivities } from '../activities';
import type { PeakonConnection } from '../activities/deps';
import { appendCapped, countStatus, emptyCounts, failureLine, PARTITION_FAILURE_CAP, WARNING_CAP, type PartitionSummary } from '../sync/report';
import type { RunTuning } from '../sync/settings';
import type { CreateWork, EmployeeOutcome, RunRef, SyncPhase, UpdateWork } from '../sync/types';
import { stateActivityOptions } from './activity-options';
import { employeeCreateWorkflow, employeeUpdateWorkflow } from './employee';
import { employeeWorkflowId, scimTaskQueue } from './ids';
import { slidingWindow } from './window';

export interface PartitionWorkflowInput {
  run: RunRef;
  peakon: PeakonConnection;
  tuning: RunTuning;
  phase: SyncPhase;
  partition: number;
  maxConcurrentEmployees: number;
}

export interface PartitionProgress {
  done: number;
  total: number;
  failures: number;
  operations: number;
}

export const partitionProgressQuery = defineQuery<PartitionProgress>('partitionProgress');

/**
 * One slice of the plan (at most a few hundred employees) in one phase: a child workflow per employee, a sliding
 * window of them in flight. Keeping employees in partitions keeps every workflow far from Temporal's limits
 * (2,000 pending children, 50 MB / 51,200 events of history).
 */
export async function syncPartitionWorkflow(input: PartitionWorkflowInput): Promise<PartitionSummary> {
  const { run, phase, partition } = input;
  const state = proxyActivities<SyncActivities>(stateActivityOptions(input.tuning));
  const childBase = { run, peakon: input.peakon, tuning: input.tuning, scimTaskQueue: scimTaskQueue(workflowInfo().taskQueue) };
  const summary: PartitionSummary = { phase, partition, counts: emptyCounts(), operations: 0, failures: [], failuresTotal: 0, warnings: [] };
  const outcomes: EmployeeOutcome[] = [];
  let total = 0;
  setHandler(partitionProgressQuery, () => ({ done: outcomes.length, total, failures: summary.failuresTotal, operations: summary.operations }));

  const tally = (outcome: EmployeeOutcome, createdThisRun: boolean) => {
    outcomes.push(outcome);
    summary.operations += outcome.operations;
    if (outcome.warnings) appendCapped(summary.warnings, outcome.warnings.map((warning) => `${outcome.employeeKey}: ${warning}`), WARNING_CAP);
    if (outcome.status === 'failed') {
      summary.failuresTotal += 1;
      appendCapped(summary.failures, [failureLine(outcome)], PARTITION_FAILURE_CAP);
      if (outcome.errorType === 'AuthenticationFailed') summary.authenticationFailure ??= outcome.reason ?? 'authentication failed';
    }
    if (phase === 'update' && createdThisRun) {
      // Phase 1 already counted this employee as created; a failed PUT turns it into a failure, a good one changes nothing.
      if (outcome.status === 'failed') {
        summary.counts.created -= 1;
        summary.counts.failed += 1;
      }
      return;
    }
    countStatus(summary.counts, outcome.status);
  };
  const stopped = () => summary.authenticationFailure !== undefined;

  if (phase === 'create') {
    const work = await state.loadCreateWork({ run, partition });
    total = work.length;
    await slidingWindow(work, input.maxConcurrentEmployees, async (item: CreateWork) => {
      tally(await executeChild(employeeCreateWorkflow, { workflowId: employeeWorkflowId(run.runId, 'create', item.employeeKey), args: [{ ...childBase, work: item }] }), false);
    }, stopped);
  } else {
    const work = await state.loadUpdateWork({ run, partition });
    total = work.length;
    await slidingWindow(work, input.maxConcurrentEmployees, async (item: UpdateWork) => {
      tally(await executeChild(employeeUpdateWorkflow, { workflowId: employeeWorkflowId(run.runId, 'update', item.employeeKey), args: [{ ...childBase, work: item }] }), item.createdThisRun);
    }, stopped);
  }
  await state.recordOutcomes({ run, phase, partition, outcomes });
  return summary;
}
