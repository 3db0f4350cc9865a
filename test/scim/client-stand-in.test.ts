import { inspect } from 'node:util';
import { createScimClient } from '../../scim/client';
import {
  ScimAmbiguousMatchError,
  ScimIncompleteListingError,
  ScimMalformedResponseError,
  ScimNotFoundError,
  ScimTransientError,
  ScimUnexpectedError,
} from '../../scim/errors';
import { sendEmployeeWrite } from '../../activities/employee';
import type { EmployeeWrite } from '../../sync/types';
import { EMPLOYEE_NUMBER_PATH, ENTERPRISE_USER_SCHEMA } from '../../scim/resources';
import { withEnvironmentProxy } from '../harness/env-proxy';
import { listResponse, scimUser, sendJson, startStandInServer, type ScriptedHandler, type StandInServer } from './stand-in-server';

/**
 * Client behaviour against responses a real Peakon-compatible server should never give (the sandbox cannot be made to
 * give them), served by a scripted node:http stand-in.
 */
const TOKEN = 'stand-in-token-5f2c9d';
const BASE_PATH = '/api/scim/v2';

let server: StandInServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientFor(handler: ScriptedHandler, options: { timeoutMs?: number; totalTimeoutMs?: number; pageSize?: number; signal?: AbortSignal } = {}) {
  server = await startStandInServer(handler);
  const client = createScimClient({ baseUrl: `${server.origin}${BASE_PATH}/`, token: TOKEN, userAgent: 'peakon-sync/test', ...options });
  return { client, requests: server.requests };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

function expectNoToken(error: unknown): void {
  expect(String(error)).not.toContain(TOKEN);
  expect(JSON.stringify(error)).not.toContain(TOKEN);
  expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(TOKEN);
}

describe('ScimClient against scripted responses', () => {
  it('uses the base URL whole, encodes ids and sends SCIM headers with the bearer token', async () => {
    const { client, requests } = await clientFor((_request, response) => sendJson(response, 200, scimUser('a/b c')));
    await client.getUser('a/b c');
    await client.getSchema('urn:ietf:params:scim:schemas:core:2.0:User').catch(() => undefined);
    expect(requests[0]?.url).toBe(`${BASE_PATH}/Users/a%2Fb%20c`);
    // The schema URN's colons raw, as IdPs send them: a server routing on the raw path does not know `urn%3Aietf%3A…`.
    expect(requests[1]?.url).toBe(`${BASE_PATH}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User`);
    expect(requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    // Peakon accepts plain JSON too (peakon-scim.md), preferring SCIM's own media type.
    expect(requests[0]?.headers.accept).toBe('application/scim+json, application/json;q=0.9');
    expect(requests[0]?.headers['user-agent']).toBe('peakon-sync/test');
  });

  it('sends write bodies as application/scim+json and PatchOp for setActive', async () => {
    const { client, requests } = await clientFor((_request, response) => {
      response.writeHead(204);
      response.end();
    });
    await expect(client.setActive('u1', false)).resolves.toBeUndefined();
    expect(requests[0]?.method).toBe('PATCH');
    expect(requests[0]?.headers['content-type']).toBe('application/scim+json');
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
  });

  it('percent-encodes the filter in the query string (spaces as %20, not +)', async () => {
    const { client, requests } = await clientFor((_request, response) => sendJson(response, 200, listResponse([], 0, 1)));
    await client.findUserByUserName('a+b@acme.com');
    expect(requests[0]?.url).toBe(`${BASE_PATH}/Users?filter=userName%20eq%20%22a%2Bb%40acme.com%22&startIndex=1&count=2`);
  });

  it('reports a 200 whose body is not JSON as a malformed response', async () => {
    const { client } = await clientFor((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'text/html' });
      response.end('<html>maintenance</html>');
    });
    const error = await caught(client.getUser('u1'));
    expect(error).toBeInstanceOf(ScimMalformedResponseError);
    expect(error).toMatchObject({ status: 200, method: 'GET', path: '/Users/u1', retryable: false });
    expectNoToken(error);
  });

  it('reports a 200 whose JSON is not a SCIM user as a malformed response, naming the bad field', async () => {
    const { client } = await clientFor((_request, response) => sendJson(response, 200, { id: 42 }));
    const error = await caught(client.getUser('u1'));
    expect(error).toBeInstanceOf(ScimMalformedResponseError);
    expect(String(error)).toMatch(/id:/);
  });

  it('refuses another user than the one asked for (a PUT laid over it would carry that user\'s data)', async () => {
    const { client } = await clientFor((_request, response) => sendJson(response, 200, scimUser('u2')));
    const error = await caught(client.getUser('u1'));
    expect(error).toBeInstanceOf(ScimMalformedResponseError);
    expect(error).toMatchObject({ status: 200, method: 'GET', path: '/Users/u1', retryable: false });
    expect(String(error)).toContain('for user u1 with another user (u2)');
  });

  it('reports a listing without totalResults as malformed', async () => {
    const { client } = await clientFor((_request, response) => sendJson(response, 200, { schemas: [], Resources: [] }));
    await expect(client.listAllUsers()).rejects.toBeInstanceOf(ScimMalformedResponseError);
  });

  it('fails a listing whose next page repeats ids already seen', async () => {
    const { client } = await clientFor((_request, response) =>
      sendJson(response, 200, listResponse([scimUser('u1'), scimUser('u2')], 4, 1)),
    );
    const error = await caught(client.listAllUsers());
    expect(error).toBeInstanceOf(ScimIncompleteListingError);
    expect(String(error)).toMatch(/listed twice/);
  });

  it('fails a listing whose totalResults changes between pages', async () => {
    let page = 0;
    const { client } = await clientFor((_request, response) => {
      page += 1;
      sendJson(response, 200, listResponse([scimUser(`u${page}`)], page === 1 ? 3 : 2, page));
    });
    const error = await caught(client.listAllUsers());
    expect(error).toBeInstanceOf(ScimIncompleteListingError);
    expect(String(error)).toMatch(/changed mid-listing from 3 to 2/);
  });

  it('advances by what each page returned when the server caps the page size', async () => {
    const all = Array.from({ length: 7 }, (_unused, index) => scimUser(`u${index + 1}`));
    const { client, requests } = await clientFor((request, response) => {
      const startIndex = Number(new URL(request.url, 'http://x').searchParams.get('startIndex'));
      sendJson(response, 200, listResponse(all.slice(startIndex - 1, startIndex - 1 + 3), all.length, startIndex));
    });
    const users = await client.listAllUsers();
    expect(users.map((user) => user.id)).toEqual(all.map((user) => user.id));
    expect(requests.map((request) => new URL(request.url, 'http://x').searchParams.get('startIndex'))).toEqual(['1', '4', '7']);
  });

  it('refuses to take a user as the match when the server ignored the filter', async () => {
    const { client } = await clientFor((_request, response) => sendJson(response, 200, listResponse([scimUser('u9', 'other@acme.com')], 1, 1)));
    const error = await caught(client.findUserByUserName('ada@acme.com'));
    expect(error).toBeInstanceOf(ScimMalformedResponseError);
    expect(String(error)).toMatch(/filter was not applied/);
  });

  it.each([
    ['employeeNumber', (client: ReturnType<typeof createScimClient>) => client.findUserByEmployeeNumber('1001')],
    ['userName', (client: ReturnType<typeof createScimClient>) => client.findUserByUserName('ada@acme.com')],
  ])('by %s: a readable user without the key, from a server that ignored the filter, is no match', async (_key, lookup) => {
    // An admin with no employee number (and another userName): only an unreadable match may lack a readable key.
    const admin = scimUser('admin-1', 'admin@acme.com', { [ENTERPRISE_USER_SCHEMA]: { department: 'IT' } });
    const { client } = await clientFor((_request, response) => sendJson(response, 200, listResponse([admin], 1, 1)));
    const error = await caught(lookup(client));
    expect(error).toBeInstanceOf(ScimMalformedResponseError);
    expect(String(error)).toMatch(/user admin-1, which does not match .*: the filter was not applied/);
  });

  it('matches userName case-insensitively, as SCIM defines it', async () => {
    const { client } = await clientFor((_request, response) => sendJson(response, 200, listResponse([scimUser('u1', 'Ada@Acme.com')], 1, 1)));
    await expect(client.findUserByUserName('ada@acme.com')).resolves.toMatchObject({ id: 'u1' });
  });

  it('reads a user whose unset attributes come as null (RFC 7643 §2.5) like one where they are absent', async () => {
    const withNulls = scimUser('u1', 'ada@acme.com', {
      externalId: null,
      displayName: null,
      locale: null,
      name: { givenName: 'Ada', familyName: null },
      emails: [{ value: 'ada@acme.com', type: null, primary: null }],
      [ENTERPRISE_USER_SCHEMA]: { employeeNumber: null, department: null, manager: null },
    });
    const { client } = await clientFor((request, response) => {
      const filtered = new URL(request.url, 'http://x').searchParams.has('filter');
      const users = filtered ? [withNulls] : [withNulls, scimUser('u2')];
      sendJson(response, 200, { ...listResponse(users, users.length, 1), itemsPerPage: null });
    });
    // Read strictly, the first user was unreadable: the listing failed, and a run would have left them alone forever.
    const users = await client.listAllUsers();
    expect(users.map((user) => user.id)).toEqual(['u1', 'u2']);
    expect(users[0]).toMatchObject({ name: { givenName: 'Ada' }, emails: [{ value: 'ada@acme.com' }], [ENTERPRISE_USER_SCHEMA]: {} });
    expect(users[0]).not.toHaveProperty('externalId');
    await expect(client.findUserByUserName('ada@acme.com')).resolves.toMatchObject({ id: 'u1' });
  });

  it('throws when several users share an employee number', async () => {
    const withNumber = (id: string) => scimUser(id, `${id}@acme.com`, { [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '17' } });
    const { client, requests } = await clientFor((_request, response) =>
      sendJson(response, 200, listResponse([withNumber('u1'), withNumber('u2')], 2, 1)),
    );
    const error = await caught(client.findUserByEmployeeNumber(17));
    expect(error).toBeInstanceOf(ScimAmbiguousMatchError);
    expect(error).toMatchObject({ matchingUserIds: ['u1', 'u2'] });
    // The report keeps only the message: it names the users, so someone can merge them.
    expect((error as Error).message).toContain('(Peakon user ids u1, u2); expected at most one');
    expect(decodeURIComponent(requests[0]?.url ?? '')).toContain(`filter=${EMPLOYEE_NUMBER_PATH} eq "17"`);
  });

  it('does not follow redirects, so the token never travels to another location', async () => {
    const { client, requests } = await clientFor((_request, response) => {
      response.writeHead(302, { Location: 'http://127.0.0.1:1/elsewhere' });
      response.end();
    });
    const error = await caught(client.getServiceProviderConfig());
    expect(error).toBeInstanceOf(ScimUnexpectedError);
    expect(error).toMatchObject({ status: 302 });
    expect(requests).toHaveLength(1);
  });

  it('redacts the token from an error detail that quotes it back', async () => {
    const { client } = await clientFor((request, response) =>
      sendJson(response, 401, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401', detail: `token ${String(request.headers.authorization)} is revoked` }),
    );
    const error = await caught(client.getUser('u1'));
    expect(error).toMatchObject({ status: 401, detail: 'token Bearer [redacted] is revoked' });
    expectNoToken(error);
  });

  it('ignores an HTTP_PROXY in the environment, so the token never reaches the proxy', async () => {
    const { client, requests } = await clientFor((_request, response) => sendJson(response, 200, scimUser('u1')));
    const proxy = await startStandInServer((_request, response) => sendJson(response, 502, { detail: 'proxied' }));
    try {
      await expect(withEnvironmentProxy(proxy.origin, () => client.getUser('u1'))).resolves.toMatchObject({ id: 'u1' });
      expect(requests).toHaveLength(1);
      expect(proxy.requests).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('gives up on a server that trickles its answer past the timeout', async () => {
    const { client } = await clientFor(
      (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/scim+json' });
        // Bytes keep arriving, so a socket-inactivity timer alone would never fire.
        const trickle = setInterval(() => response.write(' '), 50);
        response.on('close', () => clearInterval(trickle));
      },
      { timeoutMs: 400 },
    );
    const startedAt = Date.now();
    const error = await caught(client.getUser('u1'));
    expect(error).toBeInstanceOf(ScimTransientError);
    expect(String(error)).toMatch(/timeout/);
    expect(Date.now() - startedAt).toBeLessThan(3000);
    expectNoToken(error);
  });

  it('aborts an answer trickled a byte every 300 ms at the total deadline, naming the host and the deadline', async () => {
    const { client } = await clientFor(
      (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/scim+json' });
        const trickle = setInterval(() => response.write(' '), 300);
        response.on('close', () => clearInterval(trickle));
      },
      { timeoutMs: 1000, totalTimeoutMs: 1500 },
    );
    const host = new URL(server!.origin).host;
    const startedAt = Date.now();
    const error = await caught(client.listUsersPage(1));
    const elapsed = Date.now() - startedAt;
    expect(error).toBeInstanceOf(ScimTransientError);
    expect(error).toMatchObject({ retryable: true, networkCode: 'ETIMEDOUT', method: 'GET' });
    expect((error as Error).message).toContain(`timeout: no complete response from ${host} within the total deadline of 1500 ms`);
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(3000);
    expectNoToken(error);
  });

  it('derives the total deadline from timeoutMs (twice it) when totalTimeoutMs is not given', async () => {
    const { client } = await clientFor(
      (_request, response) => {
        response.writeHead(200, { 'Content-Type': 'application/scim+json' });
        const trickle = setInterval(() => response.write(' '), 100);
        response.on('close', () => clearInterval(trickle));
      },
      { timeoutMs: 300 },
    );
    const error = await caught(client.getUser('u1'));
    expect((error as Error).message).toMatch(/within the total deadline of 600 ms/);
  });

  it('names the host and the idle timeout when the server goes silent', async () => {
    const { client } = await clientFor(() => undefined, { timeoutMs: 300 });
    const host = new URL(server!.origin).host;
    const error = await caught(client.getUser('u1'));
    expect(error).toBeInstanceOf(ScimTransientError);
    expect((error as Error).message).toContain(`timeout: no data from ${host} for 300 ms (idle timeout)`);
  });

  it('stops a request in flight when its signal is aborted, and sends nothing afterwards', async () => {
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    const { client, requests } = await clientFor(() => setTimeout(() => controller.abort(reason), 50), { signal: controller.signal });
    const startedAt = Date.now();
    await expect(client.getUser('u1')).rejects.toBe(reason);
    // About 50 ms; the request's own timeout is far longer.
    expect(Date.now() - startedAt).toBeLessThan(2000);
    await expect(client.getUser('u2')).rejects.toBe(reason);
    expect(requests).toHaveLength(1);
    expect(client.operationCounts().GET).toBe(1);
  });

  it('maps a refused connection to a transient error and still counts the attempt', async () => {
    const { client } = await clientFor((_request, response) => sendJson(response, 200, {}));
    await server?.close();
    server = undefined;
    const error = await caught(client.deleteUser('u1'));
    expect(error).toBeInstanceOf(ScimTransientError);
    expect(error).toMatchObject({ networkCode: 'ECONNREFUSED', retryable: true, path: '/Users/u1' });
    expect(client.operationCounts().DELETE).toBe(1);
    expectNoToken(error);
  });

  it('never shows the token when the client itself is inspected or serialized', async () => {
    const { client } = await clientFor((_request, response) => sendJson(response, 200, {}));
    expect(inspect(client, { depth: 20, showHidden: true })).not.toContain(TOKEN);
    expect(JSON.stringify(client)).not.toContain(TOKEN);
  });

  it('refuses an empty user id instead of addressing the collection', async () => {
    const { client, requests } = await clientFor((_request, response) => sendJson(response, 200, {}));
    await expect(client.deleteUser('')).rejects.toThrow(/must not be empty/);
    // Refused before sending, not retried (each retry would fail the same way), and never taken for a write Peakon
    // applied (as a malformed 2xx answer would be).
    expect(await caught(client.getUser(''))).toMatchObject({ name: 'ScimRequestRefusedError', retryable: false, method: 'GET' });
    expect(requests).toHaveLength(0);
  });

  it('refuses a user id of dots (or their percent-encoded spellings), which URL resolution would turn into another resource', async () => {
    const { client, requests } = await clientFor((_request, response) => {
      response.writeHead(204);
      response.end();
    });
    // Unguarded, `/Users/.` resolves to `/Users/` (a DELETE on the collection) and `/Users/..` to the base URL.
    for (const id of ['.', '..']) {
      await expect(client.deleteUser(id)).rejects.toThrow(`Invalid Peakon user id ${JSON.stringify(id)}`);
      await expect(client.setActive(id, false)).rejects.toThrow(/Invalid Peakon user id/);
      await expect(client.getUser(id)).rejects.toThrow(/Invalid Peakon user id/);
      expect(await caught(client.deleteUser(id))).toMatchObject({ name: 'ScimRequestRefusedError', retryable: false, method: 'DELETE' });
    }
    expect(requests).toHaveLength(0);
    // An id that merely holds dots, or a literal `%2e` (sent as `%252e`, no dot segment), is an ordinary id.
    await client.deleteUser('a.b');
    await client.deleteUser('...');
    await client.deleteUser('%2e');
    expect(requests.map((request) => request.url)).toEqual([`${BASE_PATH}/Users/a.b`, `${BASE_PATH}/Users/...`, `${BASE_PATH}/Users/%252e`]);
  });

  it('takes a 200 answered as plain application/json like application/scim+json', async () => {
    const { client } = await clientFor((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(scimUser('u1')));
    });
    await expect(client.getUser('u1')).resolves.toMatchObject({ id: 'u1', userName: 'u1@acme.com' });
  });

  describe('a 404 is Peakon saying the user is gone only when it carries the SCIM error body', () => {
    const leaverDeactivation: EmployeeWrite = { method: 'patch', operations: [{ op: 'replace', path: 'active', value: false }] };

    it.each([
      ['AWS API Gateway\'s JSON', { 'Content-Type': 'application/json' }, JSON.stringify({ message: 'Not Found' })],
      ['a JSON body with another status', { 'Content-Type': 'application/json' }, JSON.stringify({ status: 'error', detail: 'no route' })],
      ['no body at all', {}, ''],
      ['a framework\'s error body (Spring Boot)', { 'Content-Type': 'application/json' }, JSON.stringify({ timestamp: '2026-12-01T00:00:00Z', status: 404, error: 'Not Found', path: '/scim/v2/Users/u1' })],
    ])('%s: not Peakon\'s answer, so a leaver\'s PATCH and DELETE fail instead of counting as done', async (_name, headers, body) => {
      const { client, requests } = await clientFor((_request, response) => {
        response.writeHead(404, headers);
        response.end(body);
      });
      for (const send of [() => client.setActive('u1', false), () => client.deleteUser('u1')]) {
        const error = await caught(send());
        expect(error).toBeInstanceOf(ScimNotFoundError);
        expect(error).toMatchObject({ status: 404, apiAnswer: false });
      }
      // What the leaver step does with it (activities/employee.ts): the deactivation stays a failure.
      await expect(sendEmployeeWrite(client, 'u1', leaverDeactivation)).rejects.toBeInstanceOf(ScimNotFoundError);
      await expect(sendEmployeeWrite(client, 'u1', { method: 'delete' })).rejects.toBeInstanceOf(ScimNotFoundError);
      expect(requests).toHaveLength(4);
    });

    it.each([
      ['the SCIM error URN', { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: 'user u1 not found' }],
      ['the URN without a status', { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], detail: 'user u1 not found' }],
      ['status "404" without the URN', { status: '404', detail: 'user u1 not found' }],
    ])('%s: Peakon\'s answer, so the leaver is gone', async (_name, body) => {
      const { client } = await clientFor((_request, response) => sendJson(response, 404, body));
      const error = await caught(client.deleteUser('u1'));
      expect(error).toMatchObject({ status: 404, apiAnswer: true });
      await expect(sendEmployeeWrite(client, 'u1', leaverDeactivation)).resolves.toBe('gone');
    });
  });

  it.each([501, 505])('does not retry a %i (the server will answer the same again): a listing page fails at once, naming the status', async (status) => {
    server = await startStandInServer((_request, response) => {
      response.writeHead(status);
      response.end();
    });
    const client = createScimClient({ baseUrl: `${server.origin}${BASE_PATH}`, token: TOKEN, listPageRetry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 10 } });
    const error = await caught(client.listUsersPage(1).then(() => undefined));
    expect(error).toBeInstanceOf(ScimUnexpectedError);
    expect(error).toMatchObject({ status, retryable: false });
    expect((error as Error).message).toMatch(new RegExp(`^GET /Users\\?startIndex=1&count=100: ${status} `));
    // A listing that retries its pages in place (retryPages) does not send it again.
    const listing = await caught(
      (async () => {
        for await (const _page of client.iterateUserPages(undefined, { retryPages: true })) void _page;
      })(),
    );
    expect(listing).toBeInstanceOf(ScimUnexpectedError);
    expect(server.requests).toHaveLength(2);
  });

  it('rejects invalid options without echoing the token', () => {
    expect(() => createScimClient({ baseUrl: 'api.peakon.com/scim/v2', token: 'secret\nX-Evil: 1' })).toThrow(/baseUrl.*token/s);
    // Both options invalid: the error must name them without quoting the token (caught, so a missing throw fails too).
    let caught: unknown;
    try {
      createScimClient({ baseUrl: 'nope', token: 'secret\nX-Evil: 1' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(String(caught)).toMatch(/baseUrl.*token/s);
    expect(String(caught)).not.toContain('secret');
    // The scheme in any letter case, as the config's URL check takes it (config/url.ts).
    expect(() => createScimClient({ baseUrl: 'HTTPS://api.peakon.com/scim/v2', token: 'secret' })).not.toThrow();
  });
});

describe('ScimClient when nothing answers', () => {
  it('names the host it could not reach, so a wrong base URL is obvious', async () => {
    // A port that was just free: nothing listens there.
    const free = await startStandInServer(() => undefined);
    const origin = free.origin;
    await free.close();
    const client = createScimClient({ baseUrl: `${origin}/scim/v2`, token: TOKEN, userAgent: 'peakon-sync/test' });
    const error = await client.getUser('u1').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ScimTransientError);
    expect((error as Error).message).toBe(`GET /Users/u1: connection to ${new URL(origin).host} failed (ECONNREFUSED)`);
  });
});
