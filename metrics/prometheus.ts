import type { LogLevel, TelemetryOptions, WorkerOptions } from '@temporalio/worker';
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { installJsonLogging } from '../worker/logging';
import { HISTOGRAM_BUCKETS } from './definitions';
import type * as runMetricsModule from './workflow-interceptors';

/** The SDK's Prometheus exporter on `bindAddress`: its own worker metrics and the connector's, at `/metrics`. */
export function prometheusTelemetry(bindAddress: string): TelemetryOptions {
  return { metrics: { prometheus: { bindAddress, histogramBucketOverrides: { ...HISTOGRAM_BUCKETS } } } };
}

/**
 * Installs the process's Temporal runtime (once per process, before any connection) with JSON logs, as
 * `installJsonLogging` does, plus the Prometheus endpoint. Fails naming the variable when the address cannot be bound.
 */
export function installRuntimeWithMetrics(level: LogLevel, metricsAddress: string, stream: { write(line: string): unknown } = process.stdout): void {
  try {
    installJsonLogging(level, stream, prometheusTelemetry(metricsAddress));
  } catch (error) {
    throw new Error(`cannot serve metrics on PEAKON_SYNC_METRICS_ADDRESS=${metricsAddress}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Workflow interceptor modules of the connector (run metrics). A Worker bundles them only when it bundles the workflows
 * itself; a prebuilt bundle must have been built with them (`bundleWorkflowCode({ workflowInterceptorModules })`).
 */
export const WORKFLOW_INTERCEPTOR_MODULES: NonNullable<NonNullable<WorkerOptions['interceptors']>['workflowModules']> = [require.resolve('./workflow-interceptors')];

/**
 * Compile-time check that the module exports what the SDK loads from it. The type import also puts the module in the
 * TypeScript program, so `npm run build` emits it although only `require.resolve` names it at run time.
 */
export type RunMetricsModule = Extends<typeof runMetricsModule, { interceptors: WorkflowInterceptorsFactory }>;
type Extends<Actual extends Expected, Expected> = Actual;
