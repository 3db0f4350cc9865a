/**
 * A plan that learns its run lost the tenant lock before it records the users it matched records nothing in the
 * ownership ledger (activities/plan.ts: the cancellation check before `ownership.record`): the ledger is the other
 * run's to write from then on. Real Temporal dev server, real workers (this process) and sandbox over HTTP.
 *
 * The loss must reach the plan after its last step that stops on cancellation by itself (the Peakon listing and the
 * plan's page store both honour the activity's signal) and before it records: the test's page store holds the plan's
 * one page write until the activity has learned, by its heartbeats, that it was cancelled. The lock is stolen while it
 * holds, so the timing does not depend on the machine's pace.
 */
import { Context } from '@temporalio/activity';
import { ledgerStoreFromEnv, type LedgerStore } from '../../ownership/store';
import type { PlanPageStore } from '../../storage/plan-pages';
import { PLAN_PAGE_SIZE } from '../../sync/stored-plan';
import type { SyncReport } from '../../sync/report';
import { createSyncWorkers, defaultActivityDeps } from '../../worker/create-worker';
import { defaultPayloadDirectory } from '../../worker/environment';
import { tenantLockWorkflowId } from '../../workflows/ids';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, workflowBundle, TEST_TUNING } from '../harness/pipeline';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a run that loses its tenant lock while it plans', () => {
  const pipeline = usePipelineTests();

  it('records none of the users its plan matched when the plan learns of the loss before recording them', async () => {
    const fixture = await pipeline.fixture();
    // People already in Peakon (made by hand, say) whom the HR records match: the plan adopts them, and a plan that
    // records would own them from then on.
    const org = generateOrg(8, 2);
    expect(org.length).toBeLessThan(PLAN_PAGE_SIZE);
    fixture.writeEmployees(org);
    const seeded = fixture.sandbox.seedUsers(org.map((employee) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: employee.work_email, name: { givenName: 'By', familyName: 'Hand' }, emails: [{ value: employee.work_email, primary: true }], active: true })));
    const seededIds = seeded.map((user) => user.id);

    const base = defaultActivityDeps(fixture.stateDirectory);
    const pages = base.planPages as PlanPageStore;
    const ledger = base.ownership as LedgerStore;
    let held: () => void = () => undefined;
    const holding = new Promise<void>((resolve) => (held = resolve));
    let released: () => void = () => undefined;
    const learned = new Promise<void>((resolve) => (released = resolve));
    let holds = 0;
    // The plan's one page (fewer entries than a page holds): written, then held until the activity knows it was
    // cancelled, which only a heartbeat's answer tells it.
    const holdingPages: PlanPageStore = {
      location: pages.location,
      get: (key, signal) => pages.get(key, signal),
      async put(entries, signal) {
        const key = await pages.put(entries, signal);
        holds += 1;
        if (holds === 1) {
          const context = Context.current();
          held();
          while (!context.cancellationSignal.aborted) {
            context.heartbeat({ stage: 'storing the plan (held by the test)', operations: 0 });
            await sleep(100);
          }
          released();
        }
        return key;
      },
    };
    const records: { change: Parameters<LedgerStore['record']>[1]; written: Promise<unknown> }[] = [];
    const watchedLedger: LedgerStore = {
      location: ledger.location,
      read: (tenant) => ledger.read(tenant),
      check: () => ledger.check(),
      record: (tenant, change) => {
        const written = ledger.record(tenant, change);
        records.push({ change, written: written.catch(() => undefined) });
        return written;
      },
    };
    const workers = await createSyncWorkers({
      connection: pipeline.temporal.nativeConnection,
      namespace: 'default',
      taskQueue: pipeline.temporal.taskQueue,
      deps: { ...base, resolveSecret: () => fixture.sandbox.token, planPages: holdingPages, ownership: watchedLedger },
      workflowBundle: await workflowBundle(),
    });
    const { client, taskQueue } = pipeline.temporal;
    const lockId = tenantLockWorkflowId(fixture.config.tenant);
    let other: Awaited<ReturnType<typeof client.workflow.start>> | undefined;
    await workers.runUntil(
      (async () => {
        // A short heartbeat timeout: the worker sends heartbeats at most every 80% of it, and the held plan learns of its
        // cancellation at the first one sent after the run asked for it.
        const run = await fixture.startSync({ tuning: { ...TEST_TUNING, planHeartbeatTimeoutMs: 3_000 } });
        await holding;
        // The plan has read HR and Peakon, matched the seeded users and stored its page; it has not recorded yet.
        expect(records).toEqual([]);
        // Where a worker outage longer than the lease leads (or `unlock --force`): the run's lock ends, and another run
        // takes the tenant.
        await client.workflow.getHandle(lockId).terminate('test: the lease ran out');
        other = await client.workflow.start('tenantLockWorkflow', { taskQueue, workflowId: lockId, args: [{ holderRunId: 'peakon-sync/other/run', leaseMs: 600_000 }] });
        const report: SyncReport = await run.result();
        expect(report.status).toBe('lock_lost');
        expect(report.message).toMatch(/^stopped during planning: the tenant lock \S+ was terminated/);
        await learned;
      })(),
    );
    // runUntil drains the worker's tasks in flight: the plan attempt has run to its end, past the ledger write it must
    // not make (no fixed wait that a loaded machine could outlast).
    await Promise.all(records.map((record) => record.written));
    const owned = (await ledgerStoreFromEnv(process.env, defaultPayloadDirectory()).read(fixture.config.tenant)).owned;
    expect(owned.filter((id) => seededIds.includes(id))).toEqual([]);
    // The plan asked for no ownership (the run's own report may record whom it created: none, it created nobody).
    expect(records.map((record) => record.change).filter((change) => change.owned.length > 0)).toEqual([]);
    // No SCIM write of it reached Peakon: only reads (the listing, the preflight).
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
    expect((await other?.describe())?.status.name).toBe('RUNNING');
    await other?.terminate('test: the other run is done');
  }, 120_000);
});
