/**
 * Failures in words, for the CLI and for the run's own failure (workflows/sync.ts): pure code, no I/O, so the workflow
 * bundle may use it. Only messages are read, never an error's other fields.
 */
import { ActivityFailure, TimeoutFailure } from '@temporalio/common';

/** How many causes deep {@link errorText} reads (a cause chain could loop, or be long). */
const MAX_CAUSES = 5;

/**
 * An error's message, then the message of each error in its `cause` chain not already in the text, joined by `: `.
 * The Temporal SDK's ServiceError says only what it tried ("Failed to create schedule"); why (`7 PERMISSION_DENIED: …`,
 * `14 UNAVAILABLE: …`, a deadline) is in its cause, the gRPC error.
 *
 * Only `message` is read, of the error and of causes that are Errors: never a gRPC error's `metadata` (the server's
 * trailers) or `details` beyond what its message holds, nor anything of the request (its metadata carries the
 * Temporal API key); the gRPC message is the server's status text, which names no credential this CLI sent.
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let text = error.message;
  const seen = new Set<unknown>([error]);
  let cause: unknown = error.cause;
  for (let depth = 0; depth < MAX_CAUSES && cause instanceof Error && !seen.has(cause); depth += 1) {
    seen.add(cause);
    const message = cause.message.trim();
    // A message that already quotes its cause (`cannot reach Temporal at …: <cause>`) is not repeated.
    if (message !== '' && !text.includes(message)) text = text === '' ? message : `${text}: ${message}`;
    cause = cause.cause;
  }
  return text;
}

/** What each activity time-out (Temporal's TimeoutType) means for the step. */
const TIMEOUT_MEANING: Record<NonNullable<TimeoutFailure['timeoutType']>, string> = {
  HEARTBEAT: 'heartbeat timeout: the worker running it stopped reporting progress, e.g. it was killed (out of memory?), lost its connection or was blocked',
  START_TO_CLOSE: 'start-to-close timeout: an attempt ran past its time limit',
  SCHEDULE_TO_START: 'schedule-to-start timeout: no worker took it in time',
  SCHEDULE_TO_CLOSE: 'schedule-to-close timeout: its attempts together ran past their time limit',
};

/** After which attempt the activity failed for good, when its retry state says (Temporal's RetryState). */
const RETRY_STATE_TEXT: Partial<Record<NonNullable<ActivityFailure['retryState']>, string>> = {
  MAXIMUM_ATTEMPTS_REACHED: 'on its last allowed attempt',
  TIMEOUT: 'when its retries ran out of time',
  NON_RETRYABLE_FAILURE: 'not retryable',
};

/**
 * An activity failure in words: the activity's type (the step), then a time-out's kind (the SDK's TimeoutFailure, one
 * cause below the ActivityFailure) or the failure's reason, and the rest of its cause chain as errorText reads it
 * (the server makes a time-out's cause the failure of an earlier attempt, when one failed so).
 */
export function activityFailureText(failure: ActivityFailure): string {
  const step = `the ${failure.activityType} activity`;
  const retry = failure.retryState ? RETRY_STATE_TEXT[failure.retryState] : undefined;
  const after = retry ? `, ${retry}` : '';
  const reason = failure.cause;
  if (reason instanceof TimeoutFailure) {
    const meaning = reason.timeoutType ? TIMEOUT_MEANING[reason.timeoutType] : 'timeout of an unknown kind';
    const before = reason.cause ? `; the failure before it: ${errorText(reason.cause)}` : '';
    return `${step} timed out (${meaning})${after}${before}`;
  }
  return `${step} failed${after}: ${reason ? errorText(reason) : failure.message}`;
}
