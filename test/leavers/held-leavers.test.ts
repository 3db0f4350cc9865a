/**
 * The leaver guard's held writes as the approver and the operator meet them: `status <run> --held` lists every held
 * leaver (not only the first 10 the progress and the memo name) while the run waits; once the guard's timeout drops
 * them, the run's memo says so (counts and words only) and `schedule describe`'s outcome line shows it. A real
 * Temporal dev server, the connector's workflows and activities, the sandbox over HTTP, the CLI in this process.
 */
import { describeRunOutcome, SyncRunMemoSchema } from '../../client/schedules/overview';
import { EXIT_LEAVERS_HELD } from '../../client/format-report';
import type { SyncReport } from '../../sync/report';
import { heldLeaversQuery } from '../../workflows/sync';
import { generateOrg, leaves } from '../fixtures/org';
import { runCliInProcess, useCliEnvironment } from '../harness/cli';
import { usePipelineTests } from '../harness/pipeline';
import { progressOf } from '../harness/progress';
import { decodedMemoFields, decodedPayloads, expectNoPlainEmails } from './no-plain-email';

describe('status --held and a hold nobody decided', () => {
  const pipeline = usePipelineTests();
  useCliEnvironment();

  it('lists every one of 12 held leavers with the reason, deadline and commands; after the timeout, the memo, describe and --held say they were dropped', async () => {
    const fixture = await pipeline.fixture();
    process.env.PEAKON_SYNC_TASK_QUEUE = pipeline.temporal.taskQueue;
    // Long enough to read the held list while the run waits, short enough to see it dropped.
    fixture.config.leavers = { ...fixture.config.leavers, guard: { ...fixture.config.leavers.guard, maxCount: 5, maxShare: 1, timeout: 20_000 } };
    const org = generateOrg(40, 3);
    const gone = leaves(org).slice(0, 12);
    expect(gone).toHaveLength(12);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first = await fixture.startSync();
        expect(((await first.result()) as SyncReport).counts.created).toBe(40);
        // A run that held nothing: --held says so.
        expect(await runCliInProcess('status', first.workflowId, '--held')).toBe(`run ${first.workflowId} holds no leaver writes (it ended completed; its guard held none)\n`);
        expect(process.exitCode ?? 0).toBe(0);

        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        const handle = await fixture.startSync();
        const waiting = await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        expect(waiting.awaitingApproval?.preview).toHaveLength(10); // the progress names only the first 10
        // …and plain `status` says where the whole list is.
        expect(await runCliInProcess('status', handle.workflowId)).toContain(`; all 12: peakon-sync status ${handle.workflowId} --held;`);

        const listed = await runCliInProcess('status', handle.workflowId, '--held');
        const lines = listed.trimEnd().split('\n');
        expect(lines[0]).toBe(`run ${handle.workflowId} holds 12 leaver write(s) for approval`);
        expect(listed).toContain('more than leavers.guard.maxCount (5)');
        expect(listed).toContain(`deadline: ${waiting.awaitingApproval?.deadline ?? '?'}`);
        for (const employee of gone) expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  ${employee.work_email.replace(/[.]/g, '\\.')} +deactivate$`)));
        expect(lines.filter((line) => / deactivate$/.test(line))).toHaveLength(12);
        expect(listed).toContain(`approve all 12: peakon-sync approve ${handle.workflowId}`);
        expect(listed).toContain(`peakon-sync reject ${handle.workflowId}`);
        const json = JSON.parse(await runCliInProcess('status', handle.workflowId, '--held', '--json')) as { held: number; leavers: { employeeKey: string; peakonUserId?: string; action: string }[] };
        expect(json.held).toBe(12);
        expect(new Set(json.leavers.map((leaver) => leaver.employeeKey))).toEqual(new Set(gone.map((employee) => employee.work_email)));
        const peakonIds = new Map(fixture.sandbox.users().map((user) => [user.userName, user.id]));
        for (const leaver of json.leavers) expect(leaver).toEqual({ employeeKey: leaver.employeeKey, peakonUserId: peakonIds.get(leaver.employeeKey), action: 'deactivate' });
        // The query answers page by page (one answer is one payload; a half export may hold tens of thousands), each
        // page with the whole count, in the order `--held` lists them.
        const page = await handle.query(heldLeaversQuery, { offset: 10, limit: 5 });
        expect(page.held).toBe(12);
        expect(page.leavers).toEqual(json.leavers.slice(10));
        expect((await handle.query(heldLeaversQuery, { offset: 3, limit: 2 })).leavers).toEqual(json.leavers.slice(3, 5));

        const report = (await handle.result()) as SyncReport;
        expect(report).toMatchObject({ status: 'completed', leavers: { held: true, decision: 'timed out' } });
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);
        // The query answered after the end too, with the decision.
        expect(await handle.query(heldLeaversQuery)).toMatchObject({ held: 12, decision: 'timed out' });

        const description = await handle.describe();
        const memo = SyncRunMemoSchema.parse(description.memo);
        expect(memo.leavers).toEqual({ held: 12, decision: 'timed out' });
        const outcome = describeRunOutcome({ workflowId: handle.workflowId, runId: description.runId, scheduledAt: description.startTime, startedAt: description.startTime, execution: 'COMPLETED', outcome: memo });
        expect(outcome).toMatch(/^completed \(created 0, updated 0, unchanged 28, failed 0; \d+ ops; 12 leaver write\(s\) held, dropped: nobody approved in time\)$/);
        expect(await runCliInProcess('status', handle.workflowId, '--held')).toContain(`run ${handle.workflowId} has ended completed: 12 leaver write(s) held, dropped: nobody approved in time (the next sync holds them again)`);
        // With the run's exit code, as plain `status` (3: leavers held, nobody decided).
        expect(process.exitCode).toBe(EXIT_LEAVERS_HELD);
        process.exitCode = undefined;

        // Names travel only in the query's answer and encrypted payloads: no held person's email in the run's histories as Temporal stores them
        // (IDs, event names, search attributes, every payload as stored), nor in any memo payload decoded with the key,
        // nor in the memo as the SDK decodes it.
        const emails = gone.map((employee) => employee.work_email);
        const histories = await expectNoPlainEmails(pipeline.temporal.client, handle.workflowId, emails);
        expect(decodedMemoFields(histories).get('awaitingApproval')).toContain('more than leavers.guard.maxCount (5)'); // the memo field the UI showed, decoded
        expect(emails.filter((email) => JSON.stringify(description.memo).includes(email))).toEqual([]);
        // The emails are in the run's payloads, decoded: the scans above could have seen them.
        const decoded = decodedPayloads(histories);
        expect(emails.filter((email) => !decoded.includes(email))).toEqual([]);
      })(),
    );
  }, 120_000);
});
