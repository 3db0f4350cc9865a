/**
 * Records the histories the replay tests replay (docs/versioning.md). Skipped unless RECORD_HISTORIES is set:
 *
 *   RECORD_HISTORIES=1 npx jest test/replay/record        adds histories of new paths, keeps every committed one
 *   RECORD_HISTORIES=fresh npx jest test/replay/record    deletes each scenario's histories first, then records it
 *
 * Each scenario runs real syncs (the dev server of jest's globalSetup, the Peakon sandbox over HTTP, a real worker)
 * and writes the full history of every workflow of the recorded runs to histories/<scenario>/<workflow-type>-<n>.json,
 * one history per distinct shape (sequence of commands) per workflow type, so 18 identical employee creates are one
 * file. Payloads are encrypted with the committed test-only key and kept inline.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from '../../scim/resources';
import { MAX_CREATE_WAVES } from '../../sync/plan';
import type { SyncReport } from '../../sync/report';
import { partitionWorkflowId, tenantLockWorkflowId } from '../../workflows/ids';
import { approveLeaversUpdate, rejectLeaversUpdate, syncProgressQuery, type SyncWorkflowInput } from '../../workflows/sync';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';
import { TEST_TUNING, usePipelineTests, withoutLeaverGuard, type PipelineFixture } from '../harness/pipeline';
import { pastItsPlan } from '../harness/progress';
import type { TemporalTestContext } from '../harness/temporal';
import { asCommitted, HISTORIES_DIRECTORY, historyShape, isCoveredBy, payloadProblems, readHistoryFile, scenarioFiles, testOnlyKeyEnvironment, wasTerminated, workflowTypeOf, writeHistoryFile } from './histories';

const mode = process.env.RECORD_HISTORIES;
const recording = mode !== undefined && mode !== '' && mode !== '0';
const fresh = mode === 'fresh';

if (recording) {
  // Before any client, worker or bundle reads the environment: the committed test-only key instead of the run's random
  // one, and no payload store. Workers always configure one (a local folder by default), so the threshold is set far
  // above any payload of these small runs; payloadProblems() below checks that every payload did stay inline.
  Object.assign(process.env, testOnlyKeyEnvironment(), {
    PEAKON_SYNC_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'peakon-sync-record-')),
    PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES: String(64 * 1024 * 1024),
  });
  delete process.env.PEAKON_SYNC_ENCRYPTION_KEY_FILE;
  delete process.env.PEAKON_SYNC_ENCRYPTION_OLD_KEYS;
  delete process.env.PEAKON_SYNC_ENCRYPTION_OLD_KEYS_FILE;
  delete process.env.PEAKON_SYNC_PAYLOAD_STORE;
}

interface RecordedWorkflow {
  workflowId: string;
  history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
}

/**
 * Every workflow of a run, the run first, then its children as their start events list them (lock, partitions,
 * employees), each fetched once it has closed so the history is complete.
 */
async function workflowsOfRun(temporal: TemporalTestContext, run: WorkflowHandle): Promise<RecordedWorkflow[]> {
  const queue = [{ workflowId: run.workflowId, runId: (await run.describe()).runId }];
  const recorded: RecordedWorkflow[] = [];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const handle = temporal.client.workflow.getHandle(next.workflowId, next.runId);
    await handle.result().catch(() => undefined);
    const history = await handle.fetchHistory();
    recorded.push({ workflowId: next.workflowId, history });
    for (const event of history.events ?? []) {
      const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId && child.runId) queue.push({ workflowId: child.workflowId, runId: child.runId });
    }
  }
  return recorded;
}

/**
 * Writes the histories of a scenario whose shape no committed history of the same workflow type in that scenario
 * has, numbering after the existing files: old histories stay, so runs started by old code keep being replayed.
 */
async function writeScenario(scenario: string, workflows: RecordedWorkflow[]): Promise<string[]> {
  if (fresh) rmSync(path.join(HISTORIES_DIRECTORY, scenario), { recursive: true, force: true });
  const shapes = new Set<string>();
  const lastNumber = new Map<string, number>();
  for (const file of scenarioFiles(scenario)) {
    const history = readHistoryFile(file);
    const type = workflowTypeOf(history, file);
    shapes.add(`${type}\n${historyShape(history)}`);
    const number = Number(/-(\d+)\.json$/.exec(file)?.[1] ?? 0);
    lastNumber.set(type, Math.max(lastNumber.get(type) ?? 0, number));
  }
  const written: string[] = [];
  for (const { workflowId, history: fetched } of workflows) {
    const history = asCommitted(fetched);
    const problems = await payloadProblems(history);
    if (problems.length > 0) throw new Error(`${scenario}: ${workflowId} cannot be committed:\n  ${problems.join('\n  ')}`);
    const type = workflowTypeOf(history, workflowId);
    const shape = `${type}\n${historyShape(history)}`;
    if (isCoveredBy(shape, wasTerminated(history), shapes)) continue;
    shapes.add(shape);
    const number = (lastNumber.get(type) ?? 0) + 1;
    lastNumber.set(type, number);
    const file = path.join(scenario, `${type}-${number}.json`);
    writeHistoryFile(file, history);
    written.push(file);
  }
  return written;
}

interface RecordedRun {
  report?: SyncReport;
  failure?: unknown;
  workflows: RecordedWorkflow[];
}

const describeRecording = recording ? describe : describe.skip;

describeRecording('recording workflow histories for the replay tests (RECORD_HISTORIES is set)', () => {
  const pipeline = usePipelineTests();

  /** Runs one sync to its end (a failed run is a result too) and returns its report or failure with every workflow it ran. */
  async function sync(fixture: PipelineFixture, input: Partial<SyncWorkflowInput> = {}, afterThePlan?: () => void): Promise<RecordedRun> {
    const handle = await fixture.startSync(input);
    if (afterThePlan) {
      await pastItsPlan(handle);
      afterThePlan();
    }
    const outcome = await handle.result().then((report: SyncReport) => ({ report }), (failure: unknown) => ({ failure }));
    return { ...outcome, workflows: await workflowsOfRun(pipeline.temporal, handle) };
  }

  async function record(scenario: string, ...runs: { workflows: RecordedWorkflow[] }[]): Promise<void> {
    const written = await writeScenario(scenario, runs.flatMap((run) => run.workflows));
    process.stdout.write(`${scenario}: ${written.length ? written.join(', ') : 'no new history shapes'}\n`);
  }

  it('first-load: a management chain deeper than the create waves, so phase 2 writes the deferred Manager references', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-first-load' });
    const chain = generateOrg(MAX_CREATE_WAVES + 2, 2).map((employee, index, all) => ({ ...employee, manager_id: index === 0 ? '' : (all[index - 1]?.employee_id ?? '') }));
    fixture.writeEmployees(chain);
    const workers = await fixture.startWorkers();
    const run = await workers.runUntil(sync(fixture));
    expect(run.report?.counts).toMatchObject({ created: chain.length, failed: 0 });
    expect(fixture.sandbox.ops().filter((op) => op.method === 'PATCH')).toHaveLength(2);
    await record('first-load', run);
  }, 300_000);

  it('resync-unchanged and resync-one-change: the same HR file again (nothing written), then one changed team (one PATCH)', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-resync' });
    const employees = generateOrg(6, 2);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const [unchanged, changed] = await workers.runUntil((async () => {
      await sync(fixture);
      const again = await sync(fixture);
      fixture.writeEmployees(employees.map((employee, index) => (index === 3 ? { ...employee, team: 'Platform' } : employee)));
      return [again, await sync(fixture)] as const;
    })());
    expect(unchanged.report?.counts).toMatchObject({ created: 0, updated: 0, unchanged: 6 });
    expect(changed.report?.counts).toMatchObject({ created: 0, updated: 1, unchanged: 5 });
    await record('resync-unchanged', unchanged);
    await record('resync-one-change', changed);
  }, 300_000);

  it('employee-failures: an invalid record, and a manager whose create Peakon answers 409 (their reports keep no Manager)', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-employee-failures' });
    const employees = generateOrg(5, 2);
    const manager = employees.find((employee) => employee.manager_id === '');
    const invalid = employees.findIndex((employee) => employee.manager_id !== '');
    if (!manager || invalid < 0) throw new Error('the fixture org has no manager with reports');
    employees[invalid] = { ...(employees[invalid] as GeneratedEmployee), work_email: 'not-an-email' };
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    // Someone takes the manager's employee number after the plan (a squatter in the listing would have the create
    // skipped at plan time): Peakon answers the manager's POST with 409.
    fixture.sandbox.setFaults({ latencyMs: 1_500 });
    const run = await workers.runUntil(
      sync(fixture, {}, () => {
        fixture.sandbox.seedUsers([{ schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: 'squatter@example.com', emails: [{ value: 'squatter@example.com', primary: true }], name: { givenName: 'S', familyName: 'Q' }, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: manager.employee_number } }]);
        fixture.sandbox.setFaults({ latencyMs: 0 });
      }),
    );
    expect(run.report?.counts).toMatchObject({ created: 3, failed: 2 });
    expect(run.report?.failures.map((failure) => failure.employeeKey)).toContain(manager.work_email);
    await record('employee-failures', run);
  }, 300_000);

  it('wrong-token: Peakon rejects the token and the run stops with an authentication message', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-wrong-token', workerToken: 'wrong-token' });
    fixture.writeEmployees(generateOrg(3, 2));
    const workers = await fixture.startWorkers();
    const run = await workers.runUntil(sync(fixture));
    // The run fails, or ends quarantined with a report: either way it says why and writes nothing.
    expect(run.report?.message ?? String((run.failure as { cause?: { message?: string } } | undefined)?.cause?.message)).toMatch(/authentication failed/i);
    expect(fixture.sandbox.users()).toHaveLength(0);
    await record('wrong-token', run);
  }, 300_000);

  it('dry-run: plans and reports, takes no lock and writes nothing', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-dry-run' });
    fixture.writeEmployees(generateOrg(4, 2));
    const workers = await fixture.startWorkers();
    const run = await workers.runUntil(sync(fixture, { dryRun: true }));
    expect(run.report?.plan).toHaveLength(4);
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
    await record('dry-run', run);
  }, 300_000);

  it('filter-discovery: every employee discovered with a filter (one inactive, not created), then found again on a re-sync', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-filter-discovery' });
    fixture.config.sync.discovery = 'filter';
    fixture.writeEmployees(generateOrg(4, 2).map((employee, index) => (index === 3 ? { ...employee, status: 'Terminated' } : employee)));
    const workers = await fixture.startWorkers();
    const [first, again] = await workers.runUntil((async () => [await sync(fixture), await sync(fixture)] as const)());
    expect(first.report?.counts).toMatchObject({ created: 3, skipped: 1, failed: 0 });
    expect(again.report?.counts).toMatchObject({ created: 0, failed: 0 });
    await record('filter-discovery', first, again);
  }, 300_000);

  it('filter-discovery-dropped: a re-sync whose found update names a new manager not brought into Peakon (skipped: their email is a renamed colleague\'s user) leaves that reference out', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-filter-dropped' });
    withoutLeaverGuard(fixture);
    fixture.config.sync.discovery = 'filter';
    const org = generateOrg(4, 2);
    const managers = new Set(org.map((employee) => employee.manager_id));
    const person = org.find((employee) => !managers.has(employee.employee_id)) as GeneratedEmployee;
    const mover = org.find((employee) => employee !== person && employee.manager_id !== '') as GeneratedEmployee;
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    const [first, second] = await workers.runUntil(
      (async () => {
        const first = await sync(fixture);
        // The person's email changes, their old one goes to a new hire, and the mover now reports to the hire.
        const hire: GeneratedEmployee = { ...person, employee_id: 'H9000', first_name: 'Newt', last_name: 'Hire', employee_number: '99000' };
        fixture.writeEmployees([...org.map((employee) => (employee === person ? { ...employee, work_email: employee.work_email.replace(/@.*$/, '@renamed.example.com') } : employee === mover ? { ...employee, manager_id: hire.employee_id } : employee)), hire]);
        return [first, await sync(fixture)] as const;
      })(),
    );
    expect(first.report?.counts).toMatchObject({ created: 4, failed: 0 });
    expect(second.report?.counts).toMatchObject({ created: 0, skipped: 2, failed: 0 });
    expect(fixture.sandbox.ops().filter((op) => op.method === 'PATCH')).toHaveLength(0);
    await record('filter-discovery-dropped', first, second);
  }, 300_000);

  it('filter-discovery-renamed: matching by employee number, a manager found under their old email (renamed in phase 2) and a new hire reporting to them: the hire created without the Manager', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-filter-renamed' });
    withoutLeaverGuard(fixture);
    fixture.config.sync.discovery = 'filter';
    fixture.config.matching = { key: 'employeeNumber' };
    const org = generateOrg(2, 2);
    const top = org.find((employee) => employee.manager_id === '') as GeneratedEmployee;
    const other = org.find((employee) => employee !== top) as GeneratedEmployee;
    const manager: GeneratedEmployee = { ...top, work_email: 'mia.manager@new.example.com', employee_number: 'E-1' };
    fixture.writeEmployees([manager, { ...other, employee_number: 'E-2', manager_id: manager.employee_id }]);
    fixture.sandbox.seedUsers([{ schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: 'mia.manager@old.example.com', emails: [{ value: 'mia.manager@old.example.com', type: 'work', primary: true }], name: { givenName: manager.first_name, familyName: manager.last_name }, externalId: manager.employee_id, active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'E-1' } }]);
    const workers = await fixture.startWorkers();
    const run = await workers.runUntil(sync(fixture));
    expect(run.report?.counts).toMatchObject({ created: 1, updated: 1, failed: 0 });
    expect(fixture.sandbox.ops().filter((op) => op.method === 'POST').map((op) => op.status)).toEqual([201]);
    await record('filter-discovery-renamed', run);
  }, 300_000);

  it('leavers: one leaver deactivated, then three held by the guard and approved, then (after they return) three held and rejected', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-leavers' });
    const org = generateOrg(10, 3);
    const managers = new Set(org.map((employee) => employee.manager_id));
    const [first, ...others] = org.filter((employee) => !managers.has(employee.employee_id));
    const three = others.slice(0, 3);
    if (!first || three.length < 3) throw new Error('the fixture org has too few leaves');
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    /** A run the guard holds, answered with `update` once it waits, recorded with every workflow it ran. */
    const heldRun = async (update: typeof approveLeaversUpdate): Promise<RecordedRun> => {
      const handle = await fixture.startSync();
      for (let waited = 0; (await handle.query(syncProgressQuery)).phase !== 'awaiting approval'; waited += 1) {
        if (waited > 600) throw new Error('the run never waited for approval');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await handle.executeUpdate(update);
      return { report: await handle.result(), workflows: await workflowsOfRun(pipeline.temporal, handle) };
    };
    const [single, approved, rejected] = await workers.runUntil((async () => {
      await sync(fixture);
      fixture.writeEmployees(org.filter((employee) => employee !== first));
      const one = await sync(fixture);
      fixture.writeEmployees(org.filter((employee) => employee !== first && !three.includes(employee)));
      const yes = await heldRun(approveLeaversUpdate);
      fixture.writeEmployees(org);
      await sync(fixture);
      fixture.writeEmployees(org.filter((employee) => !three.includes(employee)));
      return [one, yes, await heldRun(rejectLeaversUpdate)] as const;
    })());
    expect(single.report?.counts).toMatchObject({ deactivated: 1, failed: 0 });
    expect(approved.report?.leavers).toMatchObject({ held: true, decision: 'approved' });
    expect(approved.report?.counts.deactivated).toBe(3);
    expect(rejected.report?.leavers).toMatchObject({ held: true, decision: 'rejected' });
    await record('leavers-deactivate', single);
    await record('leavers-approved', approved);
    await record('leavers-rejected', rejected);
  }, 300_000);

  it('leavers-approved-cancelled: three held leavers approved, the run cancelled during their writes; the approval answers (patch approval-answered-after-cancel)', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-approved-cancelled' });
    const org = generateOrg(8, 3);
    const managers = new Set(org.map((employee) => employee.manager_id));
    const three = org.filter((employee) => !managers.has(employee.employee_id)).slice(0, 3);
    if (three.length < 3) throw new Error('the fixture org has too few leaves');
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    const [run, answer] = await workers.runUntil((async () => {
      await sync(fixture);
      fixture.writeEmployees(org.filter((employee) => !three.includes(employee)));
      fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1 };
      const handle = await fixture.startSync();
      for (let waited = 0; (await handle.query(syncProgressQuery)).phase !== 'awaiting approval'; waited += 1) {
        if (waited > 600) throw new Error('the run never waited for approval');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      fixture.sandbox.setFaults({ latencyMs: 3_000 });
      const patches = fixture.sandbox.ops().filter((op) => op.method === 'PATCH').length;
      const approval = handle.executeUpdate(approveLeaversUpdate);
      for (let waited = 0; fixture.sandbox.ops().filter((op) => op.method === 'PATCH').length === patches; waited += 1) {
        if (waited > 600) throw new Error('the run never wrote a leaver');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await handle.cancel();
      const decided = await approval;
      const recorded: RecordedRun = { report: await handle.result(), workflows: await workflowsOfRun(pipeline.temporal, handle) };
      return [recorded, decided] as const;
    })());
    expect(run.report?.status).toBe('cancelled');
    expect(answer).toMatchObject({ decision: 'approved', leaverPhase: 'cancelled' });
    await record('leavers-approved-cancelled', run);
  }, 300_000);

  it('lock-lost: the lock ends mid-run and another run takes it; the run stops (patch stop-when-tenant-lock-lost)', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-lock-lost', sandbox: { faults: { latencyMs: 100 } } });
    fixture.writeEmployees(generateOrg(6, 3));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1, maxConcurrentPartitions: 1 };
    const workers = await fixture.startWorkers();
    const { client, taskQueue } = pipeline.temporal;
    const lockId = tenantLockWorkflowId(fixture.config.tenant);
    const run = await workers.runUntil((async () => {
      const handle = await fixture.startSync();
      for (let waited = 0; !fixture.sandbox.ops().some((op) => op.method === 'POST'); waited += 1) {
        if (waited > 600) throw new Error('the run never wrote');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await client.workflow.getHandle(lockId).terminate('recording: the lease ran out');
      const other = await client.workflow.start('tenantLockWorkflow', { taskQueue, workflowId: lockId, args: [{ holderRunId: 'peakon-sync/replay-lock-lost/other', leaseMs: 600_000 }] });
      const recorded: RecordedRun = { report: await handle.result(), workflows: await workflowsOfRun(pipeline.temporal, handle) };
      await other.terminate('recording: done');
      return recorded;
    })());
    expect(run.report?.status).toBe('lock_lost');
    await record('lock-lost', run);
  }, 300_000);

  it('cancelled: a run cancelled while a partition runs stops it, reports, and lets its lock go (patch tenant-lock-outlives-run-cancel)', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-cancelled', sandbox: { faults: { latencyMs: 100 } } });
    fixture.writeEmployees(generateOrg(6, 3));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1, maxConcurrentPartitions: 1 };
    const workers = await fixture.startWorkers();
    const run = await workers.runUntil((async () => {
      const handle = await fixture.startSync();
      for (let waited = 0; !fixture.sandbox.ops().some((op) => op.method === 'POST'); waited += 1) {
        if (waited > 600) throw new Error('the run never wrote');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await handle.cancel();
      const recorded: RecordedRun = { report: await handle.result(), workflows: await workflowsOfRun(pipeline.temporal, handle) };
      return recorded;
    })());
    expect(run.report?.status).toBe('cancelled');
    await record('cancelled', run);
  }, 300_000);

  it('cancelled-partition: a run cancelled while employees of a partition are in flight; the partition returns what finished (patch partition-returns-when-cancelled)', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-cancelled-partition', sandbox: { faults: { latencyMs: 300 } } });
    fixture.writeEmployees(generateOrg(12, 2));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, maxConcurrentPartitions: 1 };
    const workers = await fixture.startWorkers();
    const run = await workers.runUntil((async () => {
      const handle = await fixture.startSync();
      // The second wave's partition has finished some employees and has two in flight.
      for (let waited = 0; fixture.sandbox.ops().filter((op) => op.method === 'POST').length < 4; waited += 1) {
        if (waited > 1200) throw new Error('the run never wrote');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await handle.cancel();
      const recorded: RecordedRun = { report: await handle.result(), workflows: await workflowsOfRun(pipeline.temporal, handle) };
      return recorded;
    })());
    expect(run.report?.status).toBe('cancelled');
    expect(run.report?.counts.created).toBeGreaterThanOrEqual(3);
    await record('cancelled-partition', run);
  }, 300_000);

  it('partition-failed: one of two partitions in flight is terminated; the run waits for the other, reports, and fails (patch partition-failure-reported)', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-partition-failed', sandbox: { faults: { latencyMs: 300 } } });
    fixture.writeEmployees(generateOrg(12, 2));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1, maxConcurrentPartitions: 2, partitionSize: 5 };
    const workers = await fixture.startWorkers();
    const run = await workers.runUntil((async () => {
      const handle = await fixture.startSync();
      // The second wave's first two partitions (5 each) are both writing.
      for (let waited = 0; fixture.sandbox.ops().filter((op) => op.method === 'POST').length < 3; waited += 1) {
        if (waited > 1200) throw new Error('the run never wrote');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await pipeline.temporal.client.workflow.getHandle(partitionWorkflowId(handle.workflowId, 'create', 1, 0)).terminate('recording: a partition fails');
      const recorded: RecordedRun = { failure: await handle.result().catch((error: unknown) => error), workflows: await workflowsOfRun(pipeline.temporal, handle) };
      return recorded;
    })());
    expect(run.failure).toBeDefined();
    await record('partition-failed', run);
  }, 300_000);

  it('rate-limited: the plan waits out two 429s, then creates wait out theirs (patches plan-waits-out-rate-limits, rate-limit-patience)', async () => {
    // Two requests an hour, each 429 asking for one second: the recording, not the hour, lifts the limit.
    const fixture = await pipeline.fixture({ tenant: 'replay-rate-limited', sandbox: { quotaPerHour: 2, faults: { rateLimitRetryAfter: 1 } } });
    const employees = generateOrg(3, 2);
    fixture.writeEmployees(employees);
    for (let request = 0; request < 2; request += 1) {
      const answer = await fetch(`${fixture.sandbox.baseUrl}/Users?count=1`, { headers: { Authorization: `Bearer ${fixture.sandbox.token}` } });
      expect(answer.status).toBe(200);
    }
    const workers = await fixture.startWorkers();
    const refused = (method: string) => fixture.sandbox.ops().filter((op) => op.status === 429 && op.method === method).length;
    const until = async (what: string, done: () => boolean) => {
      for (let waited = 0; !done(); waited += 1) {
        if (waited > 1200) throw new Error(`recording: ${what} never happened`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const run = await workers.runUntil((async () => {
      const handle = await fixture.startSync();
      await until('two refused plan requests', () => refused('GET') >= 2);
      // Room for the plan's two reads (the schema, one page) and no more: the creates are refused next.
      fixture.sandbox.setQuotaPerHour(4);
      await until('a refused create', () => refused('POST') >= 1);
      fixture.sandbox.setQuotaPerHour(25_000);
      const recorded: RecordedRun = { report: await handle.result(), workflows: await workflowsOfRun(pipeline.temporal, handle) };
      return recorded;
    })());
    expect(run.report?.counts).toMatchObject({ created: employees.length, failed: 0 });
    await record('rate-limited', run);
  }, 300_000);

  it('employees-ended-alone: one employee in flight terminated, another cancelled on its own; each counts as its failure and the run goes on (patches employee-without-outcome-fails-alone, employee-cancelled-alone-fails-alone)', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-employees-ended-alone', sandbox: { faults: { latencyMs: 1_500 } } });
    const employees = generateOrg(6, 2);
    fixture.writeEmployees(employees);
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, maxConcurrentPartitions: 1 };
    const workers = await fixture.startWorkers();
    const { client } = pipeline.temporal;
    /** The employee workflows the run's partitions have started that are still running. */
    const employeesInFlight = async (runWorkflowId: string): Promise<string[]> => {
      const childrenOf = async (workflowId: string) =>
        ((await client.workflow.getHandle(workflowId).fetchHistory()).events ?? []).flatMap((event) => event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId ?? []);
      const running: string[] = [];
      for (const partition of (await childrenOf(runWorkflowId)).filter((id) => id.includes('/partition'))) {
        for (const employee of await childrenOf(partition)) {
          if ((await client.workflow.getHandle(employee).describe()).status.name === 'RUNNING') running.push(employee);
        }
      }
      return running;
    };
    const run = await workers.runUntil((async () => {
      const handle = await fixture.startSync();
      let inFlight: string[] = [];
      for (let waited = 0; inFlight.length < 2; waited += 1) {
        if (waited > 600) throw new Error('recording: never two employees in flight');
        await new Promise((resolve) => setTimeout(resolve, 100));
        inFlight = await employeesInFlight(handle.workflowId);
      }
      const [terminated, cancelled] = inFlight as [string, string];
      await client.workflow.getHandle(terminated).terminate('recording: an employee ends without an outcome');
      await client.workflow.getHandle(cancelled).cancel();
      const recorded: RecordedRun = { report: await handle.result(), workflows: await workflowsOfRun(pipeline.temporal, handle) };
      return recorded;
    })());
    expect(run.report?.counts.failed).toBe(2);
    expect(run.report?.counts.created).toBe(employees.length - 2);
    await record('employees-ended-alone', run);
  }, 300_000);

  it('scheduled: a scheduled run validates its stored config, then syncs; a stored config that no longer validates fails first; one cancelled before its first step records that it was', async () => {
    const fixture = await pipeline.fixture({ tenant: 'replay-scheduled' });
    fixture.writeEmployees(generateOrg(3, 2));
    const start = (storedConfig: unknown, suffix: string) =>
      pipeline.temporal.client.workflow.start('scheduledSyncWorkflow', { taskQueue: pipeline.temporal.taskQueue, workflowId: `peakon-sync/replay-scheduled/scheduled-${suffix}-${Date.now()}`, args: [{ storedConfig, tuning: TEST_TUNING }] });
    const asWritten = JSON.parse(JSON.stringify(fixture.config)) as Record<string, unknown>;
    // Cancelled before any worker runs it: its first task holds the start and the cancel.
    const early = await start(asWritten, 'cancelled');
    await early.cancel();
    const workers = await fixture.startWorkers();
    const [good, bad, cancelled] = await workers.runUntil((async () => {
      const cancelledRun: RecordedRun = { failure: await early.result().catch((error: unknown) => error), workflows: await workflowsOfRun(pipeline.temporal, early) };
      const ok = await start(asWritten, 'ok');
      const okRun: RecordedRun = { report: await ok.result(), workflows: await workflowsOfRun(pipeline.temporal, ok) };
      const broken = await start({ ...asWritten, sync: { ...(asWritten['sync'] as object), maxConcurentPartitions: 2 } }, 'invalid');
      const brokenRun: RecordedRun = { failure: await broken.result().catch((error: unknown) => error), workflows: await workflowsOfRun(pipeline.temporal, broken) };
      return [okRun, brokenRun, cancelledRun] as const;
    })());
    expect(good.report?.counts.created).toBe(3);
    expect(String((bad.failure as { cause?: { message?: string } } | undefined)?.cause?.message)).toMatch(/maxConcurentPartitions/);
    expect((await early.describe()).status.name).toBe('CANCELLED');
    await record('scheduled', good, bad, cancelled);
  }, 300_000);
});
