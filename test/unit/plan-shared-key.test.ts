import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { emailMatchKey } from '../../mapping/email';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan, type PlanEntry } from '../../sync/plan';

const lenientGuard = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });

/**
 * Several Peakon users with one matching key (`anna@xn--exmple-cua.com` and `anna@exämple.com` are one mailbox to the
 * connector): the record matches the owned one, else the one holding the record's HR id as externalId, else the
 * active one. The order Peakon lists them in never decides: matching a stale inactive leftover would rename it onto
 * the other's address (refused by Peakon, every run) and adopt it, while the person's real user is frozen.
 */
describe('plan: Peakon users sharing a matching key', () => {
  const record = (sourceId: string, email: string, terminationDate?: string): DesiredEmployee => ({
    employeeKey: emailMatchKey(email),
    recordRef: `id ${sourceId}`,
    sourceId,
    user: { schemas: [CORE_USER_SCHEMA], userName: email, emails: [{ value: email, primary: true }], active: true },
    references: {},
    createOnly: [],
    warnings: [],
    ...(terminationDate ? { terminationDate } : {}),
  });
  const user = (id: string, email: string, extra: Partial<ScimUser> = {}): ScimUser => ({ schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], id, userName: email, emails: [{ value: email, primary: true }], active: true, ...extra });
  /** The person's real user: owned, their HR id, active, the address as the HR system spells it. */
  const real = user('A1', 'anna@xn--exmple-cua.com', { externalId: '100' });
  /** A leftover in the Unicode spelling: inactive, no externalId, not owned. */
  const stale = user('A2', 'anna@exämple.com', { active: false });
  const bob = user('B', 'bob@x.com', { externalId: '101' });

  function planWith(current: ScimUser[], options: { owned?: string[]; terminated?: boolean; leavers?: boolean } = {}) {
    const desired = [record('100', 'anna@xn--exmple-cua.com', options.terminated ? '2026-01-10' : undefined), record('101', 'bob@x.com')];
    const leavers: LeaverContext = { today: '2026-01-15', owned: new Set(options.owned ?? ['A1', 'B']), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: desired.length };
    return buildPlan(desired, current, { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => key, ...(options.leavers === false ? {} : { leavers }), leaverSettings: lenientGuard, today: '2026-01-15' });
  }
  const anna = (entries: PlanEntry[]) => entries.filter((entry) => entry.recordRef === 'id 100');
  const orders = [
    ['the real user listed first', [real, bob, stale]],
    ['the real user listed last', [stale, bob, real]],
  ] as const;

  it.each(orders)('the owned active user is matched, whatever the order (%s); the leftover is reported as a duplicate', (_, current) => {
    const plan = planWith([...current]);
    expect(anna(plan.entries)).toEqual([expect.objectContaining({ action: 'unchanged', peakonUserId: 'A1' })]);
    expect(plan.entries.some((entry) => entry.returner || entry.adopted)).toBe(false);
    expect(plan.entries.find((entry) => entry.peakonUserId === 'A2')).toMatchObject({ action: 'skip', reason: expect.stringContaining('another Peakon user has the same email') });
    expect(plan.entries.some((entry) => entry.peakonUserId === 'A2' && entry.changes.length > 0)).toBe(false);
  });

  it.each(orders)('a termination date that has come switches off the real user, not the leftover (%s)', (_, current) => {
    const plan = planWith([...current], { terminated: true });
    expect(anna(plan.entries)).toEqual([expect.objectContaining({ action: 'deactivate', peakonUserId: 'A1' })]);
  });

  it('a single-employee sync that found both spellings chooses by the ledger it is given, as a whole-tenant run does', () => {
    // Neither holds the HR id (re-keyed HR ids) and both are active: only ownership tells them apart.
    const owned = user('Z9', 'anna@xn--exmple-cua.com');
    const other = user('A0', 'anna@exämple.com');
    const single = (ownedIds?: string[]) => buildPlan([record('100', 'anna@xn--exmple-cua.com')], [other, owned], { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => key, currentIsWholeTenant: false, leaverSettings: lenientGuard, today: '2026-01-15', ...(ownedIds ? { owned: new Set(ownedIds) } : {}) });
    expect(anna(single(['Z9']).entries)).toEqual([expect.objectContaining({ peakonUserId: 'Z9' })]);
    // Without the ledger the lowest id wins among equals.
    expect(anna(single().entries)).toEqual([expect.objectContaining({ peakonUserId: 'A0' })]);
  });

  it.each(orders)('without ownership known (no leavers context), the user holding the HR id as externalId wins (%s)', (_, current) => {
    const plan = planWith([...current], { leavers: false });
    expect(anna(plan.entries)).toEqual([expect.objectContaining({ action: 'unchanged', peakonUserId: 'A1' })]);
  });

  it('neither owned nor holding the HR id: the active user wins, in either order', () => {
    const active = user('A1', 'anna@xn--exmple-cua.com');
    for (const current of [[active, bob, stale], [stale, bob, active]]) {
      const plan = planWith(current, { owned: ['B'] });
      expect(anna(plan.entries)).toEqual([expect.objectContaining({ peakonUserId: 'A1' })]);
    }
  });

  it('ownership comes first: an owned inactive user beats a hand-made active one (a returner, not an adoption)', () => {
    const ownedInactive = user('A1', 'anna@xn--exmple-cua.com', { externalId: '100', active: false });
    const handMade = user('A2', 'anna@exämple.com');
    for (const current of [[ownedInactive, bob, handMade], [handMade, bob, ownedInactive]]) {
      const plan = planWith(current);
      expect(anna(plan.entries)).toEqual([expect.objectContaining({ peakonUserId: 'A1', returner: true })]);
      expect(plan.entries.find((entry) => entry.peakonUserId === 'A2')).toMatchObject({ action: 'skip' });
    }
  });
});
