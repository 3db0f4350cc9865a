import type { Client, ScheduleDescription, ScheduleSpec, ScheduleUpdateOptions } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributePair } from '@temporalio/common';
import { ConfigError } from '../../config/load';
import { scheduledSyncWorkflowIdPrefix } from '../../workflows/ids';
import { runStartSearchAttributes, SEARCH_ATTRIBUTE_KEYS, SYNC_STATUS_SEARCH_ATTRIBUTE, TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';
import { tenantOfRun } from '../employee-workflows';
import { searchAttributesRegistered } from '../temporal-client';
import { configChanges } from './config-diff';
import { inlineScheduleClient, withInlineArgument } from './inline-client';
import { scheduleMemo, scheduleTiming } from './inspect';
import {
  buildSyncScheduleAction,
  describeTiming,
  isCheckedScheduleId,
  isTimezoneOnly,
  scheduledRunWorkflowIdPrefix,
  scheduleSpecFor,
  SYNC_SCHEDULE_OVERLAP_POLICY,
  timingFromSpec,
  type SyncScheduleTiming,
  type SyncScheduleTimingChange,
} from './options';
import { DEFAULT_READ_COST_SETTINGS, frequentRunsWarning, readCostSettings } from './cadence-cost';
import { assertSyncWorkflowType, describeSyncScheduleRaw } from './ownership';
import { sameStoredConfig, scheduleConfigFrom, scheduleInputOf, storedAsWritten, validateStored, type ScheduleConfig, type ScheduleInput } from './stored-config';

export interface UpdateSyncScheduleRequest {
  namespace: string;
  scheduleId: string;
  /** A new config, already validated (`scheduleConfigFromFile`). */
  config?: ScheduleConfig;
  /** A cron without a time zone keeps the schedule's; a time zone alone re-uses its cron expressions (specAfter). */
  timing?: SyncScheduleTimingChange;
  note?: string;
}

export interface SyncScheduleUpdate {
  scheduleId: string;
  tenant?: string;
  /** One line per change, for people: `when: every 1h → every 30m`, `config: source.path: "…" → "…"`. */
  changes: string[];
  /** A new cadence that runs more often than every 15 minutes: what its reads cost (cadence-cost.ts). */
  warning?: string;
}

/**
 * Changes a sync schedule in place (its ID, counters and recent runs stay): the cadence, the config, the note. Any
 * update of a schedule made by an earlier version also migrates it: its parsed copy of the config (or the new config)
 * is stored as written, and its runs start `scheduledSyncWorkflow`, which validates it again at every run; a schedule
 * with the overlap policy SKIP gets ALLOW_ALL.
 */
export async function updateSyncSchedule(client: Client, request: UpdateSyncScheduleRequest): Promise<SyncScheduleUpdate> {
  // Another tool's schedule is refused before anything of it is decoded (ownership.ts); planUpdate checks it again on
  // the description the update itself reads.
  await describeSyncScheduleRaw(client, request.scheduleId);
  const withSearchAttributes = await searchAttributesRegistered(client, request.namespace);
  let update: SyncScheduleUpdate | undefined;
  // The update function must be synchronous: everything it needs from the server is fetched above. Written through the
  // inline client, so the config stays in the schedule, never in the payload store that retention sweeps (also a
  // config an earlier version offloaded, which it still reads while the payload exists): inline-client.ts says why.
  await withInlineArgument(() =>
    inlineScheduleClient(client).getHandle(request.scheduleId).update((previous) => {
      const planned = planUpdate(previous, request, withSearchAttributes);
      update = planned.update;
      return planned.options;
    }),
  );
  if (!update) throw new Error(`schedule ${request.scheduleId} was not updated`);
  return update;
}

interface PlannedUpdate {
  options: ScheduleUpdateOptions;
  update: SyncScheduleUpdate;
}

/** The schedule after the update, and what changed; the previous state and policies are kept, but for today's overlap policy. */
export function planUpdate(previous: ScheduleDescription, request: UpdateSyncScheduleRequest, registered: boolean | undefined): PlannedUpdate {
  const { scheduleId } = request;
  assertSyncWorkflowType(scheduleId, previous.action.workflowType);
  const input = scheduleInputOf(previous.action);
  if (!input) throw new Error(`schedule ${scheduleId} does not start a sync this version can read (it starts ${previous.action.workflowType}): delete it and create it again`);
  const tenant = scheduleMemo(previous.memo)?.tenant;
  const changes: string[] = [];

  const cadence = request.timing ? cadenceAfter(scheduleId, previous, request.timing) : undefined;
  if (cadence) {
    const before = scheduleTiming(previous.spec, previous.memo) ?? 'unknown';
    if (before !== cadence.description) changes.push(`when: ${before} → ${cadence.description}`);
  }
  const config = request.config ?? (input.form === 'parsed-copy' ? migratedConfig(scheduleId, input) : undefined);
  if (config) {
    if (tenant !== undefined && config.parsed.tenant !== tenant) {
      throw new Error(`the config is for tenant ${config.parsed.tenant}, but schedule ${scheduleId} syncs tenant ${tenant}: create a schedule for ${config.parsed.tenant} instead`);
    }
    changes.push(...describeConfigChange(input, config));
  }
  if (request.note !== undefined && request.note !== (previous.state.note ?? '')) changes.push(`note: ${JSON.stringify(previous.state.note ?? '')} → ${JSON.stringify(request.note)}`);
  // A schedule made before ALLOW_ALL skipped every due time while a stuck run lived (options.ts says why): any update
  // gives it today's policy, so `schedule update <id>` alone fixes it. The catch-up window and the rest stay as they were.
  const overlapBefore = previous.policies.overlap ?? 'SKIP';
  if (overlapBefore !== SYNC_SCHEDULE_OVERLAP_POLICY) {
    changes.push(`overlap: ${overlapBefore} → ${SYNC_SCHEDULE_OVERLAP_POLICY} (every due time starts a run; the tenant lock keeps one sync at a time, so a stuck run no longer blocks the schedule)`);
  }

  // A previous action this version reads is rebuilt only when the config changes; otherwise it is kept as it is, but for
  // its runs' workflow ID, which becomes unique per schedule (scheduledRunWorkflowIdPrefix says why).
  const runTenant = tenant ?? config?.parsed.tenant ?? tenantOfRun(previous.action.workflowId, `cannot tell the tenant of a schedule whose runs are named ${previous.action.workflowId}`);
  const runIds = runIdPrefixFor(scheduleId, runTenant);
  if (previous.action.workflowId !== runIds.prefix || runIds.why) {
    const change = previous.action.workflowId !== runIds.prefix ? `${previous.action.workflowId}-<time> → ${runIds.prefix}-<time>` : `stay ${runIds.prefix}-<time>`;
    changes.push(`run IDs: ${change} ${runIds.why ?? '(unique per schedule: another schedule of the tenant due at the same time no longer makes the same ID)'}`);
  }
  // A schedule made before the namespace had the connector's search attributes (or where they could not be seen) starts
  // runs without them; once they are registered, any update adds them, so its runs can be found by tenant and status.
  const previousAttributes = searchAttributePairs(previous.action.typedSearchAttributes);
  const hadAttributes = SEARCH_ATTRIBUTE_KEYS.every((key) => previousAttributes.some((pair) => pair.key.name === key.name));
  // Could not be told (the listing failed or timed out): as the schedule had it, never taken away on a guess.
  const withSearchAttributes = registered ?? hadAttributes;
  const addAttributes = withSearchAttributes && !hadAttributes;
  if (addAttributes) {
    changes.push(`search attributes: its runs now carry ${TENANT_SEARCH_ATTRIBUTE.name}=${runTenant} and ${SYNC_STATUS_SEARCH_ATTRIBUTE.name} (registered in the namespace since the schedule was made), so Temporal can list them by tenant and status`);
  }
  const action = {
    ...(config
      ? buildSyncScheduleAction({ config, scheduleId, taskQueue: previous.action.taskQueue, withSearchAttributes, ...(input.tuning ? { tuning: input.tuning } : {}) })
      : previous.action),
    workflowId: runIds.prefix,
    ...(addAttributes && !config
      ? {
          typedSearchAttributes: [
            ...previousAttributes.filter((pair) => !SEARCH_ATTRIBUTE_KEYS.some((key) => key.name === pair.key.name)),
            ...runStartSearchAttributes(runTenant),
          ],
        }
      : {}),
  };
  const note = request.note ?? previous.state.note;
  // A new config alone reprices the cadence the schedule keeps (filter discovery, a smaller budget).
  const warning = cadenceWarning(cadence?.timing ?? (request.config ? timingFromSpec(previous.spec) : undefined), input, config);
  return {
    options: {
      spec: cadence?.spec ?? previous.spec,
      action,
      policies: { ...previous.policies, overlap: SYNC_SCHEDULE_OVERLAP_POLICY },
      state: { paused: previous.state.paused, ...(note !== undefined ? { note } : {}) },
    },
    update: {
      scheduleId,
      ...(tenant !== undefined ? { tenant } : config ? { tenant: config.parsed.tenant } : {}),
      changes,
      ...(warning !== undefined ? { warning } : {}),
    },
  };
}

/**
 * The read-cost warning for a new cadence (a time zone alone changes no pace) or a new config, priced with the new config, else the
 * stored one, else the defaults (a stored config that no longer validates says nothing of its settings).
 */
function cadenceWarning(timing: SyncScheduleTiming | undefined, input: ScheduleInput, config: ScheduleConfig | undefined): string | undefined {
  if (!timing) return undefined;
  const stored = config ? undefined : validateStored(storedAsWritten(input));
  const parsed = config?.parsed ?? (stored?.valid ? stored.config : undefined);
  return frequentRunsWarning(timing, parsed ? readCostSettings(parsed) : DEFAULT_READ_COST_SETTINGS);
}

/** The typed search attributes an action sets, as a list of pairs (the SDK describes them as either). */
function searchAttributePairs(attributes: TypedSearchAttributes | readonly SearchAttributePair[] | undefined): SearchAttributePair[] {
  if (!attributes) return [];
  return attributes instanceof TypedSearchAttributes ? attributes.getAll() : [...attributes];
}

/**
 * The spec after a cadence change. A cron without `--timezone` keeps the schedule's time zone (before, it silently
 * moved the schedule to UTC); `--timezone` alone puts the schedule's cron expressions (the compiled calendars, and the
 * expression as written in their comment) in that zone, and means nothing to an interval, so it is refused there.
 */
function cadenceAfter(scheduleId: string, previous: ScheduleDescription, change: SyncScheduleTimingChange): { spec: ScheduleSpec; description: string; timing?: SyncScheduleTiming } {
  const zone = previous.spec.timezone ? { timezone: previous.spec.timezone } : {};
  if (!isTimezoneOnly(change)) {
    const timing = 'cron' in change && change.timezone === undefined ? { ...change, ...zone } : change;
    return { spec: scheduleSpecFor(timing), description: describeTiming(timing), timing };
  }
  const intervals = previous.spec.intervals ?? [];
  const calendars = previous.spec.calendars ?? [];
  if (intervals.length > 0 || calendars.length === 0) {
    const now = scheduleTiming(previous.spec, previous.memo);
    throw new Error(
      `--timezone ${change.timezone} alone changes the time zone of a cron schedule, but schedule ${scheduleId} ${intervals.length > 0 ? `runs ${now ?? 'at an interval'}, the same pace in every time zone` : 'has no cron expression'}: give --cron "<expression>" --timezone ${change.timezone} to run by that zone's clock`,
    );
  }
  const spec = { ...previous.spec, timezone: change.timezone };
  const timing = timingFromSpec(spec);
  return { spec, description: timing ? describeTiming(timing) : `${scheduleTiming(previous.spec, previous.memo) ?? 'its calendar'}, in ${change.timezone}` };
}

/**
 * The workflow ID prefix of the schedule's runs after the update: today's, which names the schedule, when `create --id`
 * would take its ID. A schedule made before that check may have an ID such as `anna@corp.com`, and every run and child
 * workflow ID would show it in plain text in Temporal, where no personal data may be: its runs keep the prefix without
 * the schedule ID (and, so, share their IDs with another such schedule of the tenant due at the same time), and `why`
 * says so.
 */
function runIdPrefixFor(scheduleId: string, tenant: string): { prefix: string; why?: string } {
  if (isCheckedScheduleId(scheduleId)) return { prefix: scheduledRunWorkflowIdPrefix(tenant, scheduleId) };
  return {
    prefix: scheduledSyncWorkflowIdPrefix(tenant),
    why: "(without the schedule ID: it is not one `create --id` takes — letters, digits, '.', '_', '-' — and could be personal data, which run IDs show in plain text in Temporal; create the schedule again under a valid --id, and delete this one, to give its runs their own IDs)",
  };
}

/** A schedule of an earlier version, updated without `--config`: its parsed copy is stored as written, if it still validates. */
function migratedConfig(scheduleId: string, input: Extract<ScheduleInput, { form: 'parsed-copy' }>): ScheduleConfig {
  try {
    return scheduleConfigFrom(input.config, undefined, `the parsed copy of the config schedule ${scheduleId} stores`);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${error.message}\ngive the config file to store instead: peakon-sync schedule update ${scheduleId} --config <file>`);
    throw error;
  }
}

function describeConfigChange(input: ScheduleInput, next: ScheduleConfig): string[] {
  const lines: string[] = [];
  const stored = storedAsWritten(input);
  if (input.form === 'parsed-copy') {
    lines.push(`config: now stored as written${next.stored.configFile !== undefined ? ` in ${next.stored.configFile}` : ''} (was a parsed copy made by an earlier version); every run validates it with its worker's schema and defaults`);
  } else if (stored.configFile !== next.stored.configFile) {
    lines.push(`config file: ${stored.configFile ?? '(none)'} → ${next.stored.configFile ?? '(none)'}`);
  }
  // A parsed copy is compared as its runs used it, so a setting it lacks shows as "(not set) → default".
  const before = input.form === 'parsed-copy' ? { valid: true as const, config: input.config } : validateStored(stored);
  if (!before.valid) return [...lines, 'config: replaces a stored config that no longer validated'];
  const settings = configChanges(before.config, next.parsed).map((line) => `config: ${line}`);
  if (settings.length === 0 && lines.length === 0 && !sameStoredConfig(stored, next.stored)) return ['config: stored again as written (the same settings)'];
  return [...lines, ...settings];
}

/** `updated schedule peakon-sync-acme (tenant acme):` and one indented line per change. */
export function formatScheduleUpdate(update: SyncScheduleUpdate): string {
  const name = `schedule ${update.scheduleId}${update.tenant !== undefined ? ` (tenant ${update.tenant})` : ''}`;
  if (update.changes.length === 0) return `${name}: nothing to change`;
  return [`updated ${name}:`, ...update.changes.map((change) => `  ${change}`)].join('\n');
}
