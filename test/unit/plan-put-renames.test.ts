import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan } from '../../sync/plan';

/**
 * With `sync.updateMethod: put` every update carries Peakon's own attributes as listed, references to others included.
 * A report whose listed Manager is the old email of a manager this run renames would send that email back after the
 * rename ran (phase 2 does not order updates), and Peakon refuses a reference to nobody: the report waits a run.
 */
describe('plan: PUT updates while a referenced person is renamed', () => {
  const schemas = [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA];
  const user = (id: string, userName: string, externalId: string, peakon: Record<string, string>): ScimUser => ({ schemas, id, externalId, userName, emails: [{ value: userName, type: 'work', primary: true }], name: { givenName: id, familyName: 'X' }, active: true, [PEAKON_USER_SCHEMA]: peakon });
  /** As the mapping gives it: employee references apart from the user, laid over it by the write (sync/payloads.ts). */
  const desired = (userName: string, sourceId: string, peakon: Record<string, string>, references: Record<string, string> = {}): DesiredEmployee => ({
    employeeKey: userName,
    recordRef: `row ${sourceId}`,
    sourceId,
    user: { schemas, userName, emails: [{ value: userName, type: 'work', primary: true }], name: { givenName: sourceId === 'HM' ? 'u-m' : 'u-r', familyName: 'X' }, active: true, [PEAKON_USER_SCHEMA]: peakon },
    references,
    createOnly: [],
    warnings: [],
  });
  /** Peakon as the last run left it: the manager under the old email, the report naming it. */
  const current = [user('u-m', 'm.old@example.com', 'HM', { Team: 'Blue' }), user('u-r', 'r@example.com', 'HR', { Team: 'Blue', Manager: 'm.old@example.com' })];
  const context: LeaverContext = { today: '2026-11-30', owned: new Set(['u-m', 'u-r']), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: 2 };
  /** The HR read: the manager renamed (same HR id), the report moved to another team. */
  const read = [desired('m.new@example.com', 'HM', { Team: 'Blue' }), desired('r@example.com', 'HR', { Team: 'Green' }, { Manager: 'm.new@example.com' })];
  const planWith = (updateMethod: 'put' | 'patch') => buildPlan(read, current, { matchingKey: 'email', updateMethod, refOf: (key) => key, leavers: context, leaverSettings: LeaversSchema.parse({}) });
  const entryOf = (plan: ReturnType<typeof planWith>, key: string) => plan.entries.find((entry) => entry.employeeKey === key);

  it('PUT: the manager is renamed in place; the report, whose PUT would name the old email, waits for the next run, saying why', () => {
    const plan = planWith('put');
    expect(entryOf(plan, 'm.new@example.com')).toMatchObject({ action: 'update', peakonUserId: 'u-m' });
    expect(entryOf(plan, 'r@example.com')).toMatchObject({ action: 'skip', peakonUserId: 'u-r', reason: expect.stringContaining('its Peakon attribute Manager names m.old@example.com, whom this run renames') });
    expect(entryOf(plan, 'r@example.com')?.update).toBeUndefined();
  });

  it('PATCH sends only what changed: the report\'s team is written this run (its Manager left out until the rename ran)', () => {
    const plan = planWith('patch');
    const report = entryOf(plan, 'r@example.com');
    expect(report).toMatchObject({ action: 'update', peakonUserId: 'u-r' });
    expect(report?.update?.changes.map((change) => change.field)).toEqual(['Team']);
  });

  it('PUT, matching on employee number: a manager whose email changes (an ordinary update, not a rename) makes the report whose PUT names the old email wait too', () => {
    const numbered = (employee: DesiredEmployee, number: string): DesiredEmployee => ({ ...employee, employeeKey: number, user: { ...employee.user, schemas: [...schemas, ENTERPRISE_USER_SCHEMA], [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number } } });
    const withNumber = (listed: ScimUser, number: string): ScimUser => ({ ...listed, schemas: [...schemas, ENTERPRISE_USER_SCHEMA], [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number } });
    const [manager, report] = read as [DesiredEmployee, DesiredEmployee];
    const [managerUser, reportUser] = current as [ScimUser, ScimUser];
    const plan = buildPlan([numbered(manager, 'N1'), numbered(report, 'N2')], [withNumber(managerUser, 'N1'), withNumber(reportUser, 'N2')], { matchingKey: 'employeeNumber', updateMethod: 'put', refOf: (key) => key, leavers: context, leaverSettings: LeaversSchema.parse({}) });
    expect(entryOf(plan, 'N1')).toMatchObject({ action: 'update', peakonUserId: 'u-m' });
    expect(entryOf(plan, 'N1')?.reason).toBeUndefined();
    expect(entryOf(plan, 'N2')).toMatchObject({ action: 'skip', peakonUserId: 'u-r', reason: expect.stringContaining('its Peakon attribute Manager names') });
    expect(entryOf(plan, 'N2')?.update).toBeUndefined();
  });

  it('PUT without a rename: the report is updated as usual', () => {
    const plan = buildPlan([desired('m.old@example.com', 'HM', { Team: 'Blue' }), read[1] as DesiredEmployee].map((employee) => (employee.sourceId === 'HR' ? { ...employee, user: { ...employee.user, [PEAKON_USER_SCHEMA]: { Team: 'Green' } }, references: { Manager: 'm.old@example.com' } } : employee)), current, { matchingKey: 'email', updateMethod: 'put', refOf: (key) => key, leavers: context, leaverSettings: LeaversSchema.parse({}) });
    expect(entryOf(plan, 'r@example.com')).toMatchObject({ action: 'update', peakonUserId: 'u-r' });
  });
});
