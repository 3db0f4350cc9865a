import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { CORE_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { buildPlan, MAX_CREATE_WAVES } from '../../sync/plan';

/**
 * A plan of a very large tenant (sync/plan.ts): collecting entries by spreading a list into push() or Math.max()
 * passes every element as an argument, and around 150,000 elements overflow the call stack (RangeError) on every run.
 * 200,000 is past that limit on Node 20; the plans are built from hand-made records, so this stays a few seconds.
 */
describe('plan: 200,000 employees', () => {
  const people = 200_000;
  const employee = (index: number, extra: Partial<DesiredEmployee> = {}): DesiredEmployee => ({
    employeeKey: `p${index}@example.com`,
    recordRef: `row ${index + 2}`,
    sourceId: `H${index}`,
    user: { schemas: [CORE_USER_SCHEMA], userName: `p${index}@example.com`, emails: [{ value: `p${index}@example.com`, primary: true }], name: { givenName: 'A', familyName: 'B' } },
    references: {},
    createOnly: [],
    warnings: [],
    ...extra,
  });
  const options = { matchingKey: 'email' as const, updateMethod: 'patch' as const, refOf: (key: string) => `ref-${key}`, today: '2026-12-01' };

  it('filter discovery: every employee is discovered in one wave', () => {
    const plan = buildPlan(Array.from({ length: people }, (_, index) => employee(index)), undefined, options);
    expect(plan.entries).toHaveLength(people);
    expect(plan.waves).toBe(1);
  });

  it('a run without leavers: an HR export of 200,000 past leavers leaves each as it is', () => {
    const plan = buildPlan(Array.from({ length: people }, (_, index) => employee(index, { terminationDate: '2020-01-31' })), undefined, options);
    expect(plan.entries).toHaveLength(people);
    expect(plan.entries.every((entry) => entry.action === 'skip')).toBe(true);
  });

  it('a whole-tenant run: 200,000 owned users gone from the HR read are leavers (the guard holds them)', () => {
    const current: ScimUser[] = Array.from({ length: people }, (_, index) => ({ schemas: [CORE_USER_SCHEMA], id: `u${index}`, userName: `p${index}@example.com`, active: true }));
    const leavers = { today: '2026-12-01', owned: new Set(current.map((user) => user.id)), retainedKeys: new Set<string>(), retainedSourceIds: new Set<string>(), unidentifiedRecords: 0, readCount: 1 };
    const plan = buildPlan([employee(people)], current, { ...options, leavers, leaverSettings: LeaversSchema.parse({}) });
    expect(plan.entries.filter((entry) => entry.action === 'deactivate')).toHaveLength(people);
    expect(plan.leavers).toMatchObject({ planned: people, held: true });
  });

  it('a chain of 20,000 references, each report listed before their manager: planned in capped waves, no stack overflow', () => {
    // Person i's Manager is person i + 1: the walk from person 0 goes 20,000 deep.
    const chain = 20_000;
    const records = Array.from({ length: chain }, (_, index) => employee(index, index + 1 < chain ? { references: { Manager: `p${index + 1}@example.com` } } : {}));
    const plan = buildPlan(records, [], options);
    expect(plan.entries.filter((entry) => entry.action === 'create')).toHaveLength(chain);
    expect(plan.waves).toBe(MAX_CREATE_WAVES);
  });
});
