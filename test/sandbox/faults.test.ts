import { startSandbox, type RunningSandbox } from '../../sandbox';
import { admin, asList, createEmployee, employee, scim, TOKEN, useSandbox } from './helpers';
import { eventually } from '../harness/wait';

async function statusesOf(sandbox: RunningSandbox, requests: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let request = 0; request < requests; request += 1) statuses.push((await scim(sandbox, 'GET', '/Users')).status);
  return statuses;
}

describe('sandbox fault injection', () => {
  const sandbox = useSandbox();

  it('with faultRate 1 answers every SCIM request 500 or 503 without applying it, while admin routes stay healthy', async () => {
    sandbox().setFaults({ faultRate: 1 });
    const statuses = [];
    for (let request = 0; request < 10; request += 1) statuses.push((await scim(sandbox(), 'POST', '/Users', { body: employee(`p${request}@example.com`) })).status);
    expect(new Set(statuses)).toEqual(new Set([500, 503]));
    expect(sandbox().users()).toHaveLength(0);
    expect((await admin(sandbox(), 'GET', '/users')).status).toBe(200);
  });

  it('replays the same statuses for the same seed and request order, and a different sequence for another seed', async () => {
    sandbox().setFaults({ seed: 42, faultRate: 0.4 });
    const first = await statusesOf(sandbox(), 30);
    sandbox().setFaults({ seed: 42, faultRate: 0.4 });
    const replay = await statusesOf(sandbox(), 30);
    sandbox().setFaults({ seed: 7, faultRate: 0.4 });
    const otherSeed = await statusesOf(sandbox(), 30);
    expect(replay).toEqual(first);
    expect(first).toContain(200);
    expect(first.some((status) => status >= 500)).toBe(true);
    expect(otherSeed).not.toEqual(first);
  });

  it('gives two instances started with the same seed the same fault sequence', async () => {
    const [left, right] = await Promise.all([startSandbox({ token: TOKEN, faults: { seed: 99, faultRate: 0.5 } }), startSandbox({ token: TOKEN, faults: { seed: 99, faultRate: 0.5 } })]);
    try {
      expect(await statusesOf(left, 20)).toEqual(await statusesOf(right, 20));
    } finally {
      await Promise.all([left.close(), right.close()]);
    }
  });

  it('replays faults from the seed after reset', async () => {
    sandbox().setFaults({ seed: 5, faultRate: 0.5 });
    const first = await statusesOf(sandbox(), 20);
    sandbox().reset();
    expect(await statusesOf(sandbox(), 20)).toEqual(first);
  });

  it('adds latencyMs to each SCIM request', async () => {
    // 400 ms, so that a request without it stays far below even on a loaded machine.
    sandbox().setFaults({ latencyMs: 400 });
    const started = Date.now();
    expect((await scim(sandbox(), 'GET', '/Users')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    sandbox().setFaults({});
    const quick = Date.now();
    await scim(sandbox(), 'GET', '/Users');
    expect(Date.now() - quick).toBeLessThan(390);
  });

  it('hangs requests past the client timeout without applying them', async () => {
    sandbox().setFaults({ hangRate: 1, hangMs: 10_000 });
    const started = Date.now();
    await expect(scim(sandbox(), 'POST', '/Users', { body: employee('slow@example.com'), signal: AbortSignal.timeout(300) })).rejects.toThrow(/timeout|aborted/i);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sandbox().users()).toHaveLength(0);
  });

  it('answers a hung request 503 once hangMs has passed, if the client is still waiting', async () => {
    sandbox().setFaults({ hangRate: 1, hangMs: 200 });
    const started = Date.now();
    const result = await scim(sandbox(), 'POST', '/Users', { body: employee('slow@example.com') });
    expect(result.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(sandbox().users()).toHaveLength(0);
  });

  it('with hangThenApply, applies a hung write once hangMs has passed, though the client gave up on it', async () => {
    sandbox().setFaults({ hangRate: 1, hangMs: 400, hangThenApply: true });
    await expect(scim(sandbox(), 'POST', '/Users', { body: employee('late@example.com'), signal: AbortSignal.timeout(100) })).rejects.toThrow(/timeout|aborted/i);
    expect(sandbox().users()).toHaveLength(0);
    await eventually('the late create', async () => (sandbox().users().length === 1 ? true : undefined), 5_000, 20);
    expect(sandbox().users()[0]?.userName).toBe('late@example.com');
  });

  it('commit-then-fail applies the write but answers 5xx, so a naive retry of the create gets 409', async () => {
    sandbox().setFaults({ commitThenFailRate: 1 });
    const first = await scim(sandbox(), 'POST', '/Users', { body: employee('landed@example.com') });
    expect([500, 503]).toContain(first.status);
    expect(sandbox().users().map((user) => user.userName)).toEqual(['landed@example.com']);
    sandbox().setFaults({});
    expect((await scim(sandbox(), 'POST', '/Users', { body: employee('landed@example.com') })).status).toBe(409);
  });

  it('commit-then-fail applies PATCH and DELETE too, and leaves reads alone', async () => {
    const user = await createEmployee(sandbox(), 'writes@example.com');
    sandbox().setFaults({ commitThenFailRate: 1 });
    expect((await scim(sandbox(), 'GET', `/Users/${user.id}`)).status).toBe(200);
    const patched = await scim(sandbox(), 'PATCH', `/Users/${user.id}`, { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] } });
    expect(patched.status).toBeGreaterThanOrEqual(500);
    expect(sandbox().users()[0]?.active).toBe(false);
    expect((await scim(sandbox(), 'DELETE', `/Users/${user.id}`)).status).toBeGreaterThanOrEqual(500);
    expect(sandbox().users()).toHaveLength(0);
  });

  it('commit-then-fail does not turn a rejected write into an applied one', async () => {
    sandbox().setFaults({ commitThenFailRate: 1 });
    expect((await scim(sandbox(), 'POST', '/Users', { body: { ...employee('x@example.com'), userName: 'not-an-email' } })).status).toBe(400);
    expect(sandbox().users()).toHaveLength(0);
  });

  it('truncated listings return fewer Resources than the page holds while totalResults is unchanged', async () => {
    sandbox().seedUsers(Array.from({ length: 10 }, (_, index) => employee(`t${index}@example.com`)));
    sandbox().setFaults({ truncateListings: true });
    const page = asList(await scim(sandbox(), 'GET', '/Users?startIndex=1&count=10'));
    expect(page.totalResults).toBe(10);
    expect(page.Resources.length).toBeLessThan(10);
    expect(page.itemsPerPage).toBe(page.Resources.length);
    const id = sandbox().users()[0]?.id ?? '';
    expect((await scim(sandbox(), 'GET', `/Users/${id}`)).status).toBe(200);
    sandbox().setFaults({ truncateListings: false });
    expect(asList(await scim(sandbox(), 'GET', '/Users?count=10')).Resources).toHaveLength(10);
  });

  it('changes faults at runtime through PUT /_sandbox/faults, replacing the previous settings', async () => {
    const updated = await admin(sandbox(), 'PUT', '/faults', { body: { faultRate: 1, seed: 3 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ faultRate: 1, seed: 3, latencyMs: 0, hangRate: 0, commitThenFailRate: 0, truncateListings: 0 });
    expect((await scim(sandbox(), 'GET', '/Users')).status).toBeGreaterThanOrEqual(500);
    await admin(sandbox(), 'PUT', '/faults', { body: { latencyMs: 0 } });
    expect((await scim(sandbox(), 'GET', '/Users')).status).toBe(200);
    expect((await admin(sandbox(), 'GET', '/faults')).body).toMatchObject({ faultRate: 0, seed: 1 });
  });

  it.each([{ faultRate: 2 }, { latencyMs: -1 }, { unknownFault: true }, { seed: 'abc' }])('rejects invalid fault settings %p with 400 and keeps the old ones', async (settings) => {
    sandbox().setFaults({ faultRate: 1 });
    const result = await admin(sandbox(), 'PUT', '/faults', { body: settings });
    expect(result.status).toBe(400);
    expect((await admin(sandbox(), 'GET', '/faults')).body).toMatchObject({ faultRate: 1 });
  });
});
