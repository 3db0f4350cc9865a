import path from 'node:path';
import { loadConfigFile } from '../../config/load';
import { LeaversSchema } from '../../config/schema';
import { mapEmployees } from '../../mapping/map';
import { ENTERPRISE_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { employeeRefFor } from '../../sync/employee-ref';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan, countPlan, usersOwnedByPlan } from '../../sync/plan';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';

/** The guard never holds here: these tests are about who a leaver is, not how many. */
const lenientGuard = LeaversSchema.parse({ guard: { maxCount: 100, maxShare: 1 } });

/**
 * Renames in the plan (sync/plan.ts renamedUsers): a person whose matching key changed keeps their Peakon user when the
 * connector owns it, it is active, and its externalId is their HR id; anything less is a create as before. The
 * end-to-end email case (PATCH on the sandbox, references a run later) is in test/leavers/leavers.test.ts.
 */
describe('plan: a changed matching key', () => {
  const config = loadConfigFile(path.resolve('examples/sample-config.yaml'));
  const org = generateOrg(6, 2);
  const [renamed] = org.slice(-1) as [GeneratedEmployee];

  function planWith(matchingKey: 'email' | 'employeeNumber', changed: GeneratedEmployee, users: (user: ScimUser) => ScimUser = (user) => user, owned = true, extraUsers: ScimUser[] = []) {
    const matched = { ...config, matching: { ...config.matching, key: matchingKey } };
    // Peakon as the last run left it: everyone, with the HR id the connector wrote as externalId.
    const current = [...mapEmployees(org as unknown as Record<string, unknown>[], matched).employees.map((employee, index) => users({ ...employee.user, id: `u-${index}` } as ScimUser)), ...extraUsers];
    const { employees } = mapEmployees(org.map((employee) => (employee === renamed ? changed : employee)) as unknown as Record<string, unknown>[], matched);
    const leavers: LeaverContext = { today: '2026-11-29', owned: new Set(owned ? current.map((user) => user.id) : []), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: employees.length };
    const oldUser = current.find((user) => user.externalId === renamed.employee_id && user.id === `u-${org.indexOf(renamed)}`) as ScimUser;
    const plan = buildPlan(employees, current, { matchingKey, updateMethod: 'patch', refOf: employeeRefFor(undefined, 'acme'), leavers, leaverSettings: lenientGuard });
    // What concerns the renamed person: their old user's entry, and any create or leaver write (the others' entries
    // differ from this hand-made "Peakon" only by their Manager references).
    const concerns = (entry: (typeof plan.entries)[number]) => entry.peakonUserId === oldUser.id || ['create', 'discover', 'deactivate', 'delete'].includes(entry.action);
    return { actions: plan.entries.filter(concerns).map((entry) => ({ action: entry.action, peakonUserId: entry.peakonUserId })), oldUser, entry: plan.entries.find((entry) => entry.peakonUserId === oldUser.id), plan };
  }

  it('a new employee number (matching on it) renames the same user: one update, no create, no leaver', () => {
    const { actions, oldUser } = planWith('employeeNumber', { ...renamed, employee_number: '99999' });
    expect(actions).toEqual([{ action: 'update', peakonUserId: oldUser.id }]);
  });

  it('a new email renames the same user', () => {
    const { actions, oldUser } = planWith('email', { ...renamed, work_email: 'new.address@example.com' });
    expect(actions).toEqual([{ action: 'update', peakonUserId: oldUser.id }]);
  });

  it.each(['email', 'employeeNumber'] as const)('matching on %s, a rename whose other unique field changed too changes only the key: Peakon takes one at a time, the next run writes the other', (matchingKey) => {
    const changed = { ...renamed, work_email: 'new.address@example.com', employee_number: '99999' };
    const { actions, oldUser, entry } = planWith(matchingKey, changed);
    expect(actions).toEqual([{ action: 'update', peakonUserId: oldUser.id }]);
    const fields = (entry?.update?.changes ?? []).map((change) => change.field);
    const keyFields = matchingKey === 'email' ? ['userName'] : ['employeeNumber'];
    const otherFields = matchingKey === 'email' ? ['employeeNumber'] : ['userName', 'emails'];
    expect(fields).toEqual(expect.arrayContaining(keyFields));
    for (const field of otherFields) expect(fields).not.toContain(field);
    expect(entry?.warnings.join('\n')).toContain(matchingKey === 'email' ? 'the new employee number (99999) waits for the next run' : 'the new email (new.address@example.com) waits for the next run');
  });

  it('matching on email, an address Peakon holds in another spelling (an IDNA domain) and a new employee number: the respelling now, the number next run (Peakon compares emails by case only)', () => {
    const unicode = { ...renamed, work_email: 'anna@exämple.com' };
    // Peakon holds the Unicode spelling (another tool wrote it) with the old number; the HR record now has a new one.
    const respelled = (user: ScimUser) => (user.externalId === renamed.employee_id ? { ...user, userName: 'anna@exämple.com', emails: [{ value: 'anna@exämple.com', primary: true }] } : user);
    const { plan } = planWith('email', { ...unicode, employee_number: '99999' }, respelled);
    const entry = plan.entries.find((candidate) => candidate.employeeKey === 'anna@xn--exmple-cua.com');
    expect(entry?.action).toBe('update');
    const fields = (entry?.update?.changes ?? []).map((change) => change.field);
    expect(fields).toEqual(expect.arrayContaining(['userName']));
    expect(fields).not.toContain('employeeNumber');
    expect(entry?.warnings.join('\n')).toContain('the new employee number (99999) waits for the next run');
  });

  it('matching on employee number, a rename whose address Peakon holds in another spelling: the number now, the respelled email next run', () => {
    const respelled = (user: ScimUser) => (user.externalId === renamed.employee_id ? { ...user, userName: 'anna@exämple.com', emails: [{ value: 'anna@exämple.com', primary: true }] } : user);
    const { entry } = planWith('employeeNumber', { ...renamed, work_email: 'anna@exämple.com', employee_number: '99999' }, respelled);
    const fields = (entry?.update?.changes ?? []).map((change) => change.field);
    expect(fields).toContain('employeeNumber');
    expect(fields).not.toContain('userName');
    expect(entry?.warnings.join('\n')).toContain('the new email (anna@xn--exmple-cua.com) waits for the next run');
  });

  it('a domain move renames a report and their manager in one run: both updated in place, nobody created (the report\'s Manager reference waits a run)', () => {
    const report = org.find((employee) => employee.manager_id !== '') as GeneratedEmployee;
    const manager = org.find((employee) => employee.employee_id === report.manager_id) as GeneratedEmployee;
    const moved = (employee: GeneratedEmployee) => ({ ...employee, work_email: employee.work_email.replace('@example.com', '@new-domain.example') });
    const matched = { ...config, matching: { ...config.matching, key: 'email' as const } };
    const current = mapEmployees(org as unknown as Record<string, unknown>[], matched).employees.map((employee, index) => ({ ...employee.user, id: `u-${index}` }) as ScimUser);
    const { employees } = mapEmployees(org.map((employee) => (employee === report || employee === manager ? moved(employee) : employee)) as unknown as Record<string, unknown>[], matched);
    const leavers: LeaverContext = { today: '2026-11-29', owned: new Set(current.map((user) => user.id)), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: employees.length };
    const plan = buildPlan(employees, current, { matchingKey: 'email', updateMethod: 'patch', refOf: employeeRefFor(undefined, 'acme'), leavers, leaverSettings: lenientGuard });
    expect(plan.entries.filter((entry) => entry.create || ['create', 'discover', 'deactivate', 'delete'].includes(entry.action))).toEqual([]);
    const idOf = (employee: GeneratedEmployee) => `u-${org.indexOf(employee)}`;
    for (const employee of [report, manager]) expect(plan.entries.find((entry) => entry.peakonUserId === idOf(employee))).toMatchObject({ action: 'update', reason: expect.stringContaining('matched by HR id') });
    expect(plan.entries.find((entry) => entry.peakonUserId === idOf(report))?.warnings.join('\n')).toContain('renamed to it by this run');
  });

  // The records below have an employee number of their own: Peakon refuses a create repeating the old user's number
  // (409), so such a create is skipped (test/unit/plan-create-collisions.test.ts).
  it('an inactive user with the HR id (a leaver whose id was given to a new hire) is not renamed: the new hire is created', () => {
    const { actions } = planWith('email', { ...renamed, work_email: 'new.hire@example.com', employee_number: '99998' }, (user) => (user.externalId === renamed.employee_id ? { ...user, active: false } : user));
    expect(actions).toEqual([{ action: 'create', peakonUserId: undefined }]);
  });

  it('a user the connector does not own is not renamed: create, and the unowned user is left alone', () => {
    const { actions } = planWith('email', { ...renamed, work_email: 'new.address@example.com', employee_number: '99998' }, (user) => user, false);
    expect(actions).toEqual([{ action: 'create', peakonUserId: undefined }]);
  });

  it('two unmatched users with the HR id match neither: create (and both are leavers, for the guard to count)', () => {
    const twin = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: 'u-twin', userName: 'twin@example.com', externalId: renamed.employee_id, active: true } as ScimUser;
    const { actions } = planWith('email', { ...renamed, work_email: 'new.address@example.com', employee_number: '99998' }, (user) => user, true, [twin]);
    expect(actions.filter((entry) => entry.action === 'create')).toHaveLength(1);
    expect(actions.filter((entry) => entry.action === 'update')).toEqual([]);
  });
});

describe('plan: two Peakon users with one matching key', () => {
  const config = loadConfigFile(path.resolve('examples/sample-config.yaml'));
  const org = generateOrg(4, 2);

  function planOf(current: ScimUser[], records: GeneratedEmployee[]) {
    const { employees } = mapEmployees(records as unknown as Record<string, unknown>[], config);
    const leavers: LeaverContext = { today: '2026-11-29', owned: new Set(current.map((user) => user.id)), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: employees.length };
    return buildPlan(employees, current, { matchingKey: 'email', updateMethod: 'patch', refOf: employeeRefFor(undefined, 'acme'), leavers, leaverSettings: lenientGuard });
  }
  const peakonOf = (records: GeneratedEmployee[]) => mapEmployees(records as unknown as Record<string, unknown>[], config).employees.map((employee, index) => ({ ...employee.user, id: `u-${index}` }) as ScimUser);
  const [first] = org as [GeneratedEmployee];
  // The same mailbox in another form: emailMatchKey gives both one key.
  const twinOf = (user: ScimUser): ScimUser => ({ ...user, id: 'u-twin', userName: user.userName.toUpperCase(), emails: [{ value: user.userName.toUpperCase(), primary: true }] });

  it('the one the HR record did not match is left alone, not deactivated as a leaver', () => {
    const current = peakonOf(org);
    const twin = twinOf(current[0] as ScimUser);
    const plan = planOf([...current, twin], org);
    // Which of the two the record matches is the listing's order; the other one is left alone.
    const pair = plan.entries.filter((candidate) => candidate.peakonUserId === 'u-0' || candidate.peakonUserId === 'u-twin');
    expect(pair).toHaveLength(2);
    expect(pair.filter((candidate) => candidate.action === 'skip')).toEqual([expect.objectContaining({ reason: expect.stringContaining('another Peakon user has the same email') })]);
    expect(plan.entries.filter((candidate) => candidate.update?.leaver !== undefined)).toEqual([]);
    // Its own ref: sharing the matched employee's would mix the two in the report.
    expect(new Set(plan.entries.map((candidate) => candidate.ref)).size).toBe(plan.entries.length);
    // Not owned through this run (a hand-made duplicate would otherwise become a leaver, or be deleted, later), and not
    // counted as a record read (the guard compares the next read with this count).
    const duplicate = pair.find((candidate) => candidate.action === 'skip') as (typeof pair)[number];
    expect(usersOwnedByPlan(plan.entries)).not.toContain(duplicate.peakonUserId);
    expect(countPlan(plan, []).employees).toBe(org.length);
  });

  it('when the person left, both are leavers, each under a ref of its own (one ref would be one workflow ID for two)', () => {
    const current = peakonOf(org);
    const twin = twinOf(current[0] as ScimUser);
    const plan = planOf([...current, twin], org.filter((employee) => employee !== first));
    const leavers = plan.entries.filter((candidate) => candidate.update?.leaver !== undefined);
    expect(leavers.map((candidate) => candidate.peakonUserId).sort()).toEqual(['u-0', 'u-twin']);
    expect(new Set(leavers.map((candidate) => candidate.ref)).size).toBe(2);
  });

  it('an owned leaver whose employee number differs from a record\'s only in case gets a ref of its own (refs fold case)', () => {
    const matched = { ...config, matching: { ...config.matching, key: 'employeeNumber' as const } };
    const records = org.map((employee, index) => ({ ...employee, employee_number: `E10${index}` }));
    const current = mapEmployees(records as unknown as Record<string, unknown>[], matched).employees.map((employee, index) => ({ ...employee.user, id: `u-${index}` }) as ScimUser);
    const twin = { ...(current[0] as ScimUser), id: 'u-lower', userName: 'someone.else@example.com', emails: [{ value: 'someone.else@example.com', primary: true }], externalId: 'H-other', [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'e100' } } as ScimUser;
    const { employees } = mapEmployees(records as unknown as Record<string, unknown>[], matched);
    const leavers: LeaverContext = { today: '2026-11-29', owned: new Set([...current, twin].map((user) => user.id)), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: employees.length };
    const plan = buildPlan(employees, [...current, twin], { matchingKey: 'employeeNumber', updateMethod: 'patch', refOf: employeeRefFor(undefined, 'acme'), leavers, leaverSettings: lenientGuard });
    expect(plan.entries.find((entry) => entry.peakonUserId === 'u-lower')?.action).toBe('deactivate');
    expect(new Set(plan.entries.map((entry) => entry.ref)).size).toBe(plan.entries.length);
    // The employee the record matched keeps the ref their key gives.
    expect(plan.entries.find((entry) => entry.peakonUserId === 'u-0')?.ref).toBe(employeeRefFor(undefined, 'acme')('E100'));
  });
});
