import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createScimClient, LIST_PAGE_RETRY, type ScimClient } from '../../scim/client';
import { ScimRateLimitedError, ScimTransientError } from '../../scim/errors';
import { CORE_USER_SCHEMA } from '../../scim/resources';
import { listResponse, scimUser, sendJson, startStandInServer, type StandInServer } from './stand-in-server';

/**
 * A listing's pages retried in place (scim/client.ts IterateUserPagesOptions.retryPages), over real HTTP against the
 * sandbox's seeded faults (500/503, not applied): the plan's listing of a large tenant survives the odd failed page
 * instead of starting over from the HR read, and gives up, naming the failure, when a page keeps failing.
 */
const TOKEN = 'sandbox-token-list-retry';

describe('a listing whose pages fail now and then', () => {
  let sandbox: RunningSandbox;
  const users = 300;
  const pageSize = 20;
  /** Short delays: the policy's shape, not its seconds, is under test. */
  const clientWith = (extra: { onWait?: () => void } = {}): ScimClient => createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 5000, pageSize, listPageRetry: { attempts: 5, baseDelayMs: 5, maxDelayMs: 50 }, waitTickMs: 1, ...extra });
  const list = async (client: ScimClient, retryPages: boolean): Promise<number> => {
    let listed = 0;
    for await (const page of client.iterateUserPages(undefined, { retryPages })) listed += page.length;
    return listed;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN, port: 0 });
    const seeding = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, timeoutMs: 5000 });
    for (let index = 0; index < users; index += 1) {
      const email = `person${index}@example.com`;
      await seeding.createUser({ schemas: [CORE_USER_SCHEMA], userName: email, emails: [{ value: email, primary: true }], name: { givenName: 'P', familyName: String(index) }, active: true });
    }
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('retries a failed page in place: every user listed once, each retry counted as the operation it is', async () => {
    // 15 pages at a fault rate of 20%: without retries the listing fails (the next test shows it for this seed).
    sandbox.setFaults({ seed: 7, faultRate: 0.2 });
    const before = sandbox.ops().length;
    let waits = 0;
    const client = clientWith({ onWait: () => (waits += 1) });
    await expect(list(client, true)).resolves.toBe(users);
    const sent = sandbox.ops().length - before;
    expect(sent).toBeGreaterThan(users / pageSize);
    expect(client.totalOperations()).toBe(sent);
    // The wait between tries is told (the plan heartbeats then).
    expect(waits).toBeGreaterThan(0);
  });

  it('without retryPages (an employee step: one request per attempt) the first failed page fails the listing', async () => {
    sandbox.setFaults({ seed: 7, faultRate: 0.2 });
    await expect(list(clientWith(), false)).rejects.toBeInstanceOf(ScimTransientError);
  });

  it('a page that keeps failing fails the listing after the policy\'s attempts, not later', async () => {
    sandbox.setFaults({ faultRate: 1 });
    const before = sandbox.ops().length;
    await expect(list(clientWith(), true)).rejects.toBeInstanceOf(ScimTransientError);
    expect(sandbox.ops().length - before).toBe(5);
  });
});

/**
 * The policy as the README states it ("a 429 asking for at most 30 s is tried again in place, up to 5 tries 2–30 s
 * apart"), and a 429's Retry-After against it, over real HTTP from a scripted stand-in (the sandbox's quota answers
 * 429 for the rest of its hour, not for a scripted second). The default policy, not a shortened one.
 */
describe('a listing page answered 429', () => {
  let server: StandInServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** The first request is answered 429 with `retryAfter`, every later one with the single page of two users. */
  async function listingAfter429(retryAfter: string) {
    server = await startStandInServer((request, response) => {
      if (server?.requests.length === 1) return sendJson(response, 429, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429', detail: 'Too many requests' }, { 'Retry-After': retryAfter });
      return sendJson(response, 200, listResponse([scimUser('u1'), scimUser('u2')], 2, 1));
    });
    const client = createScimClient({ baseUrl: `${server.origin}/scim/v2`, token: 'stand-in-token-list-429', timeoutMs: 5000 });
    const listing = (async () => {
      let listed = 0;
      for await (const page of client.iterateUserPages(undefined, { retryPages: true })) listed += page.length;
      return listed;
    })();
    return { listing, requests: server.requests, client };
  }

  it('the policy: 5 tries per page, 2 s doubling to at most 30 s apart', () => {
    expect(LIST_PAGE_RETRY).toEqual({ attempts: 5, baseDelayMs: 2_000, maxDelayMs: 30_000 });
  });

  it('Retry-After: 1 is waited out in place and the page asked again: the listing succeeds', async () => {
    const { listing, requests, client } = await listingAfter429('1');
    const started = Date.now();
    await expect(listing).resolves.toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(requests.map((request) => request.method)).toEqual(['GET', 'GET']);
    expect(client.totalOperations()).toBe(2);
  });

  it.each(['31', '3600'])('Retry-After: %s (more than 30 s) fails the listing after its one request, rate limited', async (retryAfter) => {
    const { listing, requests } = await listingAfter429(retryAfter);
    const started = Date.now();
    const failure = await listing.then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(ScimRateLimitedError);
    expect((failure as ScimRateLimitedError).retryAfterMs).toBe(Number(retryAfter) * 1000);
    expect(requests).toHaveLength(1);
    // Failed at once (the activity waits it out on a server-side timer), not after waiting here.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

/**
 * A 503's Retry-After may lengthen the page's backoff, never shorten it: `Retry-After: 0` (or a past date, or a tiny
 * number) from an overloaded Peakon or a gateway must not send the page again at once, each try billed. Real HTTP from
 * a scripted stand-in (the sandbox's injected 503s carry no Retry-After).
 */
describe('a listing page answered 503 with a Retry-After shorter than the backoff', () => {
  let server: StandInServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(['0', '0.001', 'Thu, 01 Jan 1970 00:00:00 GMT'])('Retry-After: %s waits the policy\'s backoff between tries all the same', async (retryAfter) => {
    const sentAt: number[] = [];
    server = await startStandInServer((_request, response) => {
      sentAt.push(Date.now());
      if (sentAt.length <= 2) return sendJson(response, 503, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503', detail: 'busy' }, { 'Retry-After': retryAfter });
      return sendJson(response, 200, listResponse([scimUser('u1'), scimUser('u2')], 2, 1));
    });
    const client = createScimClient({ baseUrl: `${server.origin}/scim/v2`, token: 'stand-in-token-list-503', timeoutMs: 5000, listPageRetry: { attempts: 5, baseDelayMs: 300, maxDelayMs: 1_000 } });
    let listed = 0;
    for await (const page of client.iterateUserPages(undefined, { retryPages: true })) listed += page.length;
    expect(listed).toBe(2);
    expect(sentAt).toHaveLength(3);
    // 300 ms after the first 503, 600 ms after the second (the timer may fire a millisecond early).
    expect((sentAt[1] ?? 0) - (sentAt[0] ?? 0)).toBeGreaterThanOrEqual(290);
    expect((sentAt[2] ?? 0) - (sentAt[1] ?? 0)).toBeGreaterThanOrEqual(590);
  });
});
