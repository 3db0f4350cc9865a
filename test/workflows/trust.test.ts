import { ApplicationFailure, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reportFilePath, type RunReportFile } from '../../activities/report';
import { unlockTenant } from '../../client/commands/unlock';
import { exitCodeFor, formatReport, runFailureMessage } from '../../client/format-report';
import { ledgerStoreFromEnv } from '../../ownership/store';
import { notDoneCount, type OutcomeCounts, type SyncReport } from '../../sync/report';
import type { PartitionResult } from '../../workflows/partition';
import { syncProgressQuery } from '../../workflows/sync';
import { partitionWorkflowId, tenantLockWorkflowId } from '../../workflows/ids';
import type { TenantLockEnd } from '../../workflows/lock';
import { defaultPayloadDirectory } from '../../worker/environment';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, TEST_TUNING, withoutLeaverGuard, type PipelineFixture } from '../harness/pipeline';
import { eventually } from '../harness/wait';
import { startWorkerProcess, stopWorkerProcesses } from '../harness/worker-process';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A history event's server time, in ms since the epoch. */
const eventTimeMs = (event: { eventTime?: { seconds?: unknown; nanos?: number | null } | null } | undefined): number => Number(event?.eventTime?.seconds ?? 0) * 1000 + Math.floor((event?.eventTime?.nanos ?? 0) / 1e6);

/**
 * A run's report file, whose line statuses add up to its summary's counts: the planned employees the run never
 * finished are `not_done` lines (not `skipped`, which the counts did not count), counted as `counts.notDone`, and the
 * summary a person reads (`sync --wait`, from the workflow's result) shows the same number. Returns the `not_done` lines.
 */
function notDoneLines(report: SyncReport): RunReportFile['employees'] {
  const file = JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile;
  const count = (status: string) => file.employees.filter((line) => line.status === status).length;
  const notDone = file.employees.filter((line) => line.status === 'not_done');
  const counts: OutcomeCounts = { created: count('created'), updated: count('updated'), deactivated: count('deactivated'), deleted: count('deleted'), unchanged: count('unchanged'), failed: count('failed'), skipped: count('skipped'), ...(notDone.length ? { notDone: notDone.length } : {}) };
  expect(file.summary.counts).toEqual(counts);
  expect(counts.created + counts.updated + counts.deactivated + counts.deleted + counts.unchanged + counts.failed + counts.skipped + notDone.length).toBe(file.employees.length);
  expect(notDoneCount(report)).toBe(notDone.length);
  if (notDone.length) expect(formatReport(report)).toMatch(new RegExp(`^ {2}not done: +${notDone.length} \\(`, 'm'));
  else expect(formatReport(report)).not.toMatch(/not done/);
  return notDone;
}

/**
 * The Peakon ids of the people a run's report says it created: what a run that lost its lock records in the ownership
 * ledger (a compare-and-swap union, safe without the lock), so that they are leavers when they go.
 */
function createdIds(fixture: PipelineFixture, report: SyncReport): string[] {
  const file = JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile;
  const ids = new Map(fixture.sandbox.users().map((user) => [user.userName, user.id]));
  return file.employees.filter((line) => line.status === 'created').map((line) => ids.get(line.employeeKey) ?? `missing ${line.employeeKey}`);
}

const posts = (fixture: PipelineFixture) => fixture.sandbox.ops().filter((op) => op.method === 'POST').length;

/**
 * Starts a sync of a 40-person, three-level org (create waves of 1, 6 and 33) and, once the last wave's first two
 * partitions are writing (`postsInLastWave` of its creates sent), has an operator terminate the first of them.
 */
async function syncWithFailedPartition(fixture: PipelineFixture, client: Client, postsInLastWave: number) {
  const handle = await fixture.startSync();
  const partition = (index: number) => partitionWorkflowId(handle.workflowId, 'create', 2, index);
  await waitFor('two partitions of the last wave writing', () => posts(fixture) >= 7 + postsInLastWave);
  await client.workflow.getHandle(partition(0)).terminate('test: a partition fails');
  return { handle, partition };
}

describe('the tenant lock', () => {
  const pipeline = usePipelineTests();

  it('expires when its holder stops renewing it (a run stuck after a deploy), and the next sync proceeds', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(5, 2));
    // A lock whose holder never renews: what a parent stuck on a non-determinism error leaves behind.
    // Its lease starts with its first workflow task; the blocked sync, queued before the workers start, tries the lock
    // right after that, seconds within the lease however slow the machine.
    const stale = await pipeline.temporal.client.workflow.start('tenantLockWorkflow', { taskQueue: pipeline.temporal.taskQueue, workflowId: tenantLockWorkflowId(fixture.config.tenant), args: [{ holderRunId: 'peakon-sync/stuck/run', leaseMs: 5_000 }] });
    const blockedRun = await fixture.startSync();
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const blocked: SyncReport = await blockedRun.result();
        expect(blocked.status).toBe('skipped');
        const end = (await stale.result()) as TenantLockEnd;
        expect(end).toMatchObject({ ended: 'expired', message: expect.stringContaining('peakon-sync/stuck/run did not renew the lock') });
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(next.counts.created).toBe(5);
      })(),
    );
  });

  it('is renewed by a run that outlives its lease, so nobody else can start meanwhile', async () => {
    // One employee at a time, each Peakon answer 500 ms late: the 30 creates alone take 15 s, far longer than the
    // renewals waited for below (about 7 s), however fast the machine.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 500 } } });
    fixture.writeEmployees(generateOrg(30, 3));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1, maxConcurrentPartitions: 1 };
    const workers = await fixture.startWorkers();
    const lock = pipeline.temporal.client.workflow.getHandle(tenantLockWorkflowId(fixture.config.tenant));
    const leaseMs = 5_000;
    await workers.runUntil(
      (async () => {
        const long = await fixture.startSync({ tuning: { ...TEST_TUNING, lockLeaseMs: leaseMs } });
        // Renewed every third of the lease on a server timer: the fourth renewal comes 4/3 of the lease after the lock
        // started at the earliest, so only renewals can have kept the lock until then.
        const events = await eventually('four renewals of the lock', async () => {
          const history = (await long.fetchHistory()).events ?? [];
          return history.filter((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'renew').length >= 4 ? history : undefined;
        }, 60_000, 250);
        const lockStarted = events.find((event) => event.childWorkflowExecutionStartedEventAttributes);
        const renewals = events.filter((event) => event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'renew');
        expect(eventTimeMs(renewals[3]) - eventTimeMs(lockStarted)).toBeGreaterThan(leaseMs);
        expect((await long.describe()).status.name).toBe('RUNNING');
        expect((await lock.describe()).status.name).toBe('RUNNING');
        const meanwhile: SyncReport = await (await fixture.startSync()).result();
        expect(meanwhile.status).toBe('skipped');
        // Proven: the rest of the run may go fast.
        fixture.sandbox.setFaults({});
        const report: SyncReport = await long.result();
        expect(report.status).toBe('completed');
        expect(report.counts.created).toBe(30);
      })(),
    );
  });

  it('a run whose lock is lost mid-run and taken by another run stops writing and ends lock_lost; the next run completes it', async () => {
    // Every Peakon answer 2 s late: the first wave's partition (its one create on the wire) is surely still in flight
    // when the run sees its lock gone, however loaded the machine.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 2_000 } }, slowAnswers: true });
    fixture.writeEmployees(generateOrg(20, 3));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, maxConcurrentPartitions: 1 };
    const workers = await fixture.startWorkers();
    const { client, taskQueue } = pipeline.temporal;
    const lockId = tenantLockWorkflowId(fixture.config.tenant);
    await workers.runUntil(
      (async () => {
        const first = await fixture.startSync({ tuning: { ...TEST_TUNING, scimActivityTimeoutMs: 30_000 } });
        await waitFor('the first POST', () => posts(fixture) > 0);
        // Where a worker outage longer than the lease leads (or `unlock --force`): the run's lock ends, and another run
        // takes the tenant.
        await client.workflow.getHandle(lockId).terminate('test: the lease ran out');
        const other = await client.workflow.start('tenantLockWorkflow', { taskQueue, workflowId: lockId, args: [{ holderRunId: 'peakon-sync/other/run', leaseMs: 600_000 }] });
        const report: SyncReport = await first.result();
        expect(report.status).toBe('lock_lost');
        expect(report.message).toMatch(/^stopped during create: the tenant lock \S+ was terminated .*Another sync of the tenant may be running, so this run started nothing more and stopped its 1 partition\(s\) in flight/);
        expect(exitCodeFor(report)).toBe(1);
        expect(report.reportPath).toBeDefined();
        // The partition in flight (the first wave's, its create on the wire) was cancelled by the run: its history holds
        // the cancel request, and it ended, returning what it finished marked as stopped (Temporal shows it COMPLETED:
        // a cancelled partition returns its result for the report).
        const inFlight = client.workflow.getHandle(partitionWorkflowId(first.workflowId, 'create', 0, 0));
        const inFlightEvents = (await inFlight.fetchHistory()).events ?? [];
        expect(inFlightEvents.filter((event) => event.workflowExecutionCancelRequestedEventAttributes)).toHaveLength(1);
        expect((await inFlight.describe()).status.name).toBe('COMPLETED');
        expect(((await inFlight.result()) as PartitionResult).cancelled).toBe(true);
        // Nothing more was started: the next wave's partition never existed.
        await expect(client.workflow.getHandle(partitionWorkflowId(first.workflowId, 'create', 1, 0)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
        // It started nothing more and stopped what was in flight: no write of it lands after it ended.
        const written = posts(fixture);
        expect(written).toBeLessThan(20);
        await sleep(2_000);
        expect(posts(fixture)).toBe(written);
        fixture.sandbox.setFaults({});
        // Its release at the end did not free the other run's lock, and the ownership ledger got only whom it created
        // (none here: its one create was stopped mid-write and has no outcome; the next sync adopts that user).
        expect((await other.describe()).status.name).toBe('RUNNING');
        expect((await ledgerStoreFromEnv(process.env, defaultPayloadDirectory()).read(fixture.config.tenant)).owned.sort()).toEqual(createdIds(fixture, report).sort());

        await other.terminate('test: the other run is done');
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(fixture.sandbox.users()).toHaveLength(20);
      })(),
    );
  });

  it('a run whose lease runs out before it renews it (as when no worker runs it for the lease) ends lock_lost', async () => {
    // Slow Peakon answers, one employee at a time: the run outlasts the lock workflow's own first workflow task by
    // seconds, so the lease (which starts counting when that task runs) surely expires while the run still works. With
    // instant answers a loaded machine finished the five employees before the lock had started its lease at all.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 400 } } });
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1, maxConcurrentPartitions: 1 };
    fixture.writeEmployees(generateOrg(5, 2));
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        // A lease of 5 ms: the lock expires before any renewal can reach it.
        const report: SyncReport = await (await fixture.startSync({ tuning: { ...TEST_TUNING, lockLeaseMs: 5 } })).result();
        expect(report.status).toBe('lock_lost');
        expect(report.message).toMatch(/the lease of the tenant lock \S+ expired|renewing the tenant lock \S+ failed/);
        // Whom it created before it saw the lease gone (how many depends on the machine's pace) is in the ledger; nobody else.
        expect((await ledgerStoreFromEnv(process.env, defaultPayloadDirectory()).read(fixture.config.tenant)).owned.sort()).toEqual(createdIds(fixture, report).sort());
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(fixture.sandbox.users()).toHaveLength(5);
      })(),
    );
  });

  it('frees the tenant when the holder is terminated', async () => {
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 100 } } });
    fixture.writeEmployees(generateOrg(20, 3));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, maxConcurrentPartitions: 1 };
    const workers = await fixture.startWorkers();
    const lock = () => pipeline.temporal.client.workflow.getHandle(tenantLockWorkflowId(fixture.config.tenant));
    await workers.runUntil(
      (async () => {
        const second = await fixture.startSync();
        await waitFor('the run to take the lock', async () => (await lock().describe().catch(() => undefined))?.status.name === 'RUNNING');
        await second.terminate('test: a run killed by an operator');
        await waitFor('the lock to end with its holder', async () => (await lock().describe()).status.name !== 'RUNNING');
        const third: SyncReport = await (await fixture.startSync()).result();
        expect(third.status).toBe('completed');
      })(),
    );
  });

  it('unlock refuses while the holder runs, unless forced, and frees a lock whose holder is gone', async () => {
    const fixture = await pipeline.fixture();
    const { client, taskQueue } = pipeline.temporal;
    const tenant = fixture.config.tenant;
    expect(await unlockTenant(client, tenant, false)).toBe(`tenant ${tenant} is not locked`);
    // The "holder" is a lock of another tenant, i.e. any running workflow: alive as long as we want.
    const holder = await client.workflow.start('tenantLockWorkflow', { taskQueue, workflowId: `peakon-sync/${tenant}-holder/run`, args: [{ holderRunId: 'nobody', leaseMs: 600_000 }] });
    const lockOf = () => client.workflow.start('tenantLockWorkflow', { taskQueue, workflowId: tenantLockWorkflowId(tenant), args: [{ holderRunId: holder.workflowId, leaseMs: 600_000 }] });
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await lockOf();
        await expect(unlockTenant(client, tenant, false)).rejects.toThrow(/is still running: cancel it/);
        expect(await unlockTenant(client, tenant, true)).toContain('unlocked');
        await lockOf();
        await holder.terminate('test: the holder is gone');
        expect(await unlockTenant(client, tenant, false)).toContain('is terminated');
        await expect(client.workflow.getHandle(tenantLockWorkflowId(tenant)).describe().then((description) => description.status.name)).resolves.toBe('TERMINATED');
      })(),
    );
    await client.workflow.getHandle(`peakon-sync/${tenant}-holder/run`).terminate().catch((error: unknown) => {
      if (!(error instanceof WorkflowNotFoundError) && !String(error).includes('already completed')) throw error;
    });
  });
});

describe('cancelling a run and the circuit breaker', () => {
  const pipeline = usePipelineTests();

  it('cancel ends the run as cancelled with what was done, counting and owning what its partition in flight had finished; the next run completes it', async () => {
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 100 } } });
    // Three levels: waves of 1, 6 and 33 creates, each wave one partition, two employees in flight.
    const employees = generateOrg(40, 3);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(employees);
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, maxConcurrentPartitions: 1, partitionSize: 40 };
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync();
        await waitFor('some creates of the last wave', () => posts(fixture) >= 12);
        // Created well before the cancel (two in flight at most): their employee workflows have finished.
        const lastWave = new Set(employees.slice(7).map((employee) => employee.work_email));
        const finishedEarly = fixture.sandbox.users().map((user) => user.userName).filter((email) => lastWave.has(email)).slice(0, 2);
        expect(finishedEarly).toHaveLength(2);
        await waitFor('more creates', () => posts(fixture) >= 20);
        await handle.cancel();
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('cancelled');
        expect(report.message).toMatch(/^cancelled during create; 1 partition\(s\) in flight were stopped/);
        // Everyone the partition in flight had finished is counted: only the two stopped mid-write may be in Peakon
        // uncounted. (Before, the whole partition's outcomes were dropped: 13 or more uncounted here.)
        expect(fixture.sandbox.users().length).toBeLessThan(40);
        expect(report.counts.created).toBeGreaterThanOrEqual(fixture.sandbox.users().length - 2);
        expect(report.counts.created).toBeLessThanOrEqual(fixture.sandbox.users().length);
        expect(report.reportPath).toBeDefined();

        // ...and owned: when two of them leave the HR read before any run matched them again, they are leavers.
        fixture.writeEmployees(employees.filter((employee) => !finishedEarly.includes(employee.work_email)));
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(next.counts.deactivated).toBe(2);
        expect(fixture.sandbox.users()).toHaveLength(40);
        for (const email of finishedEarly) expect(fixture.sandbox.users().find((user) => user.userName === email)?.active).toBe(false);
      })(),
    );
  });

  it('a run whose partition fails lets the others in flight finish, writes its report and owns whom they created, then fails', async () => {
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 100 } } });
    // Waves of 1, 6 and 33 creates; the last in partitions of 10, two at a time.
    const employees = generateOrg(40, 3);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(employees);
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, maxConcurrentPartitions: 2, partitionSize: 10 };
    const { client } = pipeline.temporal;
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const { handle, partition } = await syncWithFailedPartition(fixture, client, 4);

        // The run's failure says what its report says, and where the report is (what `sync --wait` and `status` print),
        // not the SDK's "Child Workflow execution failed".
        const failure = (await handle.result().then(() => undefined, (error: unknown) => error)) as WorkflowFailedError;
        expect(failure).toBeInstanceOf(WorkflowFailedError);
        const said = runFailureMessage(failure);
        expect(said.startsWith(`failed during create: partition ${partition(0)} failed (`)).toBe(true);
        expect(said).toContain('the partitions in flight finished');
        expect(said).toMatch(/\(report: \S+\.json\)$/);
        expect((await handle.describe()).memo).toMatchObject({ status: 'failed' });
        // The other partition in flight was not cut off with the run: it finished all ten of its employees…
        expect((await client.workflow.getHandle(partition(1)).describe()).status.name).toBe('COMPLETED');
        const finished = (await client.workflow.getHandle(partition(1)).result()) as PartitionResult;
        expect(finished.outcomes.filter((outcome) => outcome.status === 'created')).toHaveLength(10);
        // …and nothing more was started.
        await expect(client.workflow.getHandle(partition(2)).describe()).rejects.toThrow();
        // The report is written, naming the partition, and counts the earlier waves and the partition that finished.
        const reportFile = reportFilePath(fixture.stateDirectory, { tenant: fixture.config.tenant, runId: handle.workflowId });
        const report = (JSON.parse(readFileSync(reportFile, 'utf8')) as { summary: SyncReport }).summary;
        expect(report.status).toBe('failed');
        expect(report.message).toContain(`partition ${partition(0)} failed`);
        expect(report.counts.created).toBe(7 + 10);
        // The employees of the partition that failed and of those never started are `not_done`, naming the partition.
        const notDone = notDoneLines(report);
        expect(notDone).toHaveLength(40 - 17);
        for (const line of notDone) expect(line).toMatchObject({ action: 'create', reason: `not done: the run failed (partition ${partition(0)} failed) before it finished this employee: it was in the partition that failed (what it sent may have reached Peakon) or its turn never came; the next sync completes it` });

        // The ledger holds exactly whom the finished waves and partition created, not whom the failed partition created
        // before it failed (its outcomes never reached the run).
        const ledger = ledgerStoreFromEnv(process.env, defaultPayloadDirectory());
        const ownedAfterFailure = new Set((await ledger.read(fixture.config.tenant)).owned);
        expect(ownedAfterFailure.size).toBe(7 + 10);
        for (const outcome of finished.outcomes) expect(ownedAfterFailure.has(outcome.peakonUserId ?? '')).toBe(true);
        const createdByFailed = fixture.sandbox.users().filter((user) => !ownedAfterFailure.has(user.id));
        expect(fixture.sandbox.users()).toHaveLength(7 + 10 + createdByFailed.length);

        // Owned: two of them leave the HR read before any run matched them again, and the next run deactivates them.
        const gone = finished.outcomes.slice(0, 2).map((outcome) => outcome.employeeKey);
        fixture.writeEmployees(employees.filter((employee) => !gone.includes(employee.work_email.toLowerCase())));
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(next.counts.deactivated).toBe(2);
        for (const email of gone) expect(fixture.sandbox.users().find((user) => user.userName.toLowerCase() === email)?.active).toBe(false);
        // Whom the failed partition created, the next sync adopts (its report lines say so) and owns from now on.
        const nextLines = (JSON.parse(readFileSync(next.reportPath ?? '', 'utf8')) as RunReportFile).employees;
        for (const user of createdByFailed) expect(nextLines.find((line) => line.employeeKey === user.userName.toLowerCase())).toMatchObject({ adopted: true });
        const ownedAfterNext = new Set((await ledger.read(fixture.config.tenant)).owned);
        expect(fixture.sandbox.users().filter((user) => !ownedAfterNext.has(user.id))).toEqual([]);
      })(),
    );
  });

  it('a cancel that comes while the run waits for its partitions after one failed ends it cancelled, naming the failed partition', async () => {
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 300 } } });
    fixture.writeEmployees(generateOrg(40, 3));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1, maxConcurrentPartitions: 2, partitionSize: 10 };
    const { client } = pipeline.temporal;
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const { handle, partition } = await syncWithFailedPartition(fixture, client, 2);
        // The run has seen the failure (the partition left its list) and waits for the other one: cancel it now.
        await waitFor('the run to see the failure', async () => !(await handle.query(syncProgressQuery)).runningPartitions.includes(partition(0)));
        await handle.cancel();
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('cancelled');
        expect(report.message).toContain(`before that, partition ${partition(0)} had failed`);
      })(),
    );
  });

  it('a cancelled run whose report cannot be written fails and shows failed, not cancelled', async () => {
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 100 } } });
    fixture.writeEmployees(generateOrg(20, 3));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, maxConcurrentPartitions: 1, partitionSize: 10 };
    // A file where the tenant's report folder goes: the report (the last step of a cancelled run too) cannot be written.
    const reportFolder = path.join(fixture.stateDirectory, fixture.config.tenant);
    writeFileSync(reportFolder, 'not a folder');
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync();
        await waitFor('some creates', () => posts(fixture) >= 3);
        await handle.cancel();
        const failure = await handle.result().then(() => undefined, (error: unknown) => error);
        expect(failure).toBeInstanceOf(WorkflowFailedError);
        // The run's failure says how it had ended (cancelled), then why the report failed: its folder could not be made
        // (a file is in its place); and it carries the counts of what it did, for the run metrics.
        const cause = (failure as WorkflowFailedError).cause;
        expect(cause).toBeInstanceOf(ApplicationFailure);
        expect(cause?.message).toMatch(/^cancelled during create; \d+ partition\(s\) in flight were stopped .*; then its report step failed \(what that says it recorded may not have been\): /);
        expect(cause?.message).toContain(`the run report's folder cannot be made (PEAKON_SYNC_REPORT_DIR): EEXIST: file already exists, mkdir '${reportFolder}'`);
        const carried = (cause as ApplicationFailure).details?.[0] as { status: string; counts: OutcomeCounts } | undefined;
        expect(carried?.status).toBe('failed');
        expect(carried?.counts.created).toBeGreaterThanOrEqual(1);
        expect(carried?.counts.created).toBeLessThanOrEqual(fixture.sandbox.users().length);
        expect((await handle.describe()).memo).toMatchObject({ status: 'failed' });
      })(),
    );
  });

  it('quarantines a run whose writes mostly fail; it sends nothing after it ended, and the next run plans from a fresh read', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(80, 3));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 5, maxConcurrentPartitions: 1, partitionSize: 80 };
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, scimRetry: { initialIntervalMs: 20, maximumIntervalMs: 50, maximumAttempts: 2 } } });
        await waitFor('the first create', () => posts(fixture) > 0);
        fixture.sandbox.setFaults({ faultRate: 1 });
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('quarantined');
        expect(report.message).toMatch(/^circuit breaker: \d+ of the last \d+ Peakon writes failed/);
        // It stopped: far fewer than 80 employees were even tried.
        expect(report.counts.created + report.counts.failed).toBeLessThan(60);
        // Those it never started are `not_done` lines saying why, counted in the report file and the summary.
        const notDone = notDoneLines(report);
        expect(notDone.length).toBeGreaterThan(20);
        for (const line of notDone) expect(line.reason).toMatch(/^not done: not started: the run was quarantined /);

        // Stopped means stopped: nothing of the quarantined run reaches Peakon after it ended.
        const ended = fixture.sandbox.ops().length;
        await sleep(2_000);
        expect(fixture.sandbox.ops()).toHaveLength(ended);

        fixture.sandbox.setFaults({});
        const already = fixture.sandbox.users().length;
        expect(already).toBeGreaterThan(0);
        const before = fixture.sandbox.ops().length;
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        // The next run read Peakon before it wrote and planned from what it holds now, not from what the quarantined run
        // meant to do: it creates only whoever is missing, once each, and no create meets someone already there.
        const nextOps = fixture.sandbox.ops().slice(before);
        expect(nextOps[0]?.method).toBe('GET');
        expect(nextOps.filter((op) => op.method === 'POST')).toHaveLength(80 - already);
        expect(nextOps.filter((op) => op.status === 409)).toEqual([]);
        expect(next.counts.created).toBe(80 - already);
        expect(fixture.sandbox.users()).toHaveLength(80);
      })(),
    );
  });

  it('quarantines a run whose token Peakon refuses mid-run: nothing is sent after the refusal, and with the token fixed the next run reads first and completes', async () => {
    // The worker resolves its token per activity from this object: setting it below is Peakon starting to refuse it.
    const access: { sandbox: { faults: { latencyMs: number } }; workerToken?: string } = { sandbox: { faults: { latencyMs: 100 } } };
    const fixture = await pipeline.fixture(access);
    fixture.writeEmployees(generateOrg(30, 2));
    // One employee at a time: the refused write is the only request on the wire, so whatever comes after it was sent
    // after the run had been refused.
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 1, maxConcurrentPartitions: 1, partitionSize: 30 };
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync();
        await waitFor('some creates', () => posts(fixture) >= 5);
        access.workerToken = 'revoked-token';
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('quarantined');
        expect(report.message).toMatch(/authentication failed/);
        expect(JSON.stringify(report)).not.toContain(fixture.sandbox.token);
        const ops = fixture.sandbox.ops();
        const refused = ops.findIndex((op) => op.status === 401);
        expect(ops[refused]?.method).toBe('POST');
        // The run stopped at the refusal: no request after it (no write, no retry, no other employee started), then or later.
        expect(ops.slice(refused + 1)).toEqual([]);
        await sleep(2_000);
        expect(fixture.sandbox.ops()).toHaveLength(ops.length);
        expect(report.operations).toBe(ops.length);
        const created = fixture.sandbox.users().length;
        expect(report.counts).toMatchObject({ created, failed: 1 });
        const notDone = notDoneLines(report);
        expect(notDone).toHaveLength(30 - created - 1);
        for (const line of notDone) expect(line.reason).toMatch(/^not done: not started: the run was quarantined /);

        delete access.workerToken;
        const before = fixture.sandbox.ops().length;
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        const nextOps = fixture.sandbox.ops().slice(before);
        expect(nextOps[0]?.method).toBe('GET');
        expect(nextOps.filter((op) => op.status !== null && op.status >= 400)).toEqual([]);
        expect(nextOps.filter((op) => op.method === 'POST')).toHaveLength(30 - created);
        expect(next.counts.created).toBe(30 - created);
        expect(fixture.sandbox.users()).toHaveLength(30);
      })(),
    );
  });
});

describe('tenants on shared workers', () => {
  const pipeline = usePipelineTests();

  it('a tenant waiting out an hour-long Retry-After never delays another tenant on the same workers', async () => {
    // Tenant A's Peakon has almost no budget left: its first write gets 429 with a Retry-After of about an hour.
    const limited = await pipeline.fixture({ sandbox: { quotaPerHour: 3 } });
    const healthy = await pipeline.fixture();
    limited.writeEmployees(generateOrg(20, 3));
    healthy.writeEmployees(generateOrg(40, 3));
    const workers = await limited.startWorkers();
    await workers.runUntil(
      (async () => {
        const waiting = await limited.startSync();
        await waitFor('the limited tenant to be rate limited', () => limited.sandbox.ops().some((op) => op.status === 429));
        const started = Date.now();
        const report: SyncReport = await (await healthy.startSync()).result();
        expect(report.status).toBe('completed');
        expect(report.counts.created).toBe(40);
        expect(Date.now() - started).toBeLessThan(45_000);
        // The limited tenant is still waiting (not failed, not retrying in a loop): one 429 per request in flight.
        expect((await waiting.describe()).status.name).toBe('RUNNING');
        expect(limited.sandbox.ops().filter((op) => op.status === 429).length).toBeLessThanOrEqual(limited.config.sync.maxConcurrentEmployees);
        // Each rate-limited employee waits out Retry-After (about an hour) on a durable timer: no activity pending,
        // no retry attempt spent on the wait.
        const { client } = pipeline.temporal;
        let sleeping = 0;
        for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH "${waiting.workflowId}/create/e-" AND ExecutionStatus = "Running"` })) {
          const raw = await client.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: execution.workflowId, runId: execution.runId } });
          expect(raw.pendingActivities ?? []).toEqual([]);
          const { history } = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: execution.workflowId, runId: execution.runId } });
          const timer = history?.events?.find((event) => event.timerStartedEventAttributes)?.timerStartedEventAttributes;
          expect(Number(timer?.startToFireTimeout?.seconds ?? 0)).toBeGreaterThan(3_000);
          sleeping += 1;
        }
        expect(sleeping).toBeGreaterThan(0);
        await waiting.cancel();
        expect(((await waiting.result()) as SyncReport).status).toBe('cancelled');
      })(),
    );
  });
  it('after a 429, the tenant\'s other employees in flight wait out its Retry-After without sending: one 429, not one per employee', async () => {
    // Thirty operations in the tenant's hour: the 31st request is answered 429 with a Retry-After of about an hour,
    // while ten employees of the second wave are in flight, their requests spaced by the tenant queue's rate.
    const limited = await pipeline.fixture({ sandbox: { quotaPerHour: 30 } });
    limited.writeEmployees(generateOrg(60, 2));
    limited.config.sync = { ...limited.config.sync, maxConcurrentEmployees: 10, maxConcurrentPartitions: 1, partitionSize: 60 };
    // Two requests a second (the tenant queue's rate): a 429 is back long before the next request goes out, 500 ms later.
    limited.config.peakon = { ...limited.config.peakon, operationsPerHour: 7_200 };
    const workers = await limited.startWorkers();
    // This process's event-loop turns (the sandbox and the workers' activities run in it): see below.
    const turns: number[] = [];
    const ticker = setInterval(() => turns.push(Date.now()), 25);
    await workers.runUntil(
      (async () => {
        const waiting = await limited.startSync();
        await waitFor('the tenant to be rate limited', () => limited.sandbox.ops().some((op) => op.status === 429));
        const { client } = pipeline.temporal;
        const sleepingEmployees = async () => {
          let sleeping = 0;
          for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH "${waiting.workflowId}/create/e-" AND ExecutionStatus = "Running"` })) {
            const { history } = await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: execution.workflowId, runId: execution.runId } });
            const timer = history?.events?.find((event) => event.timerStartedEventAttributes)?.timerStartedEventAttributes;
            if (Number(timer?.startToFireTimeout?.seconds ?? 0) > 3_000) sleeping += 1;
          }
          return sleeping;
        };
        // Every employee in flight ends up waiting out the hour on a durable timer…
        await waitFor('the employees in flight to wait out the Retry-After', async () => (await sleepingEmployees()) >= 9, 60_000);
        // …but only what was already on the wire when the first 429 came back was answered 429 (before: one per employee).
        // The sandbox logs one time per request, its arrival, and answers a 429 in that same tick (budget gate, no
        // latency fault here). It runs in this process, like the client: the client reads that 429 on the loop's next
        // turn, and a request the client sent before then reaches the sandbox a turn or two later. The hold must stop
        // every request after that: none may arrive more than LATE_MS after the third turn following the first 429.
        // Counted in turns, not from the 429's time alone: a loop stalled right after it delays the client's read and
        // the sends it lets out alike (those are answered 429 too, which is why their count is only bounded by the
        // employees in flight). Without the hold, the employees in flight send at the queue's 2 a second: the next
        // requests arrive 0.5, 1, 1.5 s … after the first 429.
        clearInterval(ticker);
        // Well under the 500 ms between two requests without the hold, so even the first one leaked fails the test.
        const LATE_MS = 200;
        const ops = limited.sandbox.ops();
        const firstLimited = ops.find((op) => op.status === 429);
        expect(firstLimited).toBeDefined();
        const limitedAt = Date.parse(firstLimited?.time ?? '');
        const turnsAfter = turns.filter((turn) => turn > limitedAt);
        expect(turnsAfter.length).toBeGreaterThanOrEqual(3);
        const heldBy = (turnsAfter[2] ?? limitedAt) + LATE_MS;
        const sentWhileHeld = ops.filter((op) => Date.parse(op.time) > heldBy).map((op) => ({ ...op, afterFirst429Ms: Date.parse(op.time) - limitedAt, heldAfterMs: heldBy - limitedAt }));
        expect(sentWhileHeld).toEqual([]);
        const limitedAnswers = ops.filter((op) => op.status === 429).length;
        expect(limitedAnswers).toBeGreaterThanOrEqual(1);
        expect(limitedAnswers).toBeLessThanOrEqual(limited.config.sync.maxConcurrentEmployees);
        expect(limited.sandbox.ops().filter((op) => op.status !== 429 && op.status !== null && op.status >= 400)).toEqual([]);
        await waiting.cancel();
        const report = (await waiting.result()) as SyncReport;
        expect(report.status).toBe('cancelled');
        // The report's operations are every request sent: the employees stopped while waiting out the 429 return what
        // they spent (the 429 included), and the held ones spent nothing.
        expect(report.operations).toBe(limited.sandbox.ops().length);
      })().finally(() => clearInterval(ticker)),
    );
  }, 180_000);
});

describe('a worker asked to stop', () => {
  const pipeline = usePipelineTests();
  afterAll(() => stopWorkerProcesses());

  it('exits within its shutdown grace on SIGTERM although requests are in flight, and another worker finishes the run', async () => {
    // Every Peakon request takes 20 s: a worker that waited for them would take that long to stop.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 20_000 } } });
    fixture.config.peakon = { ...fixture.config.peakon, timeoutMs: 60_000 };
    fixture.writeEmployees(generateOrg(4, 2));
    const env = { PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue, PEAKON_SYNC_STATE_DIR: fixture.stateDirectory, PEAKON_TOKEN: fixture.sandbox.token, PEAKON_SYNC_SHUTDOWN_GRACE_MS: '1000' };
    const worker = startWorkerProcess(env);
    const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, scimActivityTimeoutMs: 90_000, planTimeoutMs: 120_000 } });
    await waitFor('a request in flight', () => fixture.sandbox.ops().some((op) => op.status === null));
    // A worker that died on its own is not one that stopped on SIGTERM: say so rather than wait for an exit that came.
    expect(worker.process.exitCode).toBeNull();
    const exited = new Promise<void>((resolve) => worker.process.once('exit', () => resolve()));
    const stopping = Date.now();
    worker.process.kill('SIGTERM');
    await exited;
    // The property: it does not wait for the requests in flight (20 s each). The worker stops by its grace (1 s) and
    // at the latest where it forces the shutdown (SHUTDOWN_FORCE_AFTER_GRACE_MS, 5 s later, worker/create-worker.ts);
    // 4 s more for a loaded machine to end the process and deliver its exit, still far below the 20 s.
    expect(Date.now() - stopping).toBeLessThan(1_000 + 5_000 + 4_000);
    fixture.sandbox.setFaults({});
    startWorkerProcess(env);
    const report: SyncReport = await handle.result();
    expect(report.status).toBe('completed');
    expect(fixture.sandbox.users()).toHaveLength(4);
  }, 240_000);
});
