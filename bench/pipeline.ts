import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActivityDeps } from '../activities/deps';
import { sendEmployeeWrite } from '../activities/employee';
import { planSyncActivity, type PlanResult } from '../activities/plan';
// An error and its causes, one message each (a failed workflow's own message is only "Workflow execution failed").
import { errorText } from '../client/errors';
import { startSync } from '../client/start-sync';
import { connectClient } from '../client/temporal-client';
import { generateEncryptionKey } from '../codec/keys';
import { loadConfigFile } from '../config/load';
import type { ConnectorConfig } from '../config/schema';
import { resolveSecret } from '../config/secret';
import { startDevServer } from '../devserver/dev-server';
import { startSandbox, type RunningSandbox } from '../sandbox';
import { ScimClient } from '../scim/client';
import { employeeRefFor } from '../sync/employee-ref';
import { createWorkOfWave, missingPeople, updateWork } from '../sync/phases';
import type { SyncReport } from '../sync/report';
import type { CreateWork, EmployeeOutcome, UpdateWork } from '../sync/types';
import { createSyncWorkers, defaultActivityDeps, employeeRefKeyFromEnv } from '../worker/create-worker';
import { tenantLockWorkflowId } from '../workflows/ids';
import { changedEmployees, orgShape, reportsBeforeManagers, writeOrgCsv, type OrgShape } from './org-data';
import { procStatusKiB, resetPeakRss, runOneAfterAnother, WorkerLoss } from './processes';
import { endStateProblemsOf } from './convergence';
import { busiestWindow } from './busiest-window';
import { operationsMismatch, parsePipelineOptions, pipelineResultFile, runProblems, type PipelineOptions as Options, type RunWork } from './options';

/**
 * The real pipeline, end to end, against the sandbox with Peakon's budget lifted: a Temporal dev server (SQLite file),
 * real workers (in-process, plus `--workers W` - 1 worker processes), the production data path (AES-GCM codec and a
 * local payload store), and, in the same run, a baseline that executes the same plan with the same SCIM client and
 * the same concurrency without Temporal. Runs: first load, unchanged re-sync, and (with --changes K) a re-sync with K
 * changed employees. Figures are printed and written to bench/results/pipeline-<N>-…json (the name lists the options).
 *
 *   npm run bench -- --employees N [--changes K] [--workers W] [--latency-ms L]
 *     [--max-employees E] [--max-partitions P] [--history-sample S] [--first-load-only] [--no-baseline]
 *     [--db-dir DIR|memory]   (the dev server's SQLite file: default a temp folder in /dev/shm)
 *     [--budget-per-hour B]   (pace the Temporal runs at B operations/hour, the sandbox's quota too, and report the
 *                              run's duration against operations ÷ B; no baseline, which has no pacer)
 *     [--separate-workers]    (every worker in its own process, none in this one: the worker's memory is measured
 *                              apart from the sandbox and the client, which stay here)
 *     [--worker-heap-mb M]    (with --separate-workers: each worker process runs with NODE_OPTIONS
 *                              --max-old-space-size=M, as a container with a memory limit would set it)
 */

const BUDGET_PER_HOUR = 25_000;
const TENANT = 'bench';
const TASK_QUEUE = 'bench-pipeline';
const TOKEN = 'bench-token';
const UNLIMITED = 1_000_000_000;

// ---------------------------------------------------------------------------------------------------------------
// Memory: this process's RSS, and VmRSS/VmHWM of other processes from /proc.

const MiB = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** Samples RSS every 200 ms: this process, and any other process by pid (VmRSS). Peaks since the last `reset()`. */
class RssSampler {
  private readonly timer: NodeJS.Timeout;
  private peaks = new Map<string, number>();
  constructor(private readonly pids: () => Map<string, number>) {
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
    this.sample();
  }
  private note(label: string, bytes: number | undefined) {
    if (bytes !== undefined) this.peaks.set(label, Math.max(this.peaks.get(label) ?? 0, bytes));
  }
  sample(): void {
    this.note('self', process.memoryUsage().rss);
    for (const [label, pid] of this.pids()) {
      const kib = procStatusKiB(pid, 'VmRSS');
      this.note(label, kib === undefined ? undefined : kib * 1024);
    }
  }
  /** Peaks in MiB since the last reset. */
  reset(): Record<string, number> {
    this.sample();
    const peaks = Object.fromEntries([...this.peaks].map(([label, bytes]) => [label, MiB(bytes)]));
    this.peaks = new Map();
    return peaks;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Each run's memory peak per process: VmHWM from the run's start to its end, reset at the start by writing 5 to
 * /proc/<pid>/clear_refs (Linux ≥ 4.0), so a spike between two samples counts too. A process whose reset is refused
 * falls back to the sampler's VmRSS peak (`peakRssFrom` says so). Also each process's lifetime VmHWM, folded in before
 * every reset (startup, and the history reading between runs, included).
 */
class RunMemory {
  /** MiB, per label, over the process's whole life so far. */
  readonly lifetime: Record<string, number> = {};
  private resetDone = new Map<string, boolean>();
  constructor(
    private readonly sampler: RssSampler,
    private readonly pids: () => Map<string, number>,
  ) {}
  private all(): Array<[string, number]> {
    return [['self', process.pid], ...this.pids()];
  }
  /** Folds every process's VmHWM (since its last reset) into its lifetime peak. */
  foldLifetime(): void {
    for (const [label, pid] of this.all()) {
      const kib = procStatusKiB(pid, 'VmHWM');
      if (kib !== undefined) this.lifetime[label] = Math.max(this.lifetime[label] ?? 0, Math.round(kib / 1024));
    }
  }
  start(): void {
    this.foldLifetime();
    this.sampler.reset();
    this.resetDone = new Map(this.all().map(([label, pid]) => [label, resetPeakRss(pid)]));
  }
  /** The run's peaks, read now (before anything after the run, the history reading, adds to them). */
  end(): Pick<RunFigures, 'peakRssMiB' | 'sampledPeakRssMiB' | 'peakRssFrom'> {
    const sampledPeakRssMiB = this.sampler.reset();
    const peakRssMiB: Record<string, number> = {};
    const peakRssFrom: Record<string, string> = {};
    for (const [label, pid] of this.all()) {
      const reset = this.resetDone.get(label) === true;
      const kib = reset ? procStatusKiB(pid, 'VmHWM') : undefined;
      const sampled = sampledPeakRssMiB[label];
      if (kib !== undefined) {
        peakRssMiB[label] = Math.round(kib / 1024);
      } else if (sampled !== undefined) {
        peakRssMiB[label] = sampled;
        peakRssFrom[label] = `VmRSS sampled every 200 ms (${reset ? 'the process was gone at the run\'s end' : 'clear_refs refused'})`;
      }
      const peak = peakRssMiB[label];
      if (peak !== undefined) this.lifetime[label] = Math.max(this.lifetime[label] ?? 0, peak);
    }
    return { peakRssMiB, sampledPeakRssMiB, ...(Object.keys(peakRssFrom).length ? { peakRssFrom } : {}) };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Histories: events and encoded bytes of a run's workflows (its parent, partitions and tenant lock, and a sample of its
// employee workflows with the longest and, where visibility reports sizes, the largest), and the largest payload
// inline in those fetched; each figure says whether it covers every workflow of the run or the fetched ones only.

interface WorkflowSize {
  workflowId: string;
  type: string;
  events: number;
  bytes: number;
}

interface HistoryFigures {
  workflows: number;
  byType: Record<string, number>;
  fetched: number;
  fetchSeconds: number;
  largestByEvents: WorkflowSize;
  /** Of the fetched histories; the largest of all the run's when `largestByBytesOf` says so. */
  largestByBytes: WorkflowSize;
  /** 'all workflows': visibility reported every history's size and the 10 largest were fetched. */
  largestByBytesOf: 'all workflows' | 'sampled workflows';
  /** Largest history length any workflow of the run reports in visibility (all of them, fetched or not). */
  largestVisibilityEvents: number;
  /** Largest history size (bytes) visibility reports for any workflow of the run; null when it reports none. */
  largestVisibilityBytes: number | null;
  overEventWarning: number;
  largestPayload: { bytes: number; workflowId: string; eventType: string; field: string };
  /**
   * 'all workflows' when no history left unfetched is as large as the largest payload found (a payload cannot be
   * larger than the history holding it), else 'sampled workflows'.
   */
  largestPayloadOf: 'all workflows' | 'sampled workflows';
  payloadsOver128KiB: number;
  /** Per employee workflow (from the fetched ones): events and wall time start → close. */
  employeeWorkflow?: { events: { median: number; max: number }; millis: { median: number; p95: number; max: number } };
  /** From the parent's history: where the run's time went. */
  phases: Record<string, number>;
  /** Median / p95 milliseconds of each step, per workflow type (fetched histories): where a child's time goes. */
  steps: Record<string, Record<string, { count: number; median: number; p95: number }>>;
}

const STEP_PAIRS: Array<[string, string, string, (attributes: temporal.api.history.v1.IHistoryEvent) => unknown]> = [
  ['workflow task: scheduled → started', 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', 'EVENT_TYPE_WORKFLOW_TASK_STARTED', (event) => event.workflowTaskStartedEventAttributes?.scheduledEventId],
  ['workflow task: started → completed', 'EVENT_TYPE_WORKFLOW_TASK_STARTED', 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED', (event) => event.workflowTaskCompletedEventAttributes?.startedEventId],
  ['activity: scheduled → started', 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED', 'EVENT_TYPE_ACTIVITY_TASK_STARTED', (event) => event.activityTaskStartedEventAttributes?.scheduledEventId],
  ['activity: started → completed', 'EVENT_TYPE_ACTIVITY_TASK_STARTED', 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED', (event) => event.activityTaskCompletedEventAttributes?.startedEventId],
  ['child: initiated → started', 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED', 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED', (event) => event.childWorkflowExecutionStartedEventAttributes?.initiatedEventId],
  ['child: initiated → completed', 'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED', 'EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED', (event) => event.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId],
];

/** Durations (ms) of scheduled → started → completed steps in one history, by step name. */
function stepDurations(history: temporal.api.history.v1.IHistory, into: Map<string, number[]>): void {
  const events = history.events ?? [];
  const at = new Map<string, { type: string; time: number }>();
  for (const event of events) {
    const type = temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? '';
    at.set(String(event.eventId), { type, time: tsMillis(event.eventTime) });
    for (const [name, fromType, toType, ref] of STEP_PAIRS) {
      if (type !== toType) continue;
      const from = at.get(String(ref(event)));
      if (from?.type !== fromType) continue;
      const list = into.get(name) ?? [];
      list.push(tsMillis(event.eventTime) - from.time);
      into.set(name, list);
    }
  }
  const first = tsMillis(events[0]?.eventTime);
  const list = into.get('workflow: start → close') ?? [];
  list.push(tsMillis(events[events.length - 1]?.eventTime) - first);
  into.set('workflow: start → close', list);
}

const EVENT_WARNING = 10_240;

function tsMillis(ts: temporal.api.history.v1.IHistoryEvent['eventTime']): number {
  if (!ts) return 0;
  const seconds = ts.seconds;
  const whole = typeof seconds === 'number' ? seconds : seconds ? Number(seconds.toString()) : 0;
  return whole * 1000 + (ts.nanos ?? 0) / 1e6;
}

/** Calls `visit` on every Payload inside a proto message (event attributes, memo, failure details, …). */
function walkPayloads(value: unknown, field: string, visit: (payload: temporal.api.common.v1.IPayload, field: string) => void): void {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    for (const item of value) walkPayloads(item, field, visit);
    return;
  }
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && 'metadata' in record) {
    visit(record as temporal.api.common.v1.IPayload, field);
    return;
  }
  for (const key of Object.keys(record)) walkPayloads(record[key], key.endsWith('Attributes') ? key.replace(/EventAttributes$/, '') : `${field}.${key}`, visit);
}

const percentile = (sorted: number[], share: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? 0;

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

function phasesOf(history: temporal.api.history.v1.IHistory): Record<string, number> {
  const events = history.events ?? [];
  const type = temporal.api.enums.v1.EventType;
  const scheduled = new Map<string, { name: string; at: number }>();
  const spans: Record<string, { from: number; to: number }> = {};
  const span = (name: string, from: number, to: number) => {
    const known = spans[name];
    spans[name] = known ? { from: Math.min(known.from, from), to: Math.max(known.to, to) } : { from, to };
  };
  const childStart = new Map<string, number>();
  for (const event of events) {
    const at = tsMillis(event.eventTime);
    if (event.eventType === type.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      scheduled.set(String(event.eventId), { name: event.activityTaskScheduledEventAttributes?.activityType?.name ?? '?', at });
    } else if (event.eventType === type.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) {
      const start = scheduled.get(String(event.activityTaskCompletedEventAttributes?.scheduledEventId));
      if (start) span(`activity ${start.name}`, start.at, at);
    } else if (event.eventType === type.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) {
      const id = event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? '';
      childStart.set(id, at);
    } else if (event.eventType === type.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED) {
      const id = event.childWorkflowExecutionCompletedEventAttributes?.workflowExecution?.workflowId ?? '';
      const from = childStart.get(id);
      const phase = id.includes('/create/') ? 'phase 1 (create) partitions' : id.includes('/update/') ? 'phase 2 (update) partitions' : undefined;
      if (from !== undefined && phase) span(phase, from, at);
      const wave = /\/create\/(wave-\d+)\//.exec(id)?.[1];
      if (from !== undefined && wave) span(`  ${wave}`, from, at);
    }
  }
  const first = tsMillis(events[0]?.eventTime);
  const last = tsMillis(events[events.length - 1]?.eventTime);
  const result: Record<string, number> = { 'parent workflow, start → close': Number(((last - first) / 1000).toFixed(2)) };
  for (const [name, { from, to }] of Object.entries(spans)) result[name] = Number(((to - from) / 1000).toFixed(2));
  return result;
}

async function inspectHistories(client: Client, runId: string, sample: number, lockId: string): Promise<HistoryFigures> {
  const started = performance.now();
  const infos: Array<{ workflowId: string; type: string; historyLength: number; historySize: number | undefined }> = [];
  for await (const info of client.workflow.list({ query: `WorkflowId STARTS_WITH "${runId}"` })) {
    infos.push({ workflowId: info.workflowId, type: info.type, historyLength: info.historyLength, historySize: info.historySize });
  }
  // The tenant lock's ID is the tenant's, not the run's: its latest execution is this run's (the next has not started).
  const lock = await client.workflow.getHandle(lockId).describe().catch(() => undefined);
  if (lock) infos.push({ workflowId: lock.workflowId, type: lock.type, historyLength: lock.historyLength, historySize: lock.historySize });
  const byType: Record<string, number> = {};
  for (const info of infos) byType[info.type] = (byType[info.type] ?? 0) + 1;
  const isEmployee = (info: { type: string }) => info.type.startsWith('employee');
  const employees = infos.filter(isEmployee);
  // Every parent and partition history; employee histories (all alike) up to `sample`, the longest ones included.
  const longest = [...employees].sort((a, b) => b.historyLength - a.historyLength).slice(0, 10);
  // Visibility's HistorySizeBytes (SDK: historySize), when the server reports it for every workflow: the 10 largest too.
  const sizesKnown = infos.length > 0 && infos.every((info) => info.historySize !== undefined);
  const largest = sizesKnown ? [...employees].sort((a, b) => (b.historySize ?? 0) - (a.historySize ?? 0)).slice(0, 10) : [];
  const stride = Math.max(1, Math.ceil(employees.length / Math.max(1, sample)));
  const chosen = new Set([...infos.filter((info) => !isEmployee(info)), ...longest, ...largest, ...(sample > 0 ? employees.filter((_, index) => index % stride === 0) : [])]);
  const sizes: WorkflowSize[] = [];
  let largestPayload = { bytes: 0, workflowId: '', eventType: '', field: '' };
  let payloadsOver128KiB = 0;
  const employeeEvents: number[] = [];
  const employeeMillis: number[] = [];
  let phases: Record<string, number> = {};
  const stepsByType = new Map<string, Map<string, number[]>>();
  await pool([...chosen], 16, async (info) => {
    const history = await client.workflow.getHandle(info.workflowId).fetchHistory();
    const events = history.events ?? [];
    const bytes = temporal.api.history.v1.History.encode(history).finish().length;
    sizes.push({ workflowId: info.workflowId, type: info.type, events: events.length, bytes });
    if (info.workflowId === runId) phases = phasesOf(history);
    const steps = stepsByType.get(info.type) ?? new Map<string, number[]>();
    stepsByType.set(info.type, steps);
    stepDurations(history, steps);
    if (isEmployee(info)) {
      employeeEvents.push(events.length);
      employeeMillis.push(tsMillis(events[events.length - 1]?.eventTime) - tsMillis(events[0]?.eventTime));
    }
    for (const event of events) {
      walkPayloads(event, '', (payload, field) => {
        const size = temporal.api.common.v1.Payload.encode(payload).finish().length;
        if (size >= 128 * 1024) payloadsOver128KiB += 1;
        if (size > largestPayload.bytes) {
          largestPayload = { bytes: size, workflowId: info.workflowId, eventType: temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType), field };
        }
      });
    }
  });
  const byEvents = [...sizes].sort((a, b) => b.events - a.events);
  const byBytes = [...sizes].sort((a, b) => b.bytes - a.bytes);
  const none: WorkflowSize = { workflowId: '', type: '', events: 0, bytes: 0 };
  const unfetched = infos.filter((info) => !chosen.has(info));
  const largestUnfetched = Math.max(0, ...unfetched.map((info) => info.historySize ?? Number.POSITIVE_INFINITY));
  const visibilitySizes = infos.flatMap((info) => (info.historySize === undefined ? [] : [info.historySize]));
  employeeEvents.sort((a, b) => a - b);
  employeeMillis.sort((a, b) => a - b);
  return {
    workflows: infos.length,
    byType,
    fetched: sizes.length,
    fetchSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    largestByEvents: byEvents[0] ?? none,
    largestByBytes: byBytes[0] ?? none,
    largestByBytesOf: sizesKnown ? 'all workflows' : 'sampled workflows',
    largestVisibilityEvents: Math.max(0, ...infos.map((info) => info.historyLength)),
    largestVisibilityBytes: visibilitySizes.length ? Math.max(...visibilitySizes) : null,
    overEventWarning: infos.filter((info) => info.historyLength > EVENT_WARNING).length,
    largestPayload,
    largestPayloadOf: unfetched.length === 0 || largestPayload.bytes >= largestUnfetched ? 'all workflows' : 'sampled workflows',
    payloadsOver128KiB,
    ...(employeeEvents.length
      ? {
          employeeWorkflow: {
            events: { median: percentile(employeeEvents, 0.5), max: employeeEvents[employeeEvents.length - 1] ?? 0 },
            millis: { median: Math.round(percentile(employeeMillis, 0.5)), p95: Math.round(percentile(employeeMillis, 0.95)), max: Math.round(employeeMillis[employeeMillis.length - 1] ?? 0) },
          },
        }
      : {}),
    phases,
    steps: Object.fromEntries(
      [...stepsByType].map(([type, steps]) => [
        type,
        Object.fromEntries(
          [...steps].map(([name, values]) => {
            const sorted = [...values].sort((a, b) => a - b);
            return [name, { count: sorted.length, median: Math.round(percentile(sorted, 0.5)), p95: Math.round(percentile(sorted, 0.95)) }];
          }),
        ),
      ]),
    ),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Runs

interface RunSpec {
  label: string;
  changed: Set<number>;
  /** What the run must do for its figures to count (options.ts, runProblems). */
  work: RunWork;
}

interface RunFigures {
  run: string;
  /** The run's report status (the baseline: completed when no employee failed). */
  status: string;
  wallSeconds: number;
  employeesPerSecond: number;
  operations: number;
  operationsByMethod: Record<string, number>;
  operationsPerEmployee: number;
  minutesAtPeakonBudget: number;
  counts: Record<string, number>;
  failed: number;
  /**
   * Peak RSS in MiB during this run, per process (self = the bench process: in-process worker, client and sandbox):
   * VmHWM from the run's start to its end (RunMemory), unless `peakRssFrom` names another source.
   */
  peakRssMiB: Record<string, number>;
  /** VmRSS sampled every 200 ms over the same span: a spike between two samples is missed. */
  sampledPeakRssMiB: Record<string, number>;
  /** Processes whose peak is not VmHWM (its reset refused), and what it is instead. */
  peakRssFrom?: Record<string, string>;
  /** A failed run: why (status `failed`; its figures go as far as it did). */
  error?: string;
  history?: HistoryFigures;
  phases?: Record<string, number>;
  /** With --budget-per-hour: the run's wall time against the time its operations need at the budget. */
  pacing?: { budgetPerHour: number; secondsAtBudget: number; wallOverBudgetTime: number; rateLimited: number; busiest10s: number; busiest60s: number };
}

function operationsOf(sandbox: RunningSandbox, before: number, employees: number, started: number) {
  const ops = sandbox.ops().slice(before);
  const operationsByMethod: Record<string, number> = {};
  for (const op of ops) operationsByMethod[op.method] = (operationsByMethod[op.method] ?? 0) + 1;
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    wallSeconds: Number(wallSeconds.toFixed(2)),
    employeesPerSecond: Number((employees / wallSeconds).toFixed(1)),
    operations: ops.length,
    operationsByMethod,
    operationsPerEmployee: Number((ops.length / employees).toFixed(3)),
    minutesAtPeakonBudget: Number((ops.length / (BUDGET_PER_HOUR / 60)).toFixed(1)),
    failedRequests: ops.filter((op) => op.status === null || op.status >= 400).length,
  };
}

function pacingOf(sandbox: RunningSandbox, before: number, operations: number, wallSeconds: number, budgetPerHour: number): NonNullable<RunFigures['pacing']> {
  const secondsAtBudget = operations / (budgetPerHour / 3600);
  const ops = sandbox.ops().slice(before);
  const times = ops.map((op) => Date.parse(op.time));
  return {
    budgetPerHour,
    secondsAtBudget: Number(secondsAtBudget.toFixed(1)),
    wallOverBudgetTime: Number((wallSeconds / secondsAtBudget).toFixed(3)),
    rateLimited: ops.filter((op) => op.status === 429).length,
    // The sandbox counts an hour, longer than most runs: zero 429s is then no proof; the busiest stretches are.
    busiest10s: busiestWindow(times, 10_000),
    busiest60s: busiestWindow(times, 60_000),
  };
}

function benchConfig(base: ConnectorConfig, baseUrl: string, csv: string, options: Options): ConnectorConfig {
  return {
    ...base,
    tenant: TENANT,
    peakon: { ...base.peakon, baseUrl, operationsPerHour: options.budgetPerHour ?? UNLIMITED },
    source: { ...base.source, path: csv } as ConnectorConfig['source'],
    sync: {
      ...base.sync,
      ...(options.maxEmployees ? { maxConcurrentEmployees: options.maxEmployees } : {}),
      ...(options.maxPartitions ? { maxConcurrentPartitions: options.maxPartitions } : {}),
    },
  };
}

function progressTicker(what: string, sandbox: RunningSandbox, started: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    const counts = sandbox.counters();
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    process.stderr.write(`  … ${what}: ${((performance.now() - started) / 1000).toFixed(0)} s, sandbox operations so far ${total} ${JSON.stringify(counts)}\n`);
  }, 30_000);
  timer.unref();
  return timer;
}

/**
 * The same plan, the same SCIM client and the same concurrency, without Temporal. The plan is the connector's own plan
 * activity (activities/plan.ts: read, map, preflight, list, buildPlan with every option a run passes, the ownership
 * ledger's leaver context included), run in the SDK's activity context without a server; `deps` holds the baseline's
 * own ledger (its sandbox's users are not the Temporal runs').
 */
async function baselineRun(config: ConnectorConfig, sandbox: RunningSandbox, width: number, deps: ActivityDeps, runId: string): Promise<{ counts: Record<string, number>; failed: number; phases: Record<string, number> }> {
  const phases: Record<string, number> = {};
  let mark = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phases[name] = Number(((now - mark) / 1000).toFixed(2));
    mark = now;
  };
  const scim = new ScimClient({ baseUrl: config.peakon.baseUrl, token: resolveSecret(config.peakon.token, { url: config.peakon.baseUrl, field: 'peakon.token' }), timeoutMs: config.peakon.timeoutMs, userAgent: 'peakon-scim-connector' });
  const planned: PlanResult = await new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 3_600_000 }, { logger: new DefaultLogger('WARN') }).run(planSyncActivity(deps), { run: { tenant: config.tenant, runId }, config, startedAt: new Date().toISOString() });
  // Not asked for a stored plan (PlanInput.storedPlan): the entries come whole.
  if (planned.stored) throw new Error('baseline: the plan activity stored its plan, expected whole entries');
  const plan = { entries: planned.entries, waves: planned.waves };
  lap('plan (read, map, preflight, list, buildPlan)');
  const counts: Record<string, number> = { created: 0, updated: 0, unchanged: 0, skipped: 0, failed: planned.problems.length };
  for (const entry of plan.entries) {
    if (entry.action === 'unchanged') counts.unchanged = (counts.unchanged ?? 0) + 1;
    if (entry.action === 'skip') counts.skipped = (counts.skipped ?? 0) + 1;
  }
  const created = new Map<string, EmployeeOutcome>();
  const fail = (work: CreateWork | UpdateWork, phase: 'create' | 'update', error: unknown): EmployeeOutcome => {
    counts.failed = (counts.failed ?? 0) + 1;
    return { ref: work.ref, employeeKey: work.employeeKey, phase, status: 'failed', reason: error instanceof Error ? error.message : String(error), operations: 1 };
  };
  for (let wave = 0; wave < plan.waves; wave += 1) {
    const { work } = createWorkOfWave(plan.entries, wave, missingPeople(plan.entries, created, wave));
    await pool(work, width, async (employee) => {
      try {
        const user = await scim.createUser(employee.createBody);
        counts.created = (counts.created ?? 0) + 1;
        created.set(employee.ref, { ref: employee.ref, employeeKey: employee.employeeKey, phase: 'create', status: 'created', peakonUserId: user.id, operations: 1 });
      } catch (error) {
        created.set(employee.ref, fail(employee, 'create', error));
      }
    });
  }
  lap('phase 1 (create)');
  const updates = updateWork(plan.entries, created, missingPeople(plan.entries, created), config.sync.updateMethod);
  await pool(updates.work, width, async (employee) => {
    try {
      await sendEmployeeWrite(scim, employee.peakonUserId, employee.write);
      if (!employee.createdThisRun) counts.updated = (counts.updated ?? 0) + 1;
    } catch (error) {
      fail(employee, 'update', error);
    }
  });
  lap('phase 2 (update)');
  return { counts, failed: counts.failed ?? 0, phases };
}

/**
 * Starts worker process `index` and resolves once it polls. `onExit` hears of an exit after that (an OOM under
 * --worker-heap-mb, a crash): the run it was part of cannot finish, and would otherwise wait for it forever.
 */
function startWorkerProcess(index: number, env: NodeJS.ProcessEnv, dir: string, onExit: (error: Error) => void): Promise<ChildProcess> {
  const stateDir = path.join(dir, `state-${index}`);
  mkdirSync(stateDir, { recursive: true });
  const child = spawn(process.execPath, [path.resolve('dist/client/cli.js'), 'worker'], {
    env: { ...env, PEAKON_SYNC_STATE_DIR: stateDir, PEAKON_SYNC_LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    let polling = false;
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes('worker polling')) {
        polling = true;
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) => {
      const how = `exit code ${String(code)}, signal ${String(signal)}`;
      if (polling) onExit(new Error(`worker process ${index} exited (${how})`));
      else reject(new Error(`worker process ${index} exited before polling (${how})`));
    });
  });
}

async function waitForNextSecond(previous: number): Promise<void> {
  while (Math.floor(Date.now() / 1000) === Math.floor(previous / 1000)) await new Promise((resolve) => setTimeout(resolve, 50));
}

function directorySize(dir: string): number {
  if (!existsSync(dir)) return 0;
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? directorySize(full) : statSync(full).size;
  }
  return total;
}

async function main(): Promise<void> {
  const options = parsePipelineOptions(process.argv.slice(2));
  // Gone until this run writes its own: a run that fails or is interrupted must not leave an earlier run's figures
  // standing under its name.
  const resultFile = pipelineResultFile(options);
  rmSync(resultFile, { force: true });
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  try {
    await measure(options, resultFile, command);
  } catch (error) {
    // Failed outside any run (the dev server, the sandbox or a worker process not starting, a teardown throwing): the
    // old file is gone, so the failure is written under its name instead, as a failed run's is; not when measure
    // wrote its own file before throwing.
    if (!existsSync(resultFile)) {
      const output = { command, valid: false, invalidBecause: [`the benchmark failed: ${errorText(error)}`], status: 'failed', error: errorText(error) };
      mkdirSync(path.dirname(resultFile), { recursive: true });
      writeFileSync(resultFile, `${JSON.stringify(output, null, 2)}\n`);
      process.stderr.write(`failed; written to ${resultFile}\n`);
    }
    throw error;
  }
}

async function measure(options: Options, resultFile: string, command: string): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'peakon-bench-pipeline-'));
  // The production data path: every payload encrypted, large ones in the payload store. Set before any worker or client.
  Object.assign(process.env, {
    PEAKON_TOKEN: TOKEN,
    // The sandbox listens on loopback, where the token goes only when bound there (config/secret.ts).
    PEAKON_SYNC_SECRET_HOSTS: 'PEAKON_TOKEN=loopback',
    PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey(),
    PEAKON_SYNC_PAYLOAD_STORE: `local:${path.join(dir, 'payloads')}`,
    PEAKON_SYNC_STATE_DIR: path.join(dir, 'state-0'),
    PEAKON_SYNC_TASK_QUEUE: TASK_QUEUE,
    // The generated HR export lives here; workers (and the baseline's read) take CSV files only from data directories.
    PEAKON_SYNC_DATA_DIR: dir,
  });
  const shape: OrgShape = orgShape(options.employees);
  const csv = path.join(dir, 'hr.csv');
  const changed = changedEmployees(shape, options.changes);
  const runs: RunSpec[] = [
    { label: 'first load', changed: new Set(), work: { kind: 'first load', created: shape.employees - shape.leavers } },
    ...(options.firstLoadOnly ? [] : [{ label: 'unchanged re-sync', changed: new Set<number>(), work: { kind: 'unchanged re-sync' } as const }]),
    // One PATCH per changed employee: each moved team (org-data.ts).
    ...(!options.firstLoadOnly && options.changes > 0 ? [{ label: `re-sync, ${options.changes} changed`, changed, work: { kind: 'changed re-sync', updated: changed.size } as const }] : []),
  ];
  const base = loadConfigFile(path.resolve('examples/sample-config.yaml'));
  const concurrency = {
    maxConcurrentEmployees: options.maxEmployees || base.sync.maxConcurrentEmployees,
    maxConcurrentPartitions: options.maxPartitions || base.sync.maxConcurrentPartitions,
  };
  const width = concurrency.maxConcurrentEmployees * concurrency.maxConcurrentPartitions;
  process.stderr.write(`pipeline bench: ${options.employees} employees (tree ${shape.branching} wide, ${shape.depth} levels, ${shape.leavers} leavers, ${Math.round(reportsBeforeManagers(shape) * 100)}% listed before their manager), latency ${options.latencyMs} ms, ${options.workers} worker process(es), concurrency ${concurrency.maxConcurrentEmployees} × ${concurrency.maxConcurrentPartitions}; temp ${dir}\n`);

  const temporalRuns: RunFigures[] = [];
  const baselineRuns: RunFigures[] = [];
  const extra: ChildProcess[] = [];
  const workerLabels = new Map<ChildProcess, string>();
  let serverPid: number | undefined;
  let serverLifetimePeak: number | undefined;
  const workerLifetimePeaks: Record<string, number> = {};
  // A worker process's exit while runs are under way (not when this process stops it), or the in-process worker's end.
  const workers = new WorkerLoss();
  const onWorkerExit = (error: Error) => workers.lose(error);
  const invalid: string[] = [];
  const markInvalid = (side: string, label: string, problems: string[]) => {
    if (problems.length === 0) return;
    invalid.push(`${side} ${label}: ${problems.join(', ')}`);
    process.stderr.write(`  INVALID ${side} ${label}: ${problems.join(', ')}\n`);
  };
  // Employee refs as the connector names them (the end state check's plan needs some; they name no one there).
  const refOf = employeeRefFor(employeeRefKeyFromEnv().employeeRefKey, TENANT);
  const check = (side: string, spec: RunSpec, run: { status: string; failed: number; users: number; counts: Record<string, number>; operationsByMethod: Record<string, number> }) =>
    markInvalid(side, spec.label, runProblems(run, { users: shape.employees - shape.leavers, work: spec.work }));
  let payloadStoreMiB = 0;
  let databaseMiB = 0;
  // Default: a temp folder on tmpfs (/dev/shm) when there is one, as the published runs had, so the figures do not
  // depend on the disk. With the dev server's default pragmas (write-ahead log, synchronous=normal: dev-server.ts) the
  // file on this machine's ext4 is as fast (README: 200 employees' child workflows 9.7 s); *historical*: before those
  // pragmas the single-shard SQLite spent most of a run in fsync (1,000 employees: 391 s on ext4 against 65 s on tmpfs).
  // --db-dir os.tmpdir() measures the disk anyway.
  const dbParent = options.dbDir ?? (existsSync('/dev/shm') ? '/dev/shm' : undefined);
  const dbDir = dbParent === 'memory' ? undefined : dbParent ? mkdtempSync(path.join(dbParent, 'peakon-bench-db-')) : dir;
  const dbFile = dbDir === undefined ? undefined : path.join(dbDir, 'temporal.db');
  // Interrupted (Ctrl-C, a timeout's SIGTERM): the database folder is in RAM (/dev/shm) and outlives the process.
  const onSignal = (signal: NodeJS.Signals) => {
    for (const child of extra) child.kill('SIGTERM');
    try {
      if (serverPid !== undefined) process.kill(serverPid, 'SIGTERM'); // the dev server, when the signal came to this process alone
    } catch {
      // already gone
    }
    if (dbDir && dbDir !== dir) rmSync(dbDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const server = await startDevServer(dbFile ? { dbFilename: dbFile } : {});
  const pids = new Map<string, number>();
  const sampler = new RssSampler(() => pids);
  const memory = new RunMemory(sampler, () => pids);
  /**
   * A run that threw or ended failed: recorded (its figures as far as they go) and the whole output marked invalid.
   * Its status is `failed` also when its figures were recorded already (a check or the history reading threw after
   * its sync completed): an `error` goes with status `failed` only.
   */
  const recordFailure = (side: 'temporal' | 'baseline', spec: RunSpec, error: unknown, figures: RunFigures | undefined) => {
    const list = side === 'temporal' ? temporalRuns : baselineRuns;
    if (figures && !list.includes(figures)) list.push(figures);
    if (figures) Object.assign(figures, { status: 'failed', error: errorText(error) });
    markInvalid(side, spec.label, [`run failed: ${errorText(error)}`]);
  };
  try {
    // The process startDevServer spawned (absent when the SDK's download started it: no dev server figures then).
    serverPid = server.pid;
    if (serverPid !== undefined) pids.set('temporal dev server', serverPid);
    const connection = await NativeConnection.connect({ address: server.address });
    const connected = await connectClient({ ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });
    const sandbox = await startSandbox({ token: TOKEN, quotaPerHour: options.budgetPerHour ?? UNLIMITED, faults: { latencyMs: options.latencyMs } });
    const config = benchConfig(base, sandbox.baseUrl, csv, options);
    try {
      const heapLimit = options.workerHeapMiB === undefined ? {} : { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--max-old-space-size=${options.workerHeapMiB}`].filter(Boolean).join(' ') };
      const workerEnv = { ...process.env, TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace, PEAKON_SYNC_SCIM_CONCURRENCY: String(width), ...heapLimit };
      for (let index = options.separateWorkers ? 0 : 1; index < options.workers; index += 1) {
        const child = await startWorkerProcess(index, workerEnv, dir, onWorkerExit);
        extra.push(child);
        workerLabels.set(child, `worker process ${index}`);
        if (child.pid !== undefined) pids.set(`worker process ${index}`, child.pid);
      }
      const inProcess = options.separateWorkers
        ? undefined
        : await createSyncWorkers({
            connection,
            namespace: server.namespace,
            taskQueue: TASK_QUEUE,
            deps: defaultActivityDeps(path.join(dir, 'state-0', 'reports')),
            maxConcurrentScimActivities: width,
          });
      let lastStart = 0;
      // Per run: when it started, the sandbox's request count then, and its figures so far (what a failure records).
      const under = new Map<RunSpec, { before: number; started: number; ticker: NodeJS.Timeout; figures: RunFigures; ended: boolean; workflowId: string }>();
      const of = (spec: RunSpec) => {
        const run = under.get(spec);
        if (!run) throw new Error(`bench: run ${spec.label} was not prepared`);
        return run;
      };
      const inProcessRun = inProcess?.run();
      let lostAfterLastRun: Error | undefined;
      try {
        ({ lostAfterLastRun } = await runOneAfterAnother<RunSpec, SyncReport>(runs, workers, inProcessRun, {
          prepare: async (spec) => {
            await writeOrgCsv(csv, shape, spec.changed);
            await waitForNextSecond(lastStart);
            memory.start();
            const before = sandbox.ops().length;
            const started = performance.now();
            lastStart = Date.now();
            const figures: RunFigures = { run: spec.label, status: 'running', ...operationsOf(sandbox, before, options.employees, started), counts: {}, failed: 0, peakRssMiB: {}, sampledPeakRssMiB: {} };
            under.set(spec, { before, started, ticker: progressTicker(`temporal ${spec.label}`, sandbox, started), figures, ended: false, workflowId: '' });
          },
          start: async (spec) => {
            const handle = await startSync({ client: connected.client, namespace: server.namespace, taskQueue: TASK_QUEUE, config });
            of(spec).workflowId = handle.workflowId;
            return { result: handle.result(), end: () => handle.terminate('bench: the run failed').then(() => undefined) };
          },
          completed: (spec, report) => {
            const run = of(spec);
            clearInterval(run.ticker);
            run.ended = true;
            const operations = operationsOf(sandbox, run.before, options.employees, run.started);
            // Read before the history inspection, which makes the dev server load histories: the run's own peak.
            const peaks = memory.end();
            Object.assign(run.figures, { status: report.status, ...operations, counts: { ...report.counts }, failed: report.failuresTotal, ...peaks });
            temporalRuns.push(run.figures);
            process.stderr.write(`temporal ${spec.label}: ${operations.wallSeconds} s, ${operations.operations} operations ${JSON.stringify(operations.operationsByMethod)}, status ${report.status}; checking the end state, reading histories…\n`);
            if (report.status !== 'completed') process.stderr.write(`  run status ${report.status}: ${JSON.stringify(report.failures.slice(0, 3))} ${report.message ?? ''}\n`);
          },
          // The lock is released by signal as the run ends; the next run must not find it still held.
          settled: () => connected.client.workflow.getHandle(tenantLockWorkflowId(TENANT)).result().catch(() => undefined),
          inspect: async (spec, report) => {
            const run = of(spec);
            const { operations, wallSeconds, operationsByMethod } = run.figures;
            check('temporal', spec, { status: report.status, failed: report.failuresTotal, users: sandbox.users().length, counts: { ...report.counts }, operationsByMethod });
            markInvalid('temporal', spec.label, await endStateProblemsOf(config, sandbox.users(), refOf));
            const history = await inspectHistories(connected.client, run.workflowId, options.historySample, tenantLockWorkflowId(TENANT));
            const pacing = options.budgetPerHour === undefined ? undefined : pacingOf(sandbox, run.before, operations, wallSeconds, options.budgetPerHour);
            if (pacing) process.stderr.write(`  pacing: ${wallSeconds} s for ${operations} operations, ${pacing.secondsAtBudget} s at ${options.budgetPerHour}/hour: ×${pacing.wallOverBudgetTime}, ${pacing.rateLimited} 429s; busiest 10 s ${pacing.busiest10s} (${(pacing.budgetPerHour / 360).toFixed(0)} at the budget), busiest 60 s ${pacing.busiest60s} (${(pacing.budgetPerHour / 60).toFixed(0)})\n`);
            Object.assign(run.figures, { history, phases: history.phases, ...(pacing ? { pacing } : {}) });
          },
          // A sync ending `failed` rejects its result; the workers' loss rejects the race; any step may throw. The run
          // is recorded with what it did so far, and the runs after it (which build on its end state) are not run.
          failed: (spec, error) => {
            const run = under.get(spec);
            if (run && !run.ended) {
              clearInterval(run.ticker);
              run.ended = true;
              Object.assign(run.figures, operationsOf(sandbox, run.before, options.employees, run.started), memory.end());
            }
            recordFailure('temporal', spec, error, run?.figures);
            process.stderr.write(`temporal ${spec.label}: failed (${errorText(error)}); the runs after it are not run\n`);
          },
          // The workers went after the run before completed: that run's figures stand; this one is the failure.
          notStarted: (spec, error) => {
            const run = of(spec);
            clearInterval(run.ticker);
            run.ended = true;
            const notRun = { wallSeconds: 0, employeesPerSecond: 0, operations: 0, operationsByMethod: {}, operationsPerEmployee: 0, minutesAtPeakonBudget: 0 };
            recordFailure('temporal', spec, new Error(`not started: ${errorText(error)}`), Object.assign(run.figures, notRun));
            process.stderr.write(`temporal ${spec.label}: not started (${errorText(error)}); the runs after it are not run\n`);
          },
        }));
      } finally {
        for (const run of under.values()) clearInterval(run.ticker);
        // Every wait on the workers was raced with their loss: the runs have ended, and nothing waits on the connections.
        workers.stop();
        inProcess?.shutdown();
        await inProcessRun?.catch(() => undefined);
      }
      if (lostAfterLastRun) {
        markInvalid('temporal', 'workers', [`${errorText(lostAfterLastRun)} after the last run completed (its figures stand; the workers did not survive the benchmark)`]);
      }
    } finally {
      workers.stop();
      // Every process's VmHWM since the last run started (history reading included) joins its lifetime peak now,
      // while the processes still run.
      memory.foldLifetime();
      for (const child of extra) child.kill('SIGTERM');
      // A process killed by a signal has exitCode null and signalCode set: it has exited too, and 'exit' will not come again.
      await Promise.all(extra.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
      await sandbox.close();
      await connected.close();
      await connection.close();
    }
    for (const child of extra) {
      const label = workerLabels.get(child) ?? 'worker process';
      const peak = memory.lifetime[label];
      if (peak !== undefined) workerLifetimePeaks[label] = peak;
    }
    workerLifetimePeaks[options.separateWorkers ? 'bench process (client + sandbox)' : 'bench process (in-process worker + client + sandbox)'] = memory.lifetime.self ?? 0;
    serverLifetimePeak = serverPid === undefined ? undefined : memory.lifetime['temporal dev server'];
    payloadStoreMiB = MiB(directorySize(path.join(dir, 'payloads')));
    databaseMiB = dbFile ? MiB(['', '-wal', '-shm'].reduce((sum, suffix) => sum + (existsSync(dbFile + suffix) ? statSync(dbFile + suffix).size : 0), 0)) : 0;
  } finally {
    // Dead now: their pids must not be read again (another process may hold one).
    pids.clear();
    await server.stop();
    if (dbDir && dbDir !== dir) rmSync(dbDir, { recursive: true, force: true });
  }

  if (options.baseline) {
    const sandbox = await startSandbox({ token: TOKEN, quotaPerHour: UNLIMITED, faults: { latencyMs: options.latencyMs } });
    const config = benchConfig(base, sandbox.baseUrl, csv, options);
    // The baseline's own ownership ledger (its own payload folder): its sandbox's users are not the Temporal runs'.
    const baselineDeps = defaultActivityDeps(path.join(dir, 'baseline', 'reports'), { ...process.env, PEAKON_SYNC_PAYLOAD_STORE: `local:${path.join(dir, 'baseline', 'payloads')}` });
    try {
      for (const spec of runs) {
        await writeOrgCsv(csv, shape, spec.changed);
        memory.start();
        const before = sandbox.ops().length;
        const started = performance.now();
        const ticker = progressTicker(`baseline ${spec.label}`, sandbox, started);
        let outcome: Awaited<ReturnType<typeof baselineRun>>;
        try {
          outcome = await baselineRun(config, sandbox, width, baselineDeps, `baseline/${TENANT}/${spec.label}`);
        } catch (error) {
          const figures: RunFigures = { run: spec.label, status: 'failed', ...operationsOf(sandbox, before, options.employees, started), counts: {}, failed: 0, ...memory.end() };
          recordFailure('baseline', spec, error, figures);
          process.stderr.write(`baseline ${spec.label}: failed (${errorText(error)}); the runs after it are not run\n`);
          break;
        } finally {
          clearInterval(ticker);
        }
        const operations = operationsOf(sandbox, before, options.employees, started);
        // The baseline has no report: it completed if no employee failed.
        const status = outcome.failed === 0 ? 'completed' : 'completed_with_failures';
        baselineRuns.push({ run: spec.label, status, ...operations, counts: outcome.counts, failed: outcome.failed, ...memory.end(), phases: outcome.phases });
        process.stderr.write(`baseline ${spec.label}: ${operations.wallSeconds} s, ${operations.operations} operations ${JSON.stringify(operations.operationsByMethod)}\n`);
        check('baseline', spec, { status, failed: outcome.failed, users: sandbox.users().length, counts: outcome.counts, operationsByMethod: operations.operationsByMethod });
        markInvalid('baseline', spec.label, await endStateProblemsOf(config, sandbox.users(), refOf));
      }
      // The same plan must send the same requests: a side that sent fewer did less work, and its figures would flatter it.
      runs.forEach((spec, index) => {
        const temporalRun = temporalRuns[index];
        const baselineRun = baselineRuns[index];
        if (temporalRun && baselineRun) markInvalid('temporal vs baseline', spec.label, operationsMismatch(temporalRun.operationsByMethod, baselineRun.operationsByMethod));
      });
    } finally {
      await sandbox.close();
    }
  }
  sampler.stop();

  const ratios = temporalRuns.map((run, index) => {
    const baseline = baselineRuns[index];
    // No ratio with a failed side: its time is that of work not done.
    const compared = baseline && run.status !== 'failed' && baseline.status !== 'failed';
    return { run: run.run, temporalSeconds: run.wallSeconds, baselineSeconds: baseline?.wallSeconds ?? null, ratio: compared ? Number((run.wallSeconds / baseline.wallSeconds).toFixed(1)) : null };
  });
  // The dev server's peak during the runs (each run's VmHWM, the history reading after it excluded).
  const serverRunPeaks = temporalRuns.flatMap((run) => (run.peakRssMiB['temporal dev server'] === undefined ? [] : [run.peakRssMiB['temporal dev server']]));
  const serverPeak = serverRunPeaks.length ? Math.max(...serverRunPeaks) : null;
  const output = {
    command,
    // false: some run failed, did not sync every employee cleanly, did other work than expected (creates, writes,
    // updates), left the sandbox other than the HR read says (end state), or sent other requests than the baseline;
    // its figures are no measurement of the pipeline.
    valid: invalid.length === 0,
    ...(invalid.length ? { invalidBecause: invalid } : {}),
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    employees: options.employees,
    org: { ...shape, reportsListedBeforeManager: Number(reportsBeforeManagers(shape).toFixed(2)) },
    changes: options.changes,
    latencyMs: options.latencyMs,
    workerProcesses: options.workers,
    workerHeapLimitMiB: options.workerHeapMiB ?? 'Node default',
    concurrency: { ...concurrency, scimActivitiesPerWorker: width, baselinePool: width },
    temporalDatabase: dbFile ? `SQLite file in ${path.dirname(path.dirname(dbFile))}` : 'in memory',
    dataPath: { encryption: 'AES-256-GCM (PEAKON_SYNC_ENCRYPTION_KEY)', payloadStore: 'local (PEAKON_SYNC_PAYLOAD_STORE)', payloadStoreMiB, temporalDatabaseMiB: databaseMiB },
    budgetPerHour: BUDGET_PER_HOUR,
    pacedAtPerHour: options.budgetPerHour ?? null,
    // peakRssMiB of a run: each process's VmHWM from the run's start (reset by /proc/<pid>/clear_refs) to its end, the
    // history reading after it excluded; `peakRssFrom` names a process whose reset was refused (then: sampled VmRSS).
    // sampledPeakRssMiB: VmRSS sampled every 200 ms over the same span (a spike between samples is missed).
    temporal: {
      runs: temporalRuns,
      devServerPeakRssMiB: serverPeak,
      devServerLifetimePeakRssMiB: serverLifetimePeak ?? null,
      lifetimePeakRssMiB: workerLifetimePeaks,
    },
    baseline: { runs: baselineRuns },
    ratios,
  };
  mkdirSync(path.dirname(resultFile), { recursive: true });
  writeFileSync(resultFile, `${JSON.stringify(output, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  process.stdout.write(`\n${summary(output.temporal.runs, ratios, output.temporal.devServerPeakRssMiB, output.temporal.devServerLifetimePeakRssMiB)}\n${invalid.length ? `INVALID: ${invalid.join('; ')}` : 'valid: every run completed, nothing failed, every active employee in the sandbox, the expected work done (creates, no writes, updates), the end state as the HR read says (re-planned: nothing left to write), Temporal and baseline sent the same requests'}\nwritten to ${resultFile}\n`);
  if (invalid.length) process.exitCode = 1;
  rmSync(dir, { recursive: true, force: true });
}

/** The longest history's events and KiB (one workflow), and the largest by size's when that is another workflow. */
function largestHistories(history: HistoryFigures): string {
  const cell = (size: WorkflowSize) => `${size.events} / ${(size.bytes / 1024).toFixed(0)} (${size.type})`;
  const longest = history.largestByEvents;
  const largest = history.largestByBytes;
  return largest.workflowId === longest.workflowId ? cell(longest) : `${cell(longest)}; by size ${cell(largest)}`;
}

function summary(runs: RunFigures[], ratios: Array<{ ratio: number | null; baselineSeconds: number | null }>, serverPeak: number | null, serverLifetimePeak: number | null): string {
  // Sizes of every workflow of the run, or of the fetched ones only (inspectHistories): the label says which.
  const bytesOfAll = runs.every((run) => run.history?.largestByBytesOf !== 'sampled workflows');
  const payloadOfAll = runs.every((run) => run.history?.largestPayloadOf !== 'sampled workflows');
  // One workflow's events and KiB together, with its type; the largest by size after it when that is another workflow
  // (the longest history is the longest of all: the 10 longest are always fetched).
  const historyLabel = `largest history (events / KiB, type; by size when another${bytesOfAll ? '' : ', of the sampled workflows'})`;
  const payloadLabel = payloadOfAll ? 'largest inline payload (KiB)' : 'largest inline payload of the sampled workflows (KiB)';
  const lines = [`| run | status (failed) | wall s | employees/s | operations | per employee | at 25,000/h (min) | ${historyLabel} | ${payloadLabel} | peak RSS MiB (VmHWM of the run) | baseline s | Temporal ÷ baseline |`, '|---|---|---|---|---|---|---|---|---|---|---|---|'];
  runs.forEach((run, index) => {
    const history = run.history;
    const methods = Object.entries(run.operationsByMethod).map(([method, count]) => `${count} ${method}`).join(', ');
    lines.push(
      `| ${run.run} | ${run.status} (${run.failed}) | ${run.wallSeconds} | ${run.employeesPerSecond} | ${run.operations} (${methods}) | ${run.operationsPerEmployee} | ${run.minutesAtPeakonBudget} | ${history ? largestHistories(history) : '-'} | ${history ? (history.largestPayload.bytes / 1024).toFixed(1) : '-'} | ${JSON.stringify(run.peakRssMiB)} | ${ratios[index]?.baselineSeconds ?? '-'} | ${ratios[index]?.ratio ?? '-'} |`,
    );
  });
  lines.push(`Temporal dev server peak RSS (VmHWM during the runs, history reading excluded): ${serverPeak ?? '?'} MiB; over its lifetime (history reading included): ${serverLifetimePeak ?? '?'} MiB`);
  return lines.join('\n');
}

main().then(
  // A 10,000 run was seen to stay alive after writing its figures (an open handle not tracked down): end explicitly.
  () => process.exit(),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
