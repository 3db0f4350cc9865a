/**
 * `status <run> --employee <key>` for employees the run started no workflow for: it says what the run recorded of them
 * (an invalid record among its failures; an unchanged, skipped or held line in its report file) instead of claiming
 * the plan found nothing to write. The CLI's own command (in this process), a real Temporal dev server, the sandbox.
 */
import { renameSync } from 'node:fs';
import { sendLeaverDecision } from '../../client/commands/approve';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { generateOrg, leaves, type GeneratedEmployee } from '../fixtures/org';
import { runCliInProcess, useCliEnvironment } from '../harness/cli';
import { usePipelineTests } from '../harness/pipeline';
import { progressOf } from '../harness/progress';

describe('status <run> --employee: an employee without a workflow in the run', () => {
  const pipeline = usePipelineTests();
  useCliEnvironment();

  it('prints the run\'s record of an invalid record, an unchanged, a skipped and a held leaver, and only theirs', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(12, 3);
    const [gone1, gone2, gone3, invalid, unchanged, squatted] = leaves(org) as GeneratedEmployee[];
    if (!gone1 || !gone2 || !gone3 || !invalid || !unchanged || !squatted) throw new Error('the fixture has too few leaves');
    const gone = [gone1, gone2, gone3];
    // Someone in Peakon already holds one employee's employee number: the plan skips their create, in every run.
    fixture.sandbox.seedUsers([
      { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: 'squatter@example.com', emails: [{ value: 'squatter@example.com', primary: true }], name: { givenName: 'S', familyName: 'Q' }, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: squatted.employee_number } },
    ]);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        // Three leavers (more than the guard's share: held, then rejected), one record rejected for bad data.
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)).map((employee) => (employee === invalid ? { ...employee, date_of_birth: 'not a date' } : employee)));
        const handle = await fixture.startSync();
        await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        await sendLeaverDecision(handle, 'reject');
        return (await handle.result()) as SyncReport;
      })(),
    );
    expect(report.counts).toMatchObject({ failed: 1, skipped: 1 });
    expect(report.failures).toEqual([expect.objectContaining({ employeeKey: invalid.work_email, errorType: 'InvalidRecord' })]);
    const runId = report.runId;
    const status = async (key: string): Promise<string> => (await runCliInProcess('status', runId, '--employee', key)).trim();
    const others = org.filter((employee) => ![invalid, unchanged, squatted, gone1].includes(employee)).map((employee) => employee.work_email);

    // The key as the CLI matches it: an email in any case.
    const rejected = await status(invalid.work_email.toUpperCase());
    expect(rejected).toMatch(new RegExp(`^${escape(invalid.work_email.toUpperCase())} \\(e-[0-9a-f]{16}\\): rejected by the run's plan, no workflow started — .*Date of Birth: .* \\(InvalidRecord\\)$`));

    const same = await status(unchanged.work_email);
    // --json carries the same record of the run (it was dropped from the JSON: steps [] alone).
    const json = JSON.parse(await runCliInProcess('status', runId, '--employee', unchanged.work_email, '--json')) as { steps: unknown[]; inRun?: { source: string; status: string } };
    expect(json).toMatchObject({ steps: [], inRun: { source: 'report file', status: 'unchanged' } });
    expect(same).toMatch(new RegExp(`^${escape(unchanged.work_email)} \\(e-[0-9a-f]{16}\\): no workflow in this run; the run's report says unchanged \\(action unchanged\\) \\(${escape(report.reportPath ?? '?')}\\)$`));

    const skipped = await status(squatted.work_email);
    expect(skipped).toMatch(/: no workflow in this run; the run's report says skipped \(action skip\) — not created: the employee number is held by Peakon user \S+/);

    const held = await status(gone1.work_email);
    expect(held).toMatch(/: no workflow in this run; the run's report says not_done \(action deactivate\) — .*held by the leaver guard and rejected: not written/);

    // One employee's line, no one else's.
    for (const printed of [rejected, same, skipped, held]) {
      expect(printed.split('\n')).toHaveLength(1);
      for (const email of others) expect(printed).not.toContain(email);
    }

    // Someone the run never had: as before.
    expect(await status('nobody@example.com')).toMatch(/^nobody@example\.com \(e-[0-9a-f]{16}\): no workflow in this run — the plan found nothing to write, or the employee is not in the HR read$/);

    // The report file elsewhere (another host's volume): the run's failures still answer; for the rest, it says where to look.
    renameSync(report.reportPath ?? '', `${report.reportPath ?? ''}.elsewhere`);
    expect(await status(invalid.work_email)).toContain("rejected by the run's plan, no workflow started");
    expect(await status(unchanged.work_email)).toContain(`no workflow in this run and not among its failures; the run's report file ${report.reportPath ?? ''} is not on this host`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
