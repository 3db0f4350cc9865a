import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../../activities/deps';
import { scimStepActivities, type StepFailureDetails } from '../../activities/employee';
import { tenantHeldForMs, tenantHold } from '../../activities/tenant-hold';
import { DEFAULT_RATE_LIMIT_WAIT_MS } from '../../net/retry-after';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { createScimClient } from '../../scim/client';
import { ScimRateLimitedError } from '../../scim/errors';
import { createOperationPacer } from '../../scim/pacer';

/**
 * A 429 whose Retry-After says nothing usable (no header, `0`, an HTTP-date already past: a worker clock ahead of
 * Peakon's) still holds the tenant for DEFAULT_RATE_LIMIT_WAIT_MS and tells the employee's workflow to wait that long:
 * without it every employee in flight got a 429 of its own, and each waited 1 s, failing after ~48 s of 429s.
 * Real HTTP against the sandbox, whose budget answers 429 in each of these ways (fault setting rateLimitRetryAfter).
 */
const TOKEN = 'rate-limit-token-5d2e';
const VARIANTS = ['omit', 'zero', 'past'] as const;

describe.each(VARIANTS)('a 429 with Retry-After %s', (variant) => {
  let sandbox: RunningSandbox;

  beforeEach(async () => {
    sandbox = await startSandbox({ token: TOKEN, port: 0, quotaPerHour: 1, faults: { rateLimitRetryAfter: variant } });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('the sandbox answers 429 as configured', async () => {
    const headers = { Authorization: `Bearer ${TOKEN}` };
    await fetch(`${sandbox.baseUrl}/ServiceProviderConfig`, { headers });
    const limited = await fetch(`${sandbox.baseUrl}/ServiceProviderConfig`, { headers });
    expect(limited.status).toBe(429);
    const retryAfter = limited.headers.get('retry-after');
    if (variant === 'omit') expect(retryAfter).toBeNull();
    else if (variant === 'zero') expect(retryAfter).toBe('0');
    else expect(Date.parse(retryAfter ?? '')).toBeLessThan(Date.now());
  });

  it('the client waits the default: the error, the pacer and the tenant are held for it, and nothing more is sent', async () => {
    const tenant = `default-wait-${variant}-${Date.now()}`;
    const holds: number[] = [];
    const pacer = createOperationPacer({ operationsPerHour: 1_000_000 });
    const client = createScimClient({
      baseUrl: sandbox.baseUrl,
      token: TOKEN,
      pacer: { acquire: () => pacer.acquire(), holdFor: (delayMs) => holds.push(delayMs) },
      hold: tenantHold(tenant, sandbox.baseUrl),
    });
    await client.getServiceProviderConfig();
    const error = await client.getServiceProviderConfig().then(() => undefined, (failure: unknown) => failure);
    expect(error).toBeInstanceOf(ScimRateLimitedError);
    expect((error as ScimRateLimitedError).retryAfterMs).toBe(DEFAULT_RATE_LIMIT_WAIT_MS);
    expect(holds).toEqual([DEFAULT_RATE_LIMIT_WAIT_MS]);
    expect(tenantHeldForMs(tenant, sandbox.baseUrl)).toBeGreaterThan(DEFAULT_RATE_LIMIT_WAIT_MS - 5_000);

    // Another employee of the tenant in this process: not sent, no 429 of its own.
    const other = createScimClient({ baseUrl: sandbox.baseUrl, token: TOKEN, hold: tenantHold(tenant, sandbox.baseUrl) });
    await expect(other.findUserByUserName('anyone@acme.com')).rejects.toMatchObject({ status: undefined, message: expect.stringContaining('not sent') });
    expect(other.totalOperations()).toBe(0);
    expect(sandbox.ops().map((op) => op.status)).toEqual([200, 429]);
  });

  it('an employee step reports the default wait to its workflow and holds the tenant for the other steps', async () => {
    const deps: ActivityDeps = { reportDirectory: '/nonexistent', resolveSecret: () => TOKEN, createSource: () => { throw new Error('no HR source here'); } };
    const activities = scimStepActivities(deps);
    const tenant = `step-${variant}-${Date.now()}`;
    const input = {
      run: { tenant, runId: `peakon-sync/${tenant}/2026-11-30T10:00:00Z` },
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 5_000, operationsPerHour: 25_000 },
      ref: 'employee-ref',
      matchingKey: 'email' as const,
      userName: 'anna@acme.com',
      updateMethod: 'patch' as const,
    };
    const environment = () => new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
    await environment().run(activities.discoverEmployee, input);
    const failure = await environment().run(activities.discoverEmployee, input).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    const rateLimited = failure as ApplicationFailure;
    expect(rateLimited.type).toBe('RateLimited');
    expect(rateLimited.nextRetryDelay).toBe(DEFAULT_RATE_LIMIT_WAIT_MS);
    expect((rateLimited.details?.[0] as StepFailureDetails).retryAfterMs).toBe(DEFAULT_RATE_LIMIT_WAIT_MS);

    const held = await environment().run(activities.discoverEmployee, input).then(() => undefined, (error: unknown) => error);
    expect(held).toMatchObject({ type: 'RateLimited', message: expect.stringContaining('not sent') });
    expect((held as ApplicationFailure).nextRetryDelay).toBeGreaterThan(DEFAULT_RATE_LIMIT_WAIT_MS - 5_000);
    expect(sandbox.ops()).toHaveLength(2);
  });
});
