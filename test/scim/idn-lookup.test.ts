import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps';
import { scimStepActivities } from '../../activities/employee';
import { emailSpellings } from '../../mapping/email';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createScimClient } from '../../scim/client';
import { CORE_USER_SCHEMA } from '../../scim/resources';

/**
 * A lookup by userName (filter discovery, `sync --employee`) of an address with an internationalised domain: Peakon
 * tells `anna@exämple.com` and `anna@xn--exmple-cua.com` apart, so a user another tool stored under the Unicode
 * spelling must still be found by the ASCII one the connector sends, or the create that follows is a duplicate.
 * Over real HTTP against the sandbox, which compares userName as Peakon does (letter case only).
 */
const TOKEN = 'sandbox-token-idn';

describe('a userName lookup of an internationalised address', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, port: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('has two spellings for an IDN domain and one for an ASCII domain', () => {
    expect(emailSpellings('anna@xn--exmple-cua.com')).toEqual(['anna@xn--exmple-cua.com', 'anna@exämple.com']);
    expect(emailSpellings('anna@exämple.com')).toEqual(['anna@exämple.com', 'anna@xn--exmple-cua.com']);
    expect(emailSpellings('Anna@Example.com')).toEqual(['Anna@Example.com']);
    expect(emailSpellings('not an address')).toEqual(['not an address']);
  });

  it('finds a user stored under the Unicode spelling by the ASCII one, in two requests; an ASCII address costs one', async () => {
    sandbox.reset();
    const client = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 5000 });
    const stored = await client.createUser({ schemas: [CORE_USER_SCHEMA], userName: 'anna@exämple.com', emails: [{ value: 'anna@exämple.com', primary: true }], name: { givenName: 'Anna', familyName: 'B' }, active: true });
    const before = client.totalOperations();
    await expect(client.findUserByUserName('anna@xn--exmple-cua.com')).resolves.toMatchObject({ id: stored.id });
    expect(client.totalOperations() - before).toBe(2);
    await expect(client.findUserByUserName('bob@example.com')).resolves.toBeUndefined();
    expect(client.totalOperations() - before).toBe(3);
  });

  it("an employee's discovery counts every request it sent: both spellings, and filter discovery's lookup by HR id", async () => {
    sandbox.reset();
    const deps: ActivityDeps = { reportDirectory: '/nonexistent', resolveSecret: () => TOKEN, createSource: () => { throw new Error('no HR source here'); } };
    const { discoverEmployee } = scimStepActivities(deps);
    const email = 'new.hire@xn--exmple-cua.com';
    const user = { schemas: [CORE_USER_SCHEMA], userName: email, emails: [{ value: email, primary: true }], name: { givenName: 'New', familyName: 'Hire' }, externalId: 'hr-77', active: true };
    const input = {
      run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-30T10:00:00Z' },
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 5_000, operationsPerHour: 25_000 },
      ref: 'employee-ref',
      updateMethod: 'patch' as const,
      matchingKey: 'email' as const,
      userName: email,
      desired: { user, references: {}, createOnly: [], sourceId: 'hr-77' },
    };
    const attempt = (number: number) => new MockActivityEnvironment({ attempt: number }, { logger: new DefaultLogger('ERROR') });
    // A new hire: nobody under either spelling, nobody with the HR id: three GETs, all counted.
    await expect(attempt(1).run(discoverEmployee, input)).resolves.toEqual({ operations: 3 });
    expect(sandbox.ops().filter((op) => op.method === 'GET')).toHaveLength(3);
    // A second attempt counts one for the first and what it sent itself.
    await expect(attempt(2).run(discoverEmployee, input)).resolves.toEqual({ operations: 4 });
    expect(sandbox.ops()).toHaveLength(6);

    // Asked one lookup at a time (today's workflows), each attempt sends one request and names the next lookup due, so
    // each is an activity of its own that the tenant queue's rate paces.
    await expect(attempt(1).run(discoverEmployee, { ...input, lookup: { by: 'key' as const, spelling: 0 } })).resolves.toEqual({ operations: 1, next: { by: 'key', spelling: 1 } });
    await expect(attempt(1).run(discoverEmployee, { ...input, lookup: { by: 'key' as const, spelling: 1 } })).resolves.toEqual({ operations: 1, next: { by: 'hrId' } });
    await expect(attempt(1).run(discoverEmployee, { ...input, lookup: { by: 'hrId' as const } })).resolves.toEqual({ operations: 1 });
    expect(sandbox.ops()).toHaveLength(9);
    // An ASCII address has one spelling: nobody by it goes straight to the HR id; an inactive person to nobody.
    const ascii = { ...input, userName: 'new.hire@example.com', desired: { ...input.desired, user: { ...user, userName: 'new.hire@example.com' } } };
    await expect(attempt(1).run(discoverEmployee, { ...ascii, lookup: { by: 'key' as const, spelling: 0 } })).resolves.toEqual({ operations: 1, next: { by: 'hrId' } });
    const inactive = { ...ascii, desired: { ...ascii.desired, user: { ...ascii.desired.user, active: false } } };
    await expect(attempt(1).run(discoverEmployee, { ...inactive, lookup: { by: 'key' as const, spelling: 0 } })).resolves.toEqual({ operations: 1 });
    expect(sandbox.ops()).toHaveLength(11);
  });
});
