/**
 * A single-employee sync does not send a reference Peakon would give to another person. Colleague B's email changed in
 * the HR system (x@ → y@) and their old address x@ went to A, whom the synced report R now reports to. Until a full run
 * renames B's user, that user still holds x@ (with B's HR id): `sync --employee R` sending `Manager: x@` would point
 * R's manager at B. The one-person sync looks the reference's email up, finds another record's person holding it, and
 * leaves the reference out with a warning, as a whole-tenant run does. End to end: Temporal dev server, sandbox over
 * real HTTP.
 */
import { PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

describe("a single-employee sync whose Manager's email another person's user still holds", () => {
  const pipeline = usePipelineTests();

  it('leaves the Manager out with a warning, and writes the rest', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(4, 2);
    const root = org.find((employee) => employee.manager_id === '')!;
    const [newManager, report, colleague] = org.filter((employee) => employee !== root);
    if (!newManager || !report || !colleague) throw new Error('the fixture has too few employees');
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts).toMatchObject({ created: 4, failed: 0 });
        const oldEmail = colleague.work_email;
        // The colleague moves to a new address; theirs goes to the new manager, whom the report now reports to.
        fixture.writeEmployees(
          org.map((employee) =>
            employee === colleague ? { ...employee, work_email: `moved.${oldEmail}` } : employee === newManager ? { ...employee, work_email: oldEmail } : employee === report ? { ...employee, manager_id: newManager.employee_id, team: 'Moved' } : employee,
          ),
        );
        const opsBefore = fixture.sandbox.ops().length;
        const single: SyncReport = await (await fixture.startSync({ employeeKey: report.work_email })).result();
        expect(single.status).toBe('completed');
        expect(single.counts).toMatchObject({ updated: 1, failed: 0 });
        expect(single.warnings).toEqual(expect.arrayContaining([expect.stringContaining(`Manager (${oldEmail}) left out: another Peakon user holds the person's email`)]));
        // One GET more than before: a lookup of the reference's email.
        expect(fixture.sandbox.ops().slice(opsBefore).filter((op) => op.method === 'GET' && decodeURIComponent(op.path).includes(`"${oldEmail}"`))).toHaveLength(1);
        const stored = fixture.sandbox.users().find((user) => user.externalId === report.employee_id) as ScimUser;
        expect(stored[PEAKON_USER_SCHEMA]?.Team).toBe('Moved');
        // Not pointed at the colleague's user (which still holds the old address).
        expect(stored[PEAKON_USER_SCHEMA]?.Manager).toBe(root.work_email);
      })(),
    );
  });
});
