/**
 * A schedule that runs more often than every 15 minutes, or whose runs' reads take half of the tenant's hourly
 * budget at any cadence (filter discovery), spends a share of that budget on the reads each run starts with;
 * `schedule create`/`update` warn with that share. Pure functions: no server involved.
 */
import { DEFAULT_READ_COST_SETTINGS, frequentRunsWarning, runsPerHour } from '../../client/schedules/cadence-cost';
import { checkCron, parseEvery } from '../../client/schedules/options';

const every = (text: string) => ({ everyMs: parseEvery(text) });
const cron = (expression: string) => ({ cron: checkCron(expression) });

describe('runs an hour of a schedule timing', () => {
  it.each([
    [every('1m'), 60],
    [every('15m'), 4],
    [every('1h'), 1],
    [every('1d'), 1 / 24],
    [cron('* * * * *'), 60],
    [cron('*/5 9-17 * * mon-fri'), 12],
    [cron('0,15,30,45 * * * *'), 4],
    [cron('0-10 2 * * *'), 11],
    [cron('10/20 * * * *'), 3],
    [cron('0 2 * * *'), 1],
    [cron('@hourly'), 1],
    [cron('@daily'), 1],
    [cron('@every 10m'), 6],
    [cron('@every 1h30m/5m'), 1 / 1.5],
  ])('%j: %d', (timing, runs) => {
    expect(runsPerHour(timing)).toBeCloseTo(runs);
  });
});

describe('the frequent-runs warning', () => {
  it('says nothing at every 15 minutes or less often', () => {
    for (const timing of [every('15m'), every('1h'), cron('0,15,30,45 * * * *'), cron('0 2 * * *'), cron('@hourly')]) {
      expect(frequentRunsWarning(timing, DEFAULT_READ_COST_SETTINGS)).toBeUndefined();
    }
  });

  it('prices the listing reads of a 10,000-person tenant against the budget', () => {
    // 12 runs × 100 pages of 100 = 1,200 of 25,000 (5%).
    const warning = frequentRunsWarning(every('5m'), DEFAULT_READ_COST_SETTINGS);
    expect(warning).toContain('every 5m starts up to 12 runs an hour');
    expect(warning).toContain('one GET per 100 people');
    expect(warning).toContain('about 1,200 of its 25,000 operations an hour (5%)');
  });

  it('prices filter discovery at one read a person, against the configured budget', () => {
    const warning = frequentRunsWarning(cron('*/10 * * * *'), { operationsPerHour: 50_000, discovery: 'filter' });
    expect(warning).toContain('6 runs an hour');
    expect(warning).toContain('sync.discovery: filter');
    expect(warning).toContain('about 60,000 of its 50,000 operations an hour (120%)');
  });

  it('warns at any cadence when the reads reach half of the budget: filter discovery every 15 minutes', () => {
    // 4 runs × 10,000 lookups = 40,000 of 25,000 (160%): not frequent, but more reads than the budget has.
    const warning = frequentRunsWarning(every('15m'), { ...DEFAULT_READ_COST_SETTINGS, discovery: 'filter' });
    expect(warning).toContain('every 15m starts up to 4 runs an hour');
    expect(warning).toContain('sync.discovery: filter');
    expect(warning).toContain('about 40,000 of its 25,000 operations an hour (160%)');
    expect(warning).toContain('sync.discovery: list (the default) reads the same tenant in 100 GETs');
    expect(warning).not.toContain('Every 15m or less often is usual');
  });

  it('prices a run every day or at 02:00 alike: the hour it runs holds all its reads', () => {
    const filter = { ...DEFAULT_READ_COST_SETTINGS, discovery: 'filter' as const };
    const smallBudget = { ...filter, operationsPerHour: 15_000 };
    for (const timing of [every('1d'), cron('0 2 * * *')]) {
      // 10,000 lookups are 40% of the default budget: the writes still have most of the hour, no warning.
      expect(frequentRunsWarning(timing, filter)).toBeUndefined();
      const warning = frequentRunsWarning(timing, smallBudget);
      expect(warning).toContain('starts at most one run an hour');
      expect(warning).toContain('about 10,000 of its 15,000 operations an hour (67%)');
    }
  });

  it('says nothing of cheap hourly list discovery, and warns of list discovery under a small budget', () => {
    expect(frequentRunsWarning(every('1h'), DEFAULT_READ_COST_SETTINGS)).toBeUndefined();
    expect(frequentRunsWarning(cron('@hourly'), { operationsPerHour: 20_000, discovery: 'list' })).toBeUndefined();
    const warning = frequentRunsWarning(every('15m'), { operationsPerHour: 600, discovery: 'list' });
    expect(warning).toContain('about 400 of its 600 operations an hour (67%)');
    expect(warning).toContain('Fewer runs an hour');
  });
});
