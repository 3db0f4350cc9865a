import { LeaversSchema, type LeaversConfig } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { ENTERPRISE_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan, NOT_IN_HR_READ, usersOwnedByPlan, type Plan } from '../../sync/plan';
import { record, user } from '../fixtures/plan-people';

const TODAY = '2026-11-30';
const unguarded = { guard: { maxCount: 100, maxShare: 1 } };
const deleting = LeaversSchema.parse({ action: 'delete', allowDelete: true, ...unguarded });
const others = [
  ['deactivate', LeaversSchema.parse(unguarded)],
  ['separate', LeaversSchema.parse({ action: 'separate', ...unguarded })],
  ['off', LeaversSchema.parse({ action: 'off', ...unguarded })],
] as const;

function planWith(records: DesiredEmployee[], current: ScimUser[], owned: string[], settings: LeaversConfig): Plan {
  const leavers: LeaverContext = { today: TODAY, owned: new Set(owned), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: records.length };
  return buildPlan(records, current, { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => `r-${key}`, leavers, leaverSettings: settings, today: TODAY });
}
/** A Peakon user as a record's earlier run wrote it (its employee number too): nothing to update. */
const written = (id: string, sourceId: string, email: string): ScimUser => ({ ...user(id, sourceId, email), [ENTERPRISE_USER_SCHEMA]: { employeeNumber: `N${sourceId}` } });
const entriesFor = (plan: Plan, peakonUserId: string) => plan.entries.filter((entry) => entry.peakonUserId === peakonUserId);
const writes = (plan: Plan) => plan.entries.filter((entry) => entry.update !== undefined || entry.create !== undefined);

/**
 * `leavers.action: delete` is chosen to remove leavers' personal data from Peakon: a leaver Peakon already holds
 * inactive is deleted like an active one (HR marked them Terminated first and the run switched them off, then the
 * record left the export; Peakon switched them off at their separation date; the tenant moved from `deactivate`).
 * Under every other action such a user has nothing left to change, as before. Users the connector never owned stay
 * untouched.
 */
describe('plan: leavers Peakon already holds inactive, under leavers.action: delete', () => {
  const stays = record('1', 'stays@x.com');
  const staysUser = () => written('s', '1', 'stays@x.com');

  it('an owned inactive user no longer in the HR read is deleted (one DELETE), counted among the leavers', () => {
    const plan = planWith([stays], [staysUser(), user('g', '2', 'gone@x.com', false)], ['s', 'g'], deleting);
    expect(entriesFor(plan, 'g')).toEqual([expect.objectContaining({ action: 'delete', recordRef: NOT_IN_HR_READ, reason: expect.stringContaining('no longer in scope of the HR read'), update: expect.objectContaining({ leaver: 'delete', write: { method: 'delete' } }) })]);
    expect(writes(plan).map((entry) => entry.peakonUserId)).toEqual(['g']);
    expect(plan.leavers).toMatchObject({ action: 'delete', planned: 1, held: false, unowned: 0 });
  });

  it('a terminated record whose owned user is inactive is deleted', () => {
    const plan = planWith([stays, record('3', 'left@x.com', '2026-11-15')], [staysUser(), user('t', '3', 'left@x.com', false)], ['s', 't'], deleting);
    expect(entriesFor(plan, 't')).toEqual([expect.objectContaining({ action: 'delete', recordRef: 'id 3', reason: expect.stringContaining('termination date 2026-11-15 has come'), update: expect.objectContaining({ leaver: 'delete', write: { method: 'delete' } }) })]);
    expect(entriesFor(plan, 't')[0]?.adopted).toBeUndefined();
    expect(plan.leavers).toMatchObject({ planned: 1, held: false });
  });

  it('an inactive user the connector never owned, matched by a terminated record, is that person\'s: adopted and deleted, as an active one is', () => {
    const plan = planWith([stays, record('3', 'left@x.com', '2026-11-15')], [staysUser(), user('t', 'OKTA-1', 'left@x.com', false)], ['s'], deleting);
    expect(entriesFor(plan, 't')).toEqual([expect.objectContaining({ action: 'delete', adopted: true, recordRef: 'id 3' })]);
  });

  it('an owned inactive user still carrying the HR id of a record of the read (its email changed while they were inactive) is that person: not deleted', () => {
    // Record 2's email moved to a new domain; their user (inactive: on leave, or switched off) keeps the old one, and
    // renames reach active users only. Still employed, whatever the record says of their status.
    for (const active of [true, false]) {
      const moved = { ...record('2', 'anna@new.example.com'), user: { ...record('2', 'anna@new.example.com').user, active } };
      const plan = planWith([stays, moved], [staysUser(), user('l', '2', 'anna@old.example.com', false)], ['s', 'l'], deleting);
      expect(entriesFor(plan, 'l').filter((entry) => entry.update?.leaver !== undefined)).toEqual([]);
      expect(plan.leavers).toMatchObject({ planned: 0 });
    }
  });

  it('an owned inactive user whose person left (a terminated record keeps their HR id under a changed email) is deleted', () => {
    const plan = planWith([stays, record('2', 'p.archived@x.com', '2026-11-15')], [staysUser(), user('l', '2', 'p@x.com', false)], ['s', 'l'], deleting);
    expect(entriesFor(plan, 'l')).toEqual([expect.objectContaining({ action: 'delete', update: expect.objectContaining({ leaver: 'delete' }) })]);
  });

  it.each(others)('leavers.action %s: the same inactive users are left as they are (no write)', (_action, settings) => {
    const plan = planWith([stays, record('3', 'left@x.com', '2026-11-15')], [staysUser(), user('g', '2', 'gone@x.com', false), user('t', '3', 'left@x.com', false)], ['s', 'g', 't'], settings);
    expect(writes(plan)).toEqual([]);
    expect(entriesFor(plan, 'g')).toEqual([]);
    expect(entriesFor(plan, 't')).toEqual([expect.objectContaining({ action: 'unchanged', reason: expect.stringContaining('already inactive') })]);
    expect(plan.leavers).toMatchObject({ planned: 0, held: false });
  });

  it('an inactive user the connector never owned is not deleted: counted unowned and left alone', () => {
    const plan = planWith([stays], [staysUser(), user('h', undefined, 'hand@x.com', false), user('o', 'OKTA-1', 'other@x.com', false)], ['s'], deleting);
    expect(writes(plan)).toEqual([]);
    expect(entriesFor(plan, 'h')).toEqual([]);
    expect(entriesFor(plan, 'o')).toEqual([]);
    expect(usersOwnedByPlan(plan.entries)).toEqual(['s']);
    expect(plan.leavers).toMatchObject({ planned: 0, unowned: 2 });
  });

  it('the guard: a tenant moved to delete with many old inactive owned leavers is held by maxCount, as a mass change', () => {
    const employed = Array.from({ length: 100 }, (_, index) => record(`e${index}`, `e${index}@x.com`));
    const employedUsers = employed.map((employee, index) => written(`E${index}`, employee.sourceId, employee.user.userName));
    const former = Array.from({ length: 21 }, (_, index) => user(`F${index}`, `f${index}`, `f${index}@x.com`, false));
    const owned = [...employedUsers, ...former].map((peakonUser) => peakonUser.id);
    const guarded = LeaversSchema.parse({ action: 'delete', allowDelete: true, guard: { maxCount: 20, maxShare: 1 } });
    const plan = planWith(employed, [...employedUsers, ...former], owned, guarded);
    expect(plan.leavers).toMatchObject({ planned: 21, held: true, heldReason: expect.stringContaining('more than leavers.guard.maxCount (20)') });
    expect(writes(plan)).toHaveLength(21);
    // Under deactivate the same tenant has no leaver at all.
    expect(planWith(employed, [...employedUsers, ...former], owned, LeaversSchema.parse({ guard: { maxCount: 20, maxShare: 1 } })).leavers).toMatchObject({ planned: 0, held: false });
  });

  it('the guard\'s share counts the inactive users it deletes in its base too (never more than 100%)', () => {
    // 8 active owned people stay; 2 owned inactive leavers: 2 of the 10 owned users it would act on is 20%, not held
    // at maxShare 0.2 (2 of the 8 active alone would be 25%); a third is 3 of 11, 27%, held.
    const employed = Array.from({ length: 8 }, (_, index) => record(`e${index}`, `e${index}@x.com`));
    const employedUsers = employed.map((employee, index) => written(`E${index}`, employee.sourceId, employee.user.userName));
    const former = (count: number) => Array.from({ length: count }, (_, index) => user(`F${index}`, `f${index}`, `f${index}@x.com`, false));
    const share = LeaversSchema.parse({ action: 'delete', allowDelete: true, guard: { maxCount: 100, maxShare: 0.2 } });
    const plan = (count: number) => planWith(employed, [...employedUsers, ...former(count)], [...employedUsers, ...former(count)].map((peakonUser) => peakonUser.id), share);
    expect(plan(2).leavers).toMatchObject({ planned: 2, held: false });
    expect(plan(3).leavers).toMatchObject({ planned: 3, held: true, heldReason: expect.stringContaining('maxShare') });
  });
});
