import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { planSyncActivity, type PlanInput } from '../../activities/plan';
import type { ActivityDeps } from '../../activities/deps';
import { ConnectorConfigSchema } from '../../config/schema';
import { createSourceForConfig } from '../../hris';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { DEFAULT_RUN_TUNING } from '../../sync/settings';
import { planActivityOptions } from '../../workflows/activity-options';
import { startTestServer, type TestServer } from './http-server';

/**
 * An HR system's Retry-After may lengthen the plan activity's retry backoff, never shorten it, as Peakon's on a 5xx
 * does. Each plan attempt re-reads every HR page; a 503 with `Retry-After: 1` on the request's last inner attempt was
 * passed on as nextRetryDelay 1 s, which Temporal takes instead of the plan's own backoff (2 s after the first attempt
 * by default). The plan activity runs in the SDK's activity context with the plan's retry policy, against a real HR
 * server on 127.0.0.1 and the sandbox for Peakon.
 */

let sandbox: RunningSandbox;
let hr: TestServer | undefined;
beforeAll(async () => {
  sandbox = await startSandbox({ token: 'plan-retry-after-token' });
});
afterAll(async () => {
  await sandbox.close();
});
afterEach(async () => {
  await hr?.close();
  hr = undefined;
});

/** An HR API that answers every request 503 with `retryAfter`. */
async function startBusyHr(retryAfter: string): Promise<TestServer> {
  hr = await startTestServer(() => ({ status: 503, headers: { 'Retry-After': retryAfter }, body: { error: 'busy' } }));
  return hr;
}

async function planAttempt(origin: string, attempt: number): Promise<unknown> {
  const config = ConnectorConfigSchema.parse({
    tenant: 'acme',
    peakon: { baseUrl: sandbox.baseUrl, token: { env: 'UNUSED' }, timeoutMs: 2000, operationsPerHour: 1_000_000 },
    // Two inner attempts, a wait of up to 5 s between them: a 1 s Retry-After is waited out once, then comes back on
    // the last attempt.
    source: { type: 'rest', url: `${origin}/api/employees`, pagination: { type: 'none' }, timeoutMs: 5_000, totalTimeoutMs: 5_000, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 5_000 } },
    mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last' },
  });
  const input: PlanInput = { run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-12-01T08:00:00Z' }, config };
  const deps: ActivityDeps = {
    reportDirectory: mkdtempSync(path.join(tmpdir(), 'plan-retry-after-')),
    resolveSecret: () => sandbox.token,
    createSource: (sourceConfig) => createSourceForConfig(sourceConfig, { resolveSecret: () => sandbox.token }),
  };
  // The policy the sync workflow schedules the plan with (workflows/activity-options.ts): 2 s, then 4 s, 8 s…
  const retryPolicy = planActivityOptions(DEFAULT_RUN_TUNING, 'plan-queue').retry;
  const environment = new MockActivityEnvironment({ attempt, retryPolicy, heartbeatTimeoutMs: 60_000 }, { logger: new DefaultLogger('ERROR') });
  return environment.run(planSyncActivity(deps), input).then(
    () => undefined,
    (error: unknown) => error,
  );
}

it('a 503 with Retry-After: 1 on the last inner attempt sets no nextRetryDelay: the plan\'s 2 s backoff stands', async () => {
  const api = await startBusyHr('1');
  const failure = await planAttempt(api.origin, 1);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'SourceReadFailed', nonRetryable: false, message: expect.stringContaining('answered 503') });
  expect(api.requests).toHaveLength(2);
  expect((failure as ApplicationFailure).nextRetryDelay).toBeUndefined();
});

it('a Retry-After longer than the plan\'s backoff for that attempt is the next attempt\'s delay', async () => {
  // After attempt 1 the backoff is 2 s: a 3 s Retry-After lengthens it.
  const api = await startBusyHr('3');
  const failure = await planAttempt(api.origin, 1);
  expect(failure).toMatchObject({ type: 'SourceReadFailed', nonRetryable: false, nextRetryDelay: 3_000 });
  // After attempt 3 the backoff is 8 s: the same 3 s would shorten it, so it is not passed on.
  const later = await planAttempt(api.origin, 3);
  expect(later).toMatchObject({ type: 'SourceReadFailed', nonRetryable: false });
  expect((later as ApplicationFailure).nextRetryDelay).toBeUndefined();
}, 20_000);
