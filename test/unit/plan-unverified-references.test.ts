import type { DesiredEmployee } from '../../mapping/employee';
import { emailMatchKey } from '../../mapping/email';
import { CORE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/resources';
import { buildPlan } from '../../sync/plan';

/**
 * A create carries an employee reference only when its target exists by then. A single-employee sync cannot see who
 * else is in Peakon (it looks up one person): its create carries the reference (a new hire's manager usually exists)
 * instead of always spending a second write on it. Filter discovery still defers a reference outside its read: a 400
 * for an unknown one would drop every reference of the create, one that resolves by wave included.
 */
describe('plan: references whose target the plan cannot see', () => {
  const hire: DesiredEmployee = {
    employeeKey: emailMatchKey('hire@x.com'),
    recordRef: 'id 7',
    sourceId: '7',
    user: { schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: 'hire@x.com', emails: [{ value: 'hire@x.com', primary: true }], active: true, [PEAKON_USER_SCHEMA]: { Manager: 'boss@x.com' } },
    references: { Manager: 'boss@x.com' },
    createOnly: [],
    warnings: [],
  };
  const options = { matchingKey: 'email' as const, updateMethod: 'patch' as const, refOf: (key: string) => key };

  it('a single-employee sync carries it in the create', () => {
    const [entry] = buildPlan([hire], [], { ...options, currentIsWholeTenant: false }).entries;
    expect(entry?.action).toBe('create');
    expect(entry?.create?.createReferences).toEqual({ Manager: 'boss@x.com' });
    expect(entry?.deferredReferences).toBeUndefined();
  });

  it('filter discovery defers it to the update phase', () => {
    const [entry] = buildPlan([hire], undefined, options).entries;
    expect(entry?.action).toBe('discover');
    expect(entry?.create?.createReferences).toEqual({});
    expect(entry?.deferredReferences).toEqual({ Manager: 'boss@x.com' });
  });

  it('a whole-tenant run that sees nobody holding it leaves it out', () => {
    const [entry] = buildPlan([hire], [], options).entries;
    expect(entry?.action).toBe('create');
    expect(entry?.create?.createReferences).toEqual({});
    expect(entry?.deferredReferences).toBeUndefined();
  });
});
