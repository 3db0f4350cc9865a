/**
 * `sync --employee` with an update whose new employee number (or, under `matching.key: employeeNumber`, new email)
 * another Peakon user holds. Peakon allows each once and refuses the whole write (409): a whole-tenant run leaves the
 * taken value out and writes the rest with a warning naming the holder (sync/plan.ts uniqueValuesTaken,
 * withoutTakenValues). The single-employee sync sees only the users its lookups found, and the holder is not among
 * them (it is looked up by the other field), so it looks the new value up (activities/plan.ts) and decides the same,
 * rather than fail the person's update as a conflict in every run. End to end: Temporal dev server, sandbox over real
 * HTTP.
 */
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { generateOrg, leaves } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

const reportLine = (report: SyncReport, employeeKey: string) => (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees.find((line) => line.employeeKey === employeeKey);
const teamOf = (user: ScimUser | undefined) => (user?.[PEAKON_USER_SCHEMA] as Record<string, unknown> | undefined)?.Team;
const numberOf = (user: ScimUser | undefined) => user?.[ENTERPRISE_USER_SCHEMA]?.employeeNumber;

type Fixture = Awaited<ReturnType<ReturnType<typeof usePipelineTests>['fixture']>>;

/** A small org in HR, and one of its leaves (nobody's manager), whose changes below touch nobody else. */
function orgWithPerson(fixture: Fixture) {
  const org = generateOrg(5, 2);
  const [person] = leaves(org);
  if (!person) throw new Error('the org has no leaves');
  fixture.writeEmployees(org);
  return { org, person };
}

/** Another Peakon user, not the connector's, holding `email` and employee number `number`. */
function seedHolder(fixture: Fixture, email: string, number: string): ScimUser {
  const [holder] = fixture.sandbox.seedUsers([
    {
      schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
      userName: email,
      emails: [{ value: email, primary: true }],
      name: { givenName: 'Someone', familyName: 'Else' },
      [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number },
      active: true,
    },
  ]);
  if (!holder) throw new Error('not seeded');
  return holder;
}

describe('sync --employee: an update whose new unique value another Peakon user holds', () => {
  const pipeline = usePipelineTests();

  it.each([
    ['email', 'employee number'],
    ['employeeNumber', 'email'],
  ] as const)('matching.key: %s, a new %s another user holds: left out with a warning naming the holder; the rest is written, no 409', async (matchingKey, what) => {
    const fixture = await pipeline.fixture();
    fixture.config.matching = { ...fixture.config.matching, key: matchingKey };
    const { org, person } = orgWithPerson(fixture);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const own = fixture.sandbox.users().find((user) => user.userName === person.work_email) as ScimUser;
        expect(own).toMatchObject({ externalId: person.employee_id, active: true });

        // Another Peakon user, not the connector's, holds the value HR now gives the person (with a change of team).
        const takenNumber = '99999';
        const takenEmail = 'taken.address@example.com';
        const holder = seedHolder(fixture, takenEmail, takenNumber);
        const changed = what === 'employee number' ? { employee_number: takenNumber } : { work_email: takenEmail };
        fixture.writeEmployees(org.map((employee) => (employee === person ? { ...employee, ...changed, team: 'Moved' } : employee)));
        const opsBefore = fixture.sandbox.ops().length;

        const employeeKey = matchingKey === 'email' ? person.work_email : person.employee_number;
        const single: SyncReport = await (await fixture.startSync({ employeeKey })).result();
        expect(single.status).toBe('completed');
        expect(single.counts).toMatchObject({ created: 0, updated: 1, failed: 0 });
        expect(single.failuresTotal).toBe(0);
        const warning = `the new ${what} is held by Peakon user ${holder.id} (active; Peakon allows each ${what} once, so it would refuse the update): left out of this write, whose other changes go without it`;
        expect(single.warnings.join('\n')).toContain(warning);
        expect(reportLine(single, employeeKey)).toMatchObject({ action: 'update', status: 'updated' });
        // Peakon was never asked to give the person the taken value.
        expect(fixture.sandbox.ops().slice(opsBefore).filter((op) => op.status === 409)).toEqual([]);

        const byId = new Map(fixture.sandbox.users().map((user) => [user.id, user]));
        const after = byId.get(own.id);
        expect(teamOf(after)).toBe('Moved');
        expect(after).toMatchObject({ userName: person.work_email, active: true });
        expect(numberOf(after)).toBe(person.employee_number);
        expect(byId.get(holder.id)).toMatchObject({ userName: takenEmail, active: true });
        expect(numberOf(byId.get(holder.id))).toBe(takenNumber);
        expect(teamOf(byId.get(holder.id))).toBeUndefined();
      })(),
    );
  });

  it("matching.key: employeeNumber, the person's number changed to one another user holds (a rename by HR id): the number waits, the rest goes to the person's own user, no 409", async () => {
    const fixture = await pipeline.fixture();
    fixture.config.matching = { ...fixture.config.matching, key: 'employeeNumber' };
    const { org, person } = orgWithPerson(fixture);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const own = fixture.sandbox.users().find((user) => user.userName === person.work_email) as ScimUser;
        const takenNumber = '99999';
        const holder = seedHolder(fixture, 'number.holder@example.com', takenNumber);
        fixture.writeEmployees(org.map((employee) => (employee === person ? { ...employee, employee_number: takenNumber, team: 'Moved' } : employee)));
        const opsBefore = fixture.sandbox.ops().length;

        const single: SyncReport = await (await fixture.startSync({ employeeKey: takenNumber })).result();
        expect(single.status).toBe('completed');
        expect(single.counts).toMatchObject({ created: 0, updated: 1, failed: 0 });
        expect(single.warnings.join('\n')).toContain(`the new employee number is held by Peakon user ${holder.id} (active; Peakon allows each employee number once, so it would refuse the update): left out of this write`);
        expect(fixture.sandbox.ops().slice(opsBefore).filter((op) => op.status === 409)).toEqual([]);
        const byId = new Map(fixture.sandbox.users().map((user) => [user.id, user]));
        expect(teamOf(byId.get(own.id))).toBe('Moved');
        expect(numberOf(byId.get(own.id))).toBe(person.employee_number);
        expect(teamOf(byId.get(holder.id))).toBeUndefined();
        expect(byId.get(holder.id)?.externalId).toBeUndefined();
      })(),
    );
  });
  it('matching.key: email, a create-only employee number that HR changed: not written, so not looked up (no extra request)', async () => {
    const fixture = await pipeline.fixture();
    fixture.config.mapping = { ...fixture.config.mapping, employeeNumber: { ...fixture.config.mapping.employeeNumber, onlyOnCreate: true } } as typeof fixture.config.mapping;
    const { org, person } = orgWithPerson(fixture);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        fixture.writeEmployees(org.map((employee) => (employee === person ? { ...employee, employee_number: '77777', team: 'Moved' } : employee)));
        const opsBefore = fixture.sandbox.ops().length;
        const single: SyncReport = await (await fixture.startSync({ employeeKey: person.work_email })).result();
        expect(single.counts).toMatchObject({ updated: 1, failed: 0 });
        const sent = fixture.sandbox.ops().slice(opsBefore);
        // The lookups by key (and the schema read), then the write: nobody is asked who holds 77777.
        expect(sent.filter((op) => decodeURIComponent(op.path).includes('employeeNumber'))).toEqual([]);
        const after = fixture.sandbox.users().find((user) => user.userName === person.work_email);
        expect(teamOf(after)).toBe('Moved');
        expect(numberOf(after)).toBe(person.employee_number);
      })(),
    );
  });
});
