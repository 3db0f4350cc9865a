import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan } from '../../sync/plan';
import type { MatchingKeyKind } from '../../sync/types';

const lenientGuard = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });

/**
 * README, "Leavers": a record that is read but invalid is still employed, never a leaver; under `matching.key:
 * employeeNumber` the user holding the email of a skipped create is very likely the same person. A contractor's Peakon
 * user U (HR id 50, number X100, c@x.com) whose person is now employee 77 (number E200, the same email): a valid record
 * 77 skips its create and keeps U (plan-create-collisions). Invalid in a later run (an empty given name), the record is
 * left out of the employees and only its problem remains: its email (RecordProblem.emailKey, carried into
 * LeaverContext.retainedEmailKeys) must still keep U, whose number and externalId match nothing the read retained.
 */
describe('plan: the user holding a rejected record\'s email under employee-number matching is no leaver', () => {
  const colleagueRecord = (index: number): DesiredEmployee => ({
    employeeKey: `N${index}`,
    recordRef: `id o${index}`,
    sourceId: `o${index}`,
    user: { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: `o${index}@x.com`, emails: [{ value: `o${index}@x.com`, primary: true }], active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: `N${index}` } },
    references: {},
    createOnly: [],
    warnings: [],
  });
  const user = (id: string, externalId: string, email: string, number: string): ScimUser => ({ schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], id, externalId, userName: email, emails: [{ value: email, primary: true }], active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number } });
  /** Thirty colleagues in Peakon as the last run left them, so one leaver stays under the guard's share. */
  const colleagues = Array.from({ length: 30 }, (_, index) => ({ record: colleagueRecord(index), user: user(`U${index}`, `o${index}`, `o${index}@x.com`, `N${index}`) }));
  const contractor = user('U', '50', 'c@x.com', 'X100');

  /** Record 77 rejected: what activities/plan.ts leaverContext derives from its problem (number E200, HR id 77, email). */
  function planWith(matchingKey: MatchingKeyKind, retainedEmailKeys: string[] | undefined, holder: ScimUser = contractor) {
    const users = [holder, ...colleagues.map((colleague) => colleague.user)];
    const records = colleagues.map((colleague) => colleague.record);
    const leavers: LeaverContext = {
      today: '2026-01-15',
      owned: new Set(users.map((candidate) => candidate.id)),
      retainedKeys: new Set([matchingKey === 'email' ? 'other@x.com' : 'E200']),
      retainedSourceIds: new Set(['77']),
      ...(retainedEmailKeys !== undefined ? { retainedEmailKeys: new Set(retainedEmailKeys) } : {}),
      unidentifiedRecords: 0,
      readCount: records.length + 1,
    };
    return buildPlan(records, users, { matchingKey, updateMethod: 'patch', refOf: (key) => key, leavers, leaverSettings: lenientGuard, today: '2026-01-15' });
  }
  const entriesOfU = (plan: ReturnType<typeof planWith>) => plan.entries.filter((entry) => entry.peakonUserId === 'U').map((entry) => entry.action);

  it('the rejected record\'s email is retained: U is neither switched off nor counted a leaver', () => {
    const plan = planWith('employeeNumber', ['c@x.com']);
    expect(entriesOfU(plan)).toEqual([]);
    expect(plan.leavers?.planned).toBe(0);
    expect(plan.entries.filter((entry) => entry.update?.leaver !== undefined)).toEqual([]);
  });

  it('control: without the retained email, U matches nothing retained and is a leaver (what the fix prevents)', () => {
    expect(entriesOfU(planWith('employeeNumber', []))).toEqual(['deactivate']);
    expect(entriesOfU(planWith('employeeNumber', undefined))).toEqual(['deactivate']);
  });

  it('U holding the address as another of its emails (its userName an older one) is kept too, as a skipped create keeps it', () => {
    const secondary: ScimUser = { ...contractor, userName: 'c.old@x.com', emails: [{ value: 'c.old@x.com', primary: true }, { value: 'C@x.com', type: 'other' }] };
    expect(entriesOfU(planWith('employeeNumber', ['c@x.com'], secondary))).toEqual([]);
    expect(entriesOfU(planWith('employeeNumber', ['someone@x.com'], secondary))).toEqual(['deactivate']);
  });

  it('another email retained keeps nobody else: U is still a leaver', () => {
    expect(entriesOfU(planWith('employeeNumber', ['someone@x.com']))).toEqual(['deactivate']);
  });

  it('under email matching the set is not consulted (employeeKey is the email there): U, whose email no record retains, is a leaver', () => {
    expect(entriesOfU(planWith('email', ['c@x.com']))).toEqual(['deactivate']);
  });
});
