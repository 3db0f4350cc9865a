import { PeakonConnectionSchema, SyncSettingsSchema, type ConnectorConfig } from '../../config/schema';
import { DEFAULT_PAGE_SIZE } from '../../scim/client';
import { describeTiming, goDurationMs, type SyncScheduleTiming } from './options';

/** More runs an hour than this and the reads every run starts with take a share of the budget worth a warning. */
export const FREQUENT_RUNS_PER_HOUR = 4;

/** The tenant size the warning prices its reads for: large enough to matter, common enough to recognise. */
const EXAMPLE_HEADCOUNT = 10_000;

const HOUR_MS = 3_600_000;

/** Minutes past the hour a (checked) cron minute field names: `*`, `5`, `0-30`, `*\/10`, `15/20`, lists of these. */
function cronMinutes(field: string): number {
  const minutes = new Set<number>();
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText !== undefined ? Number(stepText) : 1;
    const [firstText = '', lastText] = range.split('-');
    const first = range === '*' ? 0 : Number(firstText);
    // Temporal reads `15/20` as 15-59 in steps of 20, as `*` is 0-59.
    const last = range === '*' || (lastText === undefined && stepText !== undefined) ? 59 : Number(lastText ?? firstText);
    for (let minute = first; minute <= last; minute += step) minutes.add(minute);
  }
  return minutes.size;
}

/**
 * How many runs the timing starts in its busiest hour: an interval's share of an hour, a cron's minutes past the hour
 * (its hours and days only thin out the hours it runs in). Undefined for a timing this does not read.
 */
export function runsPerHour(timing: SyncScheduleTiming): number | undefined {
  if ('everyMs' in timing) return HOUR_MS / timing.everyMs;
  const cron = timing.cron.trim();
  if (cron.startsWith('@every')) {
    const intervalMs = goDurationMs(cron.replace(/^@every\s+/, '').split('/')[0] ?? '');
    return intervalMs !== undefined && intervalMs > 0 ? HOUR_MS / intervalMs : undefined;
  }
  if (cron.startsWith('@')) return 1;
  const [minuteField] = cron.split(/\s+/);
  return minuteField !== undefined ? cronMinutes(minuteField) : undefined;
}

/** What a run's reads cost, from the config (`peakon.operationsPerHour`, `sync.discovery`). */
export interface ReadCostSettings {
  operationsPerHour: number;
  discovery: 'list' | 'filter';
}

/** The settings' defaults: for a schedule whose stored config no longer validates. */
export const DEFAULT_READ_COST_SETTINGS: ReadCostSettings = {
  operationsPerHour: PeakonConnectionSchema.shape.operationsPerHour.parse(undefined),
  discovery: SyncSettingsSchema.shape.discovery.parse(undefined),
};

/** The read-cost settings of a parsed config. */
export function readCostSettings(config: Pick<ConnectorConfig, 'peakon' | 'sync'>): ReadCostSettings {
  return { operationsPerHour: config.peakon.operationsPerHour, discovery: config.sync.discovery };
}

/**
 * A share of `peakon.operationsPerHour` that the reads alone may take at any cadence before it is worth a warning: with
 * `sync.discovery: filter` (one GET a person) a run of a large tenant reads far more than the listing would, and the
 * 15-minute cadence the frequent-runs rule lets pass can need more reads an hour than the budget has.
 */
export const COSTLY_READ_SHARE_PERCENT = 50;

/**
 * A warning for a schedule whose runs' reads take a large share of the hourly budget: every run starts by reading the
 * tenant (the listing, one GET a page; or, with filter discovery, one GET a person), and those reads come out of the
 * same hourly budget the writes are paced to. It is given when the cadence runs more often than every 15 minutes, or
 * when the reads of its busiest hour reach COSTLY_READ_SHARE_PERCENT of the budget, whatever the cadence (an hour
 * holding any run holds all of that run's reads, so a run every day prices as one an hour). Undefined otherwise. Okta
 * and Entra ID import hourly or less often; an HR change reaches Peakon at the next run either way.
 */
export function frequentRunsWarning(timing: SyncScheduleTiming, settings: ReadCostSettings): string | undefined {
  const runs = runsPerHour(timing);
  if (runs === undefined) return undefined;
  const budget = settings.operationsPerHour;
  const filter = settings.discovery === 'filter';
  const listingReads = Math.ceil(EXAMPLE_HEADCOUNT / DEFAULT_PAGE_SIZE);
  const readsPerRun = filter ? EXAMPLE_HEADCOUNT : listingReads;
  const readsPerHour = Math.ceil(readsPerRun * Math.max(runs, 1));
  const share = Math.round((readsPerHour / budget) * 100);
  const frequent = runs > FREQUENT_RUNS_PER_HOUR;
  if (!frequent && share < COSTLY_READ_SHARE_PERCENT) return undefined;
  const how = filter ? 'looks every employee up (sync.discovery: filter, one GET a person)' : `reads the whole tenant first (one GET per ${DEFAULT_PAGE_SIZE} people)`;
  const pace = runs > 1 ? `starts up to ${Number(runs.toFixed(1)).toLocaleString('en-US')} runs an hour` : 'starts at most one run an hour';
  const advice = [
    ...(frequent ? ['Every 15m or less often is usual.'] : []),
    ...(filter ? [`sync.discovery: list (the default) reads the same tenant in ${listingReads.toLocaleString('en-US')} GETs.`] : []),
    ...(!frequent && !filter ? ['Fewer runs an hour, or a larger peakon.operationsPerHour (up to what Peakon allows), leave more of it for the writes.'] : []),
  ];
  return (
    `${describeTiming(timing)} ${pace}. Each run ${how}, so a ` +
    `${EXAMPLE_HEADCOUNT.toLocaleString('en-US')}-person tenant would spend about ${readsPerHour.toLocaleString('en-US')} of its ${budget.toLocaleString('en-US')} operations an hour (${share}%) on reads alone, ` +
    `and the writes are paced to what is left (a run that finds the last one still going ends skipped). ${advice.join(' ')}`
  );
}
