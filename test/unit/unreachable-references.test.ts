import type { DesiredEmployee } from '../../mapping/employee';
import { CORE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { buildPlan } from '../../sync/plan';

/**
 * A reference to someone neither in Peakon nor created by the run is left out with a warning (sync/plan.ts,
 * withoutUnreachableReferences). An existing user's onlyOnCreate reference is never written, so it warns of nothing.
 */
describe('unreachable references', () => {
  const gone = 'gone@example.com';
  const employee = (index: number, createOnly: string[]): DesiredEmployee => ({
    employeeKey: `p${index}@example.com`,
    recordRef: `row ${index + 2}`,
    sourceId: `H${index}`,
    user: { schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: `p${index}@example.com`, active: true, [PEAKON_USER_SCHEMA]: { Manager: gone } },
    references: { Manager: gone },
    createOnly,
    warnings: [],
  });
  const existing: ScimUser = { schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA], id: 'u0', externalId: 'H0', userName: 'p0@example.com', active: true, [PEAKON_USER_SCHEMA]: { Manager: 'old-boss@example.com' } };
  const planOf = (createOnly: string[]) => buildPlan([employee(0, createOnly), employee(1, createOnly)], [existing], { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => key });
  const warningsOf = (plan: ReturnType<typeof planOf>, key: string) => plan.entries.find((entry) => entry.employeeKey === key)?.warnings ?? [];

  it('a written reference to nobody: left out of the existing and the new user, with a warning for each', () => {
    const plan = planOf([]);
    for (const key of ['p0@example.com', 'p1@example.com']) expect(warningsOf(plan, key)).toEqual([`Manager (${gone}) left out: not in Peakon and not created by this run`]);
  });

  it('an onlyOnCreate reference: no warning for the existing user (nothing would be written), still one for the new user whose create loses it', () => {
    const plan = planOf([`${PEAKON_USER_SCHEMA}:Manager`]);
    expect(warningsOf(plan, 'p0@example.com')).toEqual([]);
    expect(plan.entries.find((entry) => entry.employeeKey === 'p0@example.com')?.action).toBe('unchanged');
    expect(warningsOf(plan, 'p1@example.com')).toEqual([`Manager (${gone}) left out: not in Peakon and not created by this run`]);
  });
});
