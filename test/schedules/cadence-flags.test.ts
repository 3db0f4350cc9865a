/**
 * `--timezone` reaches Temporal in the spelling the check settles on: Temporal loads zones by name case-sensitively and
 * refuses `europe/copenhagen`, which the connector accepts (as it does in the config). Also: a six-field (seconds-first)
 * cron is refused before anything is created, and so is a field Temporal would refuse (named by the CLI, not the
 * server), while an expression Temporal's cron takes (names, lists, steps) is created as written. The CLI against a
 * real Temporal dev server.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { runCliInProcess, runCliInProcessWithStderr } from '../harness/cli';
import { connectToDevServer, devServerAddress, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';

const SAMPLE_CONFIG = path.resolve(__dirname, '../../examples/sample-config.yaml');

describe('schedule create/update --cron and --timezone (against a real Temporal server)', () => {
  let temporal: TemporalTestContext;
  const savedEnvironment = { ...process.env };
  const scheduleId = `test-cadence-flags-${Date.now().toString(36)}`;
  const sixFieldId = `${scheduleId}-six-fields`;
  const namesId = `${scheduleId}-names`;
  const frequentId = `${scheduleId}-frequent`;
  const filterId = `${scheduleId}-filter`;

  beforeAll(async () => {
    temporal = await connectToDevServer();
    process.env.TEMPORAL_ADDRESS = devServerAddress();
    process.env.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
    // Created paused, on a queue no worker polls: nothing runs.
    process.env.PEAKON_SYNC_TASK_QUEUE = `${temporal.taskQueue}-nobody`;
  });
  afterAll(async () => {
    await Promise.all([scheduleId, sixFieldId, namesId, frequentId, filterId].map((id) => temporal.client.schedule.getHandle(id).delete().catch(() => undefined)));
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

  const withStderr = runCliInProcessWithStderr;

  it('warns on stderr when a cadence runs more often than every 15 minutes, at create and at update, and not otherwise', async () => {
    const created = await withStderr('schedule', 'create', '--config', SAMPLE_CONFIG, '--every', '5m', '--id', frequentId, '--paused', '--json');
    expect(JSON.parse(created.stdout)).toEqual({ scheduleId: frequentId });
    expect(created.stderr).toMatch(/^WARNING: every 5m starts up to 12 runs an hour\. .*about 1,200 of its 25,000 operations an hour \(5%\)/);

    const hourly = await withStderr('schedule', 'update', frequentId, '--every', '1h');
    expect(hourly.stdout).toContain('when: every 5m → every 1h');
    expect(hourly.stderr).toBe('');

    // Priced with the stored config (the sample's defaults), without --config.
    const often = await withStderr('schedule', 'update', frequentId, '--cron', '*/2 * * * *');
    expect(often.stdout).toContain('→ cron "*/2 * * * *"');
    expect(often.stderr).toContain('WARNING: cron "*/2 * * * *" starts up to 30 runs an hour');

    const noteOnly = await withStderr('schedule', 'update', frequentId, '--note', 'no cadence change');
    expect(noteOnly.stderr).toBe('');
  });

  it('warns at update --config alone when the new config makes the kept cadence read too much (filter discovery)', async () => {
    const quarterly = await withStderr('schedule', 'create', '--config', SAMPLE_CONFIG, '--every', '15m', '--id', filterId, '--paused');
    expect(quarterly.stderr).toBe('');
    const folder = mkdtempSync(path.join(tmpdir(), 'cadence-flags-'));
    try {
      const config = YAML.parse(readFileSync(SAMPLE_CONFIG, 'utf8')) as { source: { path: string }; sync?: Record<string, unknown> };
      config.source.path = path.resolve(path.dirname(SAMPLE_CONFIG), config.source.path);
      config.sync = { ...config.sync, discovery: 'filter' };
      const filterConfig = path.join(folder, 'filter.yaml');
      writeFileSync(filterConfig, YAML.stringify(config));
      const updated = await withStderr('schedule', 'update', filterId, '--config', filterConfig);
      expect(updated.stdout).toContain('sync.discovery');
      expect(updated.stderr).toContain('every 15m starts up to 4 runs an hour');
      expect(updated.stderr).toContain('about 40,000 of its 25,000 operations an hour (160%)');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
