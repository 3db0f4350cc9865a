import type { ActivityOptions } from '@temporalio/common';
import { DEFAULT_RUN_TUNING } from '../../sync/settings';
import { planWorkActivityOptions, reportActivityOptions } from '../../workflows/activity-options';

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
