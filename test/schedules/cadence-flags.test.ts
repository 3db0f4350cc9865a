/**
 * `--timezone` reaches Temporal in the spelling the check settles on: Temporal loads zones by name case-sensitively and
 * refuses `europe/copenhagen`, which the connector accepts (as it does in the config). Also: a six-field (seconds-first)
 * cron is refused before anything is created, and so is a field Temporal would refuse (named by the CLI, not the
 * server), while an expression Temporal's cron takes (names, lists, steps) is created as written. The CLI against a
 * real Temporal dev server.
 */
import path from 'node:path';
import { runCliInProcess } from '../harness/cli';
import { connectToDevServer, devServerAddress, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';

const SAMPLE_CONFIG = path.resolve(__dirname, '../../examples/sample-config.yaml');

describe('schedule create/update --cron and --timezone (against a real Temporal server)', () => {
  let temporal: TemporalTestContext;
  const savedEnvironment = { ...process.env };
  const scheduleId = `test-cadence-flags-${Date.now().toString(36)}`;
  const sixFieldId = `${scheduleId}-six-fields`;
  const namesId = `${scheduleId}-names`;

  beforeAll(async () => {
    temporal = await connectToDevServer();
    process.env.TEMPORAL_ADDRESS = devServerAddress();
    process.env.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
    // Created paused, on a queue no worker polls: nothing runs.
    process.env.PEAKON_SYNC_TASK_QUEUE = `${temporal.taskQueue}-nobody`;
  });
  afterAll(async () => {
    await Promise.all([scheduleId, sixFieldId, namesId].map((id) => temporal.client.schedule.getHandle(id).delete().catch(() => undefined)));
    process.env = savedEnvironment;
    await temporal.close();
  });

  const spec = async () => (await temporal.client.schedule.getHandle(scheduleId).describe()).spec;

  it('refuses a six-field cron before creating anything', async () => {
    await expect(runCliInProcess('schedule', 'create', '--config', SAMPLE_CONFIG, '--cron', '0 0 2 * * *', '--id', sixFieldId, '--paused')).rejects.toThrow(
      /six fields; expected five.*not seconds first/,
    );
    await expect(temporal.client.schedule.getHandle(sixFieldId).describe()).rejects.toThrow(/not found/i);
  });

  it('refuses an hour out of range and a zero step, naming the field, before creating anything; takes what Temporal takes', async () => {
    await expect(runCliInProcess('schedule', 'create', '--config', SAMPLE_CONFIG, '--cron', '0 25 * * *', '--id', sixFieldId, '--paused')).rejects.toThrow(
      '--cron "0 25 * * *": hour 25 is out of range (0-23)',
    );
    await expect(runCliInProcess('schedule', 'create', '--config', SAMPLE_CONFIG, '--cron', '*/0 * * * *', '--id', sixFieldId, '--paused')).rejects.toThrow(/minute "\*\/0": a step/);
    await expect(temporal.client.schedule.getHandle(sixFieldId).describe()).rejects.toThrow(/not found/i);

    await runCliInProcess('schedule', 'create', '--config', SAMPLE_CONFIG, '--cron', '30 6-18/4 * jul,aug mon-fri', '--id', namesId, '--paused');
    expect(await runCliInProcess('schedule', 'describe', namesId)).toContain('cron "30 6-18/4 * jul,aug mon-fri"');
  });

  it('creates and updates with the zone as Temporal names it, whatever its letter case as typed', async () => {
    await runCliInProcess('schedule', 'create', '--config', SAMPLE_CONFIG, '--cron', '0 2 * * *', '--timezone', 'europe/copenhagen', '--id', scheduleId, '--paused');
    expect((await spec()).timezone).toBe('Europe/Copenhagen');
    expect(await runCliInProcess('schedule', 'describe', scheduleId)).toContain('cron "0 2 * * *" (Europe/Copenhagen)');

    expect(await runCliInProcess('schedule', 'update', scheduleId, '--timezone', 'america/new_york')).toContain('→ cron "0 2 * * *" (America/New_York)');
    expect((await spec()).timezone).toBe('America/New_York');
  });
});
