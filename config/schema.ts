import { z } from 'zod';
import { SourceConfigSchema } from '../hris/config';
import { checkTimezone } from '../mapping/checks';
import { MappingConfigSchema, ValueSpecInputSchema } from '../mapping/config';
import { DURATION_PATTERN, parseDurationMs } from './duration';
import { SecretRefSchema } from './secret';
import { scimBaseUrlProblem } from './url';

export { SecretRefSchema, type SecretRef } from './secret';

/**
 * The longest `peakon.timeoutMs`: a request's total deadline is twice it (scim/client.ts TOTAL_DEADLINE_FACTOR), which
 * must end inside a SCIM step's two-minute timeout and the plan's two-minute heartbeat timeout (sync/settings.ts), or a
 * slow answer times the attempt out and a retry spends the operation again.
 */
export const MAX_PEAKON_TIMEOUT_MS = 50_000;

export const PeakonConnectionSchema = z.strictObject({
  baseUrl: z
    .url()
    .superRefine((url, context) => {
      const problem = scimBaseUrlProblem(url);
      if (problem !== undefined) context.addIssue({ code: 'custom', input: url, message: problem });
    })
    .describe('the tenant\'s "SCIM 2.0 URL" from Peakon, e.g. https://api.peakon.com/scim/v2 (http(s); no user:password@, query or fragment)'),
  token: SecretRefSchema.default({ env: 'PEAKON_TOKEN' }),
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(MAX_PEAKON_TIMEOUT_MS, `must be at most ${MAX_PEAKON_TIMEOUT_MS} ms: one request may take twice its timeout in all, and a SCIM step (and the plan between two heartbeats) gets two minutes`)
    .default(30_000),
  /** Peakon allows 25,000 operations per hour per tenant; the connector paces every request of the tenant to this rate (default: that limit). */
  operationsPerHour: z.number().int().positive().default(25_000),
});

export const SyncSettingsSchema = z.strictObject({
  /**
   * `list`: one paginated read of the tenant, then writes only where something differs (fewest operations).
   * `filter`: discover every employee with `GET /Users?filter=…` as Peakon's connector guide describes.
   */
  discovery: z.enum(['list', 'filter']).default('list'),
  /**
   * `patch`: phase 2 sends exactly the changed mapped attributes (one PATCH; attributes the mapping does not mention
   * are never touched). `put`: the guide's full replace, built from Peakon's current user with the mapped attributes
   * laid over it.
   */
  updateMethod: z.enum(['patch', 'put']).default('patch'),
  /** Employees per partition child workflow. Keeps every workflow far below Temporal's 2,000 pending-children limit. */
  partitionSize: z.number().int().min(1).max(1000).default(200),
  /** Per-employee child workflows in flight per partition (sliding window). */
  maxConcurrentEmployees: z.number().int().min(1).max(500).default(20),
  /** Partition child workflows in flight at once. */
  maxConcurrentPartitions: z.number().int().min(1).max(100).default(2),
  /**
   * An HR value emptied for many people at once is more likely a column the export lost than a decision: a run leaves
   * Peakon's values of an attribute as they are when it would clear it for more than `maxCount` people and more than
   * `maxShare` of those who hold one (sync/clear-guard.ts), and says so. `maxShare: 1` lets an intended mass clear run.
   */
  clearGuard: z
    .strictObject({
      maxCount: z.number().int().min(0).default(20).describe('clears of one attribute are withheld when more than this many people would lose their value…'),
      maxShare: z.number().min(0).max(1).default(0.2).describe('… and more than this share of those who hold one in Peakon (1: never withheld)'),
    })
    .default({ maxCount: 20, maxShare: 0.2 }),
});

/** `90s`, `30m`, `24h`, `2d` → milliseconds (config/duration.ts, the same as `schedule --every`). */
const DurationSchema = z
  .string()
  .regex(DURATION_PATTERN, 'expected a number and a unit (ms, s, m, h, d), e.g. 24h')
  .transform((text) => parseDurationMs(text) as number);

/**
 * The longest `leavers.guard.timeout`. A run waiting for approval renews its tenant lock (about ten history events each)
 * every 20 minutes, at the one-hour lease it stretches the lock to for the wait (RunTuning.awaitingApprovalLeaseMs):
 * about 2,200 events over three days, well under Temporal's 10,240-event warning (at the run's own 10-minute lease it
 * would be about 13,000). Three days covers a weekend; the worker also refuses a timeout not well below the payload
 * store's retention (config/guard-retention.ts), which would delete the plan pages the held leavers are written from.
 */
export const MAX_GUARD_TIMEOUT_MS = 3 * 24 * 3_600_000;
const GUARD_TIMEOUT_TOO_LONG = 'at most 3d: a run holding leaver writes keeps its tenant locked while it waits, so no sync of the tenant runs meanwhile (new hires wait too); decide sooner, or let the held writes be dropped and the next run ask again';

/**
 * The shortest `leavers.guard.timeout`: below it the held writes are dropped before a person could decide, so the
 * guard would only ever drop leavers (`0s` dropped them at once). A bare number is milliseconds: `24` is 24 ms.
 */
export const MIN_GUARD_TIMEOUT_MS = 60_000;
const GUARD_TIMEOUT_TOO_SHORT = 'at least 1m: held leaver writes are dropped when nobody decides within this time, so a shorter timeout drops them before anyone can approve; write a duration such as 24h';
const GUARD_TIMEOUT_TOO_SHORT_NUMBER = `at least ${MIN_GUARD_TIMEOUT_MS} (1m): a bare number is milliseconds (24 is 24 ms, not 24 hours); write a duration such as 24h`;

/**
 * What happens to people who leave: owned Peakon users no longer in scope of a complete HR read, and people whose
 * termination date has come. Like Okta's import safeguard and Entra's accidental-deletion threshold, a run that would
 * switch off many people at once holds those writes until a person approves them.
 */
export const LeaversSchema = z
  .strictObject({
    action: z
      .enum(['deactivate', 'separate', 'delete', 'off'])
      .default('deactivate')
      .describe('deactivate: PATCH active=false (one operation); separate: also set the separation date and reason; delete: DELETE the user (needs allowDelete; destroys their history); off: only count leavers'),
    allowDelete: z.boolean().default(false).describe('required for action: delete. DELETE destroys the person\'s survey history in Peakon irreversibly'),
    terminationDate: ValueSpecInputSchema.optional().describe('HRIS field with the termination date (give `date` for its format). Default: the mapped separation date attribute. A future date keeps the person active; the first run on or after it makes them a leaver'),
    timeZone: z.string().refine((zone) => checkTimezone(zone).ok, 'expected an IANA time zone, e.g. Europe/Copenhagen').default('UTC').describe('the time zone in which "today" is decided for termination and separation dates'),
    separation: z
      .strictObject({
        dateAttribute: z.string().min(1).default('Separation date').describe('Peakon attribute set to the separation date (action: separate)'),
        reasonAttribute: z.string().min(1).default('Separation reason').describe('Peakon attribute set to `reason` (action: separate)'),
        reason: z.string().min(1).optional().describe('the separation reason written for leavers (an option of the Peakon attribute); not written when unset'),
      })
      .default({ dateAttribute: 'Separation date', reasonAttribute: 'Separation reason' }),
    guard: z
      .strictObject({
        maxCount: z.number().int().min(0).default(20).describe('hold the run\'s deactivations/deletions for approval when there are more than this many'),
        maxShare: z.number().min(0).max(1).default(0.2).describe('… or when they are more than this share of the owned active users (under action delete, with the inactive ones the run deletes), or when the HR read shrank by more than this share since the last completed run'),
        // A number is milliseconds: what the parsed config holds, so a parsed config validates again.
        timeout: z
          .union([
            z.number().int().min(MIN_GUARD_TIMEOUT_MS, GUARD_TIMEOUT_TOO_SHORT_NUMBER).max(MAX_GUARD_TIMEOUT_MS, GUARD_TIMEOUT_TOO_LONG),
            DurationSchema.refine((milliseconds) => milliseconds >= MIN_GUARD_TIMEOUT_MS, GUARD_TIMEOUT_TOO_SHORT).refine((milliseconds) => milliseconds <= MAX_GUARD_TIMEOUT_MS, GUARD_TIMEOUT_TOO_LONG),
          ])
          .default(24 * 3_600_000)
          .describe('held writes are dropped when nobody approves them within this time, e.g. 24h; at least 1m, at most 3d (a bare number is milliseconds)'),
      })
      .default({ maxCount: 20, maxShare: 0.2, timeout: 24 * 3_600_000 }),
  })
  .superRefine((leavers, context) => {
    const unconfirmed = unconfirmedDeletion(leavers);
    if (unconfirmed) context.addIssue({ code: 'custom', path: ['allowDelete'], message: unconfirmed });
  });

/** Why leaver settings may not run: `action: delete` without `allowDelete` (undefined when they may). */
export function unconfirmedDeletion(leavers: { action: string; allowDelete: boolean }): string | undefined {
  return leavers.action === 'delete' && !leavers.allowDelete ? 'action: delete destroys the history of every leaver in Peakon; set allowDelete: true to confirm (or use deactivate)' : undefined;
}
export type LeaversConfig = z.infer<typeof LeaversSchema>;

const DEFAULT_LEAVERS: LeaversConfig = LeaversSchema.parse({});

/** Leaver settings with today's defaults: runs started by an older version carry a parsed config without them. */
export function leaversSettings(config: { leavers?: LeaversConfig | undefined }): LeaversConfig {
  return config.leavers ?? DEFAULT_LEAVERS;
}

/** A tenant's name: lower-case letters, digits and dashes, so it is safe in workflow IDs, task queues and file names. */
const TENANT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TENANT_NAME_RULE = 'lower-case letters, digits and dashes';

/**
 * `tenant`, checked where it becomes part of a file path (the run report's folder, the ownership ledger's name) or an
 * ID the operator typed. The config schema checks it too, but a workflow started by hand (the Temporal CLI or UI)
 * reaches the worker without the CLI's validation: `../..` must not place a report or a ledger outside its folder.
 */
export function checkedTenantName(tenant: string): string {
  if (!TENANT_NAME.test(tenant)) throw new Error(`${JSON.stringify(tenant.slice(0, 80))} is not a tenant name (${TENANT_NAME_RULE}, at most 63)`);
  return tenant;
}

export const ConnectorConfigSchema = z.strictObject({
  /** A short name for the Peakon tenant: used in workflow IDs, schedule IDs and reports. */
  tenant: z.string().regex(TENANT_NAME, TENANT_NAME_RULE),
  peakon: PeakonConnectionSchema,
  source: SourceConfigSchema,
  matching: z.strictObject({ key: z.enum(['email', 'employeeNumber']).default('email') }).default({ key: 'email' }),
  mapping: MappingConfigSchema,
  sync: SyncSettingsSchema.default(SyncSettingsSchema.parse({})),
  leavers: LeaversSchema.default(LeaversSchema.parse({})),
}).superRefine((config, context) => {
  // Matching by employee number needs every record to carry one.
  if (config.matching.key === 'employeeNumber' && config.mapping.employeeNumber === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['mapping', 'employeeNumber'],
      message: 'required when matching.key is employeeNumber',
    });
  }
});
export type ConnectorConfig = z.infer<typeof ConnectorConfigSchema>;
