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
});
