import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { parse as parseCsv } from 'csv-parse/sync';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startSync } from '../client/start-sync';
import { connectClient, withoutTemporalVariables, type ConnectedClient } from '../client/temporal-client';
import { generateEncryptionKey } from '../codec/keys';
import { loadConfigFile } from '../config/load';
import type { ConnectorConfig } from '../config/schema';
import { startDevServer, type RunningDevServer } from '../devserver/dev-server';
import { freePort } from '../devserver/ports';
import { startSandbox, type FaultSettingsInput, type OperationLogEntry, type RunningSandbox, type ScimUser } from '../sandbox';
import { FaultInjector } from '../sandbox/faults';
import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../scim/resources';
import type { SyncReport } from '../sync/report';
import type { RunTuning } from '../sync/settings';
import type { syncTenantWorkflow } from '../workflows';
import { changedEmployees, orgShape, writeOrgCsv } from './org-data';
import { resultFileNamed } from './options';

/**
 * Chaos run: the real pipeline (worker PROCESSES running the `peakon-sync worker` CLI, a Temporal dev server of its own
 * with a SQLite file) against a sandbox that fails, hangs and commits-then-fails a seeded share of SCIM requests, while
 * worker processes are SIGKILLed and the Temporal server is stopped and restarted on the same port and database file.
 * A first load, then a re-sync with a share of employees moved to another team. Afterwards every mapped attribute of
 * every employee is compared with the HR file (an oracle written here, independent of mapping/), duplicates are
 * looked for, and a JSON summary is printed; exit code 1 when any check failed.
 *
 *   npm run chaos [-- --employees 300 --workers 2 --seed 42 --changed-share 0.1 --timeout-ms 2000 --out summary.json]
 *
 * The summary goes to stdout and to bench/results/chaos-<employees>-seed-<seed>….json (chaosResultFile), or to --out.
 *
 * Events are triggered by what the sandbox observed (the plan's first read, N POSTs, N PATCHes), never by sleeps.
 */

const TOKEN = 'chaos-token';
const REPO_ROOT = findRepoRoot(__dirname);
const CLI = path.join(REPO_ROOT, 'dist', 'client', 'cli.js');
const SAMPLE_CONFIG = path.join(REPO_ROOT, 'examples', 'sample-config.yaml');

export type ChaosAction = 'kill-worker' | 'restart-server';
export interface ChaosEvent {
  action: ChaosAction;
  /** `plan`: while the first load's plan activity runs (kill-worker only); `creates`/`updates`: the first load's POSTs, the re-sync's PATCHes. */
  during: 'plan' | 'creates' | 'updates';
  /** For creates/updates: fire once this share of the phase's expected writes has reached the sandbox (default 0.3). */
  at?: number;
}

export interface ChaosOptions {
  employees: number;
  /** Share of active employees whose team changes before the re-sync. */
  changedShare: number;
  /** Worker processes running at once. */
  workers: number;
  seed: number;
  faults: { faultRate: number; hangRate: number; commitThenFailRate: number };
  /** The connector's `peakon.timeoutMs`: hangs last twice as long, so each one ends in a client timeout. */
  timeoutMs: number;
  events: ChaosEvent[];
  /** How long the Temporal server stays down on each restart. */
  serverDownMs: number;
  /** Each sync must finish within this. */
  runDeadlineMs: number;
  /** Folder for the dev server's SQLite file and the workers' state (default: /dev/shm when present). */
  workDir?: string;
  log?: (line: string) => void;
}

export const FULL_CHAOS: ChaosOptions = {
  employees: 300,
  changedShare: 0.1,
  workers: 2,
  seed: 42,
  faults: { faultRate: 0.1, hangRate: 0.05, commitThenFailRate: 0.05 },
  timeoutMs: 2_000,
  events: [
    { action: 'kill-worker', during: 'plan' },
    { action: 'kill-worker', during: 'creates', at: 0.3 },
    { action: 'restart-server', during: 'creates', at: 0.6 },
    { action: 'kill-worker', during: 'updates', at: 0.3 },
  ],
  serverDownMs: 3_000,
  runDeadlineMs: 15 * 60_000,
};

/** Short retries for real time; the plan's heartbeat timeout is what a kill during the plan waits for. */
export const CHAOS_TUNING: Partial<RunTuning> = {
  scimRetry: { initialIntervalMs: 100, maximumIntervalMs: 1_000, maximumAttempts: 40 },
  scimActivityTimeoutMs: 8_000,
  planTimeoutMs: 120_000,
  planHeartbeatTimeoutMs: 8_000,
};

export interface ChaosSummary {
  ok: boolean;
  problems: string[];
  employees: number;
  activeEmployees: number;
  changedEmployees: number;
  workers: number;
  seed: number;
  faultSettings: FaultSettingsInput;
  faultsInjected: { total: number; failed5xx: number; hangs: number; commitThenFail: number; commitThenFailByMethod: Record<string, number>; commitThenFailPlannedOnWrites: number };
  kills: { during: string; pid: number; atMs: number }[];
  serverRestarts: { during: string; atMs: number; downMs: number }[];
  unexpectedWorkerExits: { pid: number; code: number | null; signal: string | null; atMs: number; stderrTail: string }[];
  workerProcessesStarted: number;
  operations: { total: number; byMethod: Record<string, number>; byStatus: Record<string, number>; firstLoad: number; resync: number };
  runs: { name: string; workflowId: string; durationMs: number; counts: SyncReport['counts']; reportedOperations: number; failures: number; planAttempts: number | null }[];
  checks: {
    usersExpected: number;
    usersFound: number;
    duplicateUserNames: number;
    duplicateEmployeeNumbers: number;
    unexpectedUsers: number;
    missingUsers: number;
    fieldMismatches: number;
    fieldsCompared: number;
    postsAnsweredCreated: number;
    /** POSTs the sandbox applied: answered 201, or committed then answered 5xx by the fault injector. */
    createsApplied: number;
    /** POSTs whose answer never arrived (their client was killed): applied or not, the log cannot tell. */
    postsUnanswered: number;
    posts409: number;
    deletes: number;
    unexpectedWriteStatuses: number;
    unexplained5xx: number;
    faultReplayMismatches: number;
    missedEvents: number;
  };
  durationMs: number;
}

// ---------------------------------------------------------------------------------------------------------------

export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[chaos] ${line}\n`));
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  installQuietRuntime();
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const problems: string[] = [];
  const parent = options.workDir ?? (existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
  const dir = mkdtempSync(path.join(parent, 'peakon-chaos-'));
  const dbFilename = path.join(dir, 'temporal.db');
  const csvPath = path.join(dir, 'hr.csv');
  const port = await freePort();
  const taskQueue = `chaos-${randomUUID().slice(0, 8)}`;
  const faultSettings: FaultSettingsInput = { seed: options.seed, ...options.faults, hangMs: options.timeoutMs * 2 };

  const env: NodeJS.ProcessEnv = {
    ...withoutTemporalVariables(process.env),
    TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    TEMPORAL_NAMESPACE: 'default',
    PEAKON_SYNC_TASK_QUEUE: taskQueue,
    PEAKON_TOKEN: TOKEN,
    // The sandbox listens on loopback, where the token goes only when bound there (config/secret.ts).
    PEAKON_SYNC_SECRET_HOSTS: 'PEAKON_TOKEN=loopback',
    PEAKON_SYNC_ENCRYPTION_KEY: process.env.PEAKON_SYNC_ENCRYPTION_KEY ?? generateEncryptionKey(),
    // One payload store for every worker "host" and the client (each worker keeps its own state folder).
    PEAKON_SYNC_PAYLOAD_STORE: `local:${path.join(dir, 'payloads')}`,
    // The generated HR export lives here; workers read CSV files only inside their data directories.
    PEAKON_SYNC_DATA_DIR: dir,
    PEAKON_SYNC_LOG_LEVEL: 'INFO',
  };

  let server: RunningDevServer | undefined = await startDevServer({ port, dbFilename });
  log(`dev server ${server.address} (db ${dbFilename})`);
  const sandbox = await startSandbox({ token: TOKEN, quotaPerHour: 1_000_000_000, faults: faultSettings });
  const pool = new WorkerPool(env, dir, elapsed, log);
  let connected: ConnectedClient | undefined;
  const kills: ChaosSummary['kills'] = [];
  const serverRestarts: ChaosSummary['serverRestarts'] = [];
  const runs: ChaosSummary['runs'] = [];
  let missedEvents = 0;
  let firstLoadOps = 0;

  try {
    connected = await connectClient(env);
    const client = connected.client;
    const shape = orgShape(options.employees);
    const sample = loadConfigFile(SAMPLE_CONFIG);
    const config: ConnectorConfig = {
      ...sample,
      tenant: 'chaos',
      peakon: { ...sample.peakon, baseUrl: sandbox.baseUrl, timeoutMs: options.timeoutMs, operationsPerHour: 1_000_000_000 },
      source: { ...sample.source, path: csvPath } as ConnectorConfig['source'],
      sync: { ...sample.sync, maxConcurrentEmployees: 10, maxConcurrentPartitions: 2, partitionSize: 50 },
    };

    const killWorker = async (during: string) => {
      const pid = await pool.killOne();
      kills.push({ during, pid, atMs: elapsed() });
      log(`SIGKILLed worker ${pid} (${during}); starting a replacement`);
      pool.start();
    };
    const restartServer = async (during: string) => {
      const down = Date.now();
      log(`stopping the Temporal server (${during})`);
      await server?.stop();
      server = undefined;
      await sleep(options.serverDownMs);
      server = await startDevServer({ port, dbFilename });
      serverRestarts.push({ during, atMs: elapsed(), downMs: Date.now() - down });
      log(`Temporal server back on ${server.address} after ${Date.now() - down} ms`);
    };
    const fire = (event: ChaosEvent) => (event.action === 'kill-worker' ? killWorker(event.during) : restartServer(event.during));

    // ---- First load ----
    await writeOrgCsv(csvPath, shape);
    const base = readHrFile(csvPath);
    const activeCount = base.filter((record) => record.status === 'Active').length;
    const planKill = options.events.find((event) => event.during === 'plan');
    if (planKill && planKill.action !== 'kill-worker') throw new Error('only kill-worker can happen during the plan');
    // A kill during the plan must hit the worker running it: only one worker runs until then.
    pool.start();
    if (!planKill) for (let index = 1; index < options.workers; index += 1) pool.start();

    const first = await runSync({
      name: 'first load',
      client,
      namespace: connected.namespace,
      taskQueue,
      config,
      sandbox,
      pool,
      deadlineMs: options.runDeadlineMs,
      writeMethod: 'POST',
      expectedWrites: activeCount,
      events: options.events.filter((event) => event.during === 'creates'),
      fire,
      beforePhase: planKill
        ? async (opsAtStart) => {
            await waitFor('the plan activity to read the tenant', options.runDeadlineMs, () => sandbox.ops().length > opsAtStart);
            await killWorker('plan');
            for (let index = 1; index < options.workers; index += 1) pool.start();
          }
        : undefined,
      log,
    });
    runs.push(first.run);
    missedEvents += first.missed;
    problems.push(...first.problems);
    if (first.report.counts.created !== activeCount) problems.push(`first load: ${first.report.counts.created} created, expected ${activeCount}`);
    problems.push(...checkUsers(sandbox.users(), base).problems.map((problem) => `after the first load: ${problem}`));
    firstLoadOps = sandbox.ops().length;

    // ---- Re-sync with changed teams ----
    const changed = changedEmployees(shape, Math.round(activeCount * options.changedShare));
    await writeOrgCsv(csvPath, shape, changed);
    const current = readHrFile(csvPath);
    const second = await runSync({
      name: 're-sync',
      client,
      namespace: connected.namespace,
      taskQueue,
      config,
      sandbox,
      pool,
      deadlineMs: options.runDeadlineMs,
      writeMethod: 'PATCH',
      expectedWrites: changed.size,
      events: options.events.filter((event) => event.during === 'updates'),
      fire,
      log,
    });
    runs.push(second.run);
    missedEvents += second.missed;
    problems.push(...second.problems);
    if (second.report.counts.created !== 0 || second.report.counts.updated !== changed.size) {
      problems.push(`re-sync: ${second.report.counts.created} created and ${second.report.counts.updated} updated, expected 0 and ${changed.size}`);
    }

    // ---- Final state ----
    const users = sandbox.users();
    const ops = sandbox.ops();
    const userCheck = checkUsers(users, current);
    problems.push(...userCheck.problems);
    const opsCheck = checkOperations(ops, faultSettings);
    problems.push(...opsCheck.problems);
    // Every create the sandbox applied made a user, and none was ever deleted: more applied creates than employees would
    // be a duplicate create, even one the final state no longer shows.
    if (opsCheck.createsApplied > activeCount) problems.push(`the sandbox applied ${opsCheck.createsApplied} creates for ${activeCount} employees`);
    if (opsCheck.createsApplied + opsCheck.postsUnanswered < activeCount) problems.push(`only ${opsCheck.createsApplied} creates were applied (${opsCheck.postsUnanswered} unanswered) for ${activeCount} employees`);
    for (const exit of pool.unexpectedExits) problems.push(`worker ${exit.pid} exited on its own (code ${String(exit.code)}, signal ${String(exit.signal)})`);
    if (missedEvents > 0) problems.push(`${missedEvents} chaos event(s) could not fire: their run finished first`);

    return {
      ok: problems.length === 0,
      problems: problems.slice(0, 50).concat(problems.length > 50 ? [`… and ${problems.length - 50} more`] : []),
      employees: options.employees,
      activeEmployees: activeCount,
      changedEmployees: changed.size,
      workers: options.workers,
      seed: options.seed,
      faultSettings,
      faultsInjected: opsCheck.faults,
      kills,
      serverRestarts,
      unexpectedWorkerExits: pool.unexpectedExits,
      workerProcessesStarted: pool.startedCount,
      operations: { total: ops.length, byMethod: countBy(ops, (op) => op.method), byStatus: countBy(ops, (op) => String(op.status)), firstLoad: firstLoadOps, resync: ops.length - firstLoadOps },
      runs,
      checks: {
        usersExpected: userCheck.expected,
        usersFound: users.length,
        duplicateUserNames: userCheck.duplicateUserNames,
        duplicateEmployeeNumbers: userCheck.duplicateEmployeeNumbers,
        unexpectedUsers: userCheck.unexpectedUsers,
        missingUsers: userCheck.missingUsers,
        fieldMismatches: userCheck.fieldMismatches,
        fieldsCompared: userCheck.fieldsCompared,
        postsAnsweredCreated: opsCheck.postsAnsweredCreated,
        createsApplied: opsCheck.createsApplied,
        postsUnanswered: opsCheck.postsUnanswered,
        posts409: opsCheck.posts409,
        deletes: opsCheck.deletes,
        unexpectedWriteStatuses: opsCheck.unexpectedWriteStatuses,
        unexplained5xx: opsCheck.unexplained5xx,
        faultReplayMismatches: opsCheck.replayMismatches,
        missedEvents,
      },
      durationMs: elapsed(),
    };
  } finally {
    await pool.stopAll();
    await connected?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One sync, with its chaos events.

interface RunSyncOptions {
  name: string;
  client: Client;
  namespace: string;
  taskQueue: string;
  config: ConnectorConfig;
  sandbox: RunningSandbox;
  pool: WorkerPool;
  deadlineMs: number;
  writeMethod: 'POST' | 'PATCH';
  expectedWrites: number;
  events: ChaosEvent[];
  fire(event: ChaosEvent): Promise<void>;
  /** Runs right after the start, before the write-count events (the kill during the plan). */
  beforePhase?: (opsAtStart: number) => Promise<void>;
  log(line: string): void;
}

async function runSync(options: RunSyncOptions): Promise<{ report: SyncReport; run: ChaosSummary['runs'][number]; missed: number; problems: string[] }> {
  const started = Date.now();
  const opsAtStart = options.sandbox.ops().length;
  const handle = await startSync({ client: options.client, namespace: options.namespace, taskQueue: options.taskQueue, config: options.config, tuning: CHAOS_TUNING });
  options.log(`${options.name}: started ${handle.workflowId}`);
  const deadline = started + options.deadlineMs;
  let settled = false;
  const result = awaitResult(handle, deadline).finally(() => (settled = true));
  result.catch(() => undefined);

  await options.beforePhase?.(opsAtStart);
  let missed = 0;
  const writesSoFar = () => options.sandbox.ops().slice(opsAtStart).filter((op) => op.method === options.writeMethod && !op.path.endsWith('/.search')).length;
  for (const event of [...options.events].sort((a, b) => (a.at ?? 0.3) - (b.at ?? 0.3))) {
    const wanted = Math.max(1, Math.ceil((event.at ?? 0.3) * options.expectedWrites));
    await waitFor(`${wanted} ${options.writeMethod}s`, Math.max(0, deadline - Date.now()), () => settled || writesSoFar() >= wanted);
    if (settled) {
      options.log(`${options.name}: ${event.action} at ${wanted} ${options.writeMethod}s missed: the run had finished`);
      missed += 1;
      continue;
    }
    options.log(`${options.name}: ${writesSoFar()} ${options.writeMethod}s seen`);
    await options.fire(event);
  }
  const report = await result;
  const durationMs = Date.now() - started;
  const problems: string[] = [];
  if (report.failuresTotal > 0) problems.push(`${options.name}: ${report.failuresTotal} failures: ${JSON.stringify(report.failures.slice(0, 5))}`);
  if (report.status !== 'completed') problems.push(`${options.name}: status ${report.status}${report.message ? ` (${report.message})` : ''}`);
  const planAttempts = await planAttemptsOf(handle).catch(() => null);
  options.log(`${options.name}: ${report.status} in ${(durationMs / 1000).toFixed(1)} s, counts ${JSON.stringify(report.counts)}, plan attempts ${String(planAttempts)}`);
  return {
    report,
    missed,
    problems,
    run: { name: options.name, workflowId: handle.workflowId, durationMs, counts: report.counts, reportedOperations: report.operations, failures: report.failuresTotal, planAttempts },
  };
}

/** The result, across Temporal server restarts: connection errors are retried until the deadline. */
async function awaitResult(handle: WorkflowHandle<typeof syncTenantWorkflow>, deadline: number): Promise<SyncReport> {
  for (;;) {
    try {
      return await handle.result();
    } catch (error) {
      if (error instanceof WorkflowFailedError || Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** The attempt of the run's plan activity that completed: above 1 when a kill (or a fault) cut an attempt short. */
async function planAttemptsOf(handle: WorkflowHandle): Promise<number | null> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  for (const event of history.events ?? []) {
    const attributes = event.activityTaskScheduledEventAttributes;
    if (attributes?.activityType?.name) scheduled.set(String(event.eventId), attributes.activityType.name);
  }
  for (const event of history.events ?? []) {
    const attributes = event.activityTaskStartedEventAttributes;
    if (attributes && scheduled.get(String(attributes.scheduledEventId)) === 'planSync') return attributes.attempt ?? null;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Worker processes: the real CLI.

interface ManagedWorker {
  child: ChildProcess;
  expectedExit: boolean;
  stderr: string;
}

class WorkerPool {
  private readonly workers: ManagedWorker[] = [];
  readonly unexpectedExits: ChaosSummary['unexpectedWorkerExits'] = [];
  startedCount = 0;
  private stopping = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly dir: string,
    private readonly elapsed: () => number,
    private readonly log: (line: string) => void,
  ) {}

  start(): ManagedWorker {
    this.startedCount += 1;
    // Each process is a "host" with a state folder of its own; the payload store is shared (PEAKON_SYNC_PAYLOAD_STORE).
    const stateDir = path.join(this.dir, `worker-${this.startedCount}`);
    mkdirSync(stateDir, { recursive: true });
    const child = spawn(process.execPath, [CLI, 'worker'], { env: { ...this.env, PEAKON_SYNC_STATE_DIR: stateDir }, stdio: ['ignore', 'ignore', 'pipe'] });
    const worker: ManagedWorker = { child, expectedExit: false, stderr: '' };
    child.stderr?.on('data', (chunk: Buffer) => (worker.stderr = (worker.stderr + chunk.toString()).slice(-4_000)));
    child.once('exit', (code, signal) => {
      const index = this.workers.indexOf(worker);
      if (index >= 0) this.workers.splice(index, 1);
      if (worker.expectedExit || this.stopping) return;
      // A finding, not a way out: the run must still converge, so the driver replaces the worker like a supervisor would.
      this.unexpectedExits.push({ pid: child.pid ?? -1, code, signal, atMs: this.elapsed(), stderrTail: worker.stderr.slice(-1_000) });
      this.log(`worker ${String(child.pid)} exited on its own (code ${String(code)}, signal ${String(signal)}); starting a replacement`);
      this.start();
    });
    this.workers.push(worker);
    this.log(`worker ${String(child.pid)} started`);
    return worker;
  }

  /** SIGKILLs the oldest running worker and waits for it to be gone; returns its pid. */
  async killOne(): Promise<number> {
    const worker = this.workers[0];
    if (!worker) throw new Error('no worker process to kill');
    worker.expectedExit = true;
    const exited = new Promise((resolve) => worker.child.once('exit', resolve));
    worker.child.kill('SIGKILL');
    await exited;
    return worker.child.pid ?? -1;
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.workers.splice(0).map(async (worker) => {
        if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
        const exited = new Promise((resolve) => worker.child.once('exit', resolve));
        worker.child.kill('SIGKILL');
        await exited;
      }),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The expected state, from the HR file, and the checks.

type HrRecord = Record<string, string>;

function readHrFile(file: string): HrRecord[] {
  return parseCsv(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as HrRecord[];
}

const GENDERS: Record<string, string> = { M: 'Male', F: 'Female', X: 'Other' };
const isoDate = (text: string | undefined): string | null => {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text ?? '');
  return match ? `${match[3]}-${match[2]}-${match[1]}` : null;
};
const blank = (value: unknown): boolean => value === undefined || value === null || value === '';

/**
 * examples/sample-config.yaml's mapping, restated: every mapped attribute of each employee Peakon should hold. Leavers
 * (Terminated) were never in Peakon, so they are not created; a Manager who is not created is left out.
 */
export function expectedUsers(records: HrRecord[]): Map<string, Record<string, unknown>> {
  const created = records.filter((record) => record.status === 'Active');
  const emailOfCreated = new Map(created.map((record) => [record.employee_id, record.work_email]));
  const expected = new Map<string, Record<string, unknown>>();
  for (const record of created) {
    expected.set(String(record.work_email).toLowerCase(), {
      userName: record.work_email,
      externalId: record.employee_id,
      'name.givenName': record.first_name,
      'name.familyName': record.last_name,
      'emails[primary].value': record.work_email,
      active: true,
      locale: record.locale,
      timezone: record.timezone,
      'enterprise.employeeNumber': record.employee_number,
      'enterprise.department': record.department,
      'peakon.Department': record.department,
      'peakon.Team': record.team,
      'peakon.Gender': GENDERS[record.gender ?? ''] ?? null,
      'peakon.Date of Birth': isoDate(record.date_of_birth),
      'peakon.Manager': emailOfCreated.get(record.manager_id ?? '') ?? null,
      'peakon.Separation date': isoDate(record.termination_date),
      'peakon.Separation reason': record.termination_reason || null,
    });
  }
  return expected;
}

function actualValue(user: ScimUser, field: string): unknown {
  if (field.startsWith('peakon.')) return user[PEAKON_USER_SCHEMA]?.[field.slice('peakon.'.length)];
  if (field.startsWith('enterprise.')) return (user[ENTERPRISE_USER_SCHEMA] as Record<string, unknown> | undefined)?.[field.slice('enterprise.'.length)];
  if (field === 'name.givenName') return user.name?.givenName;
  if (field === 'name.familyName') return user.name?.familyName;
  if (field === 'emails[primary].value') return (user.emails?.find((email) => email.primary) ?? user.emails?.[0])?.value;
  return (user as Record<string, unknown>)[field];
}

export function checkUsers(users: ScimUser[], records: HrRecord[]) {
  const problems: string[] = [];
  const expected = expectedUsers(records);
  const byUserName = new Map<string, ScimUser[]>();
  for (const user of users) byUserName.set(user.userName.toLowerCase(), [...(byUserName.get(user.userName.toLowerCase()) ?? []), user]);
  const numbers = users.map((user) => user[ENTERPRISE_USER_SCHEMA]?.employeeNumber).filter((value) => value !== undefined);
  const duplicateUserNames = [...byUserName.values()].filter((list) => list.length > 1).length;
  const duplicateEmployeeNumbers = numbers.length - new Set(numbers).size;
  if (duplicateUserNames > 0) problems.push(`${duplicateUserNames} userNames are held by more than one user`);
  if (duplicateEmployeeNumbers > 0) problems.push(`${duplicateEmployeeNumbers} duplicate employeeNumbers`);
  const unexpected = [...byUserName.keys()].filter((userName) => !expected.has(userName));
  if (unexpected.length > 0) problems.push(`${unexpected.length} users in Peakon that no active employee explains (e.g. ${unexpected.slice(0, 3).join(', ')})`);
  let missingUsers = 0;
  let fieldMismatches = 0;
  let fieldsCompared = 0;
  for (const [userName, fields] of expected) {
    const user = byUserName.get(userName)?.[0];
    if (!user) {
      missingUsers += 1;
      problems.push(`missing user ${userName}`);
      continue;
    }
    for (const [field, want] of Object.entries(fields)) {
      fieldsCompared += 1;
      const got = actualValue(user, field);
      if ((blank(want) && blank(got)) || got === want) continue;
      fieldMismatches += 1;
      problems.push(`${userName} ${field}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
    const mapped = new Set(Object.keys(fields).filter((field) => field.startsWith('peakon.')).map((field) => field.slice('peakon.'.length)));
    for (const [attribute, value] of Object.entries(user[PEAKON_USER_SCHEMA] ?? {})) {
      if (!mapped.has(attribute) && !blank(value)) {
        fieldMismatches += 1;
        problems.push(`${userName} has an unmapped Peakon attribute ${attribute}=${JSON.stringify(value)}`);
      }
    }
  }
  return { problems, expected: expected.size, duplicateUserNames, duplicateEmployeeNumbers, unexpectedUsers: unexpected.length, missingUsers, fieldMismatches, fieldsCompared };
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Replays the sandbox's seeded fault sequence over its operation log (the sandbox draws one fault plan per request, in
 * arrival order, which is the log's order), so every injected fault is counted and every 5xx is explained.
 */
export function checkOperations(ops: OperationLogEntry[], faultSettings: FaultSettingsInput) {
  const problems: string[] = [];
  const replay = new FaultInjector(faultSettings);
  const faults = { total: 0, failed5xx: 0, hangs: 0, commitThenFail: 0, commitThenFailByMethod: {} as Record<string, number>, commitThenFailPlannedOnWrites: 0 };
  let createsApplied = 0;
  let postsUnanswered = 0;
  let unexpectedWriteStatuses = 0;
  let unexplained5xx = 0;
  let replayMismatches = 0;
  for (const op of ops) {
    const route = op.path.replace(/^\/scim\/v2/i, '').replace(/\?.*$/, '');
    const isSearch = /\/\.search$/i.test(route);
    const isWrite = WRITE_METHODS.has(op.method) && !isSearch;
    const plan = replay.plan({ isWrite, isListing: (op.method === 'GET' && /^\/Users\/?$/i.test(route)) || (op.method === 'POST' && /^(\/Users)?\/\.search$/i.test(route)) });
    const is5xx = op.status === 500 || op.status === 503;
    if (plan.hangMs !== null) {
      faults.hangs += 1;
      if (op.status !== null && op.status !== 503) replayMismatches += 1;
    } else if (plan.failStatus !== null) {
      faults.failed5xx += 1;
      if (op.status !== null && op.status !== plan.failStatus) replayMismatches += 1;
    } else if (plan.commitThenFailStatus !== null) {
      faults.commitThenFailPlannedOnWrites += 1;
      // Only a write that succeeded is turned into an error (a POST answered 409 stays a 409).
      if (op.status === plan.commitThenFailStatus) {
        faults.commitThenFail += 1;
        faults.commitThenFailByMethod[op.method] = (faults.commitThenFailByMethod[op.method] ?? 0) + 1;
        if (op.method === 'POST' && !isSearch) createsApplied += 1;
      }
    } else if (is5xx) {
      unexplained5xx += 1;
      problems.push(`unexplained ${String(op.status)} on ${op.method} ${op.path}`);
    }
    if (isWrite && op.method === 'POST') {
      if (op.status === 201) createsApplied += 1;
      if (op.status === null && plan.hangMs === null && plan.failStatus === null) postsUnanswered += 1;
    }
    if (isWrite) {
      const fine = op.status === null || is5xx || op.status === 200 || op.status === 201 || op.status === 204 || (op.method === 'POST' && op.status === 409);
      if (!fine) {
        unexpectedWriteStatuses += 1;
        problems.push(`write answered ${String(op.status)}: ${op.method} ${op.path}`);
      }
    }
  }
  faults.total = faults.failed5xx + faults.hangs + faults.commitThenFail;
  if (replayMismatches > 0) problems.push(`${replayMismatches} operations did not match the replayed fault sequence`);
  const posts = ops.filter((op) => op.method === 'POST' && !/\/\.search(\?|$)/i.test(op.path));
  const deletes = ops.filter((op) => op.method === 'DELETE').length;
  if (deletes > 0) problems.push(`${deletes} DELETEs: the connector never deletes`);
  return {
    problems,
    faults,
    unexpectedWriteStatuses,
    unexplained5xx,
    replayMismatches,
    postsAnsweredCreated: posts.filter((op) => op.status === 201).length,
    createsApplied,
    postsUnanswered,
    posts409: posts.filter((op) => op.status === 409).length,
    deletes,
  };
}

// ---------------------------------------------------------------------------------------------------------------

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, timeoutMs: number, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}


function installQuietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this process.
  }
}

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/**
 * The chaos run's result file under the repository root: one per set of options that changes the figures (employees and
 * seed always; workers, changed share and client timeout when not the full run's), so a small run keeps the full one's.
 */
export function chaosResultFile(options: Pick<ChaosOptions, 'employees' | 'seed' | 'workers' | 'changedShare' | 'timeoutMs'>): string {
  const parts = [
    `chaos-${options.employees}-seed-${options.seed}`,
    options.workers === FULL_CHAOS.workers ? undefined : `workers-${options.workers}`,
    options.changedShare === FULL_CHAOS.changedShare ? undefined : `changed-${options.changedShare}`,
    options.timeoutMs === FULL_CHAOS.timeoutMs ? undefined : `timeout-${options.timeoutMs}`,
  ];
  return resultFileNamed(parts);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      employees: { type: 'string' },
      workers: { type: 'string' },
      seed: { type: 'string' },
      'changed-share': { type: 'string' },
      'timeout-ms': { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  const number = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got ${text}`);
    return value;
  };
  const options: ChaosOptions = {
    ...FULL_CHAOS,
    employees: number('employees', values.employees, FULL_CHAOS.employees),
    workers: Math.max(1, number('workers', values.workers, FULL_CHAOS.workers)),
    seed: number('seed', values.seed, FULL_CHAOS.seed),
    changedShare: number('changed-share', values['changed-share'], FULL_CHAOS.changedShare),
    timeoutMs: number('timeout-ms', values['timeout-ms'], FULL_CHAOS.timeoutMs),
  };
  const summary = await runChaos(options);
  // The dev server writes a banner on stdout too: the file holds the summary alone.
  const file = values.out ?? path.join(REPO_ROOT, chaosResultFile(options));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stderr.write(`written to ${file}\n`);
  process.exitCode = summary.ok ? 0 : 1;
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
