import { z } from 'zod';
import { ScimUserSchema } from '../../scim/resources';
import { startSandbox } from '../../sandbox';
import { admin, asList, createEmployee, employee, scim, TOKEN, useSandbox } from './helpers';

const OpsSchema = z.object({ operations: z.array(z.object({ method: z.string(), path: z.string(), status: z.number().nullable(), time: z.string(), answeredAt: z.string().nullable() })) });
const UsersDumpSchema = z.object({ totalResults: z.number(), Resources: z.array(ScimUserSchema) });

describe('sandbox admin surface (/_sandbox)', () => {
  const sandbox = useSandbox({ quotaPerHour: 10 });

  it('dumps every stored user as SCIM JSON under Resources', async () => {
    const created = await createEmployee(sandbox(), 'dump@example.com');
    const dump = UsersDumpSchema.parse((await admin(sandbox(), 'GET', '/users')).body);
    expect(dump).toEqual({ totalResults: 1, Resources: [created] });
  });

  it('logs SCIM requests in order with method, path and query, status and ISO time', async () => {
    const before = Date.now();
    await scim(sandbox(), 'GET', '/Users?filter=userName%20eq%20%22a%40example.com%22');
    await scim(sandbox(), 'POST', '/Users', { body: employee('a@example.com') });
    await scim(sandbox(), 'GET', '/Users/missing');
    await scim(sandbox(), 'GET', '/Users', { token: 'wrong' });
    const { operations } = OpsSchema.parse((await admin(sandbox(), 'GET', '/ops')).body);
    expect(operations.map(({ method, path, status }) => [method, path, status])).toEqual([
      ['GET', '/scim/v2/Users?filter=userName%20eq%20%22a%40example.com%22', 200],
      ['POST', '/scim/v2/Users', 201],
      ['GET', '/scim/v2/Users/missing', 404],
      ['GET', '/scim/v2/Users', 401],
    ]);
    for (const { time, answeredAt } of operations) {
      expect(new Date(time).toISOString()).toBe(time);
      expect(Date.parse(time)).toBeGreaterThanOrEqual(before - 1);
      expect(Date.parse(answeredAt ?? '')).toBeGreaterThanOrEqual(Date.parse(time));
    }
    expect(sandbox().ops()).toEqual(operations);
  });

  it('counts SCIM requests per method, not admin requests', async () => {
    await scim(sandbox(), 'GET', '/Users');
    await scim(sandbox(), 'GET', '/Users');
    const created = await createEmployee(sandbox(), 'c@example.com');
    await scim(sandbox(), 'DELETE', `/Users/${created.id}`);
    await admin(sandbox(), 'GET', '/users');
    expect((await admin(sandbox(), 'GET', '/counters')).body).toEqual({ GET: 2, POST: 1, DELETE: 1 });
    expect(sandbox().counters()).toEqual({ GET: 2, POST: 1, DELETE: 1 });
  });

  it('resets users, the operation log, counters and the hourly budget', async () => {
    for (let request = 0; request < 9; request += 1) await scim(sandbox(), 'GET', '/Users');
    await createEmployee(sandbox(), 'r@example.com');
    expect((await scim(sandbox(), 'GET', '/Users')).status).toBe(429);
    expect((await admin(sandbox(), 'POST', '/reset')).status).toBe(204);
    expect(sandbox().users()).toEqual([]);
    expect(sandbox().ops()).toEqual([]);
    expect(sandbox().counters()).toEqual({});
    expect((await scim(sandbox(), 'GET', '/Users')).status).toBe(200);
  });

  it('answers unknown paths outside SCIM with a 404 SCIM error', async () => {
    const result = await admin(sandbox(), 'GET', '/nothing-here');
    expect(result.status).toBe(404);
  });
});

describe('several sandboxes at once', () => {
  it('keep their own users, tokens, logs, budgets and faults', async () => {
    const [left, right] = await Promise.all([startSandbox({ token: TOKEN, quotaPerHour: 2 }), startSandbox({ token: 'other-token' })]);
    try {
      expect(left.port).not.toBe(right.port);
      expect(left.baseUrl).toBe(`http://127.0.0.1:${left.port}/scim/v2`);
      await createEmployee(left, 'only-left@example.com');
      right.setFaults({ faultRate: 1 });
      expect(asList(await scim(left, 'GET', '/Users')).Resources.map((user) => user.userName)).toEqual(['only-left@example.com']);
      expect((await scim(left, 'GET', '/Users')).status).toBe(429);
      expect((await scim(right, 'GET', '/Users')).status).toBe(401);
      expect((await scim(right, 'GET', '/Users', { token: 'other-token' })).status).toBeGreaterThanOrEqual(500);
      expect(right.users()).toEqual([]);
      expect(right.counters()).toEqual({ GET: 2 });
      expect(left.counters()).toEqual({ POST: 1, GET: 2 });
    } finally {
      await Promise.all([left.close(), right.close()]);
    }
  });

  it('listens on the requested port and refuses connections after close', async () => {
    const probe = await startSandbox({ token: TOKEN });
    const port = probe.port;
    await probe.close();
    const fixed = await startSandbox({ token: TOKEN, port });
    expect(fixed.port).toBe(port);
    await fixed.close();
    await expect(fetch(`${fixed.baseUrl}/Users`)).rejects.toThrow();
  });
});
