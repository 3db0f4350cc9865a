/**
 * sync.discovery: filter with matching.key: employeeNumber, and a manager whose email this run changes: discovery
 * finds them by employee number under their old email, and their rename (the found update) is written in phase 2. A
 * new hire reporting to them is created in a later wave of phase 1, before Peakon knows the new email: a create that
 * carried Manager = <new email> was refused (400), sent again without it, and reported "Peakon rejected it". The
 * reference is left out of the create instead, in the words a listing plan gives it (sync/plan.ts
 * withoutUnreachableReferences), and written by the next run. End to end against the sandbox over HTTP and a Temporal
 * dev server.
 */
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';
import { usePipelineTests, withoutLeaverGuard } from '../harness/pipeline';

const reportLine = (report: SyncReport, employeeKey: string) => (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees.find((line) => line.employeeKey === employeeKey);

const OLD_EMAIL = 'mia.manager@old.example.com';
const NEW_EMAIL = 'mia.manager@new.example.com';

describe('sync.discovery: filter, matching.key: employeeNumber, and a manager this run renames', () => {
  const pipeline = usePipelineTests();

  it("leaves the new hire's Manager out of the create (renamed by this run), writes the rename, and the next run writes the Manager", async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    fixture.config.sync.discovery = 'filter';
    fixture.config.matching = { key: 'employeeNumber' };
    const org = generateOrg(3, 2);
    const top = org.find((employee) => employee.manager_id === '') as GeneratedEmployee;
    const [other, third] = org.filter((employee) => employee !== top) as [GeneratedEmployee, GeneratedEmployee];
    const manager: GeneratedEmployee = { ...top, work_email: NEW_EMAIL, employee_number: 'E-1' };
    const hire: GeneratedEmployee = { ...other, employee_number: 'E-2', manager_id: manager.employee_id };
    // Already in Peakon under the manager: their found update's Manager (Peakon serves the old email) is the new email.
    const report: GeneratedEmployee = { ...third, employee_number: 'E-3', manager_id: manager.employee_id };
    fixture.writeEmployees([manager, hire, report]);
    // The manager as Peakon holds them: their employee number, the email the HR system has since changed.
    const [stored, storedReport] = fixture.sandbox.seedUsers([
      { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: OLD_EMAIL, emails: [{ value: OLD_EMAIL, type: 'work', primary: true }], name: { givenName: manager.first_name, familyName: manager.last_name }, externalId: manager.employee_id, active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'E-1' } },
      { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: report.work_email, emails: [{ value: report.work_email, type: 'work', primary: true }], name: { givenName: report.first_name, familyName: report.last_name }, externalId: report.employee_id, active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'E-3' }, [PEAKON_USER_SCHEMA]: { Manager: OLD_EMAIL } },
    ]);
    const reportUser = () => fixture.sandbox.users().find((user) => user.id === storedReport?.id) as ScimUser;
    const managerUser = () => fixture.sandbox.users().find((user) => user.id === stored?.id) as ScimUser;
    const hireUser = () => fixture.sandbox.users().find((user) => user.externalId === hire.employee_id);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.status).toBe('completed');
        expect(first.counts).toMatchObject({ created: 1, failed: 0 });
        // One POST, the hire's, accepted: no create Peakon refused, nothing sent twice.
        const posts = fixture.sandbox.ops().filter((op) => op.method === 'POST');
        expect(posts.map((op) => op.status)).toEqual([201]);
        expect(fixture.sandbox.ops().filter((op) => (op.status ?? 0) >= 400)).toEqual([]);
        // Created without the Manager, which says why, in the listing plan's words.
        expect(hireUser()?.[PEAKON_USER_SCHEMA]?.['Manager']).toBeUndefined();
        const hireLine = reportLine(first, hire.employee_number);
        expect(hireLine).toMatchObject({ action: 'discover', status: 'created' });
        expect(hireLine?.warnings).toEqual([`Manager (${NEW_EMAIL}) left out: the person is renamed to it by this run; written by the next run`]);
        expect(JSON.stringify(first.warnings)).not.toContain('Peakon rejected it');
        // The manager's rename is written.
        expect(reportLine(first, manager.employee_number)).toMatchObject({ action: 'discover', status: 'updated' });
        expect(managerUser().userName).toBe(NEW_EMAIL);
        // The report already in Peakon: their found update's Manager left out in the same words, not raced against the
        // rename; Peakon's reference (the manager's user) now serves the new email.
        expect(reportLine(first, report.employee_number)?.warnings).toEqual([`Manager (${NEW_EMAIL}) left out: the person is renamed to it by this run; written by the next run`]);
        expect(reportUser()[PEAKON_USER_SCHEMA]?.['Manager']).toBe(NEW_EMAIL);

        // The next run finds the manager under the new email and writes the hire's Manager.
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.status).toBe('completed');
        expect(next.counts).toMatchObject({ created: 0, updated: 1, failed: 0 });
        expect(reportLine(next, hire.employee_number)).toMatchObject({ status: 'updated' });
        expect(reportLine(next, report.employee_number)).toMatchObject({ status: 'unchanged' });
        expect(JSON.stringify(next.warnings)).not.toContain('left out');
        expect(hireUser()?.[PEAKON_USER_SCHEMA]?.['Manager']).toBe(NEW_EMAIL);
        expect(fixture.sandbox.ops().filter((op) => op.method === 'POST')).toHaveLength(1);
        expect(fixture.sandbox.ops().filter((op) => (op.status ?? 0) >= 400)).toEqual([]);
      })(),
    );
  });
});
