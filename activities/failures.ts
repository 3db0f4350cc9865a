import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, type RetryPolicy } from '@temporalio/common';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import { ScimAuthenticationError, ScimConflictError, ScimEgressProxyRefusedError, ScimError, ScimInvalidRequestError, ScimMalformedResponseError, ScimNotFoundError, ScimRateLimitedError, ScimRetryLaterError } from '../scim/errors';
import { HrisEgressProxyRefusedError, HrisStatusError } from '../hris/http';
import { SourceReadError } from '../hris/source';
import { retryAfterBeyondBackoff } from '../net/retry-after';
import { ConfigError } from '../config/load';
import { PlanRefsNotUniqueError } from '../sync/plan';
import { DEFAULT_RUN_TUNING } from '../sync/settings';
import { scimRetryPolicy } from '../workflows/activity-options';

/** Failure types workflows branch on. */
export const FailureType = {
  AuthenticationFailed: 'AuthenticationFailed',
  /** Peakon answered 400: it refused a value (the steps then retry a write without its employee references). */
  InvalidRequest: 'InvalidRequest',
  /** Any other failure retrying cannot fix (an unexpected status, an unknown network error, an ambiguous match). */
  RequestFailed: 'RequestFailed',
  NotFound: 'NotFound',
  Conflict: 'Conflict',
  /** Peakon answered 2xx with a body that is not what the request returns: a create was applied, its id unknown. */
  MalformedResponse: 'MalformedResponse',
  RateLimited: 'RateLimited',
  Transient: 'Transient',
  SourceReadFailed: 'SourceReadFailed',
  PreflightFailed: 'PreflightFailed',
  ConfigInvalid: 'ConfigInvalid',
  /** An internal error of the plan (two entries would share one ref: one workflow ID, one report line). */
  PlanRefsNotUnique: 'PlanRefsNotUnique',
} as const;

/** The retry a failure feeds: the policy the activity runs under and the attempt that failed (1 for the first). */
export interface RetryContext {
  policy: RetryPolicy;
  attempt: number;
}

/**
 * Inside an activity, the retry policy it was scheduled with and its attempt; elsewhere (a unit, the CLI), the first
 * attempt under the default SCIM retry policy (workflows/activity-options.ts, where the retry policies live).
 */
function currentRetry(): RetryContext {
  let info;
  try {
    info = Context.current().info;
  } catch {
    info = undefined;
  }
  return { policy: info?.retryPolicy ?? scimRetryPolicy(DEFAULT_RUN_TUNING), attempt: info?.attempt ?? 1 };
}

/** Temporal's initialInterval when a retry policy leaves it unset. */
const TEMPORAL_DEFAULT_INITIAL_INTERVAL_MS = 1_000;

/**
 * How long Temporal waits after attempt `attempt` fails when the failure sets no nextRetryDelay: initialInterval ×
 * backoffCoefficient^(attempt − 1), at most maximumInterval. Intervals are Durations (milliseconds, or an ms-formatted
 * string such as '2s'); one left unset takes Temporal's default, as the server applies it: initialInterval 1 s,
 * backoffCoefficient 2, maximumInterval 100 × initialInterval.
 */
export function backoffAfterAttempt({ policy, attempt }: RetryContext): number {
  const initial = msOptionalToNumber(policy.initialInterval) ?? TEMPORAL_DEFAULT_INITIAL_INTERVAL_MS;
  const maximum = msOptionalToNumber(policy.maximumInterval) ?? 100 * initial;
  const coefficient = policy.backoffCoefficient ?? 2;
  return Math.min(maximum, initial * coefficient ** Math.max(0, attempt - 1));
}

/**
 * The one place where an error inside an activity becomes a Temporal failure. Messages come from our typed errors,
 * which never carry the token; the original error is not attached as a cause (an axios error holds the request headers).
 * `retry` (default: the running activity's) is the backoff a server's Retry-After is weighed against: Peakon's on a
 * 5xx or 408, an HR system's on the failure of a read.
 */
export function toActivityFailure(error: unknown, retry: RetryContext = currentRetry()): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof ScimAuthenticationError) {
    return ApplicationFailure.create({ type: FailureType.AuthenticationFailed, nonRetryable: true, message: `authentication failed: Peakon answered ${error.status ?? '401'} (check the SCIM token) — ${error.message}` });
  }
  // The worker's own network setting, not Peakon or the HR system: a config problem of the worker, named as such (the
  // message is the proxy's refusal, naming PEAKON_SYNC_PROXY). Not retried: each attempt would send the refused
  // Proxy-Authorization again.
  if (error instanceof ScimEgressProxyRefusedError || error instanceof HrisEgressProxyRefusedError) return ApplicationFailure.create({ type: FailureType.ConfigInvalid, nonRetryable: true, message: error.message });
  if (error instanceof ScimRateLimitedError) {
    // Peakon's Retry-After on a 429 is the wait (the employee workflow waits it out on a durable timer): retrying
    // earlier only spends quota on more 429s.
    return ApplicationFailure.create({ type: FailureType.RateLimited, message: error.message, ...(error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}) });
  }
  if (error instanceof ScimRetryLaterError) {
    // A 5xx's or 408's Retry-After may lengthen our backoff, never shorten it: Temporal takes nextRetryDelay instead of
    // the backoff, and `Retry-After: 0` (or 1 s) would send the remaining attempts back to back, each one billed.
    const delay = retryAfterBeyondBackoff(error.retryAfterMs, backoffAfterAttempt(retry));
    return ApplicationFailure.create({ type: FailureType.Transient, message: error.message, ...(delay !== undefined ? { nextRetryDelay: delay } : {}) });
  }
  if (error instanceof ScimNotFoundError) return ApplicationFailure.create({ type: FailureType.NotFound, nonRetryable: true, message: error.message });
  if (error instanceof ScimConflictError) return ApplicationFailure.create({ type: FailureType.Conflict, nonRetryable: true, message: error.message });
  if (error instanceof ScimMalformedResponseError) return ApplicationFailure.create({ type: FailureType.MalformedResponse, nonRetryable: true, message: error.message });
  if (error instanceof ScimError) {
    // Only a 400 is Peakon refusing a value: the steps (workflows/employee.ts) answer InvalidRequest by writing again
    // without the employee references, which for any other failure would be a second write on a false premise.
    const type = error.retryable ? FailureType.Transient : error instanceof ScimInvalidRequestError ? FailureType.InvalidRequest : FailureType.RequestFailed;
    return ApplicationFailure.create({ type, nonRetryable: !error.retryable, message: error.message });
  }
  if (error instanceof HrisStatusError) {
    // A read the same request fails again (400, credentials refused, the configured URL not found) is not repeated: each
    // attempt re-reads from the first page, and repeating a refused key may get it locked. Still SourceReadFailed, never
    // AuthenticationFailed or NotFound: those name Peakon, and quarantine the run (workflows/sync.ts).
    // A Retry-After the request did not wait out (too long, or given on its last inner attempt) may lengthen the plan
    // activity's retry backoff, never shorten it, as a 5xx's from Peakon: each attempt re-reads every HR page.
    const delay = error.retryable ? retryAfterBeyondBackoff(error.retryAfterMs, backoffAfterAttempt(retry)) : undefined;
    return ApplicationFailure.create({
      type: FailureType.SourceReadFailed,
      nonRetryable: !error.retryable,
      message: error.message,
      ...(delay !== undefined ? { nextRetryDelay: delay } : {}),
    });
  }
  if (error instanceof SourceReadError) return ApplicationFailure.create({ type: FailureType.SourceReadFailed, message: error.message });
  if (error instanceof PlanRefsNotUniqueError) return ApplicationFailure.create({ type: FailureType.PlanRefsNotUnique, nonRetryable: true, message: error.message });
  if (error instanceof ConfigError) return ApplicationFailure.create({ type: FailureType.ConfigInvalid, nonRetryable: true, message: error.message });
  if (error instanceof Error && error.name === 'SecretError') {
    return ApplicationFailure.create({ type: FailureType.ConfigInvalid, nonRetryable: true, message: error.message });
  }
  return ApplicationFailure.create({ type: 'Unexpected', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
}

/** Runs an activity body and converts whatever it throws. */
export async function convertingFailures<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    // A cancelled attempt (activity cancelled, heartbeat timed out, worker shutting down) is reported as cancelled.
    if (error instanceof CancelledFailure) throw error;
    throw toActivityFailure(error);
  }
}
