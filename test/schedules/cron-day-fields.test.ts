/**
 * A cron that restricts both day-of-month and day-of-week: standard cron runs `0 2 1,15 * 1` on the 1st, the 15th and
 * every Monday, Temporal's calendar only on a 1st or 15th that is a Monday. `schedule create` and `update` take it (it
 * is how the first Monday, `1-7 * MON`, is written) and warn on stderr; an expression restricting one of the two is
 * read alike by both and gets no warning. The CLI against a real Temporal dev server.
 */
import path from 'node:path';
import { cronDayFieldsWarning } from '../../client/schedules/options';
import { runCliInProcess, runCliInProcessWithStderr } from '../harness/cli';
import { connectToDevServer, devServerAddress, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';

const SAMPLE_CONFIG = path.resolve(__dirname, '../../examples/sample-config.yaml');
const BOTH_DAYS = 'WARNING: cron "0 2 1,15 * 1" restricts both day-of-month (1,15) and day-of-week (1): Temporal runs this only on days matching both day-of-month and day-of-week (standard cron: either); for either, make two schedules\n';

describe('schedule create/update --cron restricting both day fields (against a real Temporal server)', () => {
  let temporal: TemporalTestContext;
  const savedEnvironment = { ...process.env };
  const scheduleId = `test-cron-day-fields-${Date.now().toString(36)}`;

  beforeAll(async () => {
    temporal = await connectToDevServer();
    process.env.TEMPORAL_ADDRESS = devServerAddress();
    process.env.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
    // Created paused, on a queue no worker polls: nothing runs.
    process.env.PEAKON_SYNC_TASK_QUEUE = `${temporal.taskQueue}-nobody`;
  });
  afterAll(async () => {
    await temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    process.env = savedEnvironment;
    await temporal.close();
  });

  const withStderr = runCliInProcessWithStderr;

  it('warns at create and at update when both are restricted, creates the schedule all the same, and not when one is *', async () => {
    const created = await withStderr('schedule', 'create', '--config', SAMPLE_CONFIG, '--cron', '0 2 1,15 * 1', '--id', scheduleId, '--paused', '--json');
    expect(JSON.parse(created.stdout)).toEqual({ scheduleId });
    expect(created.stderr).toBe(BOTH_DAYS);
    expect(await runCliInProcess('schedule', 'describe', scheduleId)).toContain('cron "0 2 1,15 * 1"');

    const mondays = await withStderr('schedule', 'update', scheduleId, '--cron', '0 2 * * 1');
    expect(mondays.stdout).toContain('→ cron "0 2 * * 1"');
    expect(mondays.stderr).toBe('');

    const firsts = await withStderr('schedule', 'update', scheduleId, '--cron', '0 2 1 * *');
    expect(firsts.stdout).toContain('→ cron "0 2 1 * *"');
    expect(firsts.stderr).toBe('');

    const both = await withStderr('schedule', 'update', scheduleId, '--cron', '0 2 1,15 * 1');
    expect(both.stdout).toContain('→ cron "0 2 1,15 * 1"');
    expect(both.stderr).toBe(BOTH_DAYS);

    // A time zone alone leaves the expression as it is: nothing new to warn about.
    const zone = await withStderr('schedule', 'update', scheduleId, '--timezone', 'Europe/Copenhagen');
    expect(zone.stderr).toBe('');
  });

  it.each([
    ['1-7 * MON', true],
    ['1,15 jan mon-fri', true],
    ['* * 1', false],
    ['1 * *', false],
    ['*/2 * 1', false],
    ['1 * */2', false],
  ])('0 2 %s: warns %s', (days, warns) => {
    expect(cronDayFieldsWarning({ cron: `0 2 ${days}` }) !== undefined).toBe(warns);
  });

  it('says nothing of an interval, a shortcut or @every', () => {
    for (const timing of [{ everyMs: 3_600_000 }, { cron: '@monthly' }, { cron: '@every 1h' }, { timezone: 'UTC' }]) expect(cronDayFieldsWarning(timing)).toBeUndefined();
  });
});
