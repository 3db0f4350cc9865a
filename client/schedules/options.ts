import { ScheduleOverlapPolicy, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec, type ScheduleSpecDescription } from '@temporalio/client';
import { z } from 'zod';
import { formatDuration, parseDurationMs, UNIT_MS } from '../../config/duration';
import { checkTimezone } from '../../mapping/checks';
import type { RunTuning } from '../../sync/settings';
import { scheduledSyncWorkflowIdPrefix } from '../../workflows/ids';
import { runStartSearchAttributes } from '../../workflows/search-attributes';
import type { ScheduledSyncInput } from '../../workflows/scheduled';
import type * as workflows from '../../workflows';
import type { scheduledSyncWorkflow } from '../../workflows';
import type { ScheduleConfig } from './stored-config';

/**
 * The workflow type every sync schedule starts: it validates the stored config at each run. Typed as a key of the
 * workflows module, so renaming the workflow breaks the build instead of every schedule.
 */
export const SCHEDULED_SYNC_WORKFLOW_TYPE: keyof typeof workflows = 'scheduledSyncWorkflow';
/** What schedules made by earlier versions start, with a parsed copy of the config; `schedule update` migrates them. */
export const PARSED_COPY_WORKFLOW_TYPE: keyof typeof workflows = 'syncTenantWorkflow';
/** `list` uses these to tell this connector's schedules from others. */
export const SYNC_SCHEDULE_WORKFLOW_TYPES: readonly string[] = [SCHEDULED_SYNC_WORKFLOW_TYPE, PARSED_COPY_WORKFLOW_TYPE];

/**
 * A late scheduled run is still worth taking after a short outage, but not hours later: the next regular run will
 * come soon enough, and of a burst of catch-up runs all but one would only end `skipped` at the tenant lock.
 */
export const SYNC_SCHEDULE_CATCHUP_WINDOW_MS = 10 * 60_000;

// Shared with the config's messages; schedules' callers import it from here.
export { formatDuration } from '../../config/duration';

/** `90s`, `15m`, `1h`, `1d`, `500ms`: what `--every` accepts. Returns milliseconds. */
export function parseEvery(text: string): number {
  const milliseconds = parseDurationMs(text);
  if (milliseconds === undefined) {
    throw new Error(`--every ${JSON.stringify(text)}: expected a number and a unit (ms, s, m, h, d), e.g. 30m or 1h`);
  }
  // Temporal schedules work in whole seconds; a sub-second interval would be rounded to nothing.
  if (milliseconds < 1_000) throw new Error(`--every ${text}: the shortest interval a Temporal schedule takes is 1s`);
  return milliseconds;
}

const FIELD_COUNT_WORDS: Record<number, string> = { 6: 'six', 7: 'seven' };

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/**
 * The five fields as Temporal's cron parser reads them (service/worker/scheduler/calendar.go): numbers in these ranges;
 * a month by its name or a prefix of it of three letters or more (JAN, janu), a day of the week by a prefix of two or
 * more (MON, mo, monday); day-of-week 7 is Sunday as 0 is.
 */
const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59, names: [] as string[], least: 0 },
  { name: 'hour', min: 0, max: 23, names: [] as string[], least: 0 },
  { name: 'day-of-month', min: 1, max: 31, names: [] as string[], least: 0 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, least: 3 },
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, least: 2 },
] as const;
type CronField = (typeof CRON_FIELDS)[number];

/** Quartz-style constructs Temporal's cron does not have (it refuses them), each with what to write instead. */
const UNSUPPORTED_CRON: Array<{ test: RegExp; what: string }> = [
  { test: /\?/, what: "'?' (no specific value, Quartz): Temporal's cron has no '?'; write * instead" },
  { test: /L/i, what: "'L' (last day or last weekday of the month, Quartz): Temporal's cron has no 'L'" },
  { test: /W/i, what: "'W' (nearest weekday, Quartz): Temporal's cron has no 'W'" },
];

/** One value of a field: a number in its range, or (month, day-of-week) a name; `atLeast` is a range's start. */
function cronValue(text: string, field: CronField, atLeast: number): number | undefined {
  const lower = text.toLowerCase();
  if (field.names.length > 0 && lower.length >= field.least && /^[a-z]+$/.test(lower)) {
    const index = field.names.findIndex((name) => name.startsWith(lower));
    const value = field.name === 'month' ? index + 1 : index;
    if (index >= 0) return value >= atLeast ? value : Number.NaN;
  }
  if (!/^\+?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value >= atLeast && value <= field.max ? value : Number.NaN;
}

/** Why one field is not one Temporal takes, or undefined when it is. */
function cronFieldProblem(text: string, field: CronField): string | undefined {
  const range = field.names.length > 0 ? `${field.min}-${field.max} or ${field.name === 'month' ? 'JAN-DEC' : 'SUN-SAT'}` : `${field.min}-${field.max}`;
  for (const part of text.split(',')) {
    if (part === '') return `${field.name} ${JSON.stringify(text)} has an empty item in its list`;
    const [base = '', step, ...more] = part.split('/');
    if (more.length > 0) return `${field.name} ${JSON.stringify(part)} has more than one '/'`;
    if (step !== undefined && !(/^\+?\d+$/.test(step) && Number(step) >= 1)) return `${field.name} ${JSON.stringify(part)}: a step (after '/') must be a whole number of 1 or more`;
    if (base === '*') continue;
    const ends = base.split('-');
    if (ends.length > 2) return `${field.name} ${JSON.stringify(part)} has more than one '-'`;
    const [first = '', last] = ends;
    const start = cronValue(first, field, field.min);
    if (start === undefined) return `${field.name} ${JSON.stringify(first)} is not a number${field.names.length > 0 ? ' or a name' : ''} (${range})`;
    if (Number.isNaN(start)) return `${field.name} ${first} is out of range (${range})`;
    if (last === undefined) continue;
    const end = cronValue(last, field, start);
    if (end === undefined) return `${field.name} ${JSON.stringify(last)} is not a number${field.names.length > 0 ? ' or a name' : ''} (${range})`;
    if (Number.isNaN(end)) {
      const wraps = cronValue(last, field, field.min);
      return wraps !== undefined && !Number.isNaN(wraps)
        ? `${field.name} range ${part} ends before it starts; Temporal does not wrap a range around (write it as two, e.g. ${first}-${field.max},${field.min}-${last})`
        : `${field.name} ${last} is out of range (${range})`;
    }
  }
  return undefined;
}

/** `@every 90m`, `@every 1h30m`, `@every 2h/15m` (an offset): Temporal reads Go durations, with `d` for days too. */
export function goDurationMs(text: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ...UNIT_MS };
  if (!/^((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, number = '', unit = ''] of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/g)) total += Number(number) * (units[unit] ?? 0);
  return total;
}

function checkEvery(expression: string, argument: string): string {
  const [interval = '', offset, ...more] = argument.split('/');
  const intervalMs = goDurationMs(interval);
  const offsetMs = offset !== undefined ? goDurationMs(offset) : 0;
  if (more.length > 0 || intervalMs === undefined || offsetMs === undefined) {
    throw new Error(`--cron ${JSON.stringify(expression)}: expected @every <duration>, e.g. @every 1h or @every 1h30m (or --every 1h); an offset goes after '/', e.g. @every 1d/2h`);
  }
  if (intervalMs < 1_000) throw new Error(`--cron ${JSON.stringify(expression)}: the shortest interval a Temporal schedule takes is 1s`);
  if (offsetMs >= intervalMs) throw new Error(`--cron ${JSON.stringify(expression)}: the offset after '/' must be shorter than the interval`);
  return `@every ${argument}`;
}

/**
 * Standard five-field cron (plus @daily-style shortcuts and @every), checked as Temporal's own parser checks it, field
 * by field (each value in its field's range, a range ascending, a step of 1 or more), so a typo is caught here with
 * the field named, not at the server. Six or seven fields are refused although Temporal takes them: it reads six as
 * `minute hour day-of-month month day-of-week year`, not seconds first as Quartz, Spring or node-cron do, so
 * `0 0 2 * * *` (02:00 daily, seconds first) would run at 00:00 on the 2nd of each month (seven are `second …
 * day-of-week year`, with Temporal's own day numbers). Quartz's `L`, `W` and `?` are refused as Temporal refuses them;
 * `#` (Quartz's nth weekday) too, which Temporal would take, silently, as the start of a comment, so `1#2` would run
 * every Monday. `CRON_TZ=`/`TZ=`, which Temporal takes, is refused for --timezone, which `update` keeps apart.
 */
export function checkCron(expression: string): string {
  const trimmed = expression.trim();
  const quoted = JSON.stringify(expression);
  if (trimmed.includes('#')) {
    throw new Error(
      `--cron ${quoted}: '#' is not supported: Temporal reads it as the start of a comment, not as Quartz's nth weekday of the month, so "1#2" would run every Monday, not the second one; Temporal's cron has no nth weekday`,
    );
  }
  if (/^(CRON_)?TZ=/i.test(trimmed)) throw new Error(`--cron ${quoted}: give the time zone with --timezone <zone>, not in the expression`);
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(trimmed)) return trimmed;
  const every = /^@every\s+(\S+)$/.exec(trimmed);
  if (every) return checkEvery(expression, every[1] ?? '');
  if (trimmed.startsWith('@')) throw new Error(`--cron ${quoted}: expected one of @yearly, @monthly, @weekly, @daily, @hourly, @every <duration>, or five fields "minute hour day-of-month month day-of-week"`);
  const fields = trimmed.split(/\s+/);
  if (fields.length === 6 || fields.length === 7) {
    const count = FIELD_COUNT_WORDS[fields.length] ?? String(fields.length);
    const withoutSeconds = fields.length === 6 ? `; if its first field is seconds, drop it: "${fields.slice(1).join(' ')}"` : '';
    throw new Error(
      `--cron ${quoted}: ${count} fields; expected five, "minute hour day-of-month month day-of-week", e.g. "0 2 * * *". A sixth field is refused: Temporal reads six fields as "minute hour day-of-month month day-of-week year", not seconds first as Quartz, Spring or node-cron do, so a seconds-first expression would run at other times than meant${withoutSeconds}`,
    );
  }
  if (fields.length !== 5) {
    throw new Error(`--cron ${quoted}: expected five fields "minute hour day-of-month month day-of-week", e.g. "0 2 * * *"`);
  }
  for (const [index, field] of CRON_FIELDS.entries()) {
    const text = fields[index] ?? '';
    const unsupported = UNSUPPORTED_CRON.find((construct) => construct.test.test(field.names.length > 0 ? text.replace(/[a-z]{2,}/gi, '') : text));
    if (unsupported) throw new Error(`--cron ${quoted}: ${field.name} ${JSON.stringify(text)}: ${unsupported.what}`);
    const problem = cronFieldProblem(text, field);
    if (problem !== undefined) throw new Error(`--cron ${quoted}: ${problem}; a field takes a value, a range (1-5), a list (1,15) or a step (*/15, 0-30/10)`);
  }
  return trimmed;
}

/**
 * A warning for a five-field cron that restricts both day-of-month and day-of-week, or undefined. Standard cron runs
 * such an expression on a day matching either field (`0 2 1,15 * 1`: the 1st, the 15th and every Monday); Temporal's
 * calendar needs both to match (only a 1st or 15th that is a Monday). Not refused: `1-7 * MON`, the first Monday of
 * the month (what to write for the refused `#`), needs exactly Temporal's reading. A field starting with `*` (`*`,
 * `*\/2`) counts as unrestricted, as Vixie cron and cronie count it: they too then need both fields to match.
 */
export function cronDayFieldsWarning(timing: SyncScheduleTimingChange | undefined): string | undefined {
  if (!timing || !('cron' in timing)) return undefined;
  const fields = timing.cron.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const [, , dayOfMonth = '*', , dayOfWeek = '*'] = fields;
  if (dayOfMonth.startsWith('*') || dayOfWeek.startsWith('*')) return undefined;
  return (
    `cron "${timing.cron}" restricts both day-of-month (${dayOfMonth}) and day-of-week (${dayOfWeek}): ` +
    'Temporal runs this only on days matching both day-of-month and day-of-week (standard cron: either); for either, make two schedules'
  );
}

/** When a sync schedule fires: either a fixed interval or a cron expression, optionally in a time zone. */
export const SyncScheduleTimingSchema = z.union([
  z.object({ everyMs: z.number().int().min(1_000), timezone: z.string().min(1).optional() }),
  z.object({ cron: z.string().min(1), timezone: z.string().min(1).optional() }),
]);
export type SyncScheduleTiming = z.infer<typeof SyncScheduleTimingSchema>;

/**
 * What the `--every`/`--cron`/`--timezone` flags ask for: a whole timing, or (`schedule update` only) a new time zone
 * for the schedule's cron expression, kept as it is. A cron timing without a time zone means UTC at `create`; at
 * `update` it keeps the schedule's time zone (see update.ts), so a new hour does not move a schedule to UTC.
 */
export type SyncScheduleTimingChange = SyncScheduleTiming | { timezone: string };

/** `--timezone` alone: the schedule's cron expression in another time zone. */
export function isTimezoneOnly(change: SyncScheduleTimingChange): change is { timezone: string } {
  return !('everyMs' in change) && !('cron' in change);
}

/** `--timezone` as Temporal needs it: an IANA zone in its canonical spelling (europe/copenhagen → Europe/Copenhagen). */
function checkedTimezone(zone: string): string {
  const checked = checkTimezone(zone);
  if (!checked.ok) throw new Error(`--timezone ${JSON.stringify(zone)}: expected an IANA time zone, e.g. Europe/Copenhagen`);
  return checked.value;
}

/**
 * Turns the cadence flags into a timing: one of `--every` and `--cron`, `--timezone` only with `--cron` (an interval
 * runs at the same pace in every time zone), or `--timezone` alone, which only `update` takes (timingForCreate).
 */
export function timingFromFlags(flags: { every?: string; cron?: string; timezone?: string }): SyncScheduleTimingChange {
  // Checked here, as the config's leavers.timeZone is: the server's own answer names no flag. The checked spelling is
  // what is sent: Temporal loads zones case-sensitively, so `europe/copenhagen` as typed would be refused there.
  const timezone = flags.timezone !== undefined ? checkedTimezone(flags.timezone) : undefined;
  if (flags.every !== undefined && flags.cron !== undefined) throw new Error('give exactly one of --every <interval> or --cron "<expression>"');
  if (flags.every !== undefined) {
    if (flags.timezone !== undefined) {
      throw new Error(`--timezone ${flags.timezone} with --every ${flags.every}: an interval runs at the same pace in every time zone, so a time zone means nothing to it; drop --timezone, or give --cron "<expression>" --timezone ${flags.timezone} to run by that zone's clock`);
    }
    return { everyMs: parseEvery(flags.every) };
  }
  if (flags.cron !== undefined) return { cron: checkCron(flags.cron), ...(timezone !== undefined ? { timezone } : {}) };
  if (timezone !== undefined) return { timezone };
  throw new Error('give exactly one of --every <interval> or --cron "<expression>"');
}

/** A new schedule has no cron expression to put in another time zone: `--timezone` alone is refused. */
export function timingForCreate(change: SyncScheduleTimingChange): SyncScheduleTiming {
  if (isTimezoneOnly(change)) throw new Error(`--timezone ${change.timezone} alone: a new schedule needs --cron "<expression>" (read in that time zone) or --every <interval>`);
  return change;
}

/**
 * The server compiles a cron expression into calendar ranges and forgets the text; the comment after `#` is kept with
 * those ranges, so the expression as written goes there and `describe` shows it even after `schedule update`. (A
 * schedule's memo cannot be changed after it is created, so the timing cannot live there.)
 */
export function scheduleSpecFor(timing: SyncScheduleTiming): ScheduleSpec {
  const zone = timing.timezone !== undefined ? { timezone: timing.timezone } : {};
  return 'everyMs' in timing ? { intervals: [{ every: timing.everyMs }], ...zone } : { cronExpressions: [`${timing.cron} #${timing.cron}`], ...zone };
}

/** The timing a schedule's spec holds, when it is one this connector made: one interval, or one cron kept in its comment. */
export function timingFromSpec(spec: Pick<ScheduleSpecDescription, 'timezone'> & { intervals?: readonly { every: number; offset?: number }[]; calendars?: readonly { comment?: string }[] } | undefined): SyncScheduleTiming | undefined {
  if (!spec) return undefined;
  const zone = spec.timezone ? { timezone: spec.timezone } : {};
  const intervals = spec.intervals ?? [];
  const calendars = spec.calendars ?? [];
  const [interval] = intervals;
  if (interval && intervals.length === 1 && calendars.length === 0) {
    // The server turns `--cron "@every 1d/2h"` into an interval with an offset and drops the comment: the same text
    // back, so list/describe show it and a recreate (rekey) passes it as it was given.
    if (interval.offset) return { cron: `@every ${formatDuration(interval.every)}/${formatDuration(interval.offset)}`, ...zone };
    return { everyMs: interval.every, ...zone };
  }
  const [calendar] = calendars;
  if (calendar?.comment && calendars.length === 1 && intervals.length === 0) return { cron: calendar.comment, ...zone };
  return undefined;
}

/** `every 1h`, `cron "0 2 * * *" (Europe/Copenhagen)`: the timing as the operator gave it. */
export function describeTiming(timing: SyncScheduleTiming): string {
  const zone = timing.timezone !== undefined ? ` (${timing.timezone})` : '';
  return 'everyMs' in timing ? `every ${formatDuration(timing.everyMs)}${zone}` : `cron "${timing.cron}"${zone}`;
}

export function defaultScheduleId(tenant: string): string {
  return `peakon-sync-${tenant}`;
}

/**
 * What `create --id` takes. Temporal shows a schedule ID in plain text (no codec covers it), on the schedule, as every
 * run's `TemporalScheduledById` and in every run's workflow ID (scheduledRunWorkflowIdPrefix): a name for the
 * schedule, never personal data such as an email (no `@`, no spaces), and no `/`, which separates a run ID's parts.
 */
const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Whether `create --id` would take this ID; schedules made before the check may have one it would not. */
export function isCheckedScheduleId(scheduleId: string): boolean {
  return SCHEDULE_ID.test(scheduleId);
}

export function checkScheduleId(scheduleId: string): string {
  if (!isCheckedScheduleId(scheduleId)) {
    throw new Error(`--id ${JSON.stringify(scheduleId)}: expected letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit), e.g. nightly-acme; the ID is shown in plain text in Temporal and in every run's workflow ID, so no personal data (an email, a name)`);
  }
  return scheduleId;
}

/**
 * The workflow ID a schedule gives its runs, before the scheduled time Temporal appends (`-2026-11-28T16:00:00Z`):
 * `peakon-sync/<tenant>/scheduled-<schedule ID>`. The schedule ID makes it unique per schedule: with the tenant alone,
 * two schedules of a tenant due at the same time made the same ID, and Temporal refused the second start, so that run
 * neither ran nor ended `skipped`. Schedules made before keep `peakon-sync/<tenant>/scheduled` until `schedule update`,
 * and for good when their ID is one `create --id` would refuse (it could be personal data: see update.ts runIdPrefixFor).
 */
export function scheduledRunWorkflowIdPrefix(tenant: string, scheduleId: string): string {
  return `${scheduledSyncWorkflowIdPrefix(tenant)}-${scheduleId}`;
}

/**
 * A sync schedule's memo. `timing` is only in schedules made by earlier versions (read when the spec does not say,
 * see timingFromSpec); a memo is fixed at creation, and the timing can change with `schedule update`.
 */
export const SyncScheduleMemoSchema = z.object({ tenant: z.string(), timing: z.string().optional() });
export type SyncScheduleMemo = z.infer<typeof SyncScheduleMemoSchema>;

export interface SyncScheduleRequest {
  /** The config as written (what the schedule stores) and as validated now (its tenant names the schedule and runs). */
  config: ScheduleConfig;
  taskQueue: string;
  timing: SyncScheduleTiming;
  scheduleId?: string;
  paused?: boolean;
  note?: string;
  /** Set only where the namespace has the attributes registered; the server rejects unknown ones. */
  withSearchAttributes: boolean;
  /** Tests shorten timeouts and retries; the CLI never sets this, so production runs take the workflow's defaults. */
  tuning?: Partial<RunTuning>;
}

export type SyncScheduleAction = ScheduleOptionsStartWorkflowAction<typeof scheduledSyncWorkflow>;
export type SyncScheduleOptions = ScheduleOptions<SyncScheduleAction>;

/** What every run of a sync schedule starts; `create` and `update` both build it here. */
export function buildSyncScheduleAction(request: Pick<SyncScheduleRequest, 'config' | 'taskQueue' | 'withSearchAttributes' | 'tuning'> & { scheduleId: string }): SyncScheduleAction {
  const { stored, parsed } = request.config;
  const input: ScheduledSyncInput = { ...stored, ...(request.tuning ? { tuning: request.tuning } : {}) };
  return {
    type: 'startWorkflow',
    workflowType: SCHEDULED_SYNC_WORKFLOW_TYPE,
    taskQueue: request.taskQueue,
    // Temporal appends the scheduled time, so every run keeps a readable ID, unique per schedule and due time.
    workflowId: scheduledRunWorkflowIdPrefix(parsed.tenant, request.scheduleId),
    args: [input],
    ...(request.withSearchAttributes
      ? { typedSearchAttributes: runStartSearchAttributes(parsed.tenant) }
      : {}),
  };
}

/**
 * The overlap policy of every sync schedule: ALLOW_ALL, so each due time starts a run, and the tenant lock inside the
 * workflow (workflows/lock.ts) alone keeps a tenant to one sync at a time: a run that finds the lock held ends
 * `skipped` at once, visibly, naming the lock. SKIP (what schedules used before) tied the schedule to its previous
 * run's *execution* instead: a run stuck without ending (a non-determinism error after a bad deploy, a hang) kept every
 * later due time skipped until someone terminated it, although its lock lease had expired minutes after it stopped
 * renewing. With ALLOW_ALL the schedule is blocked no longer than that lease. A workflowExecutionTimeout on SKIP would
 * only bound the wait, by days (a run may wait `leavers.guard.timeout` for approval), and would kill a long but healthy
 * run mid-write without its report.
 */
export const SYNC_SCHEDULE_OVERLAP_POLICY = ScheduleOverlapPolicy.ALLOW_ALL;

/**
 * The schedule of one tenant's recurring sync. Every due time starts a run (SYNC_SCHEDULE_OVERLAP_POLICY); the tenant
 * lock inside the workflow makes any run that meets another sync of the tenant (a previous scheduled run, a person's
 * `peakon-sync sync`, another schedule) return 'skipped'.
 */
export function buildSyncScheduleOptions(request: SyncScheduleRequest): SyncScheduleOptions {
  const { tenant } = request.config.parsed;
  const scheduleId = request.scheduleId !== undefined ? checkScheduleId(request.scheduleId) : defaultScheduleId(tenant);
  return {
    scheduleId,
    spec: scheduleSpecFor(request.timing),
    action: buildSyncScheduleAction({ ...request, scheduleId }),
    policies: { overlap: SYNC_SCHEDULE_OVERLAP_POLICY, catchupWindow: SYNC_SCHEDULE_CATCHUP_WINDOW_MS },
    memo: { tenant } satisfies SyncScheduleMemo,
    state: {
      paused: request.paused ?? false,
      ...(request.note !== undefined ? { note: request.note } : {}),
    },
  };
}
