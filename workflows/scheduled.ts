import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  patched,
  proxyActivities,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { SyncActivities } from '../activities';
import type { StoredConfig } from '../activities/config';
import type { ConnectorConfig } from '../config/schema';
import type { SyncReport } from '../sync/report';
import { withTuningDefaults, type RunTuning } from '../sync/settings';
import { scimRetryPolicy } from './activity-options';
import { SYNC_STATUS_SEARCH_ATTRIBUTE } from './search-attributes';
import { syncTenantWorkflow } from './sync';

/** What a sync schedule keeps as its workflow input (client/schedules/options.ts): the config as written, no secrets. */
export interface ScheduledSyncInput extends StoredConfig {
  /** Tests shorten timeouts and retries; schedules made by the CLI never set it. */
  tuning?: Partial<RunTuning>;
}

/** The server sets it on every run a schedule starts: the failure message can then name the command that fixes it. */
const SCHEDULED_BY_ID = defineSearchAttributeKey('TemporalScheduledById', 'KEYWORD');

/**
 * A scheduled sync: validates the schedule's stored config with this version's schema and defaults, then runs
 * `syncTenantWorkflow` on the result in this same execution (called as a function, not as a child), so the run keeps the
 * workflow ID, tenant lock, memo, search attributes and progress query a sync has. A stored config that no longer
 * validates fails the run before anything is read or written, naming each field.
 */
export async function scheduledSyncWorkflow(input: ScheduledSyncInput): Promise<SyncReport> {
  const tuning = withTuningDefaults(input.tuning);
  // Pure validation on the main queue: a few seconds at most, and only a lost worker is worth retrying.
  const { resolveStoredConfig } = proxyActivities<SyncActivities>({ startToCloseTimeout: 30_000, retry: { ...scimRetryPolicy(tuning), maximumAttempts: 3 } });
  let config: ConnectorConfig;
  try {
    config = await resolveStoredConfig({ storedConfig: input.storedConfig, ...(input.configFile !== undefined ? { configFile: input.configFile } : {}) });
  } catch (error) {
    throw stoppedBeforeSync(error);
  }
  return await syncTenantWorkflow({ config, ...(input.tuning ? { tuning: input.tuning } : {}) });
}

/**
 * The run's own failure (not "Activity task failed"), non-retryable, with the fix; recorded in the memo and the status
 * search attribute as a sync records its outcome, so `schedule describe` and the UI's list show why.
 */
function stoppedBeforeSync(error: unknown): unknown {
  if (!(error instanceof ActivityFailure && error.cause instanceof ApplicationFailure)) {
    // Cancelled (or the check timed out) before the sync began: the run ends without a report, and the status the
    // schedule started it with ("running") would stay in the UI's list and `schedule describe` for good.
    if (patched(SCHEDULED_RUN_RECORDS_EARLY_END_PATCH)) recordEnd(isCancellation(error) ? 'cancelled' : 'failed', isCancellation(error) ? 'cancelled before its stored config was checked' : 'its stored config could not be checked');
    return error;
  }
  const info = workflowInfo();
  const type = error.cause.type ?? 'ConfigInvalid';
  const scheduleId = info.typedSearchAttributes.get(SCHEDULED_BY_ID) ?? '<schedule id>';
  // `schedule describe` shows the memo's message beside the fix, so only the failure itself carries the command.
  recordEnd('failed', error.cause.message);
  const fix = type === 'ConfigInvalid' ? `\nfix the config file, then store it again: peakon-sync schedule update ${scheduleId} --config <file>` : '';
  return ApplicationFailure.create({ type, nonRetryable: true, message: `${error.cause.message}${fix}` });
}

/**
 * patched() marker of a scheduled run that ended before its sync began, other than by a config that does not validate
 * (cancelled, or its check failing on every attempt), and recorded that end in its memo and status search attribute
 * (2026-11). Written only then.
 */
const SCHEDULED_RUN_RECORDS_EARLY_END_PATCH = 'scheduled-run-records-early-end';

/** How the run ended, where `schedule describe` and the UI's list read it (a sync records its outcome the same way). */
function recordEnd(status: 'failed' | 'cancelled', message: string): void {
  upsertMemo({ status, message });
  if (workflowInfo().typedSearchAttributes.get(SYNC_STATUS_SEARCH_ATTRIBUTE) !== undefined) upsertSearchAttributes([{ key: SYNC_STATUS_SEARCH_ATTRIBUTE, value: status }]);
}
