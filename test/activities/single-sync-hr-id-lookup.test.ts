/**
 * `sync --employee`'s lookups (activities/plan.ts): the lookup by HR id runs when the key found nobody, a user without
 * the record's HR id, or one carrying it that the ledger does not hold, and the plan learns which users found by key
 * carry another record's HR id (only those, not the read's every id), so it can keep the person's own user and leave
 * another person's alone (sync/plan.ts singleRename).
 */
import { needsHrIdLookup, otherRecordsHrIds } from '../../activities/plan';
import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { CORE_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { buildPlan, usersOwnedByPlan, type HrIdLookup, type Plan } from '../../sync/plan';
import { record, user as person } from '../fixtures/plan-people';

const user = (id: string, externalId?: string): ScimUser => ({ schemas: [CORE_USER_SCHEMA], id, userName: `${id}@example.com`, ...(externalId !== undefined ? { externalId } : {}) }) as ScimUser;

describe('sync --employee: the lookup by HR id', () => {
  it('runs when the key found nobody, or a user without the record\'s HR id (none, or another)', () => {
    expect(needsHrIdLookup([], { sourceId: '1' })).toBe(true);
    expect(needsHrIdLookup([user('uV')], { sourceId: '1' })).toBe(true);
    expect(needsHrIdLookup([user('uJ', '9')], { sourceId: '1' })).toBe(true);
    expect(needsHrIdLookup([user('u1', '1'), user('u2')], { sourceId: '1' })).toBe(true);
  });

  it('does not run when every user found by key carries the record\'s HR id (one GET saved)', () => {
    expect(needsHrIdLookup([user('u1', '1')], { sourceId: '1' })).toBe(false);
    // Owned by the connector, or a ledger that owns nobody (no user the connector owns could be renamed instead).
    expect(needsHrIdLookup([user('u1', '1')], { sourceId: '1' }, new Set(['u1', 'uV']))).toBe(false);
    expect(needsHrIdLookup([user('u1', '1')], { sourceId: '1' }, new Set())).toBe(false);
  });

  it('runs when a user found by key carries the record\'s HR id but the ledger does not hold it (another system wrote the id)', () => {
    // A whole-tenant run renames the owned, active user carrying the id instead (sync/plan.ts renamedUsers).
    expect(needsHrIdLookup([user('uU', '1')], { sourceId: '1' }, new Set(['uV']))).toBe(true);
    expect(needsHrIdLookup([user('u1', '1'), user('uU', '1')], { sourceId: '1' }, new Set(['u1']))).toBe(true);
  });

  it('tells the plan which externalIds of users found by key another record of the read carries', () => {
    const read = [{ sourceId: '1' }, { sourceId: '2' }, { sourceId: '9' }];
    expect(otherRecordsHrIds([user('uJ', '1'), user('uV', 'OKTA-9'), user('uX'), user('uS', '9')], read, { sourceId: '9' })).toEqual(new Set(['1']));
    expect(otherRecordsHrIds([user('uV', 'OKTA-9')], read, { sourceId: '9' })).toEqual(new Set());
  });
});

describe('sync --employee: a user by key carrying the HR id that the ledger does not hold', () => {
  const TODAY = '2026-11-30';
  const settings = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });
  const options = { matchingKey: 'email' as const, updateMethod: 'patch' as const, refOf: (key: string) => `r-${key}`, today: TODAY, leaverSettings: settings };
  const single = (read: DesiredEmployee[], synced: DesiredEmployee, foundByKey: ScimUser[], owned: ReadonlySet<string>, lookup: Partial<HrIdLookup>): Plan =>
    buildPlan([synced], foundByKey, { ...options, currentIsWholeTenant: false, owned, hrIdLookup: { users: [], total: 0, readKeys: new Set(read.map((employee) => employee.employeeKey)), recordsWithHrId: read.filter((employee) => employee.sourceId === synced.sourceId).length, owned, ...lookup } });
  const wholeTenant = (read: DesiredEmployee[], current: ScimUser[], owned: ReadonlySet<string>): Plan =>
    buildPlan(read, current, { ...options, currentIsWholeTenant: true, leavers: { today: TODAY, owned, retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: read.length } });
  const entryOf = (plan: Plan, recordRef: string) => plan.entries.find((entry) => entry.recordRef === recordRef);

  // P (HR id 1) now at new@x; the connector owns V (old@x, id 1); U (new@x, id 1) was made by another system.
  const p = record('1', 'new@x.com');
  const v = person('uV', '1', 'old@x.com');

  it.each([
    ['active', true],
    ['inactive', false],
  ] as const)('the owned, active user with the id is the person\'s, as a whole-tenant run decides: U (%s) is not adopted', (_state, active) => {
    const u = person('uU', '1', 'new@x.com', active);
    const owned = new Set(['uV']);
    const whole = entryOf(wholeTenant([p], [u, v], owned), 'id 1');
    expect(whole?.peakonUserId).toBe('uV');
    const plan = single([p], p, [u], owned, { users: [u, v], total: 2 });
    const entry = entryOf(plan, 'id 1');
    expect(entry?.peakonUserId).toBe('uV');
    expect(entry?.adopted).toBeUndefined();
    expect(entry?.reason).toContain('Peakon user uU has this email and this person\'s HR id as externalId but the connector does not own it, so it is not adopted');
    expect(usersOwnedByPlan(plan.entries)).toEqual(['uV']);
  });

  it('no single owned, active user with the id: the key match stands and is adopted, as in a whole-tenant run', () => {
    const u = person('uU', '1', 'new@x.com');
    const w = person('uW', '1', 'older@x.com');
    // V inactive (a leaver whose id may have gone to a new hire): nobody is renamed.
    const off = { ...v, active: false };
    expect(entryOf(wholeTenant([p], [u, off], new Set(['uV'])), 'id 1')?.peakonUserId).toBe('uU');
    expect(entryOf(single([p], p, [u], new Set(['uV']), { users: [u, off], total: 2 }), 'id 1')).toMatchObject({ peakonUserId: 'uU', adopted: true });
    // V and W owned and active (the lookup returns those two of three): the id names nobody.
    expect(entryOf(wholeTenant([p], [u, v, w], new Set(['uV', 'uW'])), 'id 1')?.peakonUserId).toBe('uU');
    expect(entryOf(single([p], p, [u], new Set(['uV', 'uW']), { users: [v, w], total: 3 }), 'id 1')).toMatchObject({ peakonUserId: 'uU', adopted: true });
  });

  it('more users with the id than the lookup returns, one of those returned owned: skipped, as one lookup cannot tell', () => {
    const u = person('uU', '1', 'new@x.com');
    const entry = entryOf(single([p], p, [u], new Set(['uV']), { users: [u, v], total: 3 }), 'id 1');
    expect(entry).toMatchObject({ action: 'skip', reason: expect.stringContaining('3 Peakon users hold this person\'s HR id') });
    expect(entry?.reason).toContain('run a whole-tenant sync');
    expect(entry?.peakonUserId).toBeUndefined();
  });

  it('Peakon ignored the externalId filter: skipped, naming the user by key, as one lookup cannot tell', () => {
    const u = person('uU', '1', 'new@x.com');
    const entry = entryOf(single([p], p, [u], new Set(['uV']), { users: [u, person('uZ', '7', 'z@x.com')], total: 2, filterIgnored: true }), 'id 1');
    expect(entry).toMatchObject({ action: 'skip', reason: expect.stringContaining('Peakon user uU has this email and this person\'s HR id as externalId but the connector does not own it, and Peakon did not apply the externalId filter') });
    expect(entry?.peakonUserId).toBeUndefined();
  });

  it('the key match owned, or no ledger: matched as before, whatever the lookup found', () => {
    const u = person('uU', '1', 'new@x.com');
    expect(entryOf(single([p], p, [u], new Set(['uU', 'uV']), { users: [u, v], total: 2 }), 'id 1')?.peakonUserId).toBe('uU');
    const noLedger = buildPlan([p], [u], { ...options, currentIsWholeTenant: false, hrIdLookup: { users: [u, v], total: 2, readKeys: new Set([p.employeeKey]), recordsWithHrId: 1 } });
    expect(entryOf(noLedger, 'id 1')?.peakonUserId).toBe('uU');
  });
});
