import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createScimClient, type ScimClient } from '../../scim/client';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser, type ScimUserWrite } from '../../scim/resources';
import type { DesiredEmployee } from '../../mapping/employee';
import { buildCreateBody, composeUpdate, diffUser, withoutReferences } from '../../sync/payloads';
import { buildPlan } from '../../sync/plan';
import type { DesiredState, EmployeeWrite, UpdateMethod } from '../../sync/types';

/**
 * A tenant's Peakon attributes may be named like a core or enterprise field (`department`, `locale`, `active`…). The
 * diff compares each on its own: a Peakon attribute `department` neither hides a change of the enterprise department
 * nor is written in its place. Composed by sync/payloads.ts, sent over real HTTP to the sandbox and read back.
 */
const TOKEN = 'sandbox-token-0c4e7a19';
const TENANT_SCHEMA = [
  { name: 'department', type: 'option' as const },
  { name: 'locale', type: 'option' as const },
  { name: 'active', type: 'option' as const },
  { name: 'Manager', type: 'employee' as const },
];

let sandbox: RunningSandbox;
let client: ScimClient;

beforeAll(async () => {
  sandbox = await startSandbox({ token: TOKEN, port: 0, schema: TENANT_SCHEMA });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  client = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 5000 });
});

function desired(user: Partial<ScimUserWrite>, references: Record<string, string> = {}): DesiredState {
  return {
    user: {
      schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA],
      userName: 'ada@acme.com',
      emails: [{ value: 'ada@acme.com', type: 'work', primary: true }],
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      active: true,
      ...user,
    },
    references,
    createOnly: [],
    sourceId: 'hr-1',
  };
}

const start = desired({ locale: 'en-GB', [ENTERPRISE_USER_SCHEMA]: { department: 'Maths' }, [PEAKON_USER_SCHEMA]: { department: 'Team A', locale: 'Copenhagen', active: 'Yes' } });

async function send(id: string, write: EmployeeWrite): Promise<ScimUser> {
  if (write.method === 'patch') await client.patchUser(id, write.operations);
  else if (write.method === 'put') await client.replaceUser(id, write.body);
  else throw new Error('no delete here');
  return client.getUser(id);
}

async function update(id: string, state: DesiredState, method: UpdateMethod) {
  const current = await client.getUser(id);
  const { write, changes } = composeUpdate(state, current, method);
  return { after: await send(id, write), changes };
}

describe.each(['patch', 'put'] as const)('a Peakon attribute named like a core field, updated by %s', (method) => {
  it('does not hide a change of the enterprise department or the locale: those are written, the attributes kept', async () => {
    const created = await client.createUser(buildCreateBody(start, {}));
    expect(created[ENTERPRISE_USER_SCHEMA]?.department).toBe('Maths');
    expect(created[PEAKON_USER_SCHEMA]).toEqual({ department: 'Team A', locale: 'Copenhagen', active: 'Yes' });

    const { after, changes } = await update(
      created.id,
      desired({ locale: 'da-DK', [ENTERPRISE_USER_SCHEMA]: { department: 'Physics' }, [PEAKON_USER_SCHEMA]: { department: 'Team A', locale: 'Copenhagen', active: 'Yes' } }),
      method,
    );
    expect(changes).toEqual([
      { field: 'locale', from: 'en-GB', to: 'da-DK' },
      { field: 'department', from: 'Maths', to: 'Physics' },
    ]);
    expect(after.locale).toBe('da-DK');
    expect(after[ENTERPRISE_USER_SCHEMA]?.department).toBe('Physics');
    expect(after[PEAKON_USER_SCHEMA]).toEqual({ department: 'Team A', locale: 'Copenhagen', active: 'Yes' });
  });

  it('a change of the attribute alone is written in the Peakon extension, the enterprise department untouched', async () => {
    const created = await client.createUser(buildCreateBody(start, {}));
    const { after, changes } = await update(created.id, desired({ locale: 'en-GB', [ENTERPRISE_USER_SCHEMA]: { department: 'Maths' }, [PEAKON_USER_SCHEMA]: { department: 'Team B', locale: 'Copenhagen', active: 'No' } }), method);
    expect(changes).toEqual([
      { field: 'department', from: 'Team A', to: 'Team B', peakon: true },
      { field: 'active', from: 'Yes', to: 'No', peakon: true },
    ]);
    expect(after.active).toBe(true);
    expect(after.locale).toBe('en-GB');
    expect(after[ENTERPRISE_USER_SCHEMA]?.department).toBe('Maths');
    expect(after[PEAKON_USER_SCHEMA]).toEqual({ department: 'Team B', locale: 'Copenhagen', active: 'No' });
  });

  it('both changed: both written, each at its own place', async () => {
    const created = await client.createUser(buildCreateBody(start, {}));
    const { after, changes } = await update(created.id, desired({ locale: 'en-GB', [ENTERPRISE_USER_SCHEMA]: { department: 'Physics' }, [PEAKON_USER_SCHEMA]: { department: 'Team B', locale: 'Copenhagen', active: 'Yes' } }), method);
    expect(changes).toEqual([
      { field: 'department', from: 'Team A', to: 'Team B', peakon: true },
      { field: 'department', from: 'Maths', to: 'Physics' },
    ]);
    expect(after[ENTERPRISE_USER_SCHEMA]?.department).toBe('Physics');
    expect(after[PEAKON_USER_SCHEMA]).toEqual({ department: 'Team B', locale: 'Copenhagen', active: 'Yes' });
  });
});

describe('the changes a plan carries name which field they are', () => {
  it('a create lists the core fields and the Peakon attributes of the same names both, the attribute first and marked as one', () => {
    expect(diffUser(buildCreateBody(start, {}), undefined)).toEqual([
      { field: 'userName', from: null, to: 'ada@acme.com' },
      { field: 'email', from: null, to: 'ada@acme.com' },
      { field: 'name.givenName', from: null, to: 'Ada' },
      { field: 'name.familyName', from: null, to: 'Lovelace' },
      { field: 'externalId', from: null, to: 'hr-1' },
      { field: 'locale', from: null, to: 'Copenhagen', peakon: true },
      { field: 'locale', from: null, to: 'en-GB' },
      { field: 'department', from: null, to: 'Team A', peakon: true },
      { field: 'department', from: null, to: 'Maths' },
      // Peakon's attribute `active`; the core active (true) is Peakon's default, no change.
      { field: 'active', from: null, to: 'Yes', peakon: true },
    ]);
  });

  it('a rejected reference named like a core field: a PUT without it restores the reference Peakon had, not the core field', () => {
    const current = {
      id: 'u-1',
      schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA],
      userName: 'ada@acme.com',
      emails: [{ value: 'ada@acme.com', type: 'work', primary: true }],
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      active: true,
      externalId: 'hr-1',
      [ENTERPRISE_USER_SCHEMA]: { department: 'Maths' },
      [PEAKON_USER_SCHEMA]: { department: 'old.head@acme.com' },
    } as ScimUser;
    const state = desired({ [ENTERPRISE_USER_SCHEMA]: { department: 'Physics' }, [PEAKON_USER_SCHEMA]: {} }, { department: 'new.head@acme.com' });
    const { write, changes, references } = composeUpdate(state, current, 'put');
    expect(references).toEqual({ department: 'new.head@acme.com' });
    const reduced = withoutReferences(write, Object.keys(references), changes);
    if (reduced.method !== 'put') throw new Error(`expected a PUT, got ${reduced.method}`);
    expect(reduced.body[PEAKON_USER_SCHEMA]).toEqual({ department: 'old.head@acme.com' });
    expect(reduced.body[ENTERPRISE_USER_SCHEMA]).toEqual({ department: 'Physics' });
  });

  it('an unchanged reference named like a changed core field: a PUT without it keeps the reference, not the core field\'s old value', () => {
    const current = {
      id: 'u-1',
      schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA],
      userName: 'ada@acme.com',
      emails: [{ value: 'ada@acme.com', type: 'work', primary: true }],
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      active: true,
      externalId: 'hr-1',
      [ENTERPRISE_USER_SCHEMA]: { department: 'Maths' },
      [PEAKON_USER_SCHEMA]: { department: 'head@acme.com' },
    } as ScimUser;
    const state = desired({ [ENTERPRISE_USER_SCHEMA]: { department: 'Physics' }, [PEAKON_USER_SCHEMA]: {} }, { department: 'head@acme.com' });
    const { write, changes, references } = composeUpdate(state, current, 'put');
    // A PUT re-sends every reference, the unchanged one too; the only change named `department` is the core field's.
    expect(Object.keys(references)).toEqual(['department']);
    expect(changes).toEqual([{ field: 'department', from: 'Maths', to: 'Physics' }]);
    const reduced = withoutReferences(write, Object.keys(references), changes);
    if (reduced.method !== 'put') throw new Error(`expected a PUT, got ${reduced.method}`);
    expect(reduced.body[PEAKON_USER_SCHEMA]).toEqual({ department: 'head@acme.com' });
    expect(reduced.body[ENTERPRISE_USER_SCHEMA]).toEqual({ department: 'Physics' });
  });
});

describe('the plan checks the core fields only, not Peakon attributes of the same names', () => {
  const employee = (peakon: Record<string, string>): DesiredEmployee => ({
    employeeKey: 'ada@acme.com',
    recordRef: 'id hr-1',
    sourceId: 'hr-1',
    user: { ...desired({ externalId: 'hr-1', [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'E1' } }).user, [PEAKON_USER_SCHEMA]: peakon },
    references: {},
    createOnly: [],
    warnings: [],
  });
  const peakonUser = (id: string, email: string, number: string, peakon: Record<string, string> = {}): ScimUser => ({
    id,
    schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA],
    userName: email,
    emails: [{ value: email, type: 'work', primary: true }],
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    active: true,
    externalId: id === 'u-ada' ? 'hr-1' : `hr-${id}`,
    [ENTERPRISE_USER_SCHEMA]: { employeeNumber: number },
    [PEAKON_USER_SCHEMA]: peakon,
  });

  it.each(['email', 'userName', 'employeeNumber'])('a Peakon attribute `%s` set to a value another user holds as theirs is an ordinary update, not a taken value', (attribute) => {
    // Peakon holds bob@acme.com and E2 once each (its core fields); an attribute of that name may repeat them freely.
    const value = attribute === 'employeeNumber' ? 'E2' : 'bob@acme.com';
    const current = [peakonUser('u-ada', 'ada@acme.com', 'E1', { [attribute]: 'old' }), peakonUser('u-bob', 'bob@acme.com', 'E2')];
    for (const matchingKey of ['email', 'employeeNumber'] as const) {
      const plan = buildPlan([{ ...employee({ [attribute]: value }), employeeKey: matchingKey === 'email' ? 'ada@acme.com' : 'E1' }], current, { matchingKey, updateMethod: 'patch', refOf: (key) => `r-${key}` });
      const entry = plan.entries.find((candidate) => candidate.recordRef === 'id hr-1');
      expect(entry).toMatchObject({ action: 'update', peakonUserId: 'u-ada', changes: [{ field: attribute, from: 'old', to: value, peakon: true }] });
      expect(entry?.warnings.join()).not.toContain('held by Peakon user');
      expect(entry?.update?.write).toEqual({ method: 'patch', operations: [{ op: 'replace', path: `${PEAKON_USER_SCHEMA}:${attribute}`, value }] });
    }
  });

  it('under PUT, a Peakon attribute `userName` that changes is no rename: a reference to the user\'s address goes out this run', () => {
    const ada = peakonUser('u-ada', 'ada@acme.com', 'E1', { userName: 'old' });
    const bob = peakonUser('u-bob', 'bob@acme.com', 'E2', { Manager: 'someone@acme.com' });
    const bobRecord: DesiredEmployee = { ...employee({}), employeeKey: 'bob@acme.com', recordRef: 'id hr-u-bob', sourceId: 'hr-u-bob', user: { ...employee({}).user, userName: 'bob@acme.com', emails: [{ value: 'bob@acme.com', type: 'work', primary: true }], externalId: 'hr-u-bob', [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'E2' } }, references: { Manager: 'ada@acme.com' } };
    const plan = buildPlan([employee({ userName: 'new' }), bobRecord], [ada, bob], { matchingKey: 'email', updateMethod: 'put', refOf: (key) => `r-${key}`, currentIsWholeTenant: true });
    expect(plan.entries.find((entry) => entry.recordRef === 'id hr-1')).toMatchObject({ action: 'update', changes: [{ field: 'userName', from: 'old', to: 'new', peakon: true }] });
    const bobEntry = plan.entries.find((entry) => entry.recordRef === 'id hr-u-bob');
    expect(bobEntry).toMatchObject({ action: 'update', changes: [{ field: 'Manager', from: 'someone@acme.com', to: 'ada@acme.com', peakon: true }] });
  });
});
