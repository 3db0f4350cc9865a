/**
 * One Peakon user that does not fit the SCIM User schema (a number for a givenName, an array in a Peakon attribute) must not
 * fail the whole tenant's sync: end to end against the sandbox over real HTTP. The sandbox validates every write, so
 * the odd user is stored with its test-only storeRawUser.
 */
import { ledgerStoreFromEnv } from '../../ownership/store';
import { CORE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { defaultPayloadDirectory } from '../../worker/environment';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, withoutLeaverGuard, type PipelineFixture } from '../harness/pipeline';

const byEmail = (fixture: PipelineFixture) => new Map(fixture.sandbox.users().map((user) => [String(user.userName).toLowerCase(), user]));
const writesTo = (fixture: PipelineFixture, from: number, id: string) => fixture.sandbox.ops().slice(from).filter((op) => op.method !== 'GET' && op.path.includes(id));

describe('a Peakon user that does not fit the SCIM schema', () => {
  const pipeline = usePipelineTests();

  it('is left alone (neither created again nor deactivated) and named in the report, while the others sync', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(3, 2);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.counts.created).toBe(3);

        // The odd one is someone nobody reports to, so the others' manager references are not in play.
        const managers = new Set(org.map((employee) => employee.manager_id));
        const odd = org.find((employee) => !managers.has(employee.employee_id));
        const renamed = org.find((employee) => employee !== odd && employee.manager_id === '');
        if (!odd || !renamed) throw new Error('the generated org has no leaf or no root');
        const stored = byEmail(fixture).get(odd.work_email) as ScimUser;
        const raw = { ...stored, name: { ...stored.name, givenName: 42 }, [PEAKON_USER_SCHEMA]: { ...stored[PEAKON_USER_SCHEMA], Nicknames: ['a', 'b'] } };
        fixture.sandbox.storeRawUser(stored.id, raw);

        // The odd person still in the HR read, with a change; another employee changes too.
        fixture.writeEmployees(org.map((employee) => (employee === renamed || employee === odd ? { ...employee, last_name: `${employee.last_name}-Changed` } : employee)));
        const opsBefore = fixture.sandbox.ops().length;
        const second: SyncReport = await (await fixture.startSync()).result();
        expect(second.status).toBe('completed');
        expect(second.counts).toMatchObject({ created: 0, updated: 1, deactivated: 0, failed: 0 });
        expect(second.warnings).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`Peakon user ${stored.id} .*name\\.givenName.*${PEAKON_USER_SCHEMA.replace(/[.:]/g, '\\$&')}\\.Nicknames`))]));
        // Field paths and ids only: the values that failed never reach the report.
        expect(JSON.stringify(second)).not.toContain('"a","b"');
        expect(writesTo(fixture, opsBefore, stored.id)).toEqual([]);
        expect(fixture.sandbox.ops().slice(opsBefore).filter((op) => op.method === 'POST')).toEqual([]);
        const afterSecond = byEmail(fixture);
        expect(afterSecond.size).toBe(3);
        expect(afterSecond.get(odd.work_email)).toEqual(raw);
        expect(afterSecond.get(renamed.work_email)?.name?.familyName).toBe(`${renamed.last_name}-Changed`);

        // A single-employee sync of the odd person: one lookup finds them unreadable; skipped and named, not failed,
        // not created beside, not written.
        const opsSingle = fixture.sandbox.ops().length;
        const single: SyncReport = await (await fixture.startSync({ employeeKey: odd.work_email })).result();
        expect(single.status).toBe('completed');
        expect(single.counts).toMatchObject({ created: 0, updated: 0, skipped: 1, failed: 0 });
        expect(single.warnings).toEqual(expect.arrayContaining([expect.stringContaining(`Peakon user ${stored.id}`)]));
        expect(fixture.sandbox.ops().slice(opsSingle).filter((op) => op.method !== 'GET')).toEqual([]);
        expect(JSON.stringify(single)).not.toContain('"a","b"');

        // Filter discovery finds them unreadable per employee: skipped with the reason, nothing written to them.
        const listing = fixture.config.sync.discovery;
        fixture.config.sync.discovery = 'filter';
        const opsFilter = fixture.sandbox.ops().length;
        const filtered: SyncReport = await (await fixture.startSync()).result();
        fixture.config.sync.discovery = listing;
        expect(filtered.status).toBe('completed');
        expect(filtered.counts).toMatchObject({ created: 0, skipped: 1, failed: 0 });
        expect(writesTo(fixture, opsFilter, stored.id)).toEqual([]);
        expect(fixture.sandbox.ops().slice(opsFilter).filter((op) => op.method === 'POST')).toEqual([]);

        // Gone from the HR read: an owned user, yet never counted as a leaver while it cannot be read.
        fixture.writeEmployees(org.filter((employee) => employee !== odd));
        const opsThird = fixture.sandbox.ops().length;
        const third: SyncReport = await (await fixture.startSync()).result();
        expect(third.status).toBe('completed');
        expect(third.counts).toMatchObject({ created: 0, deactivated: 0, failed: 0 });
        expect(third.warnings.some((warning) => warning.includes(`Peakon user ${stored.id}`))).toBe(true);
        expect(writesTo(fixture, opsThird, stored.id)).toEqual([]);
        expect(byEmail(fixture).get(odd.work_email)).toEqual(raw);
      })(),
    );
  });

  it('found by filter discovery, is not taken into the ownership ledger (never created, never read)', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(3, 2);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(org);
    fixture.config.sync.discovery = 'filter';
    // Someone nobody reports to, made by hand in Peakon before any sync, in a shape the SCIM schema cannot read.
    const managers = new Set(org.map((employee) => employee.manager_id));
    const odd = org.find((employee) => !managers.has(employee.employee_id));
    if (!odd) throw new Error('the generated org has no leaf');
    const [seeded] = fixture.sandbox.seedUsers([{ schemas: [CORE_USER_SCHEMA], userName: odd.work_email, emails: [{ value: odd.work_email, type: 'work', primary: true }], name: { givenName: odd.first_name, familyName: odd.last_name }, active: true, externalId: 'OKTA-hand-made' }]);
    if (!seeded) throw new Error('not seeded');
    fixture.sandbox.storeRawUser(seeded.id, { ...seeded, name: { ...seeded.name, givenName: 42 } });
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const opsBefore = fixture.sandbox.ops().length;
        const report: SyncReport = await (await fixture.startSync()).result();
        expect(report.status).toBe('completed');
        expect(report.counts).toMatchObject({ created: 2, skipped: 1, failed: 0 });
        expect(writesTo(fixture, opsBefore, seeded.id)).toEqual([]);
        const owned = (await ledgerStoreFromEnv(process.env, defaultPayloadDirectory()).read(fixture.config.tenant)).owned;
        const created = org.filter((employee) => employee !== odd).map((employee) => byEmail(fixture).get(employee.work_email)?.id);
        expect(owned).toEqual(expect.arrayContaining(created));
        expect(owned).not.toContain(seeded.id);
        expect(owned).toHaveLength(2);
      })(),
    );
  });
});
