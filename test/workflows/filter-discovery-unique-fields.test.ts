/**
 * sync.discovery: filter and a user whose email (as Peakon compares it) and employee number both differ from the HR
 * record. Peakon changes a user's email and employee number one at a time, never both in one request: a user another
 * tool stored under the Unicode spelling of an internationalised address (`anna@exämple.com`), found by discovery's
 * lookup of that second spelling, is respelled to the ASCII form the connector sends, and a new number in the same
 * PATCH had Peakon refuse the whole write (400), every run. Discovery now writes one of them this run, as a listing
 * plan does (sync/plan.ts oneUniqueFieldAtATime), and the other the next run. End to end against the sandbox over HTTP
 * and a Temporal dev server; the sandbox refuses both at once for a user who already has a number.
 */
import { readFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { scimStepActivities, type DiscoverInput, type DiscoverResult } from '../../activities/employee';
import type { RunReportFile } from '../../activities/report';
import { emailMatchKey } from '../../mapping/email';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

const reportLine = (report: SyncReport, employeeKey: string) => (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees.find((line) => line.employeeKey === employeeKey);

const UNICODE = 'anna@exämple.com';
const ASCII = 'anna@xn--exmple-cua.com';

describe('sync.discovery: filter and a found user whose email and employee number both differ', () => {
  const pipeline = usePipelineTests();

  it('changes one of them per run, as a listing plan does, instead of a write Peakon refuses every run', async () => {
    const fixture = await pipeline.fixture();
    fixture.config.sync.discovery = 'filter';
    const org = generateOrg(3, 2);
    const managers = new Set(org.map((employee) => employee.manager_id));
    const leaf = org.find((employee) => !managers.has(employee.employee_id)) as GeneratedEmployee;
    const person: GeneratedEmployee = { ...leaf, work_email: UNICODE, employee_number: 'E-2' };
    fixture.writeEmployees(org.map((employee) => (employee === leaf ? person : employee)));
    // Stored by another tool under the Unicode spelling, with the number the HR system has since changed.
    const [stored] = fixture.sandbox.seedUsers([{ schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: UNICODE, emails: [{ value: UNICODE, type: 'work', primary: true }], name: { givenName: person.first_name, familyName: person.last_name }, active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'E-1' } }]);
    const user = () => fixture.sandbox.users().find((candidate) => candidate.id === stored?.id) as ScimUser;
    const emailChanged = () => user().userName === ASCII;
    const numberChanged = () => user()[ENTERPRISE_USER_SCHEMA]?.employeeNumber === 'E-2';
    const key = emailMatchKey(UNICODE);
    expect(key).toBe(ASCII);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        // What a listing plan does with the same user: writes the respelled email, the number waits, with a warning.
        const listed: SyncReport = await (await fixture.startSync({ dryRun: true, config: { ...fixture.config, sync: { ...fixture.config.sync, discovery: 'list' } } })).result();
        const listLine = reportLine(listed, key);
        expect(listLine).toMatchObject({ action: 'update' });
        expect(listLine?.changes?.map((change) => change.field)).toContain('userName');
        expect(listLine?.changes?.map((change) => change.field)).not.toContain('employeeNumber');
        expect(listLine?.warnings).toEqual([expect.stringContaining('the new employee number (E-2) waits for the next run')]);

        // Discovery's own result carries the same write and the same warning (over HTTP, both spellings looked up).
        const { discoverEmployee } = scimStepActivities({ reportDirectory: '/nonexistent', resolveSecret: () => fixture.sandbox.token, createSource: () => { throw new Error('no HR source here'); } });
        const desiredUser = { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: ASCII, emails: [{ value: ASCII, type: 'work', primary: true }], name: { givenName: person.first_name, familyName: person.last_name }, externalId: person.employee_id, active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'E-2' } };
        const input: DiscoverInput = {
          run: { tenant: fixture.config.tenant, runId: 'peakon-sync/unique-fields' },
          peakon: { baseUrl: fixture.sandbox.baseUrl, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 5_000, operationsPerHour: 1_000_000 },
          ref: 'employee-ref',
          updateMethod: 'patch',
          matchingKey: 'email',
          userName: ASCII,
          desired: { user: desiredUser, references: {}, createOnly: [], sourceId: person.employee_id },
        };
        const found: DiscoverResult = await new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') }).run(discoverEmployee, input);
        expect(found.peakonUserId).toBe(stored?.id);
        expect(found.update?.changes.map((change) => change.field)).toContain('userName');
        expect(found.update?.changes.map((change) => change.field)).not.toContain('employeeNumber');
        expect(found.warnings).toEqual(listLine?.warnings);

        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.status).toBe('completed');
        expect(first.counts).toMatchObject({ failed: 0 });
        const firstLine = reportLine(first, key);
        expect(firstLine?.status).not.toBe('failed');
        expect(firstLine).toMatchObject({ action: 'discover', status: 'updated' });
        // The report says why the number waits, in the listing plan's words.
        expect(firstLine?.warnings).toEqual(listLine?.warnings);
        // Exactly one of the two changed: the email, as the listing plan writes it; the number is Peakon's still.
        expect([emailChanged(), numberChanged()].filter(Boolean)).toHaveLength(1);
        expect(emailChanged()).toBe(true);

        const second: SyncReport = await (await fixture.startSync()).result();
        expect(second.status).toBe('completed');
        expect(second.counts).toMatchObject({ failed: 0 });
        expect(reportLine(second, key)).toMatchObject({ action: 'discover', status: 'updated' });
        expect(emailChanged()).toBe(true);
        expect(numberChanged()).toBe(true);
        // Nobody created beside them: the one user holds the person's HR id now.
        expect(fixture.sandbox.users()).toHaveLength(org.length);
        expect(user().externalId).toBe(person.employee_id);
        // No write was refused.
        expect(fixture.sandbox.ops().filter((op) => (op.status ?? 0) >= 400)).toEqual([]);
      })(),
    );
  });
});
