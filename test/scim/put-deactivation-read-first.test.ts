import { sendEmployeeWrite } from '../../activities/employee';
import { LeaversSchema } from '../../config/schema';
import type { DesiredEmployee } from '../../mapping/employee';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createScimClient, type ScimClient } from '../../scim/client';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/resources';
import type { LeaverContext } from '../../sync/leavers';
import { buildPlan } from '../../sync/plan';
import type { UpdateMethod } from '../../sync/types';

/**
 * An HR deactivation (a person the HR system marks inactive) may wait for the leaver guard's approval for days after
 * the plan listed the tenant. Under `sync.updateMethod: put` its replace reads the user when it goes out and lays the
 * mapped attributes over that, so what someone changed in Peakon meanwhile is kept; a PATCH touches only `active` and
 * the mapped changes anyway. The plan's write is sent by the activity's own sendEmployeeWrite over real HTTP.
 */
const TOKEN = 'sandbox-token-7d31c0aa';
const SCHEMA = [
  { name: 'Team', type: 'option' as const },
  { name: 'Business Unit', type: 'option' as const },
  { name: 'Level', type: 'option' as const },
];

let sandbox: RunningSandbox;
let client: ScimClient;
beforeAll(async () => {
  sandbox = await startSandbox({ token: TOKEN, port: 0, schema: SCHEMA });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.reset();
  client = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 5000 });
});

const guard = LeaversSchema.parse({ action: 'deactivate', guard: { maxCount: 100, maxShare: 1 } });

const record = (email: string, sourceId: string, active: boolean): DesiredEmployee => ({
  employeeKey: email,
  recordRef: `id ${sourceId}`,
  sourceId,
  user: {
    schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA],
    userName: email,
    externalId: sourceId,
    emails: [{ value: email, type: 'work', primary: true }],
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    active,
    [PEAKON_USER_SCHEMA]: { Team: 'Maths', Level: 'L1' },
  },
  references: {},
  // Level is mapped onlyOnCreate: Peakon's to keep for an existing user.
  createOnly: [`${PEAKON_USER_SCHEMA}:Level`],
  warnings: [],
});

describe.each(['put', 'patch'] as const)('an HR deactivation under updateMethod: %s', (updateMethod: UpdateMethod) => {
  it('keeps what Peakon changed after the listing (an attribute the mapping does not set, one it sets only on create) and switches the user off', async () => {
    const ada = await client.createUser({ ...record('ada@acme.com', 'hr-1', true).user, [PEAKON_USER_SCHEMA]: { Team: 'Maths', Level: 'L1', 'Business Unit': 'Research' } });
    const stays = await client.createUser(record('bob@acme.com', 'hr-2', true).user);
    const listed = await client.listAllUsers();
    const leavers: LeaverContext = { today: '2026-12-01', owned: new Set([ada.id, stays.id]), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: 2 };
    const plan = buildPlan([record('ada@acme.com', 'hr-1', false), record('bob@acme.com', 'hr-2', true)], listed, { matchingKey: 'email', updateMethod, refOf: (key) => `r-${key}`, leavers, leaverSettings: guard, currentIsWholeTenant: true });
    const entry = plan.entries.find((candidate) => candidate.peakonUserId === ada.id);
    expect(entry).toMatchObject({ action: 'deactivate', changes: [{ field: 'active', from: true, to: false }] });
    if (!entry?.update) throw new Error('no deactivation write planned');

    // While the guard holds the write, someone changes the user in Peakon.
    await client.patchUser(ada.id, [
      { op: 'replace', path: `${PEAKON_USER_SCHEMA}:Business Unit`, value: 'Operations' },
      { op: 'replace', path: `${PEAKON_USER_SCHEMA}:Level`, value: 'L2' },
    ]);
    const before = sandbox.ops().length;
    expect(await sendEmployeeWrite(client, ada.id, entry.update.write)).toBe('written');
    const sent = sandbox.ops().slice(before).map((op) => op.method);

    const after = await client.getUser(ada.id);
    expect(after.active).toBe(false);
    expect(after[PEAKON_USER_SCHEMA]).toEqual({ Team: 'Maths', Level: 'L2', 'Business Unit': 'Operations' });
    // The replace's read is the one operation more: GET then PUT; a PATCH is one request.
    expect(sent).toEqual(updateMethod === 'put' ? ['GET', 'PUT'] : ['PATCH']);
  });
});
