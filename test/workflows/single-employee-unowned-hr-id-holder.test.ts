/**
 * `sync --employee` whose lookup by key finds a user carrying the person's HR id that the connector does not own
 * (another system that writes HR ids as externalId made it), while the connector owns the person's real user under
 * their old email. A whole-tenant run keeps a key match only when it is the record's own user (renamedUsers): it
 * renames the owned user and leaves the other alone. The single-employee sync decides the same (sync/plan.ts
 * singleRename), rather than adopt the other user, after which the next whole-tenant run would find two owned users
 * with the id, match the adopted one by key and switch the person's real user off as a leaver. End to end: Temporal
 * dev server, sandbox over real HTTP.
 */
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { ledgerStoreFromEnv } from '../../ownership/store';
import { PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { defaultPayloadDirectory } from '../../worker/environment';
import { generateOrg, leaves } from '../fixtures/org';
import { usePipelineTests, withoutLeaverGuard } from '../harness/pipeline';

const reportLine = (report: SyncReport, employeeKey: string) => (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees.find((line) => line.employeeKey === employeeKey);

describe('sync --employee: a user by key carrying the HR id that the connector does not own', () => {
  const pipeline = usePipelineTests();

  it.each([
    ['active', true],
    ['inactive', false],
  ])('is not adopted (%s): the connector\'s own user is matched by HR id, and the next whole-tenant run switches nobody off', async (_state, active) => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    const org = generateOrg(5, 2);
    const [person] = leaves(org);
    if (!person) throw new Error('the org has no leaves');
    const newEmail = person.work_email.replace('@example.com', '@renamed.example.com');
    fixture.writeEmployees(org);
    const ledger = ledgerStoreFromEnv(process.env, defaultPayloadDirectory());
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const own = fixture.sandbox.users().find((user) => user.userName === person.work_email) as ScimUser;
        expect(own).toMatchObject({ externalId: person.employee_id, active: true });
        expect((await ledger.read(fixture.config.tenant)).owned).toContain(own.id);

        // The HR system changes the person's email (and team); before any full run renames their user, another
        // integration writing HR ids as externalId has made a user with the new email.
        fixture.writeEmployees(org.map((employee) => (employee === person ? { ...employee, work_email: newEmail, team: 'Moved' } : employee)));
        const [other] = fixture.sandbox.seedUsers([
          {
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName: newEmail,
            externalId: person.employee_id,
            name: { givenName: 'Other', familyName: 'Integration' },
            emails: [{ value: newEmail, primary: true }],
            active,
          },
        ]);
        if (!other) throw new Error('not seeded');

        const single: SyncReport = await (await fixture.startSync({ employeeKey: newEmail })).result();
        expect(single.status).toBe('completed');
        expect(single.counts).toMatchObject({ created: 0, updated: 1, failed: 0 });
        const line = reportLine(single, newEmail);
        expect(line).toMatchObject({ action: 'update', status: 'updated' });
        expect(line).not.toHaveProperty('adopted');
        expect(line?.reason).toContain(`Peakon user ${other.id} has this email and this person's HR id as externalId but the connector does not own it, so it is not adopted: the connector's own Peakon user ${own.id}`);
        expect(single.trace?.join('\n')).toContain('the connector does not own it');
        // The email waits (the other user holds it); the team goes to the person's own user; the other is untouched.
        const byId = new Map(fixture.sandbox.users().map((user) => [user.id, user]));
        expect(byId.get(own.id)).toMatchObject({ userName: person.work_email, active: true });
        expect((byId.get(own.id)?.[PEAKON_USER_SCHEMA] as Record<string, unknown> | undefined)?.Team).toBe('Moved');
        expect(byId.get(other.id)).toMatchObject({ userName: newEmail, active });
        expect((byId.get(other.id)?.[PEAKON_USER_SCHEMA] as Record<string, unknown> | undefined)?.Team).toBeUndefined();
        expect((await ledger.read(fixture.config.tenant)).owned).not.toContain(other.id);

        // The next whole-tenant run still matches the person's own user (its rename waits for the email): nobody is
        // switched off, and the other integration's user stays unowned.
        const next: SyncReport = await (await fixture.startSync()).result();
        expect(next.counts).toMatchObject({ created: 0, deactivated: 0, failed: 0 });
        expect(next.leavers?.planned ?? 0).toBe(0);
        const after = new Map(fixture.sandbox.users().map((user) => [user.id, user]));
        expect(after.get(own.id)).toMatchObject({ active: true, externalId: person.employee_id });
        expect(after.get(other.id)).toMatchObject({ active });
        const owned = (await ledger.read(fixture.config.tenant)).owned;
        expect(owned).toContain(own.id);
        expect(owned).not.toContain(other.id);
      })(),
    );
  });
});
