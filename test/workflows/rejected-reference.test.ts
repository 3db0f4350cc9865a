/**
 * Phase 2 when Peakon rejects an employee reference (a manager removed from Peakon between the plan and the write):
 * the rest of the employee's change is written and the reference reported, end to end against the sandbox, which
 * validates every Manager against the users it holds.
 */
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { DEFAULT_TENANT_SCHEMA } from '../../sandbox/tenant-schema';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';
import { pastItsPlan } from '../harness/progress';
import { usePipelineTests, withoutLeaverGuard, type PipelineFixture } from '../harness/pipeline';

const byEmail = (fixture: PipelineFixture) => new Map(fixture.sandbox.users().map((user) => [String(user.userName).toLowerCase(), user]));

/** A root and two reports (the generator may list a manager after their reports). */
function rootWithTwoReports(): { org: GeneratedEmployee[]; root: GeneratedEmployee; reports: [GeneratedEmployee, GeneratedEmployee] } {
  const org = generateOrg(3, 2);
  const root = org.find((person) => person.manager_id === '');
  const [first, second] = org.filter((person) => person !== root);
  if (!root || !first || !second) throw new Error('the generated org is not a root with two reports');
  return { org, root, reports: [first, second] };
}

describe('a reference Peakon rejects in phase 2', () => {
  const pipeline = usePipelineTests();

  it('writes the rest of the change, reports the reference, and fails nobody', async () => {
    const fixture = await pipeline.fixture({ slowAnswers: true });
    const { root, reports: [newManager, employee] } = rootWithTwoReports();
    withoutLeaverGuard(fixture);
    fixture.writeEmployees([root, newManager, employee]);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.counts.created).toBe(3);

        // The employee moves under the new manager and changes their family name.
        fixture.writeEmployees([root, newManager, { ...employee, manager_id: newManager.employee_id, last_name: 'Moved' }]);
        // Every request waits 1.5 s in the sandbox before it is handled: the manager disappears after the plan read
        // them and before the employee's write is validated.
        fixture.sandbox.setFaults({ latencyMs: 1_500 });
        const handle = await fixture.startSync();
        await pastItsPlan(handle);
        const manager = byEmail(fixture).get(newManager.work_email) as ScimUser;
        // An admin changed the manager's address in Peakon: no employee has the address the plan references any more.
        fixture.sandbox.storeRawUser(manager.id, { ...manager, userName: 'someone.else@example.org', emails: [{ value: 'someone.else@example.org', type: 'work', primary: true }] });

        const second: SyncReport = await handle.result();
        fixture.sandbox.setFaults({ latencyMs: 0 });
        expect(second.failures).toEqual([]);
        expect(second.counts).toMatchObject({ updated: 1, failed: 0 });
        expect(second.warnings).toEqual([expect.stringMatching(new RegExp(`Manager \\(${newManager.work_email.replace(/[.]/g, '\\.')}\\) not written: Peakon rejected it`))]);
        const stored = byEmail(fixture).get(employee.work_email) as ScimUser;
        expect(stored.name?.familyName).toBe('Moved');
        expect(stored[PEAKON_USER_SCHEMA]?.Manager).toBe(root.work_email);
      })(),
    );
  });

  it('updateMethod put: a create whose references Peakon rejected gets its deferred reference in phase 2, without the rejected one', async () => {
    // Two employee attributes, Manager and Buddy. Two new hires: the buddy reports to the hire, and the hire's Buddy
    // is that report (a cycle across the two attributes, listed report first). So the hire is created first, carrying
    // its Manager (the root, already in Peakon) and deferring its Buddy to phase 2, whose PUT is built from that create's
    // body. The root is renamed in Peakon between the plan and the creates: Peakon rejects the hire's Manager, and the
    // hire is created without it. Before, the PUT re-sent the rejected Manager: Peakon rejected it again (and the retry
    // without the Buddy), and the hire failed with its Buddy never written.
    const fixture = await pipeline.fixture({ sandbox: { schema: [...DEFAULT_TENANT_SCHEMA, { name: 'Buddy', type: 'employee' }] }, slowAnswers: true });
    fixture.config.sync = { ...fixture.config.sync, updateMethod: 'put' };
    fixture.config.mapping = { ...fixture.config.mapping, attributes: { ...fixture.config.mapping.attributes, Buddy: { employeeRef: 'buddy_id', matchOn: 'id', trim: true, onlyOnCreate: false } } };
    withoutLeaverGuard(fixture);
    const [root, generatedHire, generatedBuddy] = generateOrg(3, 2);
    if (!root || !generatedHire || !generatedBuddy) throw new Error('generateOrg(3) gave fewer than three people');
    const withBuddy = (person: GeneratedEmployee, managerId: string, buddyId: string) => ({ ...person, manager_id: managerId, buddy_id: buddyId }) as GeneratedEmployee;
    const hire = withBuddy(generatedHire, root.employee_id, generatedBuddy.employee_id);
    const buddy = withBuddy(generatedBuddy, hire.employee_id, '');
    fixture.writeEmployees([withBuddy(root, '', '')]);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(1);
        fixture.writeEmployees([withBuddy(root, '', ''), buddy, hire]);
        fixture.sandbox.setFaults({ latencyMs: 1_500 });
        const handle = await fixture.startSync();
        await pastItsPlan(handle);
        const manager = byEmail(fixture).get(root.work_email) as ScimUser;
        fixture.sandbox.storeRawUser(manager.id, { ...manager, userName: 'renamed.root@example.org', emails: [{ value: 'renamed.root@example.org', type: 'work', primary: true }] });

        const report: SyncReport = await handle.result();
        fixture.sandbox.setFaults({ latencyMs: 0 });
        expect(report.failures).toEqual([]);
        expect(report.counts).toMatchObject({ created: 2, failed: 0 });
        expect(report.warnings).toEqual([expect.stringMatching(new RegExp(`^${hire.work_email.replace(/[.]/g, '\\.')}: Manager \\(${root.work_email.replace(/[.]/g, '\\.')}\\) not written: Peakon rejected it`))]);
        const users = byEmail(fixture);
        // The hire: no Manager (rejected), its Buddy written by the phase-2 PUT; the buddy reports to the hire.
        expect((users.get(hire.work_email) as ScimUser)[PEAKON_USER_SCHEMA]).toMatchObject({ Buddy: buddy.work_email });
        expect((users.get(hire.work_email) as ScimUser)[PEAKON_USER_SCHEMA]?.Manager).toBeUndefined();
        expect((users.get(buddy.work_email) as ScimUser)[PEAKON_USER_SCHEMA]?.Manager).toBe(hire.work_email);
        expect(fixture.sandbox.ops().filter((op) => op.method === 'PUT').map((op) => op.status)).toEqual([200]);
      })(),
    );
  });

  it.each(['patch', 'put'] as const)('a planned update whose only change is a new manager Peakon could not create sends nothing and is not counted updated (%s)', async (updateMethod) => {
    const fixture = await pipeline.fixture({ slowAnswers: true });
    fixture.config.sync = { ...fixture.config.sync, updateMethod };
    const { org, root, reports: [mover, other] } = rootWithTwoReports();
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.counts.created).toBe(3);

        // A new hire becomes the mover's manager; another user takes the hire's employee number between the plan (whose
        // listing would have seen it, and skipped the hire) and the create, so Peakon answers the create with 409 and
        // the hire fails.
        const hire = { ...(other), employee_id: 'H9001', work_email: 'new.hire@example.com', employee_number: '99001', manager_id: root.employee_id };
        fixture.writeEmployees([...org.map((person) => (person === mover ? { ...mover, manager_id: hire.employee_id } : person)), hire]);
        const moverId = (byEmail(fixture).get(mover.work_email) as ScimUser).id;
        const opsBefore = fixture.sandbox.ops().length;
        fixture.sandbox.setFaults({ latencyMs: 1_500 });
        const handle = await fixture.startSync();
        await pastItsPlan(handle);
        fixture.sandbox.seedUsers([{ schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: 'squatter@example.com', emails: [{ value: 'squatter@example.com', primary: true }], name: { givenName: 'S', familyName: 'Q' }, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: hire.employee_number } }]);
        const second: SyncReport = await handle.result();
        fixture.sandbox.setFaults({ latencyMs: 0 });

        expect(second.counts).toMatchObject({ failed: 1, updated: 0 });
        // The plan had the mover as its one update (root and other unchanged); the mover ends unchanged too.
        expect(second.planned).toMatchObject({ update: 1, unchanged: 2 });
        expect(second.counts).toMatchObject({ created: 0, updated: 0, unchanged: 3, failed: 1, skipped: 0 });
        const lines = (JSON.parse(readFileSync(second.reportPath ?? '', 'utf8')) as RunReportFile).employees;
        const moverLine = lines.find((line) => line.employeeKey === mover.work_email);
        expect(moverLine).toMatchObject({ action: 'update', status: 'unchanged', changes: [] });
        expect(moverLine?.warnings).toContainEqual(expect.stringMatching(/Manager \(.*\) left out: that person could not be created/));
        expect(lines.filter((line) => line.status === 'unchanged').map((line) => line.employeeKey).sort()).toEqual([root, mover, other].map((person) => person.work_email).sort());
        expect(second.failures.map((failure) => failure.employeeKey)).toEqual([hire.work_email]);
        expect(second.warnings).toContainEqual(expect.stringMatching(new RegExp(`Manager \\(${hire.work_email.replace(/[.]/g, '\\.')}\\) left out: that person could not be created`)));
        // No write reached the mover: not a PATCH Peakon rejects, not one that changes nothing.
        expect(fixture.sandbox.ops().slice(opsBefore).filter((op) => op.method !== 'GET' && op.method !== 'POST')).toEqual([]);
        expect((byEmail(fixture).get(mover.work_email) as ScimUser)[PEAKON_USER_SCHEMA]?.Manager).toBe(root.work_email);
        expect(moverId).toBeDefined();
      })(),
    );
  });
});
