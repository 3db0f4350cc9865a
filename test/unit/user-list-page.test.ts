import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_CONTENT_BYTES, createScimClient } from '../../scim/client';
import { ScimMalformedResponseError, ScimRequestRefusedError } from '../../scim/errors';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, LIST_RESPONSE_SCHEMA, PEAKON_USER_SCHEMA, UserListEnvelopeSchema, parseUserListPage } from '../../scim/resources';
import { buildPlan } from '../../sync/plan';
import type { DesiredEmployee } from '../../mapping/employee';

const user = (id: string, extra: Record<string, unknown> = {}) => ({ schemas: [CORE_USER_SCHEMA], id, userName: `${id}@example.org`, emails: [{ value: `${id}@example.org` }], active: true, ...extra });

describe('parseUserListPage', () => {
  it('checks each user on its own: one odd user is reported by id and field paths, never values, and the rest parse', () => {
    const envelope = UserListEnvelopeSchema.parse({
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: 4,
      Resources: [
        user('u1'),
        user('u2', { name: { givenName: 42 }, externalId: 'HR-2', [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'E2' }, [PEAKON_USER_SCHEMA]: { Nicknames: ['secret-a', 'secret-b'] } }),
        user('u3'),
        { userName: 'no-id@example.org', name: { givenName: 7 } },
      ],
    });
    const page = parseUserListPage(envelope);
    expect(page.totalResults).toBe(4);
    expect(page.users.map((listed) => listed.id)).toEqual(['u1', 'u3']);
    expect(page.unreadable).toEqual([
      { id: 'u2', userName: 'u2@example.org', externalId: 'HR-2', employeeNumber: 'E2', emails: ['u2@example.org'], active: true, fields: ['name.givenName', `${PEAKON_USER_SCHEMA}.Nicknames`] },
    ]);
    expect(page.unidentifiable).toEqual(['entry 4: schemas, id, name.givenName']);
    expect(JSON.stringify(page.unreadable)).not.toContain('secret');
  });

  it('still rejects a malformed envelope', () => {
    expect(UserListEnvelopeSchema.safeParse({ schemas: [LIST_RESPONSE_SCHEMA], totalResults: 'many', Resources: [] }).success).toBe(false);
  });
});

describe('buildPlan with an unreadable Peakon user', () => {
  const employee = (email: string): DesiredEmployee =>
    ({ employeeKey: email, recordRef: `row ${email}`, sourceId: email, user: { schemas: [CORE_USER_SCHEMA], userName: email, active: true }, references: {}, createOnly: {}, warnings: [] }) as unknown as DesiredEmployee;

  it('skips the employee it matches (no create) naming the user and field, without claiming it', () => {
    const plan = buildPlan([employee('u2@example.org'), employee('new@example.org')], [], {
      matchingKey: 'email',
      updateMethod: 'patch',
      refOf: (key) => key,
      unreadable: [{ id: 'u2', userName: 'U2@example.org', emails: [], fields: ['name.givenName'] }],
    });
    const odd = plan.entries.find((entry) => entry.employeeKey === 'u2@example.org');
    expect(odd).toMatchObject({ action: 'skip', reason: expect.stringContaining('Peakon user u2 could not be read (name.givenName') });
    expect(odd?.peakonUserId).toBeUndefined();
    expect(plan.entries.find((entry) => entry.employeeKey === 'new@example.org')?.action).toBe('create');
  });
});

describe('SCIM client size limit', () => {
  it('refuses an answer larger than MAX_CONTENT_BYTES with a non-retryable error naming the limit', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/scim+json' });
      // One MiB past the limit, streamed: never a single allocation of the whole body here.
      let sent = 0;
      const pump = (): void => {
        while (sent <= MAX_CONTENT_BYTES && response.write(chunk)) sent += chunk.length;
        if (sent <= MAX_CONTENT_BYTES) response.once('drain', () => { sent += chunk.length; pump(); });
        else response.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = createScimClient({ baseUrl: `http://127.0.0.1:${port}/scim/v2`, token: 't', timeoutMs: 20_000 });
      const error: unknown = await client.getUser('u1').then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(ScimMalformedResponseError);
      expect((error as ScimMalformedResponseError).retryable).toBe(false);
      expect((error as Error).message).toContain(`${MAX_CONTENT_BYTES} bytes (64 MiB)`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses to send a request body over the limit as refused (nothing applied), not as a malformed answer (applied)', async () => {
    let received = 0;
    const server = createServer((request, response) => {
      received += 1;
      request.resume();
      response.writeHead(200, { 'Content-Type': 'application/scim+json' });
      response.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const client = createScimClient({ baseUrl: `http://127.0.0.1:${port}/scim/v2`, token: 't', timeoutMs: 20_000 });
      const huge = { schemas: [CORE_USER_SCHEMA], userName: 'a@example.com', [PEAKON_USER_SCHEMA]: { Notes: 'x'.repeat(MAX_CONTENT_BYTES) } };
      const error: unknown = await client.replaceUser('u1', huge).then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(ScimRequestRefusedError);
      expect((error as Error).message).toContain('not sent');
      expect(received).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
