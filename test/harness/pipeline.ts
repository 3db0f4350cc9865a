import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectorDataConverter, workflowBundleConverterOptions } from '../../codec/data-converter';
import { loadConfigFile } from '../../config/load';
import type { ConnectorConfig } from '../../config/schema';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../sandbox';
import type { RunTuning } from '../../sync/settings';
import { createSyncWorkers, defaultActivityDeps, type SyncWorkerOptions, type SyncWorkers } from '../../worker/create-worker';
import type { SyncWorkflowInput } from '../../workflows/sync';
import { syncWorkflowId } from '../../workflows/ids';
import { toCsv, type GeneratedEmployee } from '../fixtures/org';
import { connectToDevServer, type TemporalTestContext } from './temporal';

const SAMPLE_CONFIG = path.resolve(__dirname, '../../examples/sample-config.yaml');

/** Retries fast enough for real-time tests, generous enough for 20% fault rates. */
export const TEST_TUNING: Partial<RunTuning> = {
  scimRetry: { initialIntervalMs: 50, maximumIntervalMs: 400, maximumAttempts: 25 },
  scimActivityTimeoutMs: 5_000,
  planTimeoutMs: 60_000,
  planHeartbeatTimeoutMs: 20_000,
};

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test file (the production worker also bundles once at start). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), ...workflowBundleConverterOptions(connectorDataConverter()), logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never });
  return bundle;
}

export interface PipelineFixture {
  sandbox: RunningSandbox;
  stateDirectory: string;
  /** The sample mapping pointed at this sandbox and a CSV of `employees`. */
  config: ConnectorConfig;
  writeEmployees(employees: readonly GeneratedEmployee[]): void;
  /** This process's workers for the fixture, with the worker's own limits where a test sets them. */
  startWorkers(limits?: Pick<SyncWorkerOptions, 'maxConcurrentPlans' | 'maxConcurrentScimActivities'>): Promise<SyncWorkers>;
  /** Starts a sync and returns its workflow handle. */
  startSync(input?: Partial<SyncWorkflowInput>): Promise<Awaited<ReturnType<TemporalTestContext['client']['workflow']['start']>>>;
  close(): Promise<void>;
}

let runCounter = 0;

/**
 * Peakon's request deadline for tests whose sandbox holds every answer a second or more (`slowAnswers: true`). The
 * sandbox runs on the test's own event loop: an answer held 1.5 s and a 2 s deadline both fall due in the same pass
 * after a 500 ms stall of a busy CI machine, and the client then gives up on a request the sandbox applied.
 */
const SLOW_ANSWERS_TIMEOUT_MS = 10_000;

export async function createPipelineFixture(temporal: TemporalTestContext, options: { sandbox?: Partial<SandboxOptions>; tenant?: string; workerToken?: string; slowAnswers?: boolean } = {}): Promise<PipelineFixture> {
  const sandbox = await startSandbox({ token: 'test-token', quotaPerHour: 1_000_000, ...options.sandbox });
  const stateDirectory = mkdtempSync(path.join(tmpdir(), 'peakon-sync-state-'));
  const csvPath = path.join(stateDirectory, 'hr.csv');
  const sample = loadConfigFile(SAMPLE_CONFIG);
  const config: ConnectorConfig = {
    ...sample,
    // Random, not the time: two fixtures made in the same millisecond would share the tenant's lock, queue and ledger.
    tenant: options.tenant ?? `t${process.pid}-${randomUUID().slice(0, 8)}`,
    peakon: { ...sample.peakon, baseUrl: sandbox.baseUrl, timeoutMs: options.slowAnswers ? SLOW_ANSWERS_TIMEOUT_MS : 2_000, operationsPerHour: 1_000_000 },
    source: { ...sample.source, path: csvPath } as ConnectorConfig['source'],
    sync: { ...sample.sync, maxConcurrentEmployees: 10, maxConcurrentPartitions: 2, partitionSize: 50 },
  };
  const deps = { ...defaultActivityDeps(stateDirectory), resolveSecret: () => options.workerToken ?? sandbox.token };
  const active: SyncWorkers[] = [];
  return {
    sandbox,
    stateDirectory,
    config,
    writeEmployees(employees) {
      writeFileSync(csvPath, toCsv(employees));
    },
    async startWorkers(limits = {}) {
      const workers = await createSyncWorkers({
        ...limits,
        connection: temporal.nativeConnection,
        namespace: 'default',
        taskQueue: temporal.taskQueue,
        deps,
        workflowBundle: await workflowBundle(),
      });
      active.push(workers);
      return workers;
    },
    async startSync(input = {}) {
      runCounter += 1;
      return temporal.client.workflow.start('syncTenantWorkflow', {
        taskQueue: temporal.taskQueue,
        workflowId: `${syncWorkflowId(config.tenant, new Date())}-${runCounter}`,
        args: [{ config, tuning: TEST_TUNING, ...input } satisfies SyncWorkflowInput],
      });
    },
    async close() {
      for (const workers of active) workers.shutdown();
      await sandbox.close();
    },
  };
}


export interface PipelineTestContext {
  readonly temporal: TemporalTestContext;
  /** A fresh sandbox + config + workers for one test; closed after the test. */
  fixture(options?: Parameters<typeof createPipelineFixture>[1]): Promise<PipelineFixture>;
}

/**
 * Registers the jest hooks every end-to-end file needs: a connection to the run's dev server, and fixtures that are
 * closed after each test (even a failing one).
 */
/** Lifts the leavers guard's thresholds, for tests whose leavers are not about the guard. */
export function withoutLeaverGuard(fixture: PipelineFixture): void {
  fixture.config.leavers = { ...fixture.config.leavers, guard: { ...fixture.config.leavers.guard, maxCount: 100, maxShare: 1 } };
}

export function usePipelineTests(): PipelineTestContext {
  let temporal: TemporalTestContext | undefined;
  const open: PipelineFixture[] = [];
  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((fixture) => fixture.close()));
  });
  afterAll(async () => {
    await temporal?.close();
  });
  const connected = () => {
    if (!temporal) throw new Error('usePipelineTests: the dev-server connection is made in beforeAll');
    return temporal;
  };
  return {
    get temporal() {
      return connected();
    },
    async fixture(options) {
      const fixture = await createPipelineFixture(connected(), options);
      open.push(fixture);
      return fixture;
    },
  };
}
