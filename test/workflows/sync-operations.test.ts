import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { CORE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/resources';
import { exitCodeFor } from '../../client/format-report';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { watchProgress } from '../../client/progress';

const STATUS_FOR_ACTION: Record<string, string> = { create: 'created', update: 'updated', unchanged: 'unchanged', skip: 'skipped' };

describe('dry runs, on-demand syncs and run reports', () => {
  const pipeline = usePipelineTests();

  it('makes zero writes in a dry run, and the real run then does exactly what the plan said', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(15, 3);
    fixture.writeEmployees(employees.slice(0, 12));
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        // The HR system moves on: one team change, three new hires, one leaver who never reached Peakon.
        const leaver = { ...employees[14]!, work_email: 'gone@example.com', employee_id: 'H-GONE', employee_number: '99999', status: 'Terminated', termination_date: '01/01/2026' };
        const changed = [...employees.slice(0, 12).map((employee, index) => (index === 2 ? { ...employee, team: 'Moved' } : employee)), ...employees.slice(12), leaver];
        fixture.writeEmployees(changed);

        const opsBefore = fixture.sandbox.ops().length;
        const dryRun: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        const dryRunOps = fixture.sandbox.ops().slice(opsBefore);
        expect(dryRunOps.filter((op) => op.method !== 'GET')).toEqual([]);
        expect(dryRun.dryRun).toBe(true);
        const plan = dryRun.plan ?? [];
        expect(plan.filter((line) => line.action === 'create')).toHaveLength(3);
        expect(plan.find((line) => line.action === 'update')?.changes).toEqual([{ field: 'Team', from: employees[2]?.team, to: 'Moved', peakon: true }]);
        expect(plan.find((line) => line.employeeKey === 'gone@example.com')?.action).toBe('skip');

        const real: SyncReport = await (await fixture.startSync()).result();
        const file = JSON.parse(readFileSync(real.reportPath ?? '', 'utf8')) as RunReportFile;
        expect(file.summary.counts).toEqual(real.counts);
        // The report file has every employee; the dry run's preview leaves the unchanged out.
        expect(file.employees).toHaveLength(changed.length);
        expect(file.employees.filter((line) => line.action !== 'unchanged')).toHaveLength(plan.length);
        expect(plan.some((line) => line.action === 'unchanged')).toBe(false);
        for (const planned of plan) {
          const actual = file.employees.find((line) => line.employeeKey === planned.employeeKey);
          expect(actual?.status).toBe(STATUS_FOR_ACTION[planned.action]);
        }
        const moved = file.employees.find((line) => line.action === 'update');
        expect(moved?.changes).toEqual([{ field: 'Team', from: employees[2]?.team, to: 'Moved', peakon: true }]);
      })(),
    );
  });

  it("a single-employee sync is not failed by other people's invalid HR rows (its report, trace and exit code are about that one person)", async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(6, 2);
    fixture.writeEmployees(employees.map((employee, index) => (index === 4 ? { ...employee, work_email: 'not-an-email' } : employee)));
    const chosen = employees[1]!;
    const workers = await fixture.startWorkers();
    const single: SyncReport = await workers.runUntil((async () => (await fixture.startSync({ employeeKey: chosen.work_email })).result())());
    expect(single.status).toBe('completed');
    expect(single.counts).toMatchObject({ created: 1, failed: 0 });
    expect(single.failures).toEqual([]);
    expect(single.failuresTotal).toBe(0);
    expect(single.trace?.[4]).not.toContain('not-an-email');
    expect(exitCodeFor(single)).toBe(0);
    expect(fixture.sandbox.users().map((user) => user.userName)).toEqual([chosen.work_email]);
  });

  it.each([
    ['a single-employee sync', true],
    ['a whole-tenant sync', false],
  ])("%s of an internationalised address held in both spellings matches the person's own user and keeps its spelling (the other spelling's holder is a stale duplicate: not reactivated, not renamed onto, no 409)", async (_kind, single) => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(3, 2);
    const anna = { ...employees[0]!, work_email: 'anna@exämple.com' };
    const everyone = [anna, employees[1]!, employees[2]!];
    fixture.writeEmployees(everyone);
    // A stale, hand-made user under the ASCII spelling (inactive, no HR id), and Anna's own under the Unicode one.
    const [stale, own] = fixture.sandbox.seedUsers([
      { schemas: [CORE_USER_SCHEMA], userName: 'anna@xn--exmple-cua.com', emails: [{ value: 'anna@xn--exmple-cua.com', primary: true }], name: { givenName: 'Old', familyName: 'Copy' }, active: false },
      { schemas: [CORE_USER_SCHEMA], userName: 'anna@exämple.com', emails: [{ value: 'anna@exämple.com', primary: true }], name: { givenName: anna.first_name, familyName: anna.last_name }, externalId: anna.employee_id, active: true },
    ]);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((async () => (await fixture.startSync(single ? { employeeKey: anna.work_email } : {})).result())());
    expect(report.status).toBe('completed');
    expect(report.failuresTotal).toBe(0);
    expect(report.warnings.join('\n')).toContain(`the address's other spelling is held by Peakon user ${stale?.id} (inactive; Peakon tells an internationalised domain's two spellings apart): this user keeps its own spelling`);
    const after = fixture.sandbox.users();
    // The stale user was neither reactivated nor given Anna's HR id; her own user was updated and kept its spelling.
    expect(after.find((user) => user.id === stale?.id)).toMatchObject({ active: false, userName: 'anna@xn--exmple-cua.com' });
    expect(after.find((user) => user.id === stale?.id)?.externalId).toBeUndefined();
    expect(after.find((user) => user.id === own?.id)).toMatchObject({ active: true, externalId: anna.employee_id, userName: 'anna@exämple.com', locale: anna.locale });
    expect(after).toHaveLength(single ? 2 : 4);
    // The trace names the user matched, not the first spelling's.
    if (single) expect(report.trace?.[2]).toContain(`Peakon user ${own?.id}`);
  });

  /** Eight employees in HR, none in Peakon yet: the top manager and one of their direct reports, with workers running. */
  async function managerAndReport() {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(8, 2);
    fixture.writeEmployees(employees);
    const manager = employees.find((employee) => employee.manager_id === '')!;
    const report = employees.find((employee) => employee.manager_id === manager.employee_id)!;
    return { fixture, manager, report, workers: await fixture.startWorkers() };
  }

  it('syncs one employee on demand and traces read → map → match → action → result', async () => {
    const { fixture, manager, report, workers } = await managerAndReport();
    const [managerRun, reportRun]: SyncReport[] = await workers.runUntil(
      (async () => [await (await fixture.startSync({ employeeKey: manager.work_email })).result(), await (await fixture.startSync({ employeeKey: report.work_email.toUpperCase() })).result()])(),
    );
    expect(fixture.sandbox.users().map((user) => user.userName).sort()).toEqual([manager.work_email, report.work_email].sort());
    expect(reportRun?.trace?.map((step) => step.split(':')[0])).toEqual(['read', 'map', 'match', 'action', 'result']);
    expect(reportRun?.trace?.[2]).toContain('not in Peakon');
    expect(reportRun?.trace?.[4]).toMatch(/^result: created 1/);
    expect(managerRun?.counts.created).toBe(1);
    const stored = fixture.sandbox.users().find((user) => user.userName === report.work_email);
    expect(stored?.[PEAKON_USER_SCHEMA]?.Manager).toBe(manager.work_email);
    // The report's create carried its Manager (already in Peakon): one POST, no second write for the reference.
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET').map((op) => op.method)).toEqual(['POST', 'POST']);
    // Only the one employee was looked up: no listing of the whole tenant.
    expect(fixture.sandbox.ops().filter((op) => op.method === 'GET' && op.path.includes('/Users') && !op.path.includes('filter='))).toEqual([]);
  });

  it('syncs one employee whose manager is not in Peakon: the create Peakon refuses for the Manager is sent again without it, and says so', async () => {
    const { fixture, manager, report, workers } = await managerAndReport();
    const run: SyncReport = await workers.runUntil((async () => (await fixture.startSync({ employeeKey: report.work_email })).result())());
    expect(run.counts).toMatchObject({ created: 1, failed: 0 });
    expect(fixture.sandbox.users().map((user) => [user.userName, user[PEAKON_USER_SCHEMA]?.Manager])).toEqual([[report.work_email, undefined]]);
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET').map((op) => [op.method, op.status])).toEqual([
      ['POST', 400],
      ['POST', 201],
    ]);
    expect(run.warnings.join('\n')).toContain(`Manager (${manager.work_email}) not written: Peakon rejected it`);
  });

  it('prints plain progress lines on a non-terminal: phase, done/total, failures, operations and time left', async () => {
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 30 } } });
    fixture.writeEmployees(generateOrg(30, 3));
    const workers = await fixture.startWorkers();
    const written: string[] = [];
    const stream = { isTTY: false, write: (text: string) => written.push(text) };
    const report: SyncReport = await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync();
        const result = handle.result();
        await watchProgress(pipeline.temporal.client, handle.workflowId, result, stream, 100);
        return result;
      })(),
    );
    expect(report.counts.created).toBe(30);
    const text = written.join('');
    expect(text).not.toContain('\r');
    const lines = text.trim().split('\n');
    expect(lines.some((line) => /^phase 1 \(create(, wave \d+\/\d+)?\): \d+\/30 employees, 0 failed, \d+ operations, ~\S+ left at 1000000 ops\/h$/.test(line))).toBe(true);
    // A first load's creates carry every attribute (managers come in earlier waves), so phase 2 has nobody to write
    // (a run with nothing to update passes through phase 2 within one workflow task: no query sees it, no line shows it).
    expect(report.counts.updated ?? 0).toBe(0);
    expect(lines.filter((line) => /^phase 2 \(update\): \d+\/\d+ employees/.test(line))).toEqual([]);
    const createDone = lines.filter((line) => line.startsWith('phase 1')).map((line) => Number(/(\d+)\/30/.exec(line)?.[1]));
    expect(createDone).toEqual([...createDone].sort((a, b) => a - b));
    expect(new Set(lines).size).toBe(lines.length);
  });
});
