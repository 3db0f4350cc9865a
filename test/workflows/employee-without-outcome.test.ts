/**
 * An employee whose workflow ends without an outcome (an operator terminates it from the Temporal UI, it times out, its
 * workflow fails) is one failed employee: its partition finishes the others and returns what they did, so the run
 * counts and owns everyone it created. Before the `employee-without-outcome-fails-alone` patch the partition failed at
 * once, terminating its other employees mid-step, and the run lost the partition's outcomes. Real Temporal dev server,
 * sandbox over real HTTP.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { ledgerStoreFromEnv } from '../../ownership/store';
import type { SyncReport } from '../../sync/report';
import { EMPLOYEE_CANCELLED_ALONE_FAILS_ALONE_PATCH, EMPLOYEE_WITHOUT_OUTCOME_FAILS_ALONE_PATCH } from '../../workflows/partition';
import { defaultPayloadDirectory } from '../../worker/environment';
import { generateOrg } from '../fixtures/org';
import { expectConverged } from '../harness/converged';
import { usePipelineTests, withoutLeaverGuard, type PipelineFixture } from '../harness/pipeline';
import { eventually } from '../harness/wait';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The patch IDs a workflow's history recorded. */
const patchesOf = (events: readonly HistoryEvent[]): string =>
  events
    .filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch')
    .map((event) => Buffer.from(event.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data ?? []).toString('utf8'))
    .join();

const childrenStarted = (events: readonly HistoryEvent[], type: string): string[] =>
  events.flatMap((event) => {
    const started = event.startChildWorkflowExecutionInitiatedEventAttributes;
    return started?.workflowType?.name === type && started.workflowId ? [started.workflowId] : [];
  });

describe('an employee whose workflow ends without an outcome', () => {
  const pipeline = usePipelineTests();

  /**
   * Six people in one create partition, two at a time, each answer slow: employees stay in flight long enough to end one
   * mid-step. And one owned Peakon user the HR read no longer has: a leaver, whose deactivation the run writes in its
   * last phase, after every create and update, so a run that stopped after its creates would leave them active.
   */
  async function sixEmployeesSlowly() {
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 1_500 } }, slowAnswers: true });
    const employees = generateOrg(6, 1);
    fixture.writeEmployees(employees);
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, partitionSize: 10 };
    // One leaver of one owned active user: the default guard (maxShare 0.2) would hold it for a person's approval.
    withoutLeaverGuard(fixture);
    const ledger = ledgerStoreFromEnv(process.env, defaultPayloadDirectory());
    const [leaver] = fixture.sandbox.seedUsers([{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'gone.before@example.org', externalId: 'GONE-1', name: { givenName: 'Gone', familyName: 'Before' }, emails: [{ value: 'gone.before@example.org', primary: true }], active: true }]);
    if (!leaver) throw new Error('not seeded');
    await ledger.record(fixture.config.tenant, { owned: [leaver.id], deleted: [] });
    return { fixture, employees, ledger, leaver, workers: await fixture.startWorkers() };
  }

  /** The run's last phase ran: the leaver is switched off, by one PATCH sent after every create. */
  function expectLeaverDeactivatedLast(fixture: PipelineFixture, leaverId: string): void {
    expect(fixture.sandbox.users().find((user) => user.id === leaverId)?.active).toBe(false);
    const ops = fixture.sandbox.ops();
    const deactivation = ops.findIndex((op) => op.method === 'PATCH' && op.path.includes(leaverId));
    expect(deactivation).toBeGreaterThan(ops.map((op) => op.method).lastIndexOf('POST'));
  }

  /** The run's first create partition and its first employee, once that employee runs. */
  async function firstEmployeeInFlight(run: WorkflowHandle) {
    const { client } = pipeline.temporal;
    const partitionId = await eventually('a create partition', async () => childrenStarted((await run.fetchHistory()).events ?? [], 'syncPartitionWorkflow')[0], 60_000, 50);
    const partition = client.workflow.getHandle(partitionId);
    // The partition's start, too, is initiated before the server has it: until then its history is "not found".
    const employeeId = await eventually('an employee in flight', async () => childrenStarted((await partition.fetchHistory().catch(() => undefined))?.events ?? [], 'employeeCreateWorkflow')[0], 60_000, 50);
    const employee = client.workflow.getHandle(employeeId);
    // Its start is initiated before the server has it: until then describe() answers "not found".
    await eventually('the employee running', async () => ((await employee.describe().catch(() => undefined))?.status.name === 'RUNNING' ? true : undefined), 60_000, 50);
    return { partition, employee };
  }

  it('is one failed employee: the partition finishes the rest, the run counts and owns whom it created', async () => {
    const { fixture, employees, ledger, leaver, workers } = await sixEmployeesSlowly();
    await workers.runUntil(
      (async () => {
        const run = await fixture.startSync();
        const { partition, employee } = await firstEmployeeInFlight(run);
        await employee.terminate('an operator ends this employee from the UI');

        const report: SyncReport = await run.result();
        expect(report.status).toBe('completed_with_failures');
        // The run went on past its creates to its later phases: the leaver phase deactivated the owned user who left.
        expect(report.counts).toMatchObject({ created: 5, failed: 1, deactivated: 1 });
        expectLeaverDeactivatedLast(fixture, leaver.id);
        expect(report.failures.map((failure) => failure.reason).join('\n')).toContain('its workflow was terminated before it finished; what it sent may have reached Peakon, and the next sync completes it');
        // It counts one operation, whatever it sent: its POST (if it went out before the termination) or nothing. Every
        // other request of the run (the plan's reads, the five others' POSTs) is counted as sent. Report lines carry no
        // operations of their own: the run's total is what shows it.
        const ops = fixture.sandbox.ops();
        const posts = ops.filter((op) => op.method === 'POST').length;
        expect([5, 6]).toContain(posts);
        const sentByTerminated = posts - 5;
        expect(report.operations).toBe(ops.length - sentByTerminated + 1);
        // Its line in the report file: failed, saying why.
        const [terminated] = report.failures;
        const lines = (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees;
        expect(lines.filter((line) => line.status === 'failed')).toEqual([expect.objectContaining({ employeeKey: terminated?.employeeKey, error: expect.stringContaining('its workflow was terminated before it finished') })]);
        // The partition completed (it did not fail with its employee) and took the patch.
        expect((await partition.describe()).status.name).toBe('COMPLETED');
        expect(patchesOf((await partition.fetchHistory()).events ?? [])).toContain(EMPLOYEE_WITHOUT_OUTCOME_FAILS_ALONE_PATCH);
        // Everyone the run created is owned (the terminated one's POST may or may not have landed: not owned this run).
        const created = fixture.sandbox.users().filter((user) => user.id !== leaver.id);
        expect(created.length).toBeGreaterThanOrEqual(5);
        const owned = (await ledger.read(fixture.config.tenant)).owned.filter((id) => id !== leaver.id);
        expect(owned).toHaveLength(5);

        // The next sync completes the terminated employee, once.
        fixture.sandbox.setFaults({ latencyMs: 0 });
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(next.counts.deactivated).toBe(0);
        expectConverged(fixture.sandbox.users().filter((user) => user.id !== leaver.id), employees);
      })(),
    );
  }, 180_000);

  it('cancelled on its own (not with its partition or run) is one failed employee: the run goes on and completes', async () => {
    const { fixture, employees, ledger, leaver, workers } = await sixEmployeesSlowly();
    await workers.runUntil(
      (async () => {
        const run = await fixture.startSync();
        const { partition, employee } = await firstEmployeeInFlight(run);
        // An operator cancels this one employee (e.g. one stuck waiting out a 429), as the UI's Cancel button does.
        await employee.cancel();

        const report: SyncReport = await run.result();
        // Before the patch the partition took the employee's cancel for its own and the whole run ended `cancelled`.
        expect(report.status).toBe('completed_with_failures');
        expect(report.counts).toMatchObject({ created: 5, failed: 1, deactivated: 1 });
        expectLeaverDeactivatedLast(fixture, leaver.id);
        expect(report.failures).toEqual([expect.objectContaining({ reason: 'its workflow was cancelled on its own before it finished; what it sent may have reached Peakon, and the next sync completes it' })]);
        expect((await partition.describe()).status.name).toBe('COMPLETED');
        expect(patchesOf((await partition.fetchHistory()).events ?? [])).toContain(EMPLOYEE_CANCELLED_ALONE_FAILS_ALONE_PATCH);
        // Every request but the cancelled employee's POST in flight (not known to have gone out) is counted.
        const sent = fixture.sandbox.ops().length;
        expect(report.operations).toBeGreaterThanOrEqual(sent - 1);
        expect(report.operations).toBeLessThanOrEqual(sent);
        expect((await ledger.read(fixture.config.tenant)).owned.filter((id) => id !== leaver.id)).toHaveLength(5);

        // The next sync completes the cancelled employee, once.
        fixture.sandbox.setFaults({ latencyMs: 0 });
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(next.counts.deactivated).toBe(0);
        expectConverged(fixture.sandbox.users().filter((user) => user.id !== leaver.id), employees);
      })(),
    );
  }, 180_000);
});
