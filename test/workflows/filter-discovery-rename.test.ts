/**
 * sync.discovery: filter never lists the tenant, so it never decides leavers: a renamed employee (new email, same HR id)
 * that discovery does not find by key must not be created beside their old Peakon user, who would stay active for good
 * (two active users, survey history split). End to end against the sandbox over HTTP and a Temporal dev server.
 */
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { keyCollision } from '../../sync/plan';
import type { SyncReport } from '../../sync/report';
import type { EmployeeOutcome } from '../../sync/types';
import { DISCOVERY_REQUESTS_AT_MOST } from '../../workflows/activity-options';
import { employeeWorkflowId, scimTaskQueue } from '../../workflows/ids';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';
import { TEST_TUNING, usePipelineTests, withoutLeaverGuard } from '../harness/pipeline';

/** The run's report file line of one employee. */
const reportLine = (report: SyncReport, employeeKey: string) => (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees.find((line) => line.employeeKey === employeeKey);

/** Someone nobody reports to: no manager reference to the new email is in play. */
function leaf(org: GeneratedEmployee[]): GeneratedEmployee {
  const managers = new Set(org.map((employee) => employee.manager_id));
  const found = org.find((employee) => !managers.has(employee.employee_id));
  if (!found) throw new Error('the generated org has no leaf');
  return found;
}

describe('sync.discovery: filter with a renamed employee (new email, same HR id)', () => {
  const pipeline = usePipelineTests();

  /** A filter-discovery tenant of `size` people (no leaver guard), one of them (a leaf) to be given a new email. */
  async function renameSetup(size: number) {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    fixture.config.sync.discovery = 'filter';
    const org = generateOrg(size, 2);
    const person = leaf(org);
    const newEmail = person.work_email.replace(/@.*$/, '@renamed.example.com');
    fixture.writeEmployees(org);
    return { fixture, org, person, newEmail, workers: await fixture.startWorkers() };
  }

  it.each([
    ['email and employee number changed (the POST would create a second user)', true],
    ['only the email changed (the POST would be refused 409 on the employee number, every run)', false],
  ])('%s: not created again, skipped with the reason; the old user stays the only one holding the HR id', async (_case, numberChanges) => {
    const { fixture, org, person, newEmail, workers } = await renameSetup(6);
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.counts).toMatchObject({ created: 6, failed: 0 });
        const old = fixture.sandbox.users().find((user) => user.externalId === person.employee_id);
        expect(old?.userName).toBe(person.work_email);

        fixture.writeEmployees(org.map((employee) => (employee === person ? { ...employee, work_email: newEmail, ...(numberChanges ? { employee_number: `9${employee.employee_number}` } : {}) } : employee)));
        const opsBefore = fixture.sandbox.ops().length;
        const second: SyncReport = await (await fixture.startSync()).result();

        expect(second.status).toBe('completed');
        expect(second.counts).toMatchObject({ created: 0, skipped: 1, failed: 0 });
        const runOps = fixture.sandbox.ops().slice(opsBefore);
        expect(runOps.filter((op) => op.method !== 'GET')).toEqual([]);
        // Every request counted: the extra lookup by HR id included.
        expect(second.operations).toBe(runOps.length);
        expect(runOps.filter((op) => op.method === 'GET' && decodeURIComponent(op.path).includes(`externalId eq "${person.employee_id}"`))).toHaveLength(1);
        // One Peakon user holds the HR id, the old one, still active and unchanged.
        const holders = fixture.sandbox.users().filter((user) => user.externalId === person.employee_id);
        expect(holders).toHaveLength(1);
        expect(holders[0]).toMatchObject({ id: old?.id, userName: person.work_email, active: true });
        expect(holders[0]?.[ENTERPRISE_USER_SCHEMA]?.employeeNumber).toBe(person.employee_number);
        expect(fixture.sandbox.users()).toHaveLength(6);
        // The employee's outcome and report line say why, naming the Peakon user's id, never the emails.
        const line = reportLine(second, newEmail);
        expect(line).toMatchObject({ action: 'discover', status: 'skipped', error: expect.stringContaining(`Peakon user ${old?.id} already holds this HR id`) });
        const employeeHandle = pipeline.temporal.client.workflow.getHandle(employeeWorkflowId(second.runId, 'create', line?.employeeRef ?? ''));
        const outcome: EmployeeOutcome = await employeeHandle.result();
        // Two lookups, each its own activity on the tenant's rate-limited queue (one request per activity: the queue's
        // rate paces every request), by key and then by HR id.
        const scheduled = (await employeeHandle.fetchHistory()).events?.map((event) => event.activityTaskScheduledEventAttributes).filter((attributes) => attributes?.activityType?.name === 'discoverEmployee');
        expect(scheduled?.map((attributes) => attributes?.taskQueue?.name)).toEqual([scimTaskQueue(pipeline.temporal.taskQueue, fixture.config.tenant), scimTaskQueue(pipeline.temporal.taskQueue, fixture.config.tenant)]);
        // Older discoveries (runs recorded before) sent both in one attempt: its timeout still covers that many.
        expect(scheduled?.map((attributes) => Number(attributes?.startToCloseTimeout?.seconds))).toEqual([1, 1].map(() => (DISCOVERY_REQUESTS_AT_MOST * (TEST_TUNING.scimActivityTimeoutMs as number)) / 1000));
        expect(outcome).toMatchObject({ status: 'skipped', peakonUserId: old?.id });
        expect(outcome.reason).toContain(`Peakon user ${old?.id} already holds this HR id as externalId under another email: not created`);
        expect(outcome.reason).not.toContain(person.work_email);
        expect(outcome.reason).not.toContain(newEmail);
      })(),
    );
  });

  it("a new hire given a renamed colleague's old email is skipped, not written over the colleague's user; a user carrying an id no record has is still adopted", async () => {
    const { fixture, org, person, newEmail, workers } = await renameSetup(6);
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts).toMatchObject({ created: 6, failed: 0 });
        const old = fixture.sandbox.users().find((user) => user.externalId === person.employee_id) as ScimUser;
        expect(old.userName).toBe(person.work_email);
        // The control: a user another system provisioned (its externalId no record of the read carries), whose email a
        // record of the read has. Adopted and updated as before.
        const [okta] = fixture.sandbox.seedUsers([{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'okta.user@example.org', externalId: 'OKTA-00u1abc', name: { givenName: 'Okta', familyName: 'User' }, emails: [{ value: 'okta.user@example.org', primary: true }], active: true }]);
        const adoptee: GeneratedEmployee = { ...person, employee_id: 'H9001', first_name: 'Ada', last_name: 'Opted', work_email: 'okta.user@example.org', employee_number: '99001' };
        // The person's email changes; the HR system gives their old one to a new hire, in the same export.
        const hire: GeneratedEmployee = { ...person, employee_id: 'H9000', first_name: 'Newt', last_name: 'Hire', employee_number: '99000' };
        // The new hire's own report, also new: their Manager (the hire's email) must not name the colleague's user.
        const report: GeneratedEmployee = { ...person, employee_id: 'H9002', first_name: 'Rey', last_name: 'Port', work_email: 'rey.port@example.com', employee_number: '99002', manager_id: 'H9000' };
        // And someone already in Peakon moves under the new hire: found by discovery with the Manager as its change.
        const mover = org.find((employee) => employee !== person && employee.manager_id !== '') as GeneratedEmployee;
        const moverBefore = fixture.sandbox.users().find((user) => user.externalId === mover.employee_id) as ScimUser;
        expect(moverBefore[PEAKON_USER_SCHEMA]?.['Manager']).toBeDefined();
        fixture.writeEmployees([...org.map((employee) => (employee === person ? { ...employee, work_email: newEmail } : employee === mover ? { ...employee, manager_id: 'H9000' } : employee)), hire, adoptee, report]);

        const opsBefore = fixture.sandbox.ops().length;
        const second: SyncReport = await (await fixture.startSync()).result();
        expect(second.status).toBe('completed');
        // The renamed person (their own user holds their HR id) and the new hire skipped; the control updated; the
        // hire's report created without a Manager (left out, as for a manager whose create failed).
        expect(second.counts).toMatchObject({ created: 1, updated: 1, skipped: 2, failed: 0 });
        const writes = fixture.sandbox.ops().slice(opsBefore).filter((op) => op.method !== 'GET');
        expect(writes.map((op) => op.method).sort()).toEqual(['PATCH', 'POST']);
        expect(writes.find((op) => op.method === 'PATCH')?.path.endsWith(`/Users/${okta?.id}`)).toBe(true);
        const reportUser = fixture.sandbox.users().find((user) => user.externalId === 'H9002');
        expect(reportUser?.[PEAKON_USER_SCHEMA]?.['Manager']).toBeUndefined();
        expect(reportLine(second, report.work_email)?.warnings).toContainEqual(expect.stringMatching(/^Manager \(.*\) left out: that person could not be created/));
        // The mover's found update had the hire as its only change: left out, the mover unchanged, their manager as it was.
        expect(fixture.sandbox.users().find((user) => user.id === moverBefore.id)?.[PEAKON_USER_SCHEMA]?.['Manager']).toBe(moverBefore[PEAKON_USER_SCHEMA]?.['Manager']);
        expect(reportLine(second, mover.work_email)).toMatchObject({ status: 'unchanged', warnings: [expect.stringMatching(/^Manager \(.*\) left out: that person could not be created/)] });

        // The colleague's user as it was: their HR id, name and number; nobody created beside it.
        expect(fixture.sandbox.users().find((user) => user.id === old.id)).toEqual(old);
        expect(fixture.sandbox.users()).toHaveLength(8);
        const line = reportLine(second, person.work_email);
        const reason = keyCollision({ id: old.id }, 'email')?.reason;
        expect(reason).toBeDefined();
        expect(line).toMatchObject({ action: 'discover', status: 'skipped', error: reason });
        const outcome: EmployeeOutcome = await pipeline.temporal.client.workflow.getHandle(employeeWorkflowId(second.runId, 'create', line?.employeeRef ?? '')).result();
        // Skipped, so not owned through the new hire (a skipped create takes nobody on).
        expect(outcome).toMatchObject({ status: 'skipped', reason });
        expect(reportLine(second, newEmail)).toMatchObject({ status: 'skipped', error: expect.stringContaining(`Peakon user ${old.id} already holds this HR id`) });

        // The control: adopted and updated, its externalId now the record's HR id.
        expect(reportLine(second, adoptee.work_email)).toMatchObject({ status: 'updated' });
        expect(fixture.sandbox.users().find((user) => user.id === okta?.id)).toMatchObject({ externalId: 'H9001', name: { givenName: 'Ada', familyName: 'Opted' }, active: true });
      })(),
    );
  });

  it('an old user that does not fit the SCIM schema holds the HR id: skipped and named, not failed, by filter discovery and by sync --employee', async () => {
    const { fixture, org, person, newEmail, workers } = await renameSetup(4);
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts).toMatchObject({ created: 4, failed: 0 });
        const old = fixture.sandbox.users().find((user) => user.externalId === person.employee_id) as ScimUser;
        const raw = { ...old, name: { ...old.name, givenName: 42 } };
        fixture.sandbox.storeRawUser(old.id, raw);
        fixture.writeEmployees(org.map((employee) => (employee === person ? { ...employee, work_email: newEmail } : employee)));

        const opsBefore = fixture.sandbox.ops().length;
        const filtered: SyncReport = await (await fixture.startSync()).result();
        expect(filtered.status).toBe('completed');
        expect(filtered.counts).toMatchObject({ created: 0, skipped: 1, failed: 0 });
        expect(reportLine(filtered, newEmail)).toMatchObject({ status: 'skipped', error: expect.stringContaining(`Peakon user ${old.id} holds this HR id as externalId but could not be read (name.givenName do not fit the SCIM User schema): left alone this run, not created`) });

        const single: SyncReport = await (await fixture.startSync({ employeeKey: newEmail })).result();
        expect(single.status).toBe('completed');
        expect(single.counts).toMatchObject({ created: 0, updated: 0, skipped: 1, failed: 0 });
        expect(single.warnings).toEqual(expect.arrayContaining([expect.stringContaining(`Peakon user ${old.id} (${person.work_email}) does not fit the SCIM User schema (name.givenName)`)]));

        // Nothing written, nobody created beside them, the old user as it was.
        expect(fixture.sandbox.ops().slice(opsBefore).filter((op) => op.method !== 'GET')).toEqual([]);
        expect(fixture.sandbox.users()).toHaveLength(4);
        expect(fixture.sandbox.users().find((user) => user.id === old.id)).toEqual(raw);
      })(),
    );
  });

  it('someone the HR system marks inactive and Peakon does not hold costs one GET (by key), no second by HR id', async () => {
    const fixture = await pipeline.fixture();
    fixture.config.sync.discovery = 'filter';
    // leavers.action: off discovers them (to switch off as an ordinary update, were they in Peakon); other actions skip
    // them at plan time, unguarded.
    fixture.config.leavers = { ...fixture.config.leavers, action: 'off' };
    const org = generateOrg(4, 2);
    const person = leaf(org);
    fixture.writeEmployees(org.map((employee) => (employee === person ? { ...employee, status: 'Terminated' } : employee)));
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(report.counts).toMatchObject({ created: 3, skipped: 1, failed: 0 });
    expect(reportLine(report, person.work_email)).toMatchObject({ status: 'skipped', error: expect.stringContaining('inactive in the HR system and not in Peakon: not created') });
    const theirs = fixture.sandbox.ops().filter((op) => {
      const path = decodeURIComponent(op.path);
      return path.includes(person.work_email) || path.includes(`externalId eq "${person.employee_id}"`);
    });
    expect(theirs.map((op) => op.method)).toEqual(['GET']);
    expect(report.operations).toBe(fixture.sandbox.ops().length);
  });

  it('still creates a new hire (one more GET, by HR id, before the POST)', async () => {
    const fixture = await pipeline.fixture();
    fixture.config.sync.discovery = 'filter';
    const org = generateOrg(4, 2);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(report.counts).toMatchObject({ created: 4, failed: 0 });
    const ops = fixture.sandbox.ops();
    expect(ops.filter((op) => op.method === 'GET' && decodeURIComponent(op.path).includes('externalId eq'))).toHaveLength(4);
    expect(ops.filter((op) => op.method === 'POST')).toHaveLength(4);
    expect(report.operations).toBe(ops.length);
  });
});
