/**
 * Run metrics, observed around the sync workflows without touching their code: how each run ended, how long it took,
 * and its employees' outcomes. Part of the workflow bundle (registered by worker/create-worker.ts), so deterministic
 * code only. The end of a run leaves the sandbox through a sink (metrics/run-sinks.ts), which adds no command to
 * history and is not called while a workflow is replayed: recorded histories replay exactly as before.
 */
import { ApplicationFailure, isCancellation, proxySinks, TemporalFailure, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { isRunWorkflowType } from '../workflows/ids';
import type { RunEnd, RunMetricsSinks } from './run-sinks';

const { runMetrics } = proxySinks<RunMetricsSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        if (!isRunWorkflowType(workflowInfo().workflowType)) return next(input);
        const started = runInput(input.args[0]);
        let result: unknown;
        try {
          result = await next(input);
        } catch (error) {
          // Only failures end the run; any other error fails the workflow task, which Temporal retries.
          if (isCancellation(error)) recordEnd(started.tenant, started.dryRun, 'cancelled');
          else if (error instanceof TemporalFailure) {
            // A run that failed after writing (a failed partition, a report it could not publish) carries its counts.
            const done = error instanceof ApplicationFailure ? reportOf(error.details?.[0]) : undefined;
            recordEnd(started.tenant, started.dryRun, 'failed', done?.counts, done?.leaverHold);
          }
          throw error;
        }
        const report = reportOf(result);
        if (report) recordEnd(report.tenant ?? started.tenant, started.dryRun, report.status, report.counts, report.leaverHold);
        return result;
      },
    },
  ],
});

function recordEnd(tenant: string, dryRun: boolean, status: string, employees?: Record<string, number>, leaverHold?: RunEnd['leaverHold']): void {
  // Workflow time: the start of the workflow task that ends the run, deterministic like every clock read here.
  const durationSeconds = (Date.now() - workflowInfo().runStartTime.getTime()) / 1_000;
  runMetrics.runEnded({ tenant, status, dryRun, durationSeconds, ...(employees ? { employees } : {}), ...(leaverHold ? { leaverHold } : {}) } satisfies RunEnd);
}

/** The tenant of a sync's input (`config`) or of a schedule's (`storedConfig`, the config as written). */
function runInput(input: unknown): { tenant: string; dryRun: boolean } {
  const record = isRecord(input) ? input : {};
  const config = isRecord(record.config) ? record.config : isRecord(record.storedConfig) ? record.storedConfig : {};
  return { tenant: typeof config.tenant === 'string' ? config.tenant : 'unknown', dryRun: record.dryRun === true };
}

/** The parts of a SyncReport the metrics need, checked by hand: zod stays out of the workflow bundle. */
function reportOf(result: unknown): { tenant?: string; status: string; counts: Record<string, number>; leaverHold?: RunEnd['leaverHold'] } | undefined {
  if (!isRecord(result) || typeof result.status !== 'string' || !isRecord(result.counts)) return undefined;
  const counts: Record<string, number> = {};
  for (const [outcome, count] of Object.entries(result.counts)) if (typeof count === 'number' && Number.isInteger(count) && count >= 0) counts[outcome] = count;
  const leaverHold = leaverHoldOf(result.leavers);
  return { ...(typeof result.tenant === 'string' ? { tenant: result.tenant } : {}), status: result.status, counts, ...(leaverHold ? { leaverHold } : {}) };
}

/** The guard's decision when it held the run's leaver writes (the report's `leavers`: held, decision); else nothing. */
function leaverHoldOf(leavers: unknown): RunEnd['leaverHold'] {
  if (!isRecord(leavers) || leavers.held !== true) return undefined;
  const { decision } = leavers;
  return decision === 'approved' || decision === 'rejected' || decision === 'timed out' || decision === 'cancelled' ? decision : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
