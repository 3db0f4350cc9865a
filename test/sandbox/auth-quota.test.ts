import { HourlyOperationBudget } from '../../sandbox/quota';
import { admin, asError, call, employee, scim, TOKEN, useSandbox } from './helpers';

describe('sandbox bearer-token auth', () => {
  const sandbox = useSandbox();

  it.each([
    ['no Authorization header', null],
    ['a wrong token', 'wrong-token'],
  ])('answers 401 with a SCIM error for %s, on SCIM and admin routes', async (_case, token) => {
    for (const result of [await scim(sandbox(), 'GET', '/Users', { token }), await admin(sandbox(), 'GET', '/users', { token })]) {
      expect(result.status).toBe(401);
      expect(asError(result).status).toBe('401');
    }
  });

  it('rejects a non-Bearer scheme carrying the right token', async () => {
    const response = await fetch(`${sandbox().baseUrl}/Users`, { headers: { Authorization: `Basic ${TOKEN}` } });
    expect(response.status).toBe(401);
  });

  it('never echoes the token in an error', async () => {
    const wrong = await scim(sandbox(), 'GET', '/Users', { token: 'secret-but-wrong' });
    expect(JSON.stringify(wrong.body)).not.toContain('secret-but-wrong');
    const bad = await scim(sandbox(), 'POST', '/Users', { body: { ...employee('a@example.com'), userName: 'nope' } });
    expect(JSON.stringify(bad.body)).not.toContain(TOKEN);
  });

  it('does not apply a write sent without the token', async () => {
    await scim(sandbox(), 'POST', '/Users', { body: employee('a@example.com'), token: null });
    expect(sandbox().users()).toHaveLength(0);
  });
});

describe('sandbox hourly operation budget', () => {
  const sandbox = useSandbox({ quotaPerHour: 3 });

  it('answers 429 with a SCIM error and Retry-After in seconds once the hour\'s budget is spent', async () => {
    for (let request = 0; request < 3; request += 1) expect((await scim(sandbox(), 'GET', '/Users')).status).toBe(200);
    const limited = await scim(sandbox(), 'GET', '/Users');
    expect(limited.status).toBe(429);
    expect(asError(limited).status).toBe('429');
    // RFC 7644 §3.12 defines scimType "tooMany" for a 400 (a filter with too many results); a 429 carries none.
    expect(asError(limited).scimType).toBeUndefined();
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(3590);
    expect(retryAfter).toBeLessThanOrEqual(3600);
  });

  it('counts every SCIM request, writes and discovery included, and does not apply a write over budget', async () => {
    await scim(sandbox(), 'GET', '/ServiceProviderConfig');
    await scim(sandbox(), 'POST', '/Users', { body: employee('a@example.com') });
    await scim(sandbox(), 'GET', '/Users/unknown');
    const over = await scim(sandbox(), 'POST', '/Users', { body: employee('b@example.com') });
    expect(over.status).toBe(429);
    expect(sandbox().users().map((user) => user.userName)).toEqual(['a@example.com']);
  });

  it('does not spend budget on admin requests, and reset restores it', async () => {
    for (let request = 0; request < 5; request += 1) await admin(sandbox(), 'GET', '/users');
    for (let request = 0; request < 3; request += 1) await scim(sandbox(), 'GET', '/Users');
    expect((await scim(sandbox(), 'GET', '/Users')).status).toBe(429);
    sandbox().reset();
    expect((await scim(sandbox(), 'GET', '/Users')).status).toBe(200);
  });

  it('does not spend budget on unauthenticated requests', async () => {
    for (let request = 0; request < 5; request += 1) await call(`${sandbox().baseUrl}/Users`, 'GET', { token: null });
    expect((await scim(sandbox(), 'GET', '/Users')).status).toBe(200);
  });
});

describe('HourlyOperationBudget (sliding one-hour window)', () => {
  it('frees each slot exactly one hour after it was used, and says how long to wait', () => {
    let now = 0;
    const budget = new HourlyOperationBudget(2, () => now);
    expect(budget.tryConsume()).toEqual({ allowed: true });
    now = 10 * 60_000;
    expect(budget.tryConsume()).toEqual({ allowed: true });
    now = 30 * 60_000;
    expect(budget.tryConsume()).toEqual({ allowed: false, retryAfterSeconds: 30 * 60 });
    now = 60 * 60_000;
    expect(budget.tryConsume()).toEqual({ allowed: true });
    expect(budget.tryConsume()).toEqual({ allowed: false, retryAfterSeconds: 10 * 60 });
  });

  it('does not let a burst across a clock-hour boundary exceed the budget', () => {
    let now = 59 * 60_000;
    const budget = new HourlyOperationBudget(2, () => now);
    budget.tryConsume();
    budget.tryConsume();
    now = 61 * 60_000;
    expect(budget.tryConsume().allowed).toBe(false);
  });
});
