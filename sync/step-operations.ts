/**
 * Counting the SCIM requests of an employee step's attempts, for the activity (the attempts before its own) and the
 * workflow (a step whose last attempt Temporal timed out). Pure: the workflow bundle imports it.
 */

/** What an attempt that sends more than one request leaves for the next: the requests of every attempt up to it. */
export interface StepHeartbeat {
  attempt: number;
  operations: number;
}

/**
 * Requests the attempts before `attempt` sent: one each, except an attempt that sent more (discovery of a workflow
 * recorded before DiscoverInput.lookup; the PUT of a user created this run, which reads the user first) and said so
 * in its heartbeat, which counts what it said.
 */
export function operationsBefore(attempt: number, heartbeat: unknown): number {
  const last = heartbeat as Partial<StepHeartbeat> | undefined;
  if (typeof last?.attempt !== 'number' || typeof last.operations !== 'number' || last.attempt >= attempt) return attempt - 1;
  return last.operations + (attempt - 1 - last.attempt);
}

/**
 * Requests a step sent when its last attempt (`maximumAttempts`) was timed out by Temporal: that attempt may have
 * reached Peakon, so it counts one, as every earlier one does, plus what a heartbeat said an attempt sent beyond one.
 * The heartbeat of the last attempt itself already counts that attempt's requests.
 */
export function timedOutStepOperations(maximumAttempts: number, heartbeat: unknown): number {
  const last = heartbeat as Partial<StepHeartbeat> | undefined;
  if (typeof last?.attempt === 'number' && last.attempt >= maximumAttempts && typeof last.operations === 'number') return Math.max(maximumAttempts, last.operations);
  return operationsBefore(maximumAttempts + 1, heartbeat);
}
