import { resolveStoredConfigActivity } from './config';
import type { ActivityDeps } from './deps';
import { scimStepActivities } from './employee';
import { planSyncActivity } from './plan';
import { planWorkActivities } from './plan-work';
import { writeRunReportActivity } from './report';

/**
 * Every activity of the connector, built from injected dependencies (workflows import only this function's type).
 * Secrets are resolved inside activities from `{ env }`/`{ file }` references, so they never enter workflow history.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    planSync: planSyncActivity(deps),
    ...planWorkActivities(deps),
    writeRunReport: writeRunReportActivity(deps),
    resolveStoredConfig: resolveStoredConfigActivity(),
    ...scimStepActivities(deps),
  };
}

export type SyncActivities = ReturnType<typeof createActivities>;
/** Activities that talk to Peakon, one request per attempt; they run on the tenant's rate-limited task queue. */
export type ScimActivities = ReturnType<typeof scimStepActivities>;
export const SCIM_ACTIVITY_NAMES = ['discoverEmployee', 'createEmployee', 'writeEmployee'] as const satisfies readonly (keyof ScimActivities)[];
export type { ActivityDeps } from './deps';
