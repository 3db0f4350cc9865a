/**
 * What `status` and `runs` say of a run Temporal ended (terminated) while its leaver guard waited for a decision, with
 * the CLI's own commands (in this process), a real Temporal dev server and the sandbox over HTTP. Every create and
 * update partition finishes before the guard's wait (workflows/sync.ts publishes `awaiting_approval` after them) and
 * nothing is written during it: the memo's counts of that moment are what the run wrote, and `status` gives them
 * (client/commands/status.ts `readRunOutcome`), unlike a run terminated while its memo said `running`
 * (test/e2e/run-outcome-stale-memo.test.ts).
 */
import { z } from 'zod';
import type { SyncReport } from '../../sync/report';
import { generateOrg, leaves, type GeneratedEmployee } from '../fixtures/org';
import { runCliInProcess, useCliEnvironment } from '../harness/cli';
import { usePipelineTests } from '../harness/pipeline';
import { eventually } from '../harness/wait';

const RunsJsonSchema = z.array(z.object({ workflowId: z.string(), execution: z.string(), outcomeText: z.string() }));

/** A user as the sandbox stores it, without its meta (which a write that changes nothing may touch). */
function withoutMeta(user: object): string {
  const { meta: _meta, ...rest } = user as { meta?: unknown };
  return JSON.stringify(rest);
}

describe('status / runs of a run terminated while its guard held leaver writes for approval', () => {
  const pipeline = usePipelineTests();
  useCliEnvironment();

  it("status gives the counts it had written (no 'not recorded'), equal to what the sandbox holds; runs says it ended without a report", async () => {
    const fixture = await pipeline.fixture();
    process.env.PEAKON_SYNC_TASK_QUEUE = pipeline.temporal.taskQueue;
    // 4 leavers, more than the guard's 2: held; a wait far longer than the test.
    fixture.config.leavers = { ...fixture.config.leavers, guard: { ...fixture.config.leavers.guard, maxCount: 2, maxShare: 1, timeout: 600_000 } };
    const org = generateOrg(20, 3);
    const leafs = leaves(org);
    const gone = leafs.slice(0, 4);
    const changed = leafs.slice(4, 6);
    expect(gone).toHaveLength(4);
    expect(changed).toHaveLength(2);
    const manager = org.find((employee) => employee.manager_id === '') as GeneratedEmployee;
    const hires: GeneratedEmployee[] = [0, 1, 2].map((index) => ({ ...(gone[0] as GeneratedEmployee), employee_id: `H9${index}`, work_email: `new.hire.${index}@example.com`, employee_number: `9900${index}`, manager_id: manager.employee_id }));
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(20);
        const before = new Map(fixture.sandbox.users().map((user) => [user.userName, withoutMeta(user)]));
        const opsBefore = fixture.sandbox.ops().length;

        // The second run: 3 hires, 2 people moved to another team, 4 gone from the HR read (held by the guard).
        fixture.writeEmployees([...org.filter((employee) => !gone.includes(employee)).map((employee) => (changed.includes(employee) ? { ...employee, team: 'Team moved' } : employee)), ...hires]);
        const handle = await fixture.startSync();
        const runId = handle.workflowId;
        await eventually('the run awaits approval of its leavers', async () => {
          const description = await handle.describe();
          return description.status.name === 'RUNNING' && (description.memo as { status?: string } | undefined)?.status === 'awaiting_approval' ? description : undefined;
        });
        await handle.terminate('nobody will decide, says the operator');
        expect((await handle.describe()).status.name).toBe('TERMINATED');

        // What the run wrote, as the sandbox has it: the hires created, the moved people updated, the leavers untouched.
        const users = fixture.sandbox.users();
        const created = users.filter((user) => !before.has(user.userName));
        const updated = users.filter((user) => before.has(user.userName) && before.get(user.userName) !== withoutMeta(user));
        expect(created.map((user) => user.userName).sort()).toEqual(hires.map((employee) => employee.work_email).sort());
        expect(updated.map((user) => user.userName).sort()).toEqual(changed.map((employee) => employee.work_email).sort());
        expect(users.filter((user) => gone.some((employee) => employee.work_email === user.userName)).every((user) => user.active !== false)).toBe(true);
        const operations = fixture.sandbox.ops().length - opsBefore;
        expect(operations).toBeGreaterThan(0);

        const json = JSON.parse(await runCliInProcess('status', runId, '--json')) as Record<string, unknown>;
        expect(json).not.toHaveProperty('countsNotRecorded');
        expect(json).toMatchObject({ runId, status: 'terminated', message: 'nobody will decide, says the operator', operations, failures: 0 });
        expect(json['counts']).toMatchObject({ created: created.length, updated: updated.length, deactivated: 0, deleted: 0, failed: 0, unchanged: 20 - gone.length - changed.length });
        expect(process.exitCode).toBe(1);
        process.exitCode = undefined;

        const printed = (await runCliInProcess('status', runId)).trimEnd().split('\n');
        expect(printed).toEqual([`${runId} ended terminated: nobody will decide, says the operator`, `  before it ended: created ${created.length}, updated ${updated.length}, unchanged ${20 - gone.length - changed.length}; ${operations} SCIM operations`]);
        expect(printed.join('\n')).not.toContain('not recorded');
        // A run that ended without a report exits 1 (README, exit codes; client/commands/status.ts runOutcomeExitCode).
        expect(process.exitCode).toBe(1);

        // `runs`: the memo still says awaiting_approval; the row says the run was terminated without a report (true: it
        // wrote none), not that it awaits approval, and claims no counts either way.
        const row = await eventually(`${runId} TERMINATED in runs`, async () => RunsJsonSchema.parse(JSON.parse(await runCliInProcess('runs', fixture.config.tenant, '--json'))).find((run) => run.workflowId === runId && run.execution === 'TERMINATED'));
        expect(row.outcomeText).toBe('terminated (the run ended without a report)');
        expect(row.outcomeText).not.toMatch(/awaiting|approve|created/);
      })(),
    );
  }, 120_000);
});
