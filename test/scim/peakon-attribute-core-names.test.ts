import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createScimClient, type ScimClient } from '../../scim/client';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser, type ScimUserWrite } from '../../scim/resources';
import { buildCreateBody, composeUpdate, diffUser, withoutReferences } from '../../sync/payloads';
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
      { field: 'department', from: 'Team A', to: 'Team B' },
      { field: 'active', from: 'Yes', to: 'No' },
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
      { field: 'department', from: 'Team A', to: 'Team B' },
      { field: 'department', from: 'Maths', to: 'Physics' },
    ]);
    expect(after[ENTERPRISE_USER_SCHEMA]?.department).toBe('Physics');
    expect(after[PEAKON_USER_SCHEMA]).toEqual({ department: 'Team B', locale: 'Copenhagen', active: 'Yes' });
  });
});

describe('the changes a plan carries keep their shape', () => {
  it('a create lists the core fields and the Peakon attributes of the same names both, by name (the attribute first)', () => {
    expect(diffUser(buildCreateBody(start, {}), undefined)).toEqual([
      { field: 'userName', from: null, to: 'ada@acme.com' },
      { field: 'email', from: null, to: 'ada@acme.com' },
      { field: 'name.givenName', from: null, to: 'Ada' },
      { field: 'name.familyName', from: null, to: 'Lovelace' },
      { field: 'externalId', from: null, to: 'hr-1' },
      { field: 'locale', from: null, to: 'Copenhagen' },
      { field: 'locale', from: null, to: 'en-GB' },
      { field: 'department', from: null, to: 'Team A' },
      { field: 'department', from: null, to: 'Maths' },
      // Peakon's attribute `active`; the core active (true) is Peakon's default, no change.
      { field: 'active', from: null, to: 'Yes' },
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
