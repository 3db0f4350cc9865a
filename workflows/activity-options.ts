import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import type { RunTuning } from '../sync/settings';

/** Failure types that retrying cannot fix; everything else (5xx, timeouts, 429) is retried with backoff. */
const NON_RETRYABLE_TYPES = ['AuthenticationFailed', 'InvalidRequest', 'RequestFailed', 'NotFound', 'Conflict', 'MalformedResponse', 'ConfigInvalid', 'PreflightFailed', 'EmployeeNotFound'];

export function scimRetryPolicy(tuning: RunTuning): RetryPolicy {
  return {
    initialInterval: tuning.scimRetry.initialIntervalMs,
    maximumInterval: tuning.scimRetry.maximumIntervalMs,
    backoffCoefficient: 2,
    maximumAttempts: tuning.scimRetry.maximumAttempts,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  };
}

/**
 * One SCIM request per attempt. A 429 is not retried by Temporal here: the employee workflow waits out Peakon's
 * Retry-After on a durable timer and asks again, so an hour-long wait neither holds a slot nor burns retry attempts.
 */
export function scimActivityOptions(tuning: RunTuning, taskQueue: string): ActivityOptions {
  const retry = scimRetryPolicy(tuning);
  return { taskQueue, startToCloseTimeout: tuning.scimActivityTimeoutMs, retry: { ...retry, nonRetryableErrorTypes: [...(retry.nonRetryableErrorTypes ?? []), 'RateLimited'] } };
}

/**
 * The most requests one discovery attempt sends: a lookup by the matching key (both spellings of an IDN address), then,
 * under `sync.discovery: filter` for someone nobody has by key, one by HR id (activities/employee.ts).
 */
export const DISCOVERY_REQUESTS_AT_MOST = 3;

/** Discovery's options: like every SCIM step's, with time for each of its requests to take its whole deadline. */
export function discoveryActivityOptions(tuning: RunTuning, taskQueue: string): ActivityOptions {
  return { ...scimActivityOptions(tuning, taskQueue), startToCloseTimeout: DISCOVERY_REQUESTS_AT_MOST * tuning.scimActivityTimeoutMs };
}

/** The requests of a PUT laid over the current user (sync/payloads.ts PutOverCurrent): it reads the user, then writes. */
export const PUT_OVER_CURRENT_REQUESTS = 2;

/**
 * A PUT over the current user's options: time for both its requests to take their whole deadline. With one request's
 * time, a slow Peakon (each answer near the deadline) timed every attempt out after its PUT had landed, and the retries
 * spent two operations each until the step failed.
 */
export function putOverCurrentActivityOptions(tuning: RunTuning, taskQueue: string): ActivityOptions {
  return { ...scimActivityOptions(tuning, taskQueue), startToCloseTimeout: PUT_OVER_CURRENT_REQUESTS * tuning.scimActivityTimeoutMs };
}

/**
 * The plan, on the plan task queue (workflows/ids.ts planTaskQueue): no schedule-to-start limit, a queued plan waits its
 * turn. A 429 is not retried by Temporal: five quick attempts would end the run within minutes while another integration
 * holds the tenant's hour; the run waits it out on a durable timer instead (workflows/sync.ts), as an employee step does.
 */
export function planActivityOptions(tuning: RunTuning, taskQueue: string): ActivityOptions {
  const retry = scimRetryPolicy(tuning);
  return {
    taskQueue,
    startToCloseTimeout: tuning.planTimeoutMs,
    heartbeatTimeout: tuning.planHeartbeatTimeoutMs,
    retry: { ...retry, maximumAttempts: Math.min(tuning.scimRetry.maximumAttempts, 5), nonRetryableErrorTypes: [...(retry.nonRetryableErrorTypes ?? []), 'RateLimited'] },
  };
}

/**
 * Local, quick steps (a page or two from the payload store, the report file): one minute per attempt, ten attempts —
 * about 13 minutes of backoff with the default retry settings. That long because during a rolling deploy a worker of a
 * release before stored plans may take the task and fail it (`loadCreateWork` is not registered there): the step must
 * outlast the old workers rather than fail the run.
 */
function localStepOptions(tuning: RunTuning): ActivityOptions {
  return { startToCloseTimeout: 60_000, retry: { ...scimRetryPolicy(tuning), maximumAttempts: 10 } };
}

/** A partition's work from the stored plan's pages. */
export const planWorkActivityOptions = localStepOptions;

/**
 * Writing the run's report file: the local step's retries, but ten minutes per attempt with a heartbeat time-out of one,
 * since at 50,000 employees it reads every stored plan page and writes some 150 MB (activities/report.ts heartbeats as
 * it goes), which a fixed minute cannot promise on a shared store or a slow disk.
 */
export function reportActivityOptions(tuning: RunTuning): ActivityOptions {
  return { ...localStepOptions(tuning), startToCloseTimeout: 10 * 60_000, heartbeatTimeout: 60_000 };
}
