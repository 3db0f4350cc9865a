import type { ActivityOptions } from '@temporalio/common';
import { DEFAULT_RUN_TUNING } from '../../sync/settings';
import { MAX_PEAKON_TIMEOUT_MS } from '../../config/schema';
import { TOTAL_DEADLINE_FACTOR } from '../../scim/client';
import { discoveryActivityOptions, DISCOVERY_REQUESTS_AT_MOST, planWorkActivityOptions, reportActivityOptions, scimActivityOptions } from '../../workflows/activity-options';

/** Seconds of backoff between an activity's first and last attempt under its retry policy (Temporal's formula). */
function backoffSeconds(options: ActivityOptions): number {
  const retry = options.retry ?? {};
  const initial = Number(retry.initialInterval) / 1000;
  const maximum = Number(retry.maximumInterval) / 1000;
  const attempts = retry.maximumAttempts ?? 0;
  let total = 0;
  for (let attempt = 1; attempt < attempts; attempt += 1) total += Math.min(initial * (retry.backoffCoefficient ?? 2) ** (attempt - 1), maximum);
  return total;
}

describe('retries of the local steps (docs/versioning.md, rolling deploys)', () => {
  it.each([
    ['loadCreateWork / loadUpdateWork', planWorkActivityOptions],
    ['writeRunReport', reportActivityOptions],
  ])('%s retries for 10 to 15 minutes: longer than a rolling deploy in which a worker without it may take it, not without end', (_name, optionsOf) => {
    const options = optionsOf(DEFAULT_RUN_TUNING);
    expect(options.retry?.maximumAttempts).toBe(10);
    expect(backoffSeconds(options)).toBeGreaterThan(10 * 60);
    // …and not without end: a page that cannot be read fails the run within a quarter of an hour.
    expect(backoffSeconds(options)).toBeLessThan(15 * 60);
  });
});

describe('SCIM step timeouts', () => {
  const slowest = TOTAL_DEADLINE_FACTOR * MAX_PEAKON_TIMEOUT_MS;
  it('a write step outlasts one request at the longest peakon.timeoutMs', () => {
    expect(Number(scimActivityOptions(DEFAULT_RUN_TUNING, 'q').startToCloseTimeout)).toBeGreaterThan(slowest);
  });

  it('discovery outlasts all of its requests (key, IDN spelling, HR id) at the longest peakon.timeoutMs: a slow Peakon does not time every attempt out', () => {
    expect(DISCOVERY_REQUESTS_AT_MOST).toBe(3);
    expect(Number(discoveryActivityOptions(DEFAULT_RUN_TUNING, 'q').startToCloseTimeout)).toBeGreaterThan(DISCOVERY_REQUESTS_AT_MOST * slowest);
    expect(discoveryActivityOptions(DEFAULT_RUN_TUNING, 'q').retry).toEqual(scimActivityOptions(DEFAULT_RUN_TUNING, 'q').retry);
  });
});
