import path from 'node:path';
import { buildSyncScheduleOptions, checkCron, defaultScheduleId, describeTiming, formatDuration, parseEvery, timingForCreate, timingFromFlags } from '../../client/schedules/options';
import { formatScheduleList, formatScheduleOverview, type SyncScheduleOverview } from '../../client/schedules/overview';
import { scheduleConfigFromFile } from '../../client/schedules/stored-config';
import { SYNC_STATUS_SEARCH_ATTRIBUTE, TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';

const sampleConfigFile = path.resolve(__dirname, '../../examples/sample-config.yaml');
const config = scheduleConfigFromFile(sampleConfigFile);
const { tenant } = config.parsed;

describe('schedule timing flags', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['2500ms', 2_500],
  ])('reads --every %s as %i ms', (text, milliseconds) => {
    expect(parseEvery(text)).toBe(milliseconds);
  });

  it.each(['1 hour', 'h', '1.5h', '-1h', ''])('rejects --every %j with an example of what works', (text) => {
    expect(() => parseEvery(text)).toThrow(/e\.g\. 30m or 1h/);
  });

  it('rejects intervals shorter than the one second Temporal schedules work in', () => {
    expect(() => parseEvery('500ms')).toThrow(/shortest interval .* 1s/);
  });

  it('accepts five-field cron and @-shortcuts, and names the expected fields when a cron has too few', () => {
    expect(checkCron(' 0 2 * * 1-5 ')).toBe('0 2 * * 1-5');
    expect(checkCron('@daily')).toBe('@daily');
    expect(() => checkCron('0 2 * *')).toThrow(/minute hour day-of-month month day-of-week/);
  });

  it('refuses six- and seven-field cron, which Temporal would not read seconds first as other tools do', () => {
    // Quartz, Spring and node-cron read "0 0 2 * * *" as 02:00 daily; Temporal as 00:00 on the 2nd, any year.
    expect(() => checkCron('0 0 2 * * *')).toThrow(
      '--cron "0 0 2 * * *": six fields; expected five, "minute hour day-of-month month day-of-week", e.g. "0 2 * * *". A sixth field is refused: Temporal reads six fields as "minute hour day-of-month month day-of-week year", not seconds first as Quartz, Spring or node-cron do, so a seconds-first expression would run at other times than meant; if its first field is seconds, drop it: "0 2 * * *"',
    );
    expect(() => checkCron('0 30 2 * * 1-5 2027')).toThrow(/^--cron "0 30 2 \* \* 1-5 2027": seven fields; expected five, .*A sixth field is refused: Temporal reads six fields as .*year", not seconds first/);
    expect(() => checkCron('0 30 2 * * 1-5 2027')).not.toThrow(/drop it/);
    expect(() => timingFromFlags({ cron: '0 0 2 * * *', timezone: 'Europe/Copenhagen' })).toThrow(/six fields; expected five/);
    expect(checkCron('@hourly')).toBe('@hourly');
    expect(checkCron('@every 2h')).toBe('@every 2h');
  });

  // What Temporal's own parser takes (each was created as a schedule against the dev server): all pass the check.
  it.each([
    '0 2 * * 7', '0 2 * * 0-7', '0 2 * * SUN-SAT', '0 2 * JAN-DEC *', '0 2 * janu *', '0 2 * * mo', '0 2 * * monday', '3/15 * * * *',
    '*/15 1-5/2 * * *', '0-0 * * * *', '* * * * *', '0 2 */40 * *', '0 2 * jul,aug mon-fri', '0 2 * * MON-FRI/2', '@every 1h/15m', '@every 1h30m',
  ])('accepts %j, which Temporal takes', (expression) => {
    expect(checkCron(expression)).toBe(expression);
  });

  // What Temporal refuses (each refused by the dev server): refused here, with the field named.
  it.each([
    ['0 25 * * *', 'hour 25 is out of range (0-23)'],
    ['60 * * * *', 'minute 60 is out of range (0-59)'],
    ['0 2 0 * *', 'day-of-month 0 is out of range (1-31)'],
    ['0 2 32 * *', 'day-of-month 32 is out of range (1-31)'],
    ['0 2 * 13 *', 'month 13 is out of range (1-12 or JAN-DEC)'],
    ['0 2 * * 8', 'day-of-week 8 is out of range (0-7 or SUN-SAT)'],
    ['*/0 * * * *', `minute "*/0": a step (after '/') must be a whole number of 1 or more`],
    ['0 2 * * */0', `day-of-week "*/0": a step (after '/') must be a whole number of 1 or more`],
    ['5-3 * * * *', 'minute range 5-3 ends before it starts; Temporal does not wrap a range around (write it as two, e.g. 5-59,0-3)'],
    ['0 2 * * FRI-MON', 'day-of-week range FRI-MON ends before it starts'],
    ['0 2 * * 1,', 'day-of-week "1," has an empty item in its list'],
    ['1-2-3 * * * *', `minute "1-2-3" has more than one '-'`],
    ['0x1 * * * *', 'minute "0x1" is not a number (0-59)'],
    ['0 2 * ju *', 'month "ju" is not a number or a name (1-12 or JAN-DEC)'],
  ])('refuses %j by its field and range', (expression, problem) => {
    expect(() => checkCron(expression)).toThrow(`--cron ${JSON.stringify(expression)}: ${problem}`);
  });

  it('refuses @every shorter than a second or not a duration, as Temporal does', () => {
    expect(() => checkCron('@every 0s')).toThrow('--cron "@every 0s": the shortest interval a Temporal schedule takes is 1s');
    expect(() => checkCron('@every 90x')).toThrow('--cron "@every 90x": expected @every <duration>');
    expect(() => checkCron('@fortnightly')).toThrow('--cron "@fortnightly": expected one of @yearly');
  });

  it("names Quartz constructs Temporal's cron lacks, and refuses '#', which Temporal would read as a comment", () => {
    // Temporal takes "0 2 * * 1#2" without a word, as every Monday ("#2" is a comment): not the second Monday meant.
    expect(() => checkCron('0 2 * * 1#2')).toThrow(`--cron "0 2 * * 1#2": '#' is not supported: Temporal reads it as the start of a comment, not as Quartz's nth weekday of the month`);
    expect(() => checkCron('0 2 * * 1#2')).not.toThrow(/five fields/);
    expect(() => checkCron('0 2 L * *')).toThrow(`--cron "0 2 L * *": day-of-month "L": 'L' (last day or last weekday of the month, Quartz): Temporal's cron has no 'L'`);
    expect(() => checkCron('0 2 * * 5L')).toThrow(`day-of-week "5L": 'L'`);
    expect(() => checkCron('0 2 15W * *')).toThrow(`day-of-month "15W": 'W' (nearest weekday, Quartz)`);
    expect(() => checkCron('0 2 ? * MON')).toThrow(`day-of-month "?": '?' (no specific value, Quartz): Temporal's cron has no '?'; write * instead`);
    expect(() => checkCron('CRON_TZ=Europe/Paris 0 2 * * *')).toThrow('give the time zone with --timezone <zone>');
  });

  it('sends --timezone in the spelling Temporal loads (case-sensitive), not as typed', () => {
    expect(timingFromFlags({ cron: '0 2 * * *', timezone: 'europe/copenhagen' })).toEqual({ cron: '0 2 * * *', timezone: 'Europe/Copenhagen' });
    expect(timingFromFlags({ cron: '0 2 * * *', timezone: 'EUROPE/COPENHAGEN' })).toEqual({ cron: '0 2 * * *', timezone: 'Europe/Copenhagen' });
    // --timezone alone (update): the same spelling.
    expect(timingFromFlags({ timezone: 'america/new_york' })).toEqual({ timezone: 'America/New_York' });
    expect(timingFromFlags({ timezone: 'asia/kolkata' })).toEqual({ timezone: 'Asia/Kolkata' });
  });

  it('wants exactly one of --every and --cron', () => {
    expect(() => timingFromFlags({})).toThrow(/exactly one of --every/);
    expect(() => timingFromFlags({ every: '1h', timezone: 'Europe/Copenhagn' })).toThrow('--timezone "Europe/Copenhagn": expected an IANA time zone, e.g. Europe/Copenhagen');
    expect(timingFromFlags({ cron: '0 2 * * *', timezone: 'Europe/Copenhagen' })).toEqual({ cron: '0 2 * * *', timezone: 'Europe/Copenhagen' });
    expect(() => timingFromFlags({ every: '1h', cron: '0 2 * * *' })).toThrow(/exactly one of --every/);
    expect(timingFromFlags({ cron: '0 2 * * *', timezone: 'Europe/Copenhagen' })).toEqual({ cron: '0 2 * * *', timezone: 'Europe/Copenhagen' });
  });

  it('refuses --timezone with --every (an interval has no time zone), and takes --timezone alone only for update', () => {
    expect(() => timingFromFlags({ every: '1h', timezone: 'Europe/Copenhagen' })).toThrow(
      '--timezone Europe/Copenhagen with --every 1h: an interval runs at the same pace in every time zone, so a time zone means nothing to it; drop --timezone, or give --cron "<expression>" --timezone Europe/Copenhagen to run by that zone\'s clock',
    );
    // A cron without --timezone: UTC at create, the schedule's own zone at update (update.ts).
    expect(timingFromFlags({ cron: '0 3 * * *' })).toEqual({ cron: '0 3 * * *' });
    const zoneOnly = timingFromFlags({ timezone: 'Europe/Copenhagen' });
    expect(zoneOnly).toEqual({ timezone: 'Europe/Copenhagen' });
    expect(() => timingForCreate(zoneOnly)).toThrow('--timezone Europe/Copenhagen alone: a new schedule needs --cron "<expression>"');
    expect(timingForCreate({ cron: '0 3 * * *' })).toEqual({ cron: '0 3 * * *' });
  });

  it('describes timings the way a person wrote them', () => {
    expect(describeTiming({ everyMs: 5_400_000 })).toBe('every 1h30m');
    expect(describeTiming({ cron: '0 2 * * *', timezone: 'Europe/Copenhagen' })).toBe('cron "0 2 * * *" (Europe/Copenhagen)');
    expect(formatDuration(2_500)).toBe('2.5s');
    expect(formatDuration(86_400_000 + 60_000)).toBe('1d1m');
  });
});

describe('the sync schedule built from a config', () => {
  it('starts scheduledSyncWorkflow on the worker task queue with the config as written, at every due time (the tenant lock, not the schedule, keeps one sync at a time), with a 10-minute catch-up window', () => {
    const options = buildSyncScheduleOptions({ config, taskQueue: 'peakon-sync', timing: { everyMs: 3_600_000 }, withSearchAttributes: false });
    expect(options.scheduleId).toBe(defaultScheduleId(tenant));
    expect(options.scheduleId).toBe(`peakon-sync-${tenant}`);
    expect(options.spec).toEqual({ intervals: [{ every: 3_600_000 }] });
    expect(options.action).toEqual({
      type: 'startWorkflow',
      workflowType: 'scheduledSyncWorkflow',
      taskQueue: 'peakon-sync',
      // Unique per schedule: a second schedule of the tenant due at the same time makes another ID (Temporal appends the time).
      workflowId: `peakon-sync/${tenant}/scheduled-peakon-sync-${tenant}`,
      args: [{ storedConfig: config.stored.storedConfig, configFile: sampleConfigFile }],
    });
    // Not SKIP: a run stuck without ending would skip every later due time, long after its tenant lock expired.
    expect(options.policies).toEqual({ overlap: 'ALLOW_ALL', catchupWindow: 600_000 });
    expect(options.state).toEqual({ paused: false });
    // A memo cannot change after creation, and `schedule update` changes the timing: the spec says it (timingFromSpec).
    expect(options.memo).toEqual({ tenant });
  });

  it('stores the config as written: no defaults filled in, relative paths as they are, beside the file they are relative to', () => {
    const stored = buildSyncScheduleOptions({ config, taskQueue: 'q', timing: { everyMs: 60_000 }, withSearchAttributes: false }).action.args?.[0];
    expect(stored?.storedConfig).toMatchObject({ tenant, source: { type: 'csv', path: './sample-hr.csv' } });
    expect(stored?.storedConfig).not.toHaveProperty('sync');
    expect(stored?.configFile).toBe(sampleConfigFile);
    expect(config.parsed.sync.maxConcurrentPartitions).toBe(2);
    expect(config.parsed.source).toMatchObject({ path: path.resolve(path.dirname(sampleConfigFile), 'sample-hr.csv') });
  });

  it('never puts a secret in the schedule: the token stays a reference the worker resolves', () => {
    const options = buildSyncScheduleOptions({ config, taskQueue: 'q', timing: { cron: '0 2 * * *' }, withSearchAttributes: false });
    expect(options.action.args?.[0]?.storedConfig).toMatchObject({ peakon: { token: { env: 'PEAKON_TOKEN' } } });
    expect(JSON.stringify(options)).not.toMatch(/Bearer/i);
  });

  it('uses a cron spec in a time zone, a custom id, the paused state and a note', () => {
    const options = buildSyncScheduleOptions({
      config,
      taskQueue: 'q',
      timing: { cron: '0 2 * * *', timezone: 'Europe/Copenhagen' },
      scheduleId: 'nightly-acme',
      paused: true,
      note: 'waiting for go-live',
      withSearchAttributes: false,
    });
    expect(options.scheduleId).toBe('nightly-acme');
    expect(options.action.workflowId).toBe(`peakon-sync/${tenant}/scheduled-nightly-acme`);
    // The expression as written rides along as the cron's comment, which the server keeps (it compiles the rest).
    expect(options.spec).toEqual({ cronExpressions: ['0 2 * * * #0 2 * * *'], timezone: 'Europe/Copenhagen' });
    expect(options.state).toEqual({ paused: true, note: 'waiting for go-live' });
  });

  it('refuses a schedule ID that could hold personal data or split a run ID: an @, a space, a /', () => {
    for (const scheduleId of ['bob@acme.example', 'Bob Smith', 'acme/nightly', '', '-x']) {
      expect(() => buildSyncScheduleOptions({ config, taskQueue: 'q', timing: { everyMs: 60_000 }, scheduleId, withSearchAttributes: false })).toThrow(
        `--id ${JSON.stringify(scheduleId)}: expected letters, digits, '.', '_' and '-'`,
      );
    }
    expect(buildSyncScheduleOptions({ config, taskQueue: 'q', timing: { everyMs: 60_000 }, scheduleId: 'acme_nightly.v2', withSearchAttributes: false }).scheduleId).toBe('acme_nightly.v2');
  });

  it('tags runs with the tenant and a running status only where the namespace has the search attributes', () => {
    const options = buildSyncScheduleOptions({ config, taskQueue: 'q', timing: { everyMs: 60_000 }, withSearchAttributes: true });
    expect(options.action.typedSearchAttributes).toEqual([
      { key: TENANT_SEARCH_ATTRIBUTE, value: tenant },
      { key: SYNC_STATUS_SEARCH_ATTRIBUTE, value: 'running' },
    ]);
  });
});

describe('schedule output', () => {
  const at = (iso: string) => new Date(iso);
  const overview: SyncScheduleOverview = {
    scheduleId: 'peakon-sync-acme',
    tenant: 'acme',
    timing: 'every 1h',
    paused: false,
    nextRunTimes: [at('2026-11-28T17:00:00.000Z'), at('2026-11-28T18:00:00.000Z')],
    lastRunAt: at('2026-11-28T16:00:00.000Z'),
    taskQueue: 'peakon-sync',
    overlapPolicy: 'SKIP',
    catchupWindowMs: 600_000,
    actionsTaken: 3,
    skippedBecauseStillRunning: 1,
    missedCatchupWindow: 0,
    running: [],
    recentRuns: [
      {
        workflowId: 'peakon-sync/acme/scheduled-2026-11-28T15:00:00Z',
        runId: 'r1',
        scheduledAt: at('2026-11-28T15:00:00Z'),
        startedAt: at('2026-11-28T15:00:00Z'),
        execution: 'COMPLETED',
        outcome: { status: 'completed_with_failures', counts: { created: 2, updated: 5, unchanged: 90, failed: 1, skipped: 0 }, failures: 1, operations: 8 },
      },
      { workflowId: 'peakon-sync/acme/scheduled-2026-11-28T16:00:00Z', runId: 'r2', scheduledAt: at('2026-11-28T16:00:00Z'), startedAt: at('2026-11-28T16:00:00Z'), execution: 'TERMINATED', outcome: { status: 'running' } },
    ],
  };

  it('describes next runs and recent runs newest first, with each run\'s outcome', () => {
    const text = formatScheduleOverview(overview);
    expect(text).toContain('overlap:       SKIP, catch-up window 10m');
    // A schedule made before ALLOW_ALL says how to switch it.
    expect(text).toContain('a stuck run blocks every later run; switch to ALLOW_ALL (the tenant lock keeps one sync at a time): peakon-sync schedule update peakon-sync-acme');
    expect(formatScheduleOverview({ ...overview, overlapPolicy: 'ALLOW_ALL' })).not.toContain('a stuck run blocks');
    // Temporal's overlap-skip counter means something only under SKIP; the runs skipped at the tenant lock, always.
    expect(text).toContain('runs started:  3 (skipped at the tenant lock: 0 of the last 2, not started while one was running: 1, missed the catch-up window: 0)');
    const skippedRun = { workflowId: 'peakon-sync/acme/scheduled-2026-11-28T16:00:01Z', runId: 'r3', scheduledAt: at('2026-11-28T16:00:01Z'), startedAt: at('2026-11-28T16:00:01Z'), execution: 'COMPLETED', outcome: { status: 'skipped' as const, operations: 0 } };
    const allowAll = formatScheduleOverview({ ...overview, overlapPolicy: 'ALLOW_ALL', skippedBecauseStillRunning: 0, recentRuns: [...overview.recentRuns, skippedRun] });
    expect(allowAll).toContain('runs started:  3 (skipped at the tenant lock: 1 of the last 3, missed the catch-up window: 0)');
    expect(formatScheduleOverview({ ...overview, overlapPolicy: 'ALLOW_ALL', skippedBecauseStillRunning: 0, recentRuns: [] })).toContain('runs started:  3 (missed the catch-up window: 0)');
    expect(text).toMatch(/Next runs:\n {2}2026-11-28T17:00:00Z\n {2}2026-11-28T18:00:00Z/);
    const newest = text.indexOf('scheduled-2026-11-28T16:00:00Z');
    const oldest = text.indexOf('scheduled-2026-11-28T15:00:00Z');
    expect(newest).toBeGreaterThan(0);
    expect(newest).toBeLessThan(oldest);
    expect(text).toContain('terminated (the run ended without a report)');
    expect(text).toContain('completed_with_failures (created 2, updated 5, unchanged 90, failed 1; 8 ops)');
  });

  it('lists schedules as an aligned table, and says how to create one when there are none', () => {
    const table = formatScheduleList([overview, { scheduleId: 'nightly-beta', tenant: 'beta', timing: 'cron "0 2 * * *"', paused: true, nextRunTimes: [] }]);
    const [header, first, second] = table.split('\n');
    expect(header).toMatch(/^SCHEDULE\s+TENANT\s+WHEN\s+STATE\s+NEXT RUN\s+LAST RUN$/);
    expect(first).toMatch(/^peakon-sync-acme\s+acme\s+every 1h\s+active\s+2026-11-28T17:00:00Z\s+2026-11-28T16:00:00Z$/);
    expect(second).toMatch(/^nightly-beta\s+beta\s+cron "0 2 \* \* \*"\s+paused\s+—\s+—$/);
    expect(header?.indexOf('TENANT')).toBe((first?.search(/ acme /) ?? -2) + 1);
    expect(formatScheduleList([])).toMatch(/peakon-sync schedule create/);
  });
});
