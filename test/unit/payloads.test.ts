import { DesiredEmployeeSchema, type DesiredEmployee } from '../../mapping/employee';
import type { ScimUser } from '../../scim/resources';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/urns';
import { buildCreateBody, composeUpdate, withoutReferences } from '../../sync/payloads';
import { buildPlan } from '../../sync/plan';
import type { DesiredState } from '../../sync/types';

/**
 * Phase 2 retries a write without its employee references when Peakon rejects one (its target does not exist). With
 * `updateMethod: put` the retry is a full replace, so what it leaves out Peakon may clear (RFC 7644 §3.5.1).
 */
describe('a write without its rejected references', () => {
  const current: ScimUser = {
    id: 'u-1',
    externalId: 'E1',
    schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA],
    userName: 'ada@example.com',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    active: true,
    [PEAKON_USER_SCHEMA]: { Manager: 'old.boss@example.com', Mentor: 'mentor@example.com', Team: 'Old team' },
  } as ScimUser;
  const desired: DesiredState = {
    user: { schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: 'ada@example.com', name: { givenName: 'Ada', familyName: 'Lovelace' }, active: true, [PEAKON_USER_SCHEMA]: { Team: 'New team' } },
    references: { Manager: 'new.boss@example.com', Mentor: 'mentor@example.com' },
    createOnly: [],
    sourceId: 'E1',
  };

  it('PUT: keeps the manager Peakon has instead of clearing it, and still writes the other changes', () => {
    const { write, changes, references } = composeUpdate(desired, current, 'put');
    const reduced = withoutReferences(write, Object.keys(references), changes);
    if (reduced.method !== 'put') throw new Error(`expected a PUT, got ${reduced.method}`);
    expect(reduced.body[PEAKON_USER_SCHEMA]).toEqual({ Manager: 'old.boss@example.com', Mentor: 'mentor@example.com', Team: 'New team' });
  });

  it('PUT of a user created this run (no reference before): the reference is left out', () => {
    const reduced = withoutReferences({ method: 'put', body: { ...desired.user, [PEAKON_USER_SCHEMA]: { Team: 'New team', Manager: 'new.boss@example.com' } } }, ['Manager'], [{ field: 'Manager', from: null, to: 'new.boss@example.com', peakon: true }]);
    if (reduced.method !== 'put') throw new Error(`expected a PUT, got ${reduced.method}`);
    expect(reduced.body[PEAKON_USER_SCHEMA]).toEqual({ Team: 'New team' });
  });

  it('PATCH: leaves the reference operations out, keeps the rest', () => {
    const { write, changes, references } = composeUpdate(desired, current, 'patch');
    const reduced = withoutReferences(write, Object.keys(references), changes);
    if (reduced.method !== 'patch') throw new Error(`expected a PATCH, got ${reduced.method}`);
    expect(reduced.operations).toEqual([{ op: 'replace', path: `${PEAKON_USER_SCHEMA}:Team`, value: 'New team' }]);
  });
});

/**
 * The mapping's contract: an HR field that is empty sets its core or enterprise attribute to null, "clear it in
 * Peakon". Built here directly (no mapping), through the plan, for both update methods.
 */
describe('a desired null on a core or enterprise attribute is a clear', () => {
  const peakonUser: ScimUser = {
    id: 'u-1',
    externalId: 'E1',
    schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA],
    userName: 'ada@example.com',
    emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    active: true,
    locale: 'en-GB',
    timezone: 'Europe/London',
    [ENTERPRISE_USER_SCHEMA]: { department: 'Maths', employeeNumber: 'N1' },
    [PEAKON_USER_SCHEMA]: { Team: 'Blue' },
  } as ScimUser;
  const employee: DesiredEmployee = DesiredEmployeeSchema.parse({
    employeeKey: 'ada@example.com',
    sourceId: 'E1',
    recordRef: 'row 2',
    user: {
      schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA],
      userName: 'ada@example.com',
      emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      active: true,
      locale: null,
      timezone: null,
      [ENTERPRISE_USER_SCHEMA]: { department: null, employeeNumber: 'N1' },
      [PEAKON_USER_SCHEMA]: { Team: null },
    },
  });
  const planned = (method: 'patch' | 'put', current: ScimUser[]) => {
    const plan = buildPlan([employee], current, { matchingKey: 'email', updateMethod: method, refOf: (key) => `r-${key}` });
    expect(plan.entries).toHaveLength(1);
    return plan.entries[0];
  };

  it('the write schema takes the nulls', () => {
    expect(employee.user.locale).toBeNull();
    expect(employee.user[ENTERPRISE_USER_SCHEMA]?.department).toBeNull();
  });

  it('PATCH: one remove per attribute Peakon has, at its path', () => {
    const entry = planned('patch', [peakonUser]);
    expect(entry?.action).toBe('update');
    expect(entry?.changes).toEqual([
      { field: 'locale', from: 'en-GB', to: null },
      { field: 'timezone', from: 'Europe/London', to: null },
      { field: 'department', from: 'Maths', to: null },
      { field: 'Team', from: 'Blue', to: null, peakon: true },
    ]);
    expect(entry?.update?.write).toEqual({
      method: 'patch',
      operations: [
        { op: 'remove', path: 'locale' },
        { op: 'remove', path: 'timezone' },
        { op: 'remove', path: `${ENTERPRISE_USER_SCHEMA}:department` },
        { op: 'remove', path: `${PEAKON_USER_SCHEMA}:Team` },
      ],
    });
  });

  it('PUT: the attributes go out as null (a server keeping omitted attributes would keep them otherwise)', () => {
    const write = planned('put', [peakonUser])?.update?.write;
    if (write?.method !== 'put') throw new Error('expected a PUT');
    expect(write.body).toMatchObject({ locale: null, timezone: null, [ENTERPRISE_USER_SCHEMA]: { department: null, employeeNumber: 'N1' }, [PEAKON_USER_SCHEMA]: { Team: null } });
  });

  it('nothing to clear when Peakon has none of them: unchanged', () => {
    const bare = { ...peakonUser, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'N1' } } as ScimUser;
    delete bare.locale;
    delete bare.timezone;
    delete bare[PEAKON_USER_SCHEMA];
    expect(planned('patch', [bare])?.action).toBe('unchanged');
  });

  it('a create leaves the core and enterprise nulls out', () => {
    const body = planned('patch', [])?.create?.createBody;
    expect(body).toBeDefined();
    expect(body && 'locale' in body).toBe(false);
    expect(body && 'timezone' in body).toBe(false);
    expect(body?.[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: 'N1' });
  });

  it('employeeNumber null is a remove at its enterprise path', () => {
    const state: DesiredState = { user: { ...employee.user, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: null } }, references: {}, createOnly: [], sourceId: 'E1' };
    const { write, changes } = composeUpdate(state, peakonUser, 'patch');
    expect(changes).toContainEqual({ field: 'employeeNumber', from: 'N1', to: null });
    expect(write).toMatchObject({ method: 'patch', operations: expect.arrayContaining([{ op: 'remove', path: `${ENTERPRISE_USER_SCHEMA}:employeeNumber` }]) });
  });
});

describe('nulls in a create, and references set only on create', () => {
  const user = { schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: 'ada@example.com', active: true, [PEAKON_USER_SCHEMA]: { Team: null, Manager: null, Level: 'Senior' } };

  it('a create leaves Peakon attributes the mapping set to null out too (Peakon documents no null on create)', () => {
    const body = buildCreateBody({ user, references: {}, createOnly: [], sourceId: 'E1' }, {});
    expect(body[PEAKON_USER_SCHEMA]).toEqual({ Level: 'Senior' });
    const onlyNulls = buildCreateBody({ user: { ...user, [PEAKON_USER_SCHEMA]: { Team: null } }, references: {}, createOnly: [], sourceId: 'E1' }, {});
    expect(onlyNulls[PEAKON_USER_SCHEMA]).toBeUndefined();
    expect(onlyNulls.schemas).toEqual([CORE_USER_SCHEMA]);
  });

  it('an onlyOnCreate reference of an existing user is no reference of its write (a rejected PUT is never blamed on it)', () => {
    const current = { id: 'u-1', schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: 'ada@example.com', active: true, [PEAKON_USER_SCHEMA]: { Manager: 'other@example.com', Level: 'Junior' } } as ScimUser;
    const desired: DesiredState = { user: { ...user, [PEAKON_USER_SCHEMA]: { Level: 'Senior' } }, references: { Manager: 'boss@example.com' }, createOnly: [`${PEAKON_USER_SCHEMA}:Manager`], sourceId: 'E1' };
    for (const method of ['put', 'patch'] as const) expect(composeUpdate(desired, current, method).references).toEqual({});
  });
});
