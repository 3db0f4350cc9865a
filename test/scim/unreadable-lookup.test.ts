import { inspect } from 'node:util';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps';
import { scimStepActivities } from '../../activities/employee';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createScimClient, type ScimClient } from '../../scim/client';
import { ScimAmbiguousMatchError, ScimUnreadableUserError } from '../../scim/errors';
import { listResponse, scimUser, sendJson, startStandInServer } from './stand-in-server';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser, type ScimUserWrite } from '../../scim/resources';

/**
 * A Peakon user that does not fit the SCIM User schema, found by a lookup on a unique key (a single-employee plan,
 * filter discovery, the discovery after a 409), is a present user to leave alone — as the whole-tenant listing
 * treats one — not a malformed answer that fails the employee at every run. Real HTTP against the sandbox, the odd
 * user stored with its test-only storeRawUser.
 */
const TOKEN = 'unreadable-lookup-token-91c3';
const EMAIL = 'odd.person@acme.com';

function employee(email: string, employeeNumber: string): ScimUserWrite {
  return {
    schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
    userName: email,
    emails: [{ value: email, type: 'work', primary: true }],
    name: { givenName: 'Odd', familyName: 'Person' },
    externalId: `hris-${employeeNumber}`,
    active: true,
    [ENTERPRISE_USER_SCHEMA]: { employeeNumber },
  };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => {
    throw new Error('expected the call to fail');
  }, (error: unknown) => error);
}

describe('a lookup that matches a user who does not fit the SCIM schema', () => {
  let sandbox: RunningSandbox;
  let client: ScimClient;
  let odd: ScimUser;

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, port: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  beforeEach(() => {
    sandbox.reset();
    client = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 5000 });
    const [stored] = sandbox.seedUsers([employee(EMAIL, '7001')]);
    if (!stored) throw new Error('not seeded');
    odd = sandbox.storeRawUser(stored.id, { ...stored, name: { ...stored.name, givenName: 987654321 }, [PEAKON_USER_SCHEMA]: { Nicknames: ['secret-a', 'secret-b'] } });
  });

  it.each([
    ['userName', () => client.findUserByUserName(EMAIL.toUpperCase())],
    ['employeeNumber', () => client.findUserByEmployeeNumber('7001')],
  ])('by %s: says the user is there and unreadable, naming the id and fields, never values', async (key, lookup) => {
    const error = await failureOf(lookup());
    expect(error).toBeInstanceOf(ScimUnreadableUserError);
    const unreadable = error as ScimUnreadableUserError;
    expect(unreadable).toMatchObject({ retryable: false, userId: odd.id, method: 'GET' });
    expect(unreadable.fields).toEqual(['name.givenName', `${PEAKON_USER_SCHEMA}.Nicknames`]);
    expect(unreadable.message).toContain(`Peakon user ${odd.id} matches the ${key} looked up`);
    expect(unreadable.message).toContain('name.givenName');
    // What identifies them, for a plan that leaves them alone (sync/plan.ts matches unreadable users by these).
    expect(unreadable.user).toMatchObject({ id: odd.id, userName: EMAIL, externalId: 'hris-7001', employeeNumber: '7001', emails: [EMAIL] });
    for (const shown of [unreadable.message, JSON.stringify(unreadable), inspect(unreadable, { depth: 10 })]) {
      expect(shown).not.toContain('secret-a');
      expect(shown).not.toContain('987654321');
      // The readable identity is kept for the plan, not shown (the path names the filter, as every error's does).
      expect(shown).not.toContain('hris-7001');
    }
    // One request, as for a readable match.
    expect(client.totalOperations()).toBe(1);
  });

  it('an unreadable match whose own key is unreadable carries the key looked up, so a planner still matches them', async () => {
    // A key Peakon matched but holds in a form the schema cannot read (the sandbox's filter would not match such a
    // user, so a scripted server answers).
    const server = await startStandInServer((_request, response) =>
      sendJson(response, 200, listResponse([scimUser('u-9', undefined, { userName: 12345, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 7001 } })], 1, 1)),
    );
    try {
      const scripted = createScimClient({ baseUrl: `${server.origin}/scim/v2`, token: TOKEN, timeoutMs: 5000 });
      const byName = (await failureOf(scripted.findUserByUserName(EMAIL))) as ScimUnreadableUserError;
      expect(byName).toBeInstanceOf(ScimUnreadableUserError);
      expect(byName.user).toMatchObject({ id: 'u-9', userName: EMAIL });
      const byNumber = (await failureOf(scripted.findUserByEmployeeNumber('7001'))) as ScimUnreadableUserError;
      expect(byNumber.user).toMatchObject({ id: 'u-9', employeeNumber: '7001' });
      expect(byNumber.fields).toEqual(['userName', `${ENTERPRISE_USER_SCHEMA}.employeeNumber`]);
    } finally {
      await server.close();
    }
  });

  it('a readable and an unreadable user under one key are still two users (ambiguous, both ids named)', async () => {
    const [other] = sandbox.seedUsers([employee('other@acme.com', '7002')]);
    if (!other) throw new Error('not seeded');
    // Only a hand-made tenant has two users with one employee number; the sandbox stores it raw.
    sandbox.storeRawUser(other.id, { ...other, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '7001' } });
    const error = await failureOf(client.findUserByEmployeeNumber('7001'));
    expect(error).toBeInstanceOf(ScimAmbiguousMatchError);
    expect((error as ScimAmbiguousMatchError).matchingUserIds).toEqual(expect.arrayContaining([odd.id, other.id]));
  });

  it('a readable match and no match are unchanged', async () => {
    sandbox.seedUsers([employee('fine@acme.com', '7003')]);
    await expect(client.findUserByUserName('fine@acme.com')).resolves.toMatchObject({ userName: 'fine@acme.com' });
    await expect(client.findUserByEmployeeNumber('404')).resolves.toBeUndefined();
  });

  it('the employee\'s discovery takes them as present and left alone: their id, no update, a reason naming id and fields', async () => {
    const deps: ActivityDeps = { reportDirectory: '/nonexistent', resolveSecret: () => TOKEN, createSource: () => { throw new Error('no HR source here'); } };
    const { discoverEmployee } = scimStepActivities(deps);
    const desired = employee(EMAIL, '7001');
    const input = {
      run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-30T10:00:00Z' },
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 5_000, operationsPerHour: 25_000 },
      ref: 'employee-ref',
      updateMethod: 'patch' as const,
      desired: { user: { ...desired, name: { givenName: 'Changed', familyName: 'Person' } }, references: {}, createOnly: [], sourceId: '7001' },
    };
    const environment = () => new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
    for (const lookup of [{ matchingKey: 'email' as const, userName: EMAIL }, { matchingKey: 'employeeNumber' as const, userName: EMAIL, employeeNumber: '7001' }]) {
      const result = await environment().run(discoverEmployee, { ...input, ...lookup });
      expect(result).toEqual({
        peakonUserId: odd.id,
        externalId: 'hris-7001',
        leftAlone: `Peakon user ${odd.id} could not be read (name.givenName, ${PEAKON_USER_SCHEMA}.Nicknames do not fit the SCIM User schema): left alone this run`,
        operations: 1,
      });
    }
    // Nothing was written to them.
    expect(sandbox.ops().every((op) => op.method === 'GET')).toBe(true);
  });

  describe('found by HR id (externalId), the lookup filter discovery and sync --employee make before a create', () => {
    const discoverInput = (desired: { email: string; active?: boolean }) => {
      const user = employee(desired.email, '8001');
      return {
        run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-30T10:00:00Z' },
        peakon: { baseUrl: sandbox.baseUrl, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 5_000, operationsPerHour: 25_000 },
        ref: 'employee-ref',
        updateMethod: 'patch' as const,
        matchingKey: 'email' as const,
        userName: desired.email,
        // The odd user's HR id, under a new email: a rename whose old user cannot be read.
        desired: { user: { ...user, ...(desired.active !== undefined ? { active: desired.active } : {}) }, references: {}, createOnly: [], sourceId: 'hris-7001' },
      };
    };
    const deps: ActivityDeps = { reportDirectory: '/nonexistent', resolveSecret: () => TOKEN, createSource: () => { throw new Error('no HR source here'); } };
    const environment = () => new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });

    it('usersWithExternalId: an unreadable holder is a holder, named by id and fields, in one request', async () => {
      const holders = await client.usersWithExternalId('hris-7001');
      expect(holders).toMatchObject({ users: [], total: 1, filterIgnored: false });
      expect(holders.unreadable).toEqual([expect.objectContaining({ id: odd.id, externalId: 'hris-7001', fields: ['name.givenName', `${PEAKON_USER_SCHEMA}.Nicknames`] })]);
      await expect(client.usersWithExternalId('hris-nobody')).resolves.toEqual({ users: [], unreadable: [], total: 0, filterIgnored: false });
      expect(client.totalOperations()).toBe(2);
    });

    it('usersWithExternalId: a holder whose externalId cannot be read counts (with the id looked up); a readable stranger means the filter was ignored', async () => {
      const answers = [
        listResponse([scimUser('u-9', undefined, { externalId: 7001, name: { givenName: 1 } })], 1, 1),
        listResponse([scimUser('u-7', undefined, { externalId: 'OKTA-1' }), scimUser('u-8', undefined, { externalId: 'hris-7001' })], 40, 1),
      ];
      const server = await startStandInServer((_request, response) => sendJson(response, 200, answers.shift()));
      try {
        const scripted = createScimClient({ baseUrl: `${server.origin}/scim/v2`, token: TOKEN, timeoutMs: 5000 });
        const unreadableId = await scripted.usersWithExternalId('hris-7001');
        expect(unreadableId).toMatchObject({ users: [], total: 1, filterIgnored: false, unreadable: [{ id: 'u-9', externalId: 'hris-7001' }] });
        const ignored = await scripted.usersWithExternalId('hris-7001');
        expect(ignored).toMatchObject({ filterIgnored: true, total: 1, users: [{ id: 'u-8' }] });
      } finally {
        await server.close();
      }
    });

    it('filter discovery: nobody by the new email, the old user holds the HR id but cannot be read: left alone with its id, not a failure', async () => {
      const { discoverEmployee } = scimStepActivities(deps);
      const result = await environment().run(discoverEmployee, discoverInput({ email: 'renamed.person@acme.com' }));
      expect(result).toEqual({
        peakonUserId: odd.id,
        externalId: 'hris-7001',
        leftAlone: expect.stringMatching(new RegExp(`^Peakon user ${odd.id} holds this HR id as externalId but could not be read \\(name\\.givenName, .*Nicknames do not fit the SCIM User schema\\): left alone this run, not created`)),
        operations: 2,
      });
      expect(JSON.stringify(result)).not.toContain('secret-a');
      expect(sandbox.ops().every((op) => op.method === 'GET')).toBe(true);
    });

    it('filter discovery: someone the HR system marks inactive and nobody holds by key costs one GET, not a second by HR id', async () => {
      const { discoverEmployee } = scimStepActivities(deps);
      const opsBefore = sandbox.ops().length;
      const result = await environment().run(discoverEmployee, discoverInput({ email: 'gone.person@acme.com', active: false }));
      expect(result).toEqual({ operations: 1 });
      expect(sandbox.ops().slice(opsBefore)).toHaveLength(1);
    });
  });
});
