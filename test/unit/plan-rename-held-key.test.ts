import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { emailMatchKey } from '../../mapping/email';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan, type HrIdLookup, type Plan } from '../../sync/plan';
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

  /** Both records skipped with the conflict's reason naming the user, nothing written, the user no leaver. */
  function expectConflict(plan: Plan, userId: string, recordRefs: string[]): void {
    for (const recordRef of recordRefs) {
      expect(entryOf(plan, recordRef)).toMatchObject({ action: 'skip', changes: [], reason: expect.stringContaining(`Peakon user ${userId}`) });
      expect(entryOf(plan, recordRef)?.reason).toContain('disagree');
      expect(entryOf(plan, recordRef)?.peakonUserId).toBeUndefined();
    }
    expect(plan.entries.filter((candidate) => candidate.create !== undefined || candidate.update !== undefined)).toEqual([]);
    expect(entryFor(plan, userId)).toEqual([expect.objectContaining({ action: 'skip', recordRef: 'not in the HR read', reason: expect.stringContaining('not a leaver') })]);
  }

  it('an address reused between runs (Jane renamed, a new hire given her old address): the HR id and the email disagree, so neither is written, nobody created twice or taken over', () => {
    const plan = planWith('email', [record('email', '1', 'jane.smith@x.com', 'N1'), record('email', '9', 'jane@x.com', 'N9')], [user('u1', '1', 'jane@x.com', 'N1')], ['u1'], { settings: deleting });
    expectConflict(plan, 'u1', ['id 1', 'id 9']);
  });

  it('an employee number reused between runs (matching on it): the same, neither written', () => {
    const plan = planWith('employeeNumber', [record('employeeNumber', '1', 'a@x.com', 'N2'), record('employeeNumber', '9', 'b@x.com', 'N1')], [user('u1', '1', 'a@x.com', 'N1')], ['u1'], { settings: deleting });
    expectConflict(plan, 'u1', ['id 1', 'id 9']);
  });

  it('a rehire under a new HR id whose old id went to a new hire looks the same, and is not written onto the new hire\'s name either', () => {
    // Jane (was id 100, now 200, same email) and Bob (now id 100): by HR id, Jane's user would become Bob's.
    const plan = planWith('email', [record('email', '200', 'jane@x.com', 'N1', {}, 'Sales'), record('email', '100', 'bob@x.com', 'N2', {}, 'Ops')], [user('uJ', '100', 'jane@x.com', 'N1', { department: 'Sales' })], ['uJ'], { settings: deleting });
    expectConflict(plan, 'uJ', ['id 200', 'id 100']);
  });

  it('two HR ids swapped by an HR correction: no user gets the other person\'s name or department', () => {
    const current = [user('uA', '2', 'alice@x.com', 'N1', { department: 'Sales' }), user('uB', '1', 'bob@x.com', 'N2', { department: 'Ops' })];
    const plan = planWith('email', [record('email', '1', 'alice@x.com', 'N1', {}, 'Sales'), record('email', '2', 'bob@x.com', 'N2', {}, 'Ops')], current, ['uA', 'uB'], { settings: deleting });
    for (const recordRef of ['id 1', 'id 2']) expect(entryOf(plan, recordRef)).toMatchObject({ action: 'skip', reason: expect.stringContaining('disagree') });
    expect(plan.entries.filter((candidate) => candidate.create !== undefined || candidate.update !== undefined)).toEqual([]);
  });

  it('three HR ids rotated: none of the three is written onto another\'s user', () => {
    const current = [user('uA', '2', 'a@x.com', 'N1'), user('uB', '3', 'b@x.com', 'N2'), user('uC', '1', 'c@x.com', 'N3')];
    const plan = planWith('email', [record('email', '1', 'a@x.com', 'N1', {}, 'Sales'), record('email', '2', 'b@x.com', 'N2', {}, 'Ops'), record('email', '3', 'c@x.com', 'N3', {}, 'HR')], current, ['uA', 'uB', 'uC'], { settings: deleting });
    for (const recordRef of ['id 1', 'id 2', 'id 3']) expect(entryOf(plan, recordRef)).toMatchObject({ action: 'skip', reason: expect.stringContaining('disagree') });
    expect(plan.entries.filter((candidate) => candidate.create !== undefined || candidate.update !== undefined)).toEqual([]);
  });

  it('a chain of renames in one run (A takes B\'s old address as B moves on to a new one) is no conflict: B is renamed now, A once the address is free', () => {
    const current = [user('uA', '1', 'a@x.com', 'N1'), user('uB', '2', 'b@x.com', 'N2')];
    const plan = planWith('email', [record('email', '1', 'b@x.com', 'N1'), record('email', '2', 'c@x.com', 'N2')], current, ['uA', 'uB'], { settings: deleting });
    expect(entryOf(plan, 'id 2')).toMatchObject({ action: 'update', peakonUserId: 'uB' });
    expect(entryOf(plan, 'id 2')?.changes).toEqual(expect.arrayContaining([{ field: 'userName', from: 'b@x.com', to: 'c@x.com' }]));
    expect(entryOf(plan, 'id 1')).toMatchObject({ peakonUserId: 'uA', reason: expect.stringContaining('held by Peakon user uB') });
    expect(plan.entries.filter((candidate) => candidate.create !== undefined || candidate.update?.leaver !== undefined)).toEqual([]);
  });

  it('an owned user holding a renamed person\'s new email whose own HR id left the read is a leaver (deleted: the email is freed for the rename)', () => {
    // Jane Doe (id 1) renamed to jane.smith@, which the user of the real Jane Smith (id 2, gone from the read) holds.
    const current = [user('u1', '1', 'jane.doe@x.com', 'N1'), user('u2', '2', 'jane.smith@x.com', 'N2')];
    const plan = planWith('email', [record('email', '1', 'jane.smith@x.com', 'N1')], current, ['u1', 'u2'], { settings: deleting });
    expect(entryOf(plan, 'id 1')).toMatchObject({ peakonUserId: 'u1', reason: expect.stringContaining('held by Peakon user u2') });
    expect(entryFor(plan, 'u2')).toEqual([expect.objectContaining({ action: 'delete', recordRef: 'not in the HR read' })]);
    expect(entryFor(plan, 'u1').filter((entry) => entry.update?.leaver !== undefined)).toEqual([]);
  });

  it('a rehire with a new HR id and the same email, whose old id no record carries, is still matched by key and updated', () => {
    const plan = planWith('email', [record('email', '9', 'jane@x.com', 'N9')], [user('u1', '1', 'jane@x.com', 'N1', { active: false })], ['u1']);
    expect(entryOf(plan, 'id 9')).toMatchObject({ action: 'update', peakonUserId: 'u1', returner: true });
  });
});

/**
 * The same cases in a single-employee sync (`sync --employee <key>`): it sees only what its lookups found, by key and
 * (when the key found nobody or a user without the record's HR id) by HR id (activities/plan.ts), and decides as the
 * whole-tenant plan would, or skips pointing to a whole-tenant sync.
 */
describe('plan: sync --employee onto a key another Peakon user holds', () => {
  /** The one record synced, the users its key lookup found, and what its lookup by HR id found, with the whole read. */
  function singleSync(read: DesiredEmployee[], synced: DesiredEmployee, foundByKey: ScimUser[], lookup: Partial<HrIdLookup>): Plan {
    const hrIdLookup: HrIdLookup = { users: [], total: 0, readKeys: new Set(read.map((employee) => employee.employeeKey)), recordsWithHrId: read.filter((employee) => employee.sourceId === synced.sourceId).length, ...lookup };
    return buildPlan([synced], foundByKey, { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => `r-${key}`, currentIsWholeTenant: false, today: '2026-11-30', leaverSettings: lenientGuard, hrIdLookup });
  }
  const written = (plan: Plan) => plan.entries.filter((candidate) => candidate.update !== undefined || candidate.create !== undefined);

  it('Jane renamed onto an address a stale inactive user holds: her own user (by HR id) is kept, the stale one is not adopted, reactivated or overwritten; the rename waits naming it', () => {
    const jane = record('email', '1', 'jane.smith@x.com', 'N1');
    const read = [jane, record('email', '2', 'r@x.com', 'N2')];
    const stale = user('uV', 'OKTA-9', 'jane.smith@x.com', 'N9', { active: false });
    const plan = singleSync(read, jane, [stale], { users: [user('uJ', '1', 'jane@x.com', 'N1')], total: 1, owned: new Set(['uJ']), otherRecordsHrIds: new Set() });
    expect(plan.entries).toHaveLength(1);
    expect(entryOf(plan, 'id 1')).toMatchObject({ action: 'skip', peakonUserId: 'uJ', reason: expect.stringContaining('held by Peakon user uV') });
    expect(entryFor(plan, 'uV')).toEqual([]);
    expect(written(plan)).toEqual([]);
  });

  it('the same with other changes: they are written to her own user without the taken email, with a warning naming the holder', () => {
    const jane = record('email', '1', 'jane.smith@x.com', 'N1', {}, 'Sales');
    const stale = user('uV', undefined, 'jane.smith@x.com', 'N9', { active: false });
    const plan = singleSync([jane], jane, [stale], { users: [user('uJ', '1', 'jane@x.com', 'N1', { department: 'Ops' })], total: 1, owned: new Set(['uJ']), otherRecordsHrIds: new Set() });
    const entry = entryOf(plan, 'id 1');
    expect(entry).toMatchObject({ action: 'update', peakonUserId: 'uJ' });
    expect(entry?.update?.peakonUserId).toBe('uJ');
    expect(entry?.changes.map((change) => change.field)).toEqual(['department']);
    expect(entry?.warnings.join('\n')).toContain('the new email is held by Peakon user uV');
  });

  it.each([
    ['with a ledger that owns it', new Set(['uJ'])],
    ['without a ledger (the externalId is taken as the connector\'s)', undefined],
  ] as const)('a new hire given Jane\'s old address while her user still holds it (%s): skipped naming that user, not taken over', (_case, owned) => {
    const hire = record('email', '9', 'jane@x.com', 'N9');
    const read = [record('email', '1', 'jane.smith@x.com', 'N1'), hire];
    const plan = singleSync(read, hire, [user('uJ', '1', 'jane@x.com', 'N1')], { ...(owned ? { owned } : {}), otherRecordsHrIds: new Set(['1']) });
    expect(plan.entries).toHaveLength(1);
    expect(entryOf(plan, 'id 9')).toMatchObject({ action: 'skip', changes: [] });
    expect(entryOf(plan, 'id 9')?.peakonUserId).toBeUndefined();
    expect(entryOf(plan, 'id 9')?.reason).toContain('held by Peakon user uJ');
    expect(entryOf(plan, 'id 9')?.reason).toContain('run a whole-tenant sync');
    expect(written(plan)).toEqual([]);
  });

  it('a rehire with a new HR id and the same email, whose old id no record carries, is still matched by key and updated', () => {
    const rehire = record('email', '9', 'jane@x.com', 'N9');
    const plan = singleSync([rehire], rehire, [user('u1', '1', 'jane@x.com', 'N1', { active: false })], { owned: new Set(['u1']), otherRecordsHrIds: new Set() });
    expect(entryOf(plan, 'id 9')).toMatchObject({ action: 'update', peakonUserId: 'u1' });
    expect(entryOf(plan, 'id 9')?.changes).toEqual(expect.arrayContaining([{ field: 'active', from: false, to: true }, { field: 'externalId', from: '1', to: '9' }]));
  });

  it('a user by key whose own user the lookup by HR id cannot tell (the filter was ignored): skipped, not written', () => {
    const jane = record('email', '1', 'jane.smith@x.com', 'N1');
    const plan = singleSync([jane], jane, [user('uV', undefined, 'jane.smith@x.com', 'N9', { active: false })], { filterIgnored: true, otherRecordsHrIds: new Set() });
    expect(entryOf(plan, 'id 1')).toMatchObject({ action: 'skip', changes: [] });
    expect(entryOf(plan, 'id 1')?.reason).toContain('Peakon user uV has this email but not this person\'s HR id');
    expect(entryOf(plan, 'id 1')?.reason).toContain('run a whole-tenant sync');
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

  it('matching on employeeNumber: a manager nobody has by number whose email a user holds (very likely them, under an earlier number) is still referred to by that email', () => {
    const current = [user('uM', undefined, 'm@x.com', 'N9'), user('uR', '2', 'r@x.com', 'N2')];
    const plan = planWith('employeeNumber', [record('employeeNumber', '1', 'm@x.com', 'N1'), record('employeeNumber', '2', 'r@x.com', 'N2', { Manager: 'm@x.com' })], current, ['uR']);
    expect(entryOf(plan, 'id 1')).toMatchObject({ action: 'skip', reason: expect.stringContaining('very likely this person') });
    expect(entryOf(plan, 'id 2')?.update?.references).toEqual({ Manager: 'm@x.com' });
    expect(entryOf(plan, 'id 2')?.warnings).toEqual([]);
  });
});
