import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import type { ScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan, NOT_IN_HR_READ, usersOwnedByPlan, type Plan } from '../../sync/plan';
import { record, user } from '../fixtures/plan-people';

const TODAY = '2026-11-30';
const deactivating = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });
const deleting = LeaversSchema.parse({ action: 'delete', allowDelete: true, guard: { maxCount: 100, maxShare: 1 } });
const off = LeaversSchema.parse({ action: 'off', guard: { maxCount: 100, maxShare: 1 } });

function planWith(records: DesiredEmployee[], current: ScimUser[], owned: string[], settings = deactivating): Plan {
  const leavers: LeaverContext = { today: TODAY, owned: new Set(owned), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: records.length };
  return buildPlan(records, current, { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => `r-${key}`, leavers, leaverSettings: settings, today: TODAY });
}
const entryOf = (plan: Plan, recordRef: string) => plan.entries.find((entry) => entry.recordRef === recordRef);
const entriesFor = (plan: Plan, peakonUserId: string) => plan.entries.filter((entry) => entry.peakonUserId === peakonUserId);
const writes = (plan: Plan) => plan.entries.filter((entry) => entry.update !== undefined || entry.create !== undefined);

/**
 * A record the HR read marks as left (its termination date has come) whose HR id and email disagree with another
 * record's (sync/plan.ts conflictingRecords) is not written either, as README's Renames says of conflicting records:
 * the user its email matches (one the connector never owned) is neither switched off, deleted nor adopted.
 */
describe('plan: a terminated record whose HR id and key disagree with another record', () => {
  // Jane Smith (HR id 1, left) was renamed from jane@x; her old address went to a new hire (HR id 9). Peakon: her own
  // user u1 (owned, still jane@x) and w, a user another system made (OKTA-5) holding jane.smith@x.
  const records = [record('1', 'jane.smith@x.com', '2026-11-15'), record('9', 'jane@x.com')];
  const current = () => [user('u1', '1', 'jane@x.com'), user('w', 'OKTA-5', 'jane.smith@x.com')];

  it.each([
    ['deactivate', deactivating],
    ['delete', deleting],
    ['off', off],
  ] as const)('leavers.action %s: both records skipped with the conflict\'s reason; w, never owned, is not written, owned or a leaver', (_action, settings) => {
    const plan = planWith(records, current(), ['u1'], settings);
    for (const recordRef of ['id 1', 'id 9']) {
      expect(entryOf(plan, recordRef)).toMatchObject({ action: 'skip', changes: [], reason: expect.stringContaining('Peakon user u1') });
      expect(entryOf(plan, recordRef)?.reason).toContain('disagree');
      expect(entryOf(plan, recordRef)?.peakonUserId).toBeUndefined();
    }
    expect(writes(plan)).toEqual([]);
    expect(entriesFor(plan, 'w')).toEqual([]);
    expect(usersOwnedByPlan(plan.entries)).toEqual([]);
    // u1 stays the contested user, left alone; w is matched (by the terminated record's key), not an unowned user.
    expect(entriesFor(plan, 'u1')).toEqual([expect.objectContaining({ action: 'skip', recordRef: NOT_IN_HR_READ, reason: expect.stringContaining('not a leaver') })]);
    expect(plan.leavers).toMatchObject({ planned: 0, unowned: 0 });
  });

  it('an inactive w is not owned through an "already inactive" line either', () => {
    const plan = planWith(records, [user('u1', '1', 'jane@x.com'), user('w', 'OKTA-5', 'jane.smith@x.com', false)], ['u1']);
    expect(entryOf(plan, 'id 1')).toMatchObject({ action: 'skip', reason: expect.stringContaining('disagree') });
    expect(usersOwnedByPlan(plan.entries)).toEqual([]);
  });

  it('the terminated record on the key side (the new hire left): skipped with the conflict\'s reason, not "not created"', () => {
    const plan = planWith([record('1', 'jane.smith@x.com'), record('9', 'jane@x.com', '2026-11-15')], [user('u1', '1', 'jane@x.com')], ['u1']);
    for (const recordRef of ['id 1', 'id 9']) expect(entryOf(plan, recordRef)).toMatchObject({ action: 'skip', reason: expect.stringContaining('disagree') });
    expect(writes(plan)).toEqual([]);
  });

  it('without a conflict, a terminated record matched to a user is still a leaver as before', () => {
    const plan = planWith([record('1', 'jane.smith@x.com', '2026-11-15'), record('9', 'jane@x.com')], [user('u1', '1', 'jane.smith@x.com')], ['u1']);
    expect(entryOf(plan, 'id 1')).toMatchObject({ action: 'deactivate', peakonUserId: 'u1' });
    expect(entryOf(plan, 'id 1')?.adopted).toBeUndefined();
  });
});

/**
 * A terminated record matched to a user the ownership ledger does not hold: the plan owns that user from this run on
 * (usersOwnedByPlan), so its line says `adopted`, as an HR deactivation's does.
 */
describe('plan: a terminated leaver matched to a user the connector did not own', () => {
  it.each([
    ['deactivate', deactivating, 'deactivate'],
    ['delete', deleting, 'delete'],
    ['off', off, 'skip'],
  ] as const)('leavers.action %s: the leaver line is adopted, like an HR deactivation of the same user', (_name, settings, action) => {
    const hand = user('h', undefined, 'left@x.com');
    const plan = planWith([record('5', 'left@x.com', '2026-11-15')], [hand], [], settings);
    expect(entryOf(plan, 'id 5')).toMatchObject({ action, peakonUserId: 'h', adopted: true });
    expect(usersOwnedByPlan(plan.entries)).toEqual(['h']);
    if (settings !== off) {
      // The same user, the record marked inactive without a date: an HR deactivation, adopted too.
      const inactive = { ...record('5', 'left@x.com'), user: { ...record('5', 'left@x.com').user, active: false } };
      expect(entryOf(planWith([inactive], [user('h', undefined, 'left@x.com')], [], settings), 'id 5')).toMatchObject({ action: 'deactivate', adopted: true });
    }
  });

  it('already inactive: the line is adopted too (the run owns the user from now on)', () => {
    const plan = planWith([record('5', 'left@x.com', '2026-11-15')], [user('h', undefined, 'left@x.com', false)], []);
    expect(entryOf(plan, 'id 5')).toMatchObject({ action: 'unchanged', peakonUserId: 'h', adopted: true });
  });

  it('an owned user is not adopted', () => {
    const plan = planWith([record('5', 'left@x.com', '2026-11-15')], [user('h', '5', 'left@x.com')], ['h']);
    expect(entryOf(plan, 'id 5')).toMatchObject({ action: 'deactivate', peakonUserId: 'h' });
    expect(entryOf(plan, 'id 5')?.adopted).toBeUndefined();
  });
});
