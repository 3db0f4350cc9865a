import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { emailMatchKey } from '../../mapping/email';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, type ScimUser, type UnreadableScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan } from '../../sync/plan';
import type { MatchingKeyKind } from '../../sync/types';

/** The guard never holds here: these tests are about who a leaver is, not how many. */
const lenientGuard = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });

/**
 * An employee the plan leaves alone because an unreadable Peakon user may be them (sync/plan.ts unreadableMatcher: any
 * email, the number, or the HR id as externalId) is still employed: their ordinary, readable Peakon user must not become
 * a leaver ("no longer in scope of the HR read") just because the record was set aside this run.
 */
describe('plan: an employee left alone for an unreadable Peakon user', () => {
  const record = (sourceId: string, email: string, number: string, matchingKey: MatchingKeyKind): DesiredEmployee => ({
    employeeKey: matchingKey === 'email' ? emailMatchKey(email) : number,
    recordRef: `id ${sourceId}`,
    sourceId,
    user: { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: email, emails: [{ value: email, primary: true }], active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number } },
    references: {},
    createOnly: [],
    warnings: [],
  });
  const user = (id: string, externalId: string | undefined, email: string, number: string): ScimUser => ({ schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], id, ...(externalId !== undefined ? { externalId } : {}), userName: email, emails: [{ value: email, primary: true }], active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number } });

  function planWith(matchingKey: MatchingKeyKind, current: ScimUser[], unreadable: UnreadableScimUser[]) {
    const desired = [record('100', 'anna@x.com', '5', matchingKey), record('101', 'bob@x.com', '6', matchingKey)];
    const leavers: LeaverContext = { today: '2026-01-15', owned: new Set(current.map((candidate) => candidate.id)), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: desired.length };
    return buildPlan(desired, current, { matchingKey, updateMethod: 'patch', refOf: (key) => key, leavers, leaverSettings: lenientGuard, today: leavers.today, unreadable });
  }
  const leaverWrites = (plan: ReturnType<typeof planWith>) => plan.entries.filter((entry) => entry.action === 'deactivate' || entry.action === 'delete' || entry.update?.leaver !== undefined).map((entry) => entry.peakonUserId);

  it('matching on employee number, an unreadable user listing the employee\'s email: their readable user (matched by number) is not deactivated', () => {
    const current = [user('R', '100', 'anna@x.com', '5'), user('B', '101', 'bob@x.com', '6')];
    const plan = planWith('employeeNumber', current, [{ id: 'U', userName: 'anna.old@x.com', emails: ['anna@x.com'], fields: ['timezone'] }]);
    expect(leaverWrites(plan)).toEqual([]);
    expect(plan.leavers?.planned).toBe(0);
    expect(plan.entries.find((entry) => entry.employeeKey === '5')).toMatchObject({ action: 'skip', reason: expect.stringContaining('Peakon user U could not be read') });
    // Neither written nor taken over by this run: the left-alone person's user keeps its state.
    expect(plan.entries.some((entry) => entry.peakonUserId === 'R')).toBe(false);
  });

  it('matching on email, an unreadable user holding the employee\'s HR id as externalId: their readable user is not deactivated', () => {
    const current = [user('R', '100', 'anna@x.com', '5'), user('B', '101', 'bob@x.com', '6')];
    const plan = planWith('email', current, [{ id: 'U', userName: 'anna.maiden@x.com', externalId: '100', emails: [], active: false, fields: ['name.givenName'] }]);
    expect(leaverWrites(plan)).toEqual([]);
    expect(plan.leavers?.planned).toBe(0);
  });

  it('a readable user that carries the left-alone employee\'s HR id under another key is not a leaver either', () => {
    const current = [user('R', '100', 'anna.previous@x.com', '4'), user('B', '101', 'bob@x.com', '6')];
    const plan = planWith('email', current, [{ id: 'U', userName: 'anna@x.com', emails: [], fields: ['name.givenName'] }]);
    expect(leaverWrites(plan)).toEqual([]);
  });

  it('still a leaver: an owned user no record (read or left alone) names', () => {
    const current = [user('R', '100', 'anna@x.com', '5'), user('B', '101', 'bob@x.com', '6'), user('G', '102', 'gone@x.com', '7')];
    const plan = planWith('employeeNumber', current, [{ id: 'U', userName: 'anna.old@x.com', emails: ['anna@x.com'], fields: ['timezone'] }]);
    expect(leaverWrites(plan)).toEqual(['G']);
  });
});
