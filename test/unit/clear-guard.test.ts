import { LeaversSchema, SyncSettingsSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { buildPlan } from '../../sync/plan';

/**
 * sync.clearGuard (sync/clear-guard.ts): an HR value emptied for many people at once (an export column come back blank)
 * is not cleared across the tenant in one run; a handful of real clears go ahead.
 */
describe('the clear guard', () => {
  const people = 50;
  const guard = SyncSettingsSchema.parse({}).clearGuard;
  const email = (index: number) => `p${index}@example.com`;
  /** Peakon as the last run left everyone: a department and a Manager. */
  const currentOf = (size: number): ScimUser[] => Array.from({ length: size }, (_, index) => ({ schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA], id: `u${index}`, externalId: `H${index}`, userName: email(index), active: true, [ENTERPRISE_USER_SCHEMA]: { department: 'Sales' }, [PEAKON_USER_SCHEMA]: { Manager: 'boss@example.com', Team: 'Blue' } }));
  const current = currentOf(people);
  /** The HR read: everyone as in Peakon, except those `emptied` picks, whose department and Manager are empty (null). */
  const read = (emptied: (index: number) => boolean, size = people): DesiredEmployee[] =>
    Array.from({ length: size }, (_, index) => ({
      employeeKey: email(index),
      recordRef: `row ${index + 2}`,
      sourceId: `H${index}`,
      user: { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: email(index), active: true, [ENTERPRISE_USER_SCHEMA]: { department: emptied(index) ? null : 'Sales' }, [PEAKON_USER_SCHEMA]: { Manager: emptied(index) ? null : 'boss@example.com', Team: 'Blue' } },
      references: {},
      createOnly: [],
      warnings: [],
    }));
  const planOf = (emptied: (index: number) => boolean, clearGuard = guard, size = people) => buildPlan(read(emptied, size), size === people ? current : currentOf(size), { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => key, clearGuard });
  const cleared = (plan: ReturnType<typeof planOf>) => plan.entries.flatMap((entry) => entry.changes.filter((change) => change.to === null).map((change) => change.field));

  it('a column blank for everyone: nothing cleared, Peakon keeps the values, and the run says why per attribute', () => {
    const plan = planOf(() => true);
    expect(cleared(plan)).toEqual([]);
    expect(plan.entries.filter((entry) => entry.action !== 'unchanged').map((entry) => [entry.action, entry.changes])).toEqual([]);
    expect(plan.warnings).toEqual([expect.stringMatching(/^department: the HR read is empty for 50 of the 50 people who have a value in Peakon, more than sync.clearGuard allows \(20 people and 20%\): not cleared this run/), expect.stringMatching(/^Manager: the HR read is empty for 50 of the 50/)]);
  });

  it('clears within the guard go ahead: 10 of 50 (more than 20% but not more than 20 people)', () => {
    const plan = planOf((index) => index < 10);
    expect(cleared(plan).sort()).toEqual([...Array(10).fill('Manager'), ...Array(10).fill('department')].sort());
    expect(plan.warnings).toBeUndefined();
  });

  it('needs both thresholds, not the count alone: 25 of 200 (more than 20 people, 12.5% not more than 20%) are cleared without a warning', () => {
    const plan = planOf((index) => index < 25, guard, 200);
    expect(cleared(plan).sort()).toEqual([...Array(25).fill('Manager'), ...Array(25).fill('department')].sort());
    expect(plan.warnings).toBeUndefined();
  });

  it.each([
    // "more than maxCount": exactly 20 people (40% of 50) go ahead, 21 are withheld.
    ['exactly maxCount people (20 of 50)', 20, 50, true],
    ['one more than maxCount (21 of 50)', 21, 50, false],
    // "more than maxShare": exactly 20% (40 of 200, more than 20 people) goes ahead, 41 is withheld.
    ['exactly maxShare (40 of 200)', 40, 200, true],
    ['one more than maxShare (41 of 200)', 41, 200, false],
  ])('boundary: %s', (_case, emptied, size, clears) => {
    expect(guard).toEqual({ maxCount: 20, maxShare: 0.2 });
    const plan = planOf((index) => index < emptied, guard, size);
    if (clears) {
      expect(cleared(plan)).toHaveLength(2 * emptied);
      expect(plan.warnings).toBeUndefined();
    } else {
      expect(cleared(plan)).toEqual([]);
      expect(plan.warnings).toEqual([expect.stringMatching(new RegExp(`^department: the HR read is empty for ${emptied} of the ${size} people`)), expect.stringMatching(new RegExp(`^Manager: the HR read is empty for ${emptied} of the ${size} people`))]);
    }
  });

  it('maxShare: 1 lets an intended mass clear run', () => {
    const plan = planOf(() => true, { ...guard, maxShare: 1 });
    expect(cleared(plan)).toHaveLength(2 * people);
  });

  it('never withholds what the leaver rules clear on purpose: 50 rehires\' old separation dates (kept, Peakon would switch them off)', () => {
    const rehires = read(() => false).map((employee) => ({ ...employee, user: { ...employee.user, [PEAKON_USER_SCHEMA]: { Manager: 'boss@example.com', Team: 'Blue', 'Separation date': null } } }));
    const separated = current.map((user) => ({ ...user, [PEAKON_USER_SCHEMA]: { ...user[PEAKON_USER_SCHEMA], 'Separation date': '2025-06-30' } }));
    const plan = buildPlan(rehires, separated, { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => key, clearGuard: guard, leaverSettings: LeaversSchema.parse({}) });
    expect(cleared(plan)).toEqual(Array(people).fill('Separation date'));
    expect(plan.warnings).toBeUndefined();
  });

  it('without a listing (filter discovery, a single employee) nothing is counted: the guard needs the tenant', () => {
    const plan = buildPlan(read(() => true).slice(0, 1), [current[0] as ScimUser], { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => key, currentIsWholeTenant: false, clearGuard: guard });
    expect(cleared(plan).sort()).toEqual(['Manager', 'department']);
  });
});
