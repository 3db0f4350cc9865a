import { inspect } from 'node:util';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createScimClient, type ScimClient } from '../../scim/client';
import {
  ScimAuthenticationError,
  ScimConflictError,
  ScimError,
  ScimIncompleteListingError,
  ScimInvalidRequestError,
  ScimNotFoundError,
  ScimRateLimitedError,
  ScimTransientError,
} from '../../scim/errors';
import { externalIdFilter } from '../../scim/filter';
import { createOperationPacer } from '../../scim/pacer';
import { tenantHeldForMs, tenantHold } from '../../activities/tenant-hold';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUserWrite } from '../../scim/resources';

/** The SCIM client over real HTTP against the project's Peakon-compatible sandbox. */
const TOKEN = 'sandbox-token-8c1e47a0';

function employee(number: number, overrides: Partial<ScimUserWrite> = {}): ScimUserWrite {
  const email = `employee${number}@acme.com`;
  return {
    schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
    userName: email,
    emails: [{ value: email, type: 'work', primary: true }],
    name: { givenName: 'Employee', familyName: String(number) },
    externalId: `hris-${number}`,
    active: true,
    [ENTERPRISE_USER_SCHEMA]: { employeeNumber: String(number) },
    ...overrides,
  };
}

async function caught(promise: Promise<unknown>): Promise<ScimError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** The token must not leak through any way an error gets printed, logged or serialized. */
function expectNoSecret(error: unknown, secret: string): void {
  expect(String(error)).not.toContain(secret);
  expect(JSON.stringify(error)).not.toContain(secret);
  expect(inspect(error, { depth: 20, showHidden: true })).not.toContain(secret);
  if (error instanceof Error) {
    expect(String(error.stack)).not.toContain(secret);
    expect(error.cause).toBeUndefined();
  }
}

describe('ScimClient against the sandbox', () => {
  let sandbox: RunningSandbox;
  let client: ScimClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, port: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
  });
  beforeEach(() => {
    sandbox.reset();
    sandbox.setFaults({});
    client = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 5000 });
  });

  it('creates, reads, finds, replaces, deactivates and deletes a user', async () => {
    const created = await client.createUser(employee(1));
    expect(created.id).toEqual(expect.any(String));
    await expect(client.getUser(created.id)).resolves.toMatchObject({ userName: 'employee1@acme.com' });
    await expect(client.findUserByUserName('EMPLOYEE1@acme.com')).resolves.toMatchObject({ id: created.id });
    await expect(client.findUserByEmployeeNumber(1)).resolves.toMatchObject({ id: created.id });
    await expect(client.findUserByUserName('nobody@acme.com')).resolves.toBeUndefined();
    await expect(client.findUserByEmployeeNumber('404')).resolves.toBeUndefined();

    const replaced = await client.replaceUser(created.id, employee(1, { name: { givenName: 'Ada', familyName: 'Lovelace' } }));
    expect(replaced.name).toMatchObject({ givenName: 'Ada', familyName: 'Lovelace' });

    const deactivated = await client.setActive(created.id, false);
    expect(deactivated?.active).toBe(false);
    // Okta's pathless form must work as well.
    const reactivated = await client.patchUser(created.id, [{ op: 'replace', value: { active: true } }]);
    expect(reactivated?.active).toBe(true);

    await client.deleteUser(created.id);
    await expect(client.getUser(created.id)).rejects.toBeInstanceOf(ScimNotFoundError);
    expect(sandbox.users()).toHaveLength(0);
  });

  it('finds a user back by an externalId containing a quote and a backslash', async () => {
    const awkwardExternalId = 'hris "quoted" \\ back\\slash';
    const created = await client.createUser(employee(2, { externalId: awkwardExternalId }));
    // A near miss that a sloppy unescape (leaving \\ as two characters, or dropping it) would confuse with the real one.
    await client.createUser(employee(3, { externalId: 'hris "quoted" \\\\ back\\\\slash' }));

    const found = await client.findUsers(externalIdFilter(awkwardExternalId));
    expect(found.map((user) => user.id)).toEqual([created.id]);
    expect(found[0]?.externalId).toBe(awkwardExternalId);
  });

  it('reads the tenant schema and the service provider configuration', async () => {
    const peakonSchema = await client.getSchema(PEAKON_USER_SCHEMA);
    expect(peakonSchema.attributes.map((attribute) => attribute.name)).toContain('Date of Birth');
    // The URN went with raw colons, as IdPs send it (the sandbox logs the raw URL).
    expect(sandbox.ops().map((op) => `${op.method} ${op.path}`)).toContain(`GET /scim/v2/Schemas/${PEAKON_USER_SCHEMA}`);
    const config = await client.getServiceProviderConfig();
    expect(config.patch?.supported).toBe(true);
  });

  describe('typed errors', () => {
    it('401: a wrong token is an authentication error that names neither token', async () => {
      const wrongToken = 'wrong-token-31337';
      const intruder = createScimClient({ baseUrl: sandbox.baseUrl, token: wrongToken });
      const error = await caught(intruder.listAllUsers());
      expect(error).toBeInstanceOf(ScimAuthenticationError);
      expect(error).toMatchObject({ status: 401, method: 'GET', retryable: false });
      expect(error.path.startsWith('/Users?')).toBe(true);
      expectNoSecret(error, wrongToken);
      expectNoSecret(error, TOKEN);
      expect(error.message).not.toContain(sandbox.origin);
    });

    it('400: an unknown manager email is an invalid request carrying scimType and detail', async () => {
      const error = await caught(
        client.createUser(employee(4, { [PEAKON_USER_SCHEMA]: { Manager: 'ghost@acme.com' }, schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA] })),
      );
      expect(error).toBeInstanceOf(ScimInvalidRequestError);
      expect(error).toMatchObject({ status: 400, scimType: 'invalidValue', method: 'POST', path: '/Users', retryable: false });
      expect(error.detail).toContain('ghost@acme.com');
      expect(error.message).toContain(error.detail ?? 'no detail');
      expectNoSecret(error, TOKEN);
    });

    it('404: an unknown id is not found, with the encoded id in the path', async () => {
      const error = await caught(client.getUser('no such/user'));
      expect(error).toBeInstanceOf(ScimNotFoundError);
      expect(error).toMatchObject({ status: 404, path: '/Users/no%20such%2Fuser' });
    });

    it('404 to a PATCH or DELETE of a deleted user is Peakon\'s own answer (SCIM error body): the user is gone', async () => {
      const created = await client.createUser(employee(6));
      await client.deleteUser(created.id);
      for (const send of [() => client.setActive(created.id, false), () => client.deleteUser(created.id)]) {
        const error = await caught(send());
        expect(error).toBeInstanceOf(ScimNotFoundError);
        expect(error).toMatchObject({ status: 404, apiAnswer: true });
      }
    });

    it('409: a duplicate userName is a conflict with scimType uniqueness', async () => {
      await client.createUser(employee(5));
      const error = await caught(client.createUser(employee(5, { externalId: 'hris-other', [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '5b' } })));
      expect(error).toBeInstanceOf(ScimConflictError);
      expect(error).toMatchObject({ status: 409, scimType: 'uniqueness', retryable: false });
    });

    it('429: over the hourly quota is rate limited with Retry-After in milliseconds, and the pacer holds', async () => {
      const tinyQuota = await startSandbox({ token: TOKEN, port: 0, quotaPerHour: 2 });
      try {
        const holds: number[] = [];
        const pacer = createOperationPacer({ operationsPerHour: 1_000_000 });
        const limited = createScimClient({
          baseUrl: tinyQuota.baseUrl,
          token: TOKEN,
          pacer: { acquire: () => pacer.acquire(), holdFor: (delayMs) => holds.push(delayMs) },
        });
        await limited.getServiceProviderConfig();
        await limited.getServiceProviderConfig();
        const error = await caught(limited.getServiceProviderConfig());
        expect(error).toBeInstanceOf(ScimRateLimitedError);
        expect(error).toMatchObject({ status: 429, retryable: true });
        const retryAfterMs = error instanceof ScimRateLimitedError ? error.retryAfterMs : undefined;
        // The sandbox's sliding hour frees the first slot an hour after it was used.
        expect(retryAfterMs).toBeGreaterThan(3_500_000);
        expect(retryAfterMs).toBeLessThanOrEqual(3_600_000);
        expect(holds).toEqual([retryAfterMs]);
        expect(limited.totalOperations()).toBe(3);
      } finally {
        await tinyQuota.close();
      }
    });

    it('429 with the tenant\'s hold: the tenant is held, and every client of it then fails at once without sending', async () => {
      const tinyQuota = await startSandbox({ token: TOKEN, port: 0, quotaPerHour: 1 });
      try {
        const tenant = `hold-${Date.now()}`;
        const limited = createScimClient({ baseUrl: tinyQuota.baseUrl, token: TOKEN, hold: tenantHold(tenant, tinyQuota.baseUrl) });
        await limited.getServiceProviderConfig();
        await expect(limited.getServiceProviderConfig()).rejects.toMatchObject({ status: 429 });
        expect(tenantHeldForMs(tenant, tinyQuota.baseUrl)).toBeGreaterThan(3_500_000);

        // Another plan of the tenant in this process: not sent, not counted, told how long is left.
        const other = createScimClient({ baseUrl: tinyQuota.baseUrl, token: TOKEN, hold: tenantHold(tenant, tinyQuota.baseUrl) });
        const error = await caught(other.listAllUsers());
        expect(error).toBeInstanceOf(ScimRateLimitedError);
        expect(error).toMatchObject({ status: undefined, message: expect.stringContaining('not sent') });
        expect((error as ScimRateLimitedError).retryAfterMs).toBeGreaterThan(3_500_000);
        expect(other.totalOperations()).toBe(0);
        expect(tinyQuota.ops()).toHaveLength(2);
        // Another tenant on the same server is not held.
        expect(tenantHeldForMs(`${tenant}-other`, tinyQuota.baseUrl)).toBe(0);
      } finally {
        await tinyQuota.close();
      }
    });

    it('429 while another request of the tenant waits in the pacer: that one is not sent once its turn comes', async () => {
      const tinyQuota = await startSandbox({ token: TOKEN, port: 0, quotaPerHour: 1 });
      try {
        // The tenant's one operation of the hour spent: the next request is answered 429.
        await createScimClient({ baseUrl: tinyQuota.baseUrl, token: TOKEN }).getServiceProviderConfig();
        const tenant = `hold-paced-${Date.now()}`;
        // One operation a second, no burst: the second request waits about a second for its slot.
        const paced = createScimClient({ baseUrl: tinyQuota.baseUrl, token: TOKEN, pacer: createOperationPacer({ operationsPerHour: 3_600, burst: 1 }), hold: tenantHold(tenant, tinyQuota.baseUrl) });
        const [first, second] = await Promise.all([caught(paced.getServiceProviderConfig()), caught(paced.getUser('u-any'))]);
        expect(first).toMatchObject({ status: 429 });
        expect(second).toBeInstanceOf(ScimRateLimitedError);
        expect(second).toMatchObject({ status: undefined, method: 'GET', message: expect.stringContaining('not sent') });
        expect((second as ScimRateLimitedError).retryAfterMs).toBeGreaterThan(3_500_000);
        // The warm-up and the 429: the waiting request spent nothing.
        expect(tinyQuota.ops()).toHaveLength(2);
        expect(paced.totalOperations()).toBe(1);
      } finally {
        await tinyQuota.close();
      }
    });

    it('5xx: an injected server fault is a retryable transient error', async () => {
      sandbox.setFaults({ faultRate: 1, seed: 7 });
      const error = await caught(client.getUser('any'));
      expect(error).toBeInstanceOf(ScimTransientError);
      expect([500, 503]).toContain(error.status);
      expect(error.retryable).toBe(true);
      expectNoSecret(error, TOKEN);
    });

    it('timeout: a request that hangs past the client timeout is a transient error, promptly', async () => {
      sandbox.setFaults({ hangRate: 1, hangMs: 10_000 });
      const impatient = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 300 });
      const startedAt = Date.now();
      const error = await caught(impatient.createUser(employee(6)));
      expect(Date.now() - startedAt).toBeLessThan(3000);
      expect(error).toBeInstanceOf(ScimTransientError);
      expect(error).toMatchObject({ status: undefined, method: 'POST', path: '/Users', retryable: true });
      expect(error.message).toMatch(/timeout/);
      expectNoSecret(error, TOKEN);
    });

    it('commit then fail: the error is transient although the create landed (why creates re-discover first)', async () => {
      sandbox.setFaults({ commitThenFailRate: 1 });
      await expect(client.createUser(employee(7))).rejects.toBeInstanceOf(ScimTransientError);
      sandbox.setFaults({});
      await expect(client.findUserByUserName('employee7@acme.com')).resolves.toMatchObject({ externalId: 'hris-7' });
    });
  });

  describe('listing', () => {
    it('lists 250 users in three pages of 100', async () => {
      sandbox.seedUsers(Array.from({ length: 250 }, (_unused, index) => employee(index + 1)));
      const pageSizes: number[] = [];
      for await (const page of client.iterateUserPages()) pageSizes.push(page.length);
      expect(pageSizes).toEqual([100, 100, 50]);

      const users = await client.listAllUsers();
      expect(new Set(users.map((user) => user.id)).size).toBe(250);
      const listingRequests = sandbox.ops().filter((entry) => entry.method === 'GET').slice(-3);
      expect(listingRequests.map((entry) => new URL(entry.path, sandbox.origin).searchParams.get('startIndex'))).toEqual(['1', '101', '201']);
      expect(client.operationCounts().GET).toBe(6);
    });

    it('lists inactive users too', async () => {
      sandbox.seedUsers([employee(1), employee(2, { active: false })]);
      await expect(client.listAllUsers()).resolves.toHaveLength(2);
    });

    it('lists an empty tenant with one request', async () => {
      await expect(client.listAllUsers()).resolves.toEqual([]);
      expect(client.totalOperations()).toBe(1);
    });

    it('follows a server page cap below the requested page size', async () => {
      const capped = await startSandbox({ token: TOKEN, port: 0, pageSizeCap: 40 });
      try {
        capped.seedUsers(Array.from({ length: 90 }, (_unused, index) => employee(index + 1)));
        const cappedClient = createScimClient({ baseUrl: capped.baseUrl, token: TOKEN, pageSize: 100 });
        await expect(cappedClient.listAllUsers()).resolves.toHaveLength(90);
        expect(cappedClient.totalOperations()).toBe(3);
      } finally {
        await capped.close();
      }
    });

    it('throws instead of returning fewer users when listings are truncated', async () => {
      sandbox.seedUsers(Array.from({ length: 250 }, (_unused, index) => employee(index + 1)));
      sandbox.setFaults({ truncateListings: true });
      const error = await caught(client.listAllUsers());
      expect(error).toBeInstanceOf(ScimIncompleteListingError);
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/of 250 users promised/);
    });
  });

  it('counts every request sent by method, failed ones included, as the sandbox does', async () => {
    const created = await client.createUser(employee(8));
    await client.createUser(employee(8)).catch(() => undefined);
    await client.getUser('missing').catch(() => undefined);
    await client.setActive(created.id, false);
    await client.replaceUser(created.id, employee(8));
    await client.findUserByUserName('employee8@acme.com');
    await client.deleteUser(created.id);
    sandbox.setFaults({ faultRate: 1 });
    await client.getServiceProviderConfig().catch(() => undefined);

    expect(client.operationCounts()).toEqual({ GET: 3, POST: 2, PUT: 1, PATCH: 1, DELETE: 1 });
    expect(client.totalOperations()).toBe(8);
    expect(sandbox.counters()).toEqual({ GET: 3, POST: 2, PUT: 1, PATCH: 1, DELETE: 1 });
  });

  it('spaces requests with a pacer', async () => {
    const paced = createScimClient({
      baseUrl: sandbox.baseUrl,
      token: TOKEN,
      pacer: createOperationPacer({ operationsPerHour: 36_000, burst: 1 }),
    });
    const startedAt = Date.now();
    for (let i = 0; i < 4; i += 1) await paced.getServiceProviderConfig();
    // 36,000/h = one per 100 ms: the 2nd, 3rd and 4th request each wait for their slot.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
  });

  it('says it is waiting every tick while the pacer holds a request (the plan heartbeats then), and stops waiting when stopped', async () => {
    const pacer = createOperationPacer({ operationsPerHour: 1_000_000 });
    let waits = 0;
    const paced = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, pacer, onWait: () => (waits += 1), waitTickMs: 50 });
    // A Retry-After another request of the tenant got: nobody in this process sends for 600 ms.
    pacer.holdFor(600);
    const before = sandbox.counters().GET ?? 0;
    await paced.getServiceProviderConfig();
    // About 12 ticks in 600 ms; timers drift on a loaded machine, so only "several" is asserted.
    expect(waits).toBeGreaterThanOrEqual(4);
    expect(sandbox.counters().GET).toBe(before + 1);

    // Held for an hour, then stopped (the activity is cancelled): the request gives up at once and sends nothing.
    const stop = new AbortController();
    const stopped = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, pacer, signal: stop.signal });
    pacer.holdFor(3_600_000);
    const startedAt = Date.now();
    const request = stopped.getServiceProviderConfig();
    setTimeout(() => stop.abort(new Error('cancelled')), 100);
    await expect(request).rejects.toThrow('cancelled');
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(sandbox.counters().GET).toBe(before + 1);
  });
});
