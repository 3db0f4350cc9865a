/**
 * Replays committed histories against a workflow bundle, as a worker that picks up a run after a deploy would: the
 * connector's data converter (with the test-only key), and the worker's sinks as no-ops.
 */
import { bundleWorkflowCode, DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type InjectedSinks, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { workflowBundleConverterOptions } from '../../codec/data-converter';
import type { ConnectorSinks } from '../../workflows/sinks';
import { replayDataConverter, type CommittedHistory } from './histories';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** Workers (and Core beneath them) log every determinism violation at length; the tests report them themselves. */
export function quietReplayRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }) } } });
  } catch {
    // Already installed in this process.
  }
}

/** The bundle a production worker would build from `workflowsPath`, with the connector's failure converter. */
export function bundleForReplay(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, ...workflowBundleConverterOptions(replayDataConverter()), logger: silent as never });
}

export interface ReplayOutcome {
  file: string;
  /** Undefined when the workflow code produced exactly the commands the history records. */
  error?: Error;
}

/** Replays each history once, in order, on one replay worker; every history gets an outcome. */
export async function replayHistories(workflowBundle: WorkflowBundleWithSourceMap, histories: readonly CommittedHistory[]): Promise<ReplayOutcome[]> {
  const sinks: InjectedSinks<ConnectorSinks> = { tenantQueues: { ensurePolling: { fn: () => undefined, callDuringReplay: true } } };
  const outcomes: ReplayOutcome[] = [];
  const results = Worker.runReplayHistories(
    { workflowBundle, dataConverter: replayDataConverter(), sinks, replayName: 'committed-histories' },
    histories.map(({ history, workflowId }) => ({ history, workflowId })),
  );
  // Histories are replayed one at a time, so results arrive in the order the histories were given.
  for await (const result of results) {
    const replayed = histories[outcomes.length];
    if (!replayed) throw new Error(`replay returned more results than histories (${result.workflowId})`);
    outcomes.push({ file: replayed.file, ...(result.error ? { error: result.error } : {}) });
  }
  if (outcomes.length !== histories.length) throw new Error(`replay stopped after ${outcomes.length} of ${histories.length} histories`);
  return outcomes;
}

/** One line per failed replay, naming the committed file, for an assertion whose diff says what broke. */
export function describeFailures(outcomes: readonly ReplayOutcome[]): string[] {
  return outcomes.filter((outcome) => outcome.error).map((outcome) => `${outcome.file}: ${outcome.error?.name}: ${outcome.error?.message}`);
}
