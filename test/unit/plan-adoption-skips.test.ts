import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { emailMatchKey } from '../../mapping/email';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan, usersOwnedByPlan, type Plan } from '../../sync/plan';
import type { UpdateMethod } from '../../sync/types';

const TODAY = '2026-11-30';
const settings = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });

const record = (sourceId: string, email: string, number: string, peakon: Record<string, string> = {}, references: Record<string, string> = {}): DesiredEmployee => ({
  employeeKey: emailMatchKey(email),
  recordRef: `id ${sourceId}`,
  sourceId,
  user: { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: email, externalId: sourceId, emails: [{ value: email, primary: true }], active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number }, [PEAKON_USER_SCHEMA]: peakon },
  references,
  createOnly: [],
  warnings: [],
});
const user = (id: string, externalId: string | undefined, email: string, number: string, peakon: Record<string, string> = {}): ScimUser => ({
  schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA],
  id,
  ...(externalId !== undefined ? { externalId } : {}),
  userName: email,
  emails: [{ value: email, primary: true }],
  active: true,
  [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number },
  [PEAKON_USER_SCHEMA]: peakon,
});

function planWith(records: DesiredEmployee[], current: ScimUser[], owned: string[], updateMethod: UpdateMethod = 'patch'): Plan {
  const leavers: LeaverContext = { today: TODAY, owned: new Set(owned), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: records.length };
  return buildPlan(records, current, { matchingKey: 'email', updateMethod, refOf: (key) => `r-${key}`, leavers, leaverSettings: settings, today: TODAY });
}
const entryOf = (plan: Plan, recordRef: string) => plan.entries.find((entry) => entry.recordRef === recordRef);

/**
 * A skip that keeps the user's id still makes the run own that user (usersOwnedByPlan): when the ledger did not hold
 * it, the line says `adopted`, as the update it stands for would have.
 */
describe('plan: skips that keep a user the ledger does not hold say adopted', () => {
  it('an update blocked whole by a taken value (nothing else to write): the skip keeps the user and says adopted', () => {
    // h (made by hand, carrying the HR id) is matched by email for the first time; its new employee number N5 is held by o.
    const plan = planWith([record('5', 'a@x.com', 'N5'), record('6', 'o@x.com', 'N5-old')], [user('h', '5', 'a@x.com', 'N7'), user('o', '6', 'o@x.com', 'N5')], ['o']);
    const entry = entryOf(plan, 'id 5');
    expect(entry).toMatchObject({ action: 'skip', peakonUserId: 'h', reason: expect.stringContaining('held by Peakon user o'), adopted: true });
    expect(usersOwnedByPlan(plan.entries)).toContain('h');
  });

  it('the same blocked update of an owned user: not adopted', () => {
    const plan = planWith([record('5', 'a@x.com', 'N5'), record('6', 'o@x.com', 'N5-old')], [user('h', '5', 'a@x.com', 'N7'), user('o', '6', 'o@x.com', 'N5')], ['h', 'o']);
    expect(entryOf(plan, 'id 5')).toMatchObject({ action: 'skip', peakonUserId: 'h' });
    expect(entryOf(plan, 'id 5')?.adopted).toBeUndefined();
  });

  describe('PUT: a report whose listed Manager is the old email of a manager this run renames waits a run', () => {
    const current = () => [user('u-m', 'HM', 'm.old@x.com', 'N1', { Team: 'Blue' }), user('u-r', 'HR', 'r@x.com', 'N2', { Team: 'Blue', Manager: 'm.old@x.com' })];
    const read = () => [record('HM', 'm.new@x.com', 'N1', { Team: 'Blue' }), record('HR', 'r@x.com', 'N2', { Team: 'Green' }, { Manager: 'm.new@x.com' })];

    it('the report\'s user not in the ledger: the skip keeps the user and says adopted, as its update did under PATCH', () => {
      const put = planWith(read(), current(), ['u-m'], 'put');
      expect(entryOf(put, 'id HR')).toMatchObject({ action: 'skip', peakonUserId: 'u-r', reason: expect.stringContaining('whom this run renames'), adopted: true });
      expect(usersOwnedByPlan(put.entries)).toContain('u-r');
      expect(entryOf(planWith(read(), current(), ['u-m'], 'patch'), 'id HR')).toMatchObject({ action: 'update', peakonUserId: 'u-r', adopted: true });
    });

    it('the report\'s user owned: not adopted', () => {
      const put = planWith(read(), current(), ['u-m', 'u-r'], 'put');
      expect(entryOf(put, 'id HR')).toMatchObject({ action: 'skip', peakonUserId: 'u-r' });
      expect(entryOf(put, 'id HR')?.adopted).toBeUndefined();
    });
  });
});
