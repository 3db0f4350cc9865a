/**
 * A user id Peakon (or something in front of it) answers that cannot go into a path: `""`, `"."` or `".."`. Taken as
 * it came, every later request of the step (`/Users/` + id) failed as a retryable plain Error, each retry billed; now
 * the answer itself is malformed (not retried), the message naming the field and the rule, never the user's data. The
 * sandbox assigns its own ids and real Peakon cannot be made to answer these, so a scripted stand-in answers them over
 * real HTTP.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../../activities/deps';
import { scimStepActivities } from '../../activities/employee';
import { toActivityFailure } from '../../activities/failures';
import { createScimClient, type ScimClient } from '../../scim/client';
import { ScimMalformedResponseError, ScimRequestRefusedError } from '../../scim/errors';
import type { EmployeeWrite } from '../../sync/types';
import { CORE_USER_SCHEMA, parseUserListPage, ScimIdSchema, ScimUserSchema } from '../../scim/resources';
import { inActivity } from '../harness/in-activity';
import { listResponse, scimUser, sendJson, startStandInServer, type ScriptedHandler, type StandInServer } from './stand-in-server';

const PERSON = 'grace.hopper@acme.com';

describe('ScimIdSchema', () => {
  it.each(['', '.', '..'])('refuses %j', (id) => {
    expect(ScimIdSchema.safeParse(id).success).toBe(false);
    expect(ScimUserSchema.safeParse(scimUser(id, PERSON)).success).toBe(false);
  });

  it.each(['u1', 'a.b', '...', '%2e'])('takes %j', (id) => {
    expect(ScimIdSchema.safeParse(id).success).toBe(true);
  });

  it('a listed user with such an id cannot be told apart: unidentifiable, not unreadable under that id', () => {
    const page = parseUserListPage({ schemas: [], totalResults: 2, Resources: [scimUser('.', PERSON), scimUser('u2')] });
    expect(page.users.map((user) => user.id)).toEqual(['u2']);
    expect(page.unreadable).toEqual([]);
    expect(page.unidentifiable).toEqual(['entry 1: id']);
  });
});

describe('an answer whose user id cannot go into a path', () => {
  let server: StandInServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  async function clientFor(handler: ScriptedHandler): Promise<ScimClient> {
    server = await startStandInServer(handler);
    return createScimClient({ baseUrl: `${server.origin}/scim/v2`, token: 'stand-in-token-ids', timeoutMs: 5000 });
  }
  const caught = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

  it.each([
    ['', 'id: must not be empty'],
    ['.', 'id: must not be "." or ".."'],
    ['..', 'id: must not be "." or ".."'],
  ])('a create answered with id %j is a malformed answer, not retried, naming the field but not the person', async (id, problem) => {
    const client = await clientFor((_request, response) => sendJson(response, 201, scimUser(id, PERSON)));
    const error = await caught(client.createUser({ schemas: [CORE_USER_SCHEMA], userName: PERSON, active: true }));
    expect(error).toBeInstanceOf(ScimMalformedResponseError);
    expect((error as Error).message).toContain(problem);
    expect((error as Error).message).not.toContain(PERSON);
    expect(toActivityFailure(error)).toMatchObject({ type: 'MalformedResponse', nonRetryable: true });
    // Nothing more was sent on the strength of it.
    expect(server?.requests.map((request) => request.method)).toEqual(['POST']);
  });

  it('a read answered with id "" is malformed too', async () => {
    const client = await clientFor((_request, response) => sendJson(response, 200, scimUser('', PERSON)));
    expect(await caught(client.getUser('u1'))).toBeInstanceOf(ScimMalformedResponseError);
  });

  it('a lookup matching a user with id "." fails malformed, naming the entry, never the user', async () => {
    const client = await clientFor((_request, response) => sendJson(response, 200, listResponse([scimUser('.', PERSON)], 1, 1)));
    const error = await caught(client.findUserByUserName(PERSON));
    expect(error).toBeInstanceOf(ScimMalformedResponseError);
    expect((error as Error).message).toContain('has no readable id (entry 1: id)');
    expect(toActivityFailure(error)).toMatchObject({ type: 'MalformedResponse', nonRetryable: true });
  });

  it('a listing holding a user with id ".." fails malformed instead of listing them', async () => {
    const client = await clientFor((_request, response) => sendJson(response, 200, listResponse([scimUser('u1'), scimUser('..', PERSON)], 2, 1)));
    const error = await caught(client.listAllUsers());
    expect(error).toBeInstanceOf(ScimMalformedResponseError);
    expect((error as Error).message).not.toContain(PERSON);
  });
});

/**
 * An id read before the parse refused such ids (an older stored plan or ownership ledger) reaches a write. The client
 * refuses to send it; that refusal was a ScimMalformedResponseError, which the write step (sendEmployeeWrite) takes
 * for "Peakon applied the write, its answer was odd": a leaver's deactivation that never left the worker was counted
 * done. The write activity runs in the SDK's activity context against a stand-in that answers every request 200 with
 * a user, so anything sent would succeed: only a request never sent can fail here.
 */
describe('a write to a stored user id that cannot go into a path', () => {
  const TOKEN = 'stand-in-token-ids';
  let server: StandInServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const deps: ActivityDeps = {
    reportDirectory: '/nonexistent',
    resolveSecret: () => TOKEN,
    createSource: () => {
      throw new Error('no HR source here');
    },
  };

  const writes: [string, EmployeeWrite][] = [
    ['a leaver\'s deactivation (PATCH active=false)', { method: 'patch', operations: [{ op: 'replace', path: 'active', value: false }] }],
    ['an update (PATCH)', { method: 'patch', operations: [{ op: 'replace', path: 'title', value: 'Rear Admiral' }] }],
    ['a deactivation under updateMethod put (PUT active=false)', { method: 'put', body: { schemas: [CORE_USER_SCHEMA], userName: PERSON, active: false } }],
    ['a leaver\'s DELETE', { method: 'delete' }],
  ];
  const cases = ['', '.', '..'].flatMap((id) => writes.map(([name, write]) => [id, name, write] as const));

  it.each(cases)('id %j, %s: refused before sending, a failure (not written), not retried, nothing sent', async (id, _name, write) => {
    server = await startStandInServer((_request, response) => sendJson(response, 200, scimUser('u1', PERSON)));
    const { writeEmployee } = scimStepActivities(deps);
    const outcome = await inActivity(writeEmployee)
      .run({
        run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-12-01T08:00:00Z' },
        peakon: { baseUrl: `${server.origin}/scim/v2`, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 5_000, operationsPerHour: 25_000 },
        ref: 'employee-ref',
        peakonUserId: id,
        write,
      })
      .then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
    // Before: `{ result: { operations: 0 } }`, the write counted done.
    expect(outcome).not.toHaveProperty('result');
    const { error } = outcome as { error: unknown };
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'RequestFailed', nonRetryable: true, message: expect.stringContaining('not sent: ') });
    expect(server.requests).toEqual([]);
  });

  it('the client\'s refusal is its own error, not a malformed answer', async () => {
    server = await startStandInServer((_request, response) => sendJson(response, 200, scimUser('u1', PERSON)));
    const client = createScimClient({ baseUrl: `${server.origin}/scim/v2`, token: TOKEN, timeoutMs: 5_000 });
    const error = await client.patchUser('.', [{ op: 'replace', path: 'active', value: false }]).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(ScimRequestRefusedError);
    expect(error).not.toBeInstanceOf(ScimMalformedResponseError);
    expect(error).toMatchObject({ retryable: false, method: 'PATCH', path: '/Users/{id}' });
    expect(toActivityFailure(error)).toMatchObject({ type: 'RequestFailed', nonRetryable: true });
    expect(server.requests).toEqual([]);
  });
});
