import type { MetricMeter } from '@temporalio/common';
import { Runtime, type InjectedSinks } from '@temporalio/worker';
import type { Sinks } from '@temporalio/workflow';
import { EMPLOYEES, LEAVER_HOLD_DECISIONS, LEAVER_HOLDS, RUN_DURATION, RUNS } from './definitions';

/** How a run ended, as the workflow interceptor (metrics/workflow-interceptors.ts) sees it. Counts, never people. */
export interface RunEnd {
  tenant: string;
  status: string;
  dryRun: boolean;
  /** Workflow time from the run's start to the workflow task that ended it. */
  durationSeconds: number;
  /** The run report's counts by outcome; absent when the run failed without a report. */
  employees?: Record<string, number>;
  /** When the run's leaver guard held writes: the decision (the run report's `leavers.decision`). */
  leaverHold?: keyof typeof LEAVER_HOLD_DECISIONS;
}

export interface RunMetricsSinks extends Sinks {
  runMetrics: {
    runEnded(end: RunEnd): void;
  };
}

/** Enough to recognise a repeated end of any run this worker ended recently. */
const REMEMBERED_RUNS = 10_000;

/**
 * Records a run's end once. The SDK skips sinks while replaying, but a run's last workflow task can still execute
 * twice outside replay: when the server rejects its completion (a signal or an update arrived meanwhile), the worker
 * evicts the run and executes the end again. So ends are deduplicated by workflow and run ID; only a retry that lands
 * on another worker can count a run twice.
 */
export function runMetricsSinks(meter: () => MetricMeter = () => Runtime.instance().metricMeter): InjectedSinks<RunMetricsSinks> {
  const recorded = new Set<string>();
  return {
    runMetrics: {
      runEnded: {
        fn(info, end) {
          const key = `${info.workflowId}/${info.runId}`;
          if (recorded.has(key)) return;
          recorded.add(key);
          const oldest = recorded.values().next().value;
          if (recorded.size > REMEMBERED_RUNS && oldest !== undefined) recorded.delete(oldest);
          // The labels the SDK puts on workflow metrics, so every run metric aggregates the same way.
          const sdkTags = { namespace: info.namespace, taskQueue: info.taskQueue, workflowType: info.workflowType };
          const runTags = { ...sdkTags, tenant: end.tenant, status: end.status, dry_run: String(end.dryRun) };
          meter().createCounter(RUNS.name, '', RUNS.help).add(1, runTags);
          meter().createHistogram(RUN_DURATION.name, 'float', 's', RUN_DURATION.help).record(Math.max(0, end.durationSeconds), runTags);
          // A hold nobody approved leaves leavers active: `decision="timed_out"` is what an alert watches.
          const decision = end.leaverHold !== undefined ? LEAVER_HOLD_DECISIONS[end.leaverHold] : undefined;
          if (decision !== undefined) meter().createCounter(LEAVER_HOLDS.name, '', LEAVER_HOLDS.help).add(1, { ...sdkTags, tenant: end.tenant, decision });
          if (end.dryRun || end.employees === undefined) return;
          const employees = meter().createCounter(EMPLOYEES.name, '', EMPLOYEES.help);
          for (const [outcome, count] of Object.entries(end.employees)) employees.add(count, { ...sdkTags, tenant: end.tenant, outcome });
        },
        callDuringReplay: false,
      },
    },
  };
}
