import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { emailMatchKey } from '../../mapping/email';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan, type Plan } from '../../sync/plan';
import type { MatchingKeyKind, UpdateMethod } from '../../sync/types';

const lenientGuard = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });
const deleting = LeaversSchema.parse({ action: 'delete', allowDelete: true, guard: { maxCount: 100, maxShare: 1 } });

const record = (matchingKey: MatchingKeyKind, sourceId: string, email: string, number: string, references: Record<string, string> = {}, department?: string): DesiredEmployee => ({
  employeeKey: matchingKey === 'email' ? emailMatchKey(email) : number,
  recordRef: `id ${sourceId}`,
  sourceId,
  user: { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: email, externalId: sourceId, emails: [{ value: email, primary: true }], active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number, ...(department !== undefined ? { department } : {}) }, [PEAKON_USER_SCHEMA]: {} },
  references,
  createOnly: [],
  warnings: [],
});
const user = (id: string, externalId: string | undefined, email: string, number: string, options: { active?: boolean; peakon?: Record<string, string>; department?: string } = {}): ScimUser => ({
  schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA],
  id,
  ...(externalId !== undefined ? { externalId } : {}),
  userName: email,
  emails: [{ value: email, primary: true }],
  active: options.active ?? true,
  [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number, ...(options.department !== undefined ? { department: options.department } : {}) },
  [PEAKON_USER_SCHEMA]: options.peakon ?? {},
});

function planWith(matchingKey: MatchingKeyKind, records: DesiredEmployee[], current: ScimUser[], owned: string[], options: { updateMethod?: UpdateMethod; settings?: typeof lenientGuard } = {}): Plan {
  const leavers: LeaverContext = { today: '2026-11-30', owned: new Set(owned), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: records.length };
  return buildPlan(records, current, { matchingKey, updateMethod: options.updateMethod ?? 'patch', refOf: (key) => `r-${key}`, leavers, leaverSettings: options.settings ?? lenientGuard });
}
const entryOf = (plan: Plan, recordRef: string) => plan.entries.find((entry) => entry.recordRef === recordRef);
const entryFor = (plan: Plan, peakonUserId: string) => plan.entries.filter((entry) => entry.peakonUserId === peakonUserId);

/**
 * A rename onto a key another Peakon user still holds (a stale, hand-made or inactive user), and a key reused between
 * runs (one person's old address given to a new hire): the person keeps their own user, found by HR id; the holder of
 * the key is never taken over (adopted, reactivated, its externalId overwritten), and the person's user never becomes
 * a leaver (deactivated, or deleted under leavers.action: delete).
 */
describe('plan: a rename onto a key another Peakon user holds', () => {
  it.each([
    ['email', 'patch', 'm@new.com', 'N1'],
    ['email', 'put', 'm@new.com', 'N1'],
    ['employeeNumber', 'patch', 'm@old.com', 'N9'],
  ] as const)('matching on %s (%s): the renamed person keeps their own user, the rename waits naming the stale holder, nobody is deactivated or deleted', (matchingKey, updateMethod, email, number) => {
    const current = [user('uM', '1', 'm@old.com', 'N1'), user('uV', 'OKTA-9', 'm@new.com', 'N9', { active: false })];
    const plan = planWith(matchingKey, [record(matchingKey, '1', email, number)], current, ['uM'], { updateMethod, settings: deleting });
    const entry = entryOf(plan, 'id 1');
    expect(entry).toMatchObject({ action: 'skip', peakonUserId: 'uM', reason: expect.stringContaining('held by Peakon user uV') });
    expect(entry?.adopted).toBeUndefined();
    expect(entry?.returner).toBeUndefined();
    // The stale holder is neither matched, written nor a leaver; the person's user is no leaver either.
    expect(entryFor(plan, 'uV')).toEqual([expect.objectContaining({ action: 'skip', recordRef: 'not in the HR read', reason: expect.stringContaining('matched by HR id') })]);
    expect(plan.entries.filter((candidate) => candidate.update !== undefined || candidate.create !== undefined)).toEqual([]);
  });

  it('an address reused between runs (Jane renamed, a new hire given her old address): Jane is renamed in place, the new hire waits, nobody is created twice or taken over', () => {
    const plan = planWith('email', [record('email', '1', 'jane.smith@x.com', 'N1'), record('email', '9', 'jane@x.com', 'N9')], [user('u1', '1', 'jane@x.com', 'N1')], ['u1']);
    expect(entryOf(plan, 'id 1')).toMatchObject({ action: 'update', peakonUserId: 'u1', reason: expect.stringContaining('matched by HR id') });
    expect(entryOf(plan, 'id 1')?.update?.changes.find((change) => change.field === 'externalId')).toBeUndefined();
    expect(entryOf(plan, 'id 9')).toMatchObject({ action: 'skip', reason: expect.stringContaining('held by Peakon user u1') });
    expect(entryOf(plan, 'id 9')?.peakonUserId).toBeUndefined();
    expect(plan.entries.filter((candidate) => candidate.create !== undefined || candidate.update?.leaver !== undefined)).toEqual([]);
  });

  it('an employee number reused between runs (matching on it): the person keeps their user, the new hire waits', () => {
    const plan = planWith('employeeNumber', [record('employeeNumber', '1', 'a@x.com', 'N2'), record('employeeNumber', '9', 'b@x.com', 'N1')], [user('u1', '1', 'a@x.com', 'N1')], ['u1']);
    expect(entryOf(plan, 'id 1')).toMatchObject({ action: 'update', peakonUserId: 'u1' });
    expect(entryOf(plan, 'id 9')).toMatchObject({ action: 'skip', reason: expect.stringContaining('held by Peakon user u1') });
    expect(plan.entries.filter((candidate) => candidate.create !== undefined || candidate.update?.leaver !== undefined)).toEqual([]);
  });

  it('a rehire with a new HR id and the same email, whose old id no record carries, is still matched by key and updated', () => {
    const plan = planWith('email', [record('email', '9', 'jane@x.com', 'N9')], [user('u1', '1', 'jane@x.com', 'N1', { active: false })], ['u1']);
    expect(entryOf(plan, 'id 9')).toMatchObject({ action: 'update', peakonUserId: 'u1', returner: true });
  });
});

/**
 * Peakon resolves a reference to whoever holds the email. A person whose own change of email waits (another user
 * holds the new one) must not be referenced by it: the report's Manager would name that other user.
 */
describe('plan: a reference to a person whose email another Peakon user holds', () => {
  const stale = user('uV', 'OKTA-9', 'm@new.com', 'N9', { active: false });

  it.each([
    ['employeeNumber', 'm@new.com', 'N1'],
    ['email', 'm@new.com', 'N1'],
  ] as const)('matching on %s: the manager\'s email change waits, and the report\'s Manager reference is left out with a warning, not written to the holder', (matchingKey, email, number) => {
    const current = [user('uM', '1', 'm@old.com', 'N1'), user('uR', '2', 'r@x.com', 'N2', { peakon: { Manager: 'm@old.com' } }), stale];
    const plan = planWith(matchingKey, [record(matchingKey, '1', email, number), record(matchingKey, '2', 'r@x.com', 'N2', { Manager: 'm@new.com' })], current, ['uM', 'uR']);
    expect(entryOf(plan, 'id 1')).toMatchObject({ action: 'skip', peakonUserId: 'uM', reason: expect.stringContaining('held by Peakon user uV') });
    const report = entryOf(plan, 'id 2');
    expect(report?.update?.references ?? {}).toEqual({});
    expect(report?.changes.find((change) => change.field === 'Manager')).toBeUndefined();
    expect(report?.warnings.join('\n')).toContain("Manager (m@new.com) left out: another Peakon user holds the person's email");
  });

  it('matching on email: a reference to a new hire whose create is skipped (another user lists the address among its emails) is left out, not written to that user', () => {
    const holder = { ...user('uS', '5', 's@x.com', 'N5'), emails: [{ value: 's@x.com', primary: true }, { value: 'h@x.com' }] };
    const records = [record('email', '5', 's@x.com', 'N5'), record('email', '9', 'h@x.com', 'N9'), record('email', '2', 'r@x.com', 'N2', { Manager: 'h@x.com' })];
    const plan = planWith('email', records, [holder, user('uR', '2', 'r@x.com', 'N2')], ['uS', 'uR']);
    expect(entryOf(plan, 'id 9')?.action).toBe('skip');
    expect(entryOf(plan, 'id 2')?.update?.references ?? {}).toEqual({});
    expect(entryOf(plan, 'id 2')?.warnings.join('\n')).toContain('Manager (h@x.com) left out');
  });

  it('a reference to a person whose user holds the email is written as before', () => {
    const current = [user('uM', '1', 'm@x.com', 'N1'), user('uR', '2', 'r@x.com', 'N2')];
    const plan = planWith('employeeNumber', [record('employeeNumber', '1', 'm@x.com', 'N1'), record('employeeNumber', '2', 'r@x.com', 'N2', { Manager: 'm@x.com' })], current, ['uM', 'uR']);
    expect(entryOf(plan, 'id 2')?.update?.references).toEqual({ Manager: 'm@x.com' });
  });
});
