import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ScimActivities } from '../activities';
import type { PeakonConnection } from '../activities/deps';
import type { RunTuning } from '../sync/settings';
import type { CreateWork, EmployeeOutcome, RunRef, SyncPhase, UpdateWork } from '../sync/types';
import { scimActivityOptions } from './activity-options';

export interface EmployeeStepWorkflowInput<W> {
  run: RunRef;
  peakon: PeakonConnection;
  tuning: RunTuning;
  scimTaskQueue: string;
  work: W;
}

/** A failed employee is an outcome, not an exception: one bad record never fails the run. */
function failedOutcome(employeeKey: string, phase: SyncPhase, error: unknown): EmployeeOutcome {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const errorType = cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
  return { employeeKey, phase, status: 'failed', reason, ...(errorType ? { errorType } : {}), operations: 0 };
}

/** Phase 1 for one employee: discover, create if absent (idempotently; see the activity). */
export async function employeeCreateWorkflow(input: EmployeeStepWorkflowInput<CreateWork>): Promise<EmployeeOutcome> {
  const { createEmployee } = proxyActivities<ScimActivities>(scimActivityOptions(input.tuning, input.scimTaskQueue));
  try {
    return await createEmployee({ run: input.run, peakon: input.peakon, work: input.work });
  } catch (error) {
    return failedOutcome(input.work.employeeKey, 'create', error);
  }
}

/** Phase 2 for one employee: PUT every attribute, references included. Runs only after every create of the run. */
export async function employeeUpdateWorkflow(input: EmployeeStepWorkflowInput<UpdateWork>): Promise<EmployeeOutcome> {
  const { updateEmployee } = proxyActivities<ScimActivities>(scimActivityOptions(input.tuning, input.scimTaskQueue));
  try {
    return await updateEmployee({ run: input.run, peakon: input.peakon, work: input.work });
  } catch (error) {
    return failedOutcome(input.work.employeeKey, 'update', error);
  }
}
