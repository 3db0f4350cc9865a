import type { ActivityDeps } from './deps';
import { createEmployeeActivity, updateEmployeeActivity } from './employee';
import { partitionActivities } from './partitions';
import { planSyncActivity } from './plan';
import { writeRunReportActivity } from './report';

/**
 * Every activity of the connector, built from injected dependencies (workflows import only this function's type).
 * Secrets are resolved inside activities from `{ env }`/`{ file }` references, so they never enter workflow history.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    planSync: planSyncActivity(deps),
    createEmployee: createEmployeeActivity(deps),
    updateEmployee: updateEmployeeActivity(deps),
    writeRunReport: writeRunReportActivity(deps),
    ...partitionActivities(deps),
  };
}

export type SyncActivities = ReturnType<typeof createActivities>;
/** Activities that talk to Peakon; they run on the rate-limited SCIM task queue. */
export type ScimActivities = Pick<SyncActivities, 'createEmployee' | 'updateEmployee'>;
export type { ActivityDeps } from './deps';
