import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { emailMatchKey } from '../../mapping/email';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan } from '../../sync/plan';
import type { MatchingKeyKind } from '../../sync/types';

const lenientGuard = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });

/**
 * Peakon allows each email and each employee number once per tenant (409). A create matched by neither key would be
 * refused on the field it is not matched by, in every run: with the whole tenant listed the plan sees the holder and
 * skips the create, naming the field and the Peakon user. Under employee-number matching the user holding the email is
 * very likely the same person under an earlier number: never switched off by that run.
 */
describe('plan: a create that another Peakon user\'s unique field would refuse', () => {
  const record = (matchingKey: MatchingKeyKind, sourceId: string, email: string, number: string, references: Record<string, string> = {}): DesiredEmployee => ({
    employeeKey: matchingKey === 'email' ? emailMatchKey(email) : number,
    recordRef: `id ${sourceId}`,
    sourceId,
    user: { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: email, emails: [{ value: email, primary: true }], active: true, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number }, [PEAKON_USER_SCHEMA]: { ...references } },
    references,
    createOnly: [],
    warnings: [],
  });
  const user = (id: string, externalId: string, email: string, number: string, active = true): ScimUser => ({ schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], id, externalId, userName: email, emails: [{ value: email, primary: true }], active, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number } });
  /** Thirty colleagues in Peakon as the last run left them, so one leaver stays under the guard's share. */
  const others = (matchingKey: MatchingKeyKind) => Array.from({ length: 30 }, (_, index) => ({ record: record(matchingKey, `o${index}`, `o${index}@x.com`, `N${index}`), user: user(`U${index}`, `o${index}`, `o${index}@x.com`, `N${index}`) }));

  function planWith(matchingKey: MatchingKeyKind, desired: DesiredEmployee[], current: ScimUser[] | undefined, partial = false) {
    const colleagues = others(matchingKey);
    const users = current === undefined ? undefined : [...current, ...colleagues.map((colleague) => colleague.user)];
    const records = [...desired, ...colleagues.map((colleague) => colleague.record)];
    const leavers: LeaverContext = { today: '2026-01-15', owned: new Set((users ?? []).map((candidate) => candidate.id)), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: records.length };
    const wholeTenant = users !== undefined && !partial;
    return buildPlan(records, users, { matchingKey, updateMethod: 'patch', refOf: (key) => key, ...(partial ? { currentIsWholeTenant: false } : {}), ...(wholeTenant ? { leavers } : {}), leaverSettings: lenientGuard, today: '2026-01-15' });
  }
  const written = (plan: ReturnType<typeof planWith>) => plan.entries.filter((entry) => entry.action !== 'unchanged').map((entry) => ({ action: entry.action, peakonUserId: entry.peakonUserId }));

  describe('matching on employee number: the email is held', () => {
    // A contractor (HR id 100, number C5) converted to an employee: a new HR id and number, the same email.
    const converted = record('employeeNumber', '200', 'anna@x.com', 'E9');
    const contractor = user('R', '100', 'anna@x.com', 'C5');

    it('the create is skipped, naming the field and the user, and the user holding the email is not switched off', () => {
      const plan = planWith('employeeNumber', [converted], [contractor]);
      expect(written(plan)).toEqual([{ action: 'skip', peakonUserId: undefined }]);
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 200');
      expect(entry?.create).toBeUndefined();
      expect(entry?.reason).toMatch(/the email is held by Peakon user R \(active/);
      expect(entry?.reason).toContain('free the email or match that user first');
      expect(entry?.reason).not.toContain('anna@x.com');
      expect(plan.leavers?.planned).toBe(0);
      expect(plan.waves).toBe(0);
    });

    it('a rename by HR id still takes precedence: the same HR id with a new number updates the owned user in place', () => {
      const renumbered = record('employeeNumber', '100', 'anna@x.com', 'E9');
      const plan = planWith('employeeNumber', [renumbered], [contractor]);
      expect(written(plan)).toEqual([{ action: 'update', peakonUserId: 'R' }]);
    });

    it('an email nobody holds is created as before', () => {
      const plan = planWith('employeeNumber', [record('employeeNumber', '200', 'new@x.com', 'E9')], [contractor]);
      expect(written(plan)).toEqual([{ action: 'create', peakonUserId: undefined }, { action: 'deactivate', peakonUserId: 'R' }]);
    });

    it('without the whole tenant (filter discovery, a single employee) nothing is known: as before', () => {
      expect(planWith('employeeNumber', [converted], undefined).entries.filter((entry) => entry.recordRef === 'id 200').map((entry) => entry.action)).toEqual(['discover']);
      const single = buildPlan([converted], [], { matchingKey: 'employeeNumber', updateMethod: 'patch', refOf: (key) => key, currentIsWholeTenant: false });
      expect(single.entries.map((entry) => entry.action)).toEqual(['create']);
    });
  });

  describe('matching on email: the employee number is held', () => {
    // A new hire given number 5, which a former employee's (inactive) Peakon user still holds.
    const hire = record('email', '300', 'new@x.com', '5');
    const former = user('F', '100', 'former@x.com', '5', false);

    it('the create is skipped, naming the field and the user', () => {
      const plan = planWith('email', [hire], [former]);
      expect(written(plan)).toEqual([{ action: 'skip', peakonUserId: undefined }]);
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 300');
      expect(entry?.create).toBeUndefined();
      expect(entry?.reason).toMatch(/the employee number is held by Peakon user F \(inactive/);
      expect(entry?.reason).toContain('free it or match that user first');
    });

    it('a reference to the skipped hire is left out as unreachable, not written to a person Peakon does not have', () => {
      const report = record('email', '301', 'report@x.com', '8', { Manager: 'new@x.com' });
      const plan = planWith('email', [hire, report], [former]);
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 301');
      expect(entry?.action).toBe('create');
      expect(entry?.create?.createReferences).toEqual({});
      expect(entry?.deferredReferences).toBeUndefined();
      expect(entry?.warnings.join('\n')).toContain('Manager (new@x.com) left out: not in Peakon and not created by this run');
    });

    it('a new email on a user the rename rules do not allow (inactive) that keeps its number: skipped, not a second user Peakon would refuse', () => {
      const renamedHire = record('email', '100', 'former.new@x.com', '5');
      const plan = planWith('email', [renamedHire], [former]);
      expect(written(plan)).toEqual([{ action: 'skip', peakonUserId: undefined }]);
      expect(plan.entries.find((entry) => entry.recordRef === 'id 100')?.reason).toMatch(/the employee number is held by Peakon user F/);
    });

    it('a number nobody holds, or no number: created as before', () => {
      expect(written(planWith('email', [record('email', '300', 'new@x.com', '9')], [former]))).toEqual([{ action: 'create', peakonUserId: undefined }]);
    });
  });

  describe('matching on email: the address is another user\'s other email', () => {
    it('the create is skipped, naming the field and the user (not a POST Peakon refuses every run)', () => {
      // Nobody has the address as userName (that would be a match), but user S lists it among its emails.
      const holder = { ...user('S', '100', 'sam@x.com', '7'), emails: [{ value: 'sam@x.com', primary: true }, { value: 'new@x.com' }] };
      const plan = planWith('email', [record('email', '100', 'sam@x.com', '7'), record('email', '300', 'new@x.com', '9')], [holder]);
      expect(plan.entries.filter((candidate) => candidate.create !== undefined)).toEqual([]);
      expect(plan.entries.find((candidate) => candidate.recordRef === 'id 300')?.action).toBe('skip');
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 300');
      expect(entry?.create).toBeUndefined();
      expect(entry?.reason).toMatch(/the email is one of the addresses of Peakon user S \(active/);
      expect(entry?.reason).not.toContain('new@x.com');
      expect(plan.waves).toBe(0);
    });
  });

  describe('an update whose new unique value another user holds (Peakon refuses it, 409, every run)', () => {
    it('matching on email: a new employee number a former employee\'s user still holds waits, naming the holder', () => {
      const renumbered = record('email', '100', 'anna@x.com', 'N7');
      const plan = planWith('email', [renumbered], [user('R', '100', 'anna@x.com', 'E1'), user('F', 'gone', 'former@x.com', 'N7', false)]);
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 100');
      expect(entry).toMatchObject({ action: 'skip', peakonUserId: 'R' });
      expect(entry?.update).toBeUndefined();
      expect(entry?.reason).toMatch(/the new employee number is held by Peakon user F \(inactive;/);
    });

    it('matching on employee number: a new email another user holds waits, naming the holder', () => {
      const moved = record('employeeNumber', '100', 'taken@x.com', 'E1');
      const plan = planWith('employeeNumber', [moved], [user('R', '100', 'anna@x.com', 'E1'), user('T', 'someone', 'taken@x.com', 'Z1')]);
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 100');
      expect(entry).toMatchObject({ action: 'skip', peakonUserId: 'R' });
      expect(entry?.reason).toMatch(/the new email is held by Peakon user T \(active;/);
    });

    it('two people swapping employee numbers (matching on email): each one\'s other changes are written without the number, with a warning naming the holder', () => {
      const withDepartment = (employee: DesiredEmployee): DesiredEmployee => ({ ...employee, user: { ...employee.user, [ENTERPRISE_USER_SCHEMA]: { ...employee.user[ENTERPRISE_USER_SCHEMA], department: 'New' } } });
      const plan = planWith('email', [withDepartment(record('email', '1', 'a@x.com', 'N2')), withDepartment(record('email', '2', 'b@x.com', 'N1'))], [user('A', '1', 'a@x.com', 'N1'), user('B', '2', 'b@x.com', 'N2')]);
      for (const [recordRef, holder] of [['id 1', 'B'], ['id 2', 'A']] as const) {
        const entry = plan.entries.find((candidate) => candidate.recordRef === recordRef);
        expect(entry?.action).toBe('update');
        expect(entry?.update?.changes.map((change) => change.field)).toEqual(['department']);
        expect(entry?.warnings.join('\n')).toMatch(new RegExp(`the new employee number is held by Peakon user ${holder} \\(active;.*left out of this write, whose other changes go without it`));
      }
    });

    it('a free value is written as usual', () => {
      const renumbered = record('email', '100', 'anna@x.com', 'N-free');
      const plan = planWith('email', [renumbered], [user('R', '100', 'anna@x.com', 'E1')]);
      expect(plan.entries.find((candidate) => candidate.recordRef === 'id 100')).toMatchObject({ action: 'update', peakonUserId: 'R' });
    });
  });

  /**
   * An HR deactivation (the HR record marks the person inactive, no termination date) writes the person's whole
   * ordinary update with active=false. When that update gives them a value another user holds, Peakon refuses the whole
   * write (409), so active=false never applied, on every run: the write goes without the taken value, with a warning
   * naming the holder's Peakon id.
   */
  describe('a deactivation whose update would give the user a value another user holds', () => {
    const settingsFor = (action: 'deactivate' | 'separate' | 'delete' | 'off') => LeaversSchema.parse({ action, allowDelete: action === 'delete', guard: { maxCount: 100, maxShare: 1 } });
    function deactivationPlan(matchingKey: MatchingKeyKind, desired: DesiredEmployee[], current: ScimUser[], updateMethod: 'patch' | 'put', action: 'deactivate' | 'separate' | 'delete' | 'off' = 'deactivate') {
      const colleagues = others(matchingKey);
      const users = [...current, ...colleagues.map((colleague) => colleague.user)];
      const records = [...desired, ...colleagues.map((colleague) => colleague.record)];
      const leavers: LeaverContext = { today: '2026-01-15', owned: new Set(users.map((candidate) => candidate.id)), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: records.length };
      return buildPlan(records, users, { matchingKey, updateMethod, refOf: (key) => key, leavers, leaverSettings: settingsFor(action), hrStatusMapped: true, today: '2026-01-15' });
    }
    const inactive = (employee: DesiredEmployee): DesiredEmployee => ({ ...employee, user: { ...employee.user, active: false } });
    /** What the write sends: PATCH operations, or the PUT body. */
    const sent = (entry: { update?: { write: unknown } } | undefined) => JSON.stringify(entry?.update?.write);

    describe.each(['patch', 'put'] as const)('updateMethod %s', (updateMethod) => {
      it('matching on email: an employee number an inactive former employee\'s user holds is left out, and the user is still switched off', () => {
        const renumbered = inactive(record('email', '100', 'e1@x.com', 'N7'));
        const plan = deactivationPlan('email', [renumbered], [user('R', '100', 'e1@x.com', 'E1'), user('u9', 'gone', 'former@x.com', 'N7', false)], updateMethod);
        const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 100');
        expect(entry).toMatchObject({ action: 'deactivate', peakonUserId: 'R', reason: 'inactive in the HR system' });
        expect(entry?.update?.leaver).toBe('deactivate');
        const write = entry?.update?.write;
        expect(write?.method).toBe(updateMethod);
        if (write?.method === 'patch') expect(write.operations).toEqual([{ op: 'replace', path: 'active', value: false }]);
        if (write?.method === 'put') {
          expect(write.body.active).toBe(false);
          expect(write.body[ENTERPRISE_USER_SCHEMA]?.employeeNumber).toBe('E1');
        }
        expect(sent(entry)).not.toContain('N7');
        expect(entry?.changes).toEqual([{ field: 'active', from: true, to: false }]);
        const warning = entry?.warnings.find((candidate) => candidate.includes('held by'));
        expect(warning).toMatch(/the new employee number is held by Peakon user u9 \(inactive;.*left out of this write, which switches the user off without it/);
        expect(warning).not.toContain('N7');
        expect(plan.leavers?.planned).toBe(1);
      });

      it('matching on employee number: an email another user holds is left out (userName and work address), and the user is still switched off', () => {
        const moved = inactive(record('employeeNumber', '100', 'taken@x.com', 'E1'));
        const plan = deactivationPlan('employeeNumber', [moved], [user('R', '100', 'anna@x.com', 'E1'), user('T', 'someone', 'taken@x.com', 'Z1')], updateMethod);
        const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 100');
        expect(entry).toMatchObject({ action: 'deactivate', peakonUserId: 'R' });
        expect(sent(entry)).not.toContain('taken@x.com');
        expect(sent(entry)).toContain('false');
        expect(entry?.changes).toEqual([{ field: 'active', from: true, to: false }]);
        const warnings = entry?.warnings.filter((candidate) => candidate.includes('held by')) ?? [];
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/the new email is held by Peakon user T \(active;/);
        expect(warnings[0]).not.toContain('taken@x.com');
      });

      it('the other changes of the deactivation still go with it', () => {
        const renumbered = inactive(record('email', '100', 'e1@x.com', 'N7'));
        const renamedToo = { ...renumbered, user: { ...renumbered.user, name: { givenName: 'Eve' } } };
        const plan = deactivationPlan('email', [renamedToo], [user('R', '100', 'e1@x.com', 'E1'), user('u9', 'gone', 'former@x.com', 'N7', false)], updateMethod);
        const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 100');
        expect(entry?.action).toBe('deactivate');
        expect(entry?.changes.map((change) => change.field).sort()).toEqual(['active', 'name.givenName']);
        expect(sent(entry)).toContain('Eve');
        expect(sent(entry)).not.toContain('N7');
      });
    });

    it.each(['separate', 'delete'] as const)('leavers.action %s: the HR deactivation (a PATCH, never a DELETE) goes without the taken value too', (action) => {
      const renumbered = inactive(record('email', '100', 'e1@x.com', 'N7'));
      const plan = deactivationPlan('email', [renumbered], [user('R', '100', 'e1@x.com', 'E1'), user('u9', 'gone', 'former@x.com', 'N7', false)], 'patch', action);
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 100');
      expect(entry).toMatchObject({ action: 'deactivate', peakonUserId: 'R' });
      // Under separate it also sets the separation date (the run's day: no HR date, none held), never the taken number.
      const separation = action === 'separate' ? [{ op: 'replace', path: `${PEAKON_USER_SCHEMA}:Separation date`, value: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }] : [];
      expect(entry?.update?.write).toEqual({ method: 'patch', operations: [{ op: 'replace', path: 'active', value: false }, ...separation] });
      expect(entry?.warnings.join('\n')).toMatch(/held by Peakon user u9/);
    });

    it('leavers.action off: the ordinary update that switches the user off goes without the taken value', () => {
      const renumbered = inactive(record('email', '100', 'e1@x.com', 'N7'));
      const plan = deactivationPlan('email', [renumbered], [user('R', '100', 'e1@x.com', 'E1'), user('u9', 'gone', 'former@x.com', 'N7', false)], 'patch', 'off');
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 100');
      expect(entry).toMatchObject({ action: 'update', peakonUserId: 'R' });
      expect(entry?.update?.write).toEqual({ method: 'patch', operations: [{ op: 'replace', path: 'active', value: false }] });
      expect(entry?.warnings.join('\n')).toMatch(/held by Peakon user u9/);
    });

    it('a free value goes with the deactivation as before, without a warning', () => {
      const renumbered = inactive(record('email', '100', 'e1@x.com', 'N-free'));
      const plan = deactivationPlan('email', [renumbered], [user('R', '100', 'e1@x.com', 'E1')], 'patch');
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 100');
      expect(entry?.action).toBe('deactivate');
      expect(sent(entry)).toContain('N-free');
      expect(entry?.warnings).toEqual([]);
    });

    it('an update that does not switch the user off still waits whole (nothing is written)', () => {
      const renumbered = record('email', '100', 'e1@x.com', 'N7');
      const plan = deactivationPlan('email', [renumbered], [user('R', '100', 'e1@x.com', 'E1'), user('u9', 'gone', 'former@x.com', 'N7', false)], 'put');
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id 100');
      expect(entry).toMatchObject({ action: 'skip', peakonUserId: 'R' });
      expect(entry?.update).toBeUndefined();
    });
  });
});
