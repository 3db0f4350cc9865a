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
 * A warning for a schedule that runs more often than every 15 minutes: every run starts by reading the tenant (the
 * listing, one GET a page; or, with filter discovery, one GET a person), and those reads come out of the same hourly
 * budget the writes are paced to. Undefined when the cadence is unremarkable. Okta and Entra ID import hourly or less
 * often; an HR change reaches Peakon at the next run either way.
 */
export function frequentRunsWarning(timing: SyncScheduleTiming, settings: ReadCostSettings): string | undefined {
  const runs = runsPerHour(timing);
  if (runs === undefined || runs <= FREQUENT_RUNS_PER_HOUR) return undefined;
  const budget = settings.operationsPerHour;
  const filter = settings.discovery === 'filter';
  const readsPerRun = filter ? EXAMPLE_HEADCOUNT : Math.ceil(EXAMPLE_HEADCOUNT / DEFAULT_PAGE_SIZE);
  const readsPerHour = Math.ceil(readsPerRun * runs);
  const share = Math.round((readsPerHour / budget) * 100);
  const how = filter ? 'looks every employee up (sync.discovery: filter, one GET a person)' : `reads the whole tenant first (one GET per ${DEFAULT_PAGE_SIZE} people)`;
  return (
    `${describeTiming(timing)} starts up to ${Number(runs.toFixed(1)).toLocaleString('en-US')} runs an hour. Each run ${how}, so a ` +
    `${EXAMPLE_HEADCOUNT.toLocaleString('en-US')}-person tenant would spend about ${readsPerHour.toLocaleString('en-US')} of its ${budget.toLocaleString('en-US')} operations an hour (${share}%) on reads alone, ` +
    'and the writes are paced to what is left (a run that finds the last one still going ends skipped). Every 15m or less often is usual.'
  );
}
