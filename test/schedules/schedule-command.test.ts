import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { generateOrg } from '../fixtures/org';
import { useScheduleCli } from '../harness/schedule-cli';
import { configAsWrittenFor, writeConfigFile } from './config-as-written';
import { runCliInProcess } from '../harness/cli';
import { eventually } from '../harness/wait';

/** The parts of `schedule describe --json` this test reads. */
const DescribeJsonSchema = z.object({
  scheduleId: z.string(),
  tenant: z.string(),
  timing: z.string(),
  paused: z.boolean(),
  note: z.string().optional(),
  taskQueue: z.string(),
  overlapPolicy: z.string(),
  catchupWindowMs: z.number(),
  nextRunTimes: z.array(z.string()),
  recentRuns: z.array(z.object({ workflowId: z.string(), execution: z.string(), outcome: z.object({ status: z.string() }).optional() })),
});
const ListJsonSchema = z.array(z.object({ scheduleId: z.string(), tenant: z.string().optional(), paused: z.boolean() }));

const peakonSync = runCliInProcess;

async function describeJson(scheduleId: string) {
  return DescribeJsonSchema.parse(JSON.parse(await peakonSync('schedule', 'describe', scheduleId, '--json')));
}


describe('peakon-sync schedule (the CLI against a real Temporal server)', () => {
  const cli = useScheduleCli((tenant) => `test-cli-${tenant}`);

  it('creates a paused schedule, unpauses, triggers a run that syncs, pauses, lists and deletes it', async () => {
    const { temporal, fixture, scheduleId } = cli;
    fixture.writeEmployees(generateOrg(4, 2));
    // As an operator writes it: a parsed config is not always valid input (a duration is parsed into milliseconds).
    const configPath = path.join(fixture.stateDirectory, 'config.json');
    writeFileSync(configPath, JSON.stringify(configAsWrittenFor(fixture)));
    const workers = await fixture.startWorkers();

    await workers.runUntil(
      (async () => {
        const created = await peakonSync('schedule', 'create', '--config', configPath, '--every', '1h', '--id', scheduleId, '--paused', '--note', 'waiting for go-live', '--json');
        expect(JSON.parse(created)).toEqual({ scheduleId });

        const paused = await describeJson(scheduleId);
        expect(paused).toMatchObject({ tenant: fixture.config.tenant, timing: 'every 1h', paused: true, note: 'waiting for go-live', taskQueue: temporal.taskQueue, overlapPolicy: 'ALLOW_ALL', catchupWindowMs: 600_000 });
        const described = await peakonSync('schedule', 'describe', scheduleId);
        expect(described).toMatch(/Next runs: none while paused/);
        expect(described).toContain('overlap:       ALLOW_ALL, catch-up window 10m');

        await peakonSync('schedule', 'unpause', scheduleId);
        const active = await describeJson(scheduleId);
        expect(active.paused).toBe(false);
        expect(active.nextRunTimes.length).toBeGreaterThan(0);

        expect(await peakonSync('schedule', 'trigger', scheduleId)).toMatch(`triggered ${scheduleId}`);
        const afterRun = await eventually('the triggered run to complete', async () => {
          const current = await describeJson(scheduleId);
          return current.recentRuns.some((run) => run.execution === 'COMPLETED') ? current : undefined;
        });
        expect(afterRun.recentRuns[0]?.outcome?.status).toBe('completed');
        expect(await peakonSync('schedule', 'describe', scheduleId)).toMatch(/completed \(created 4, updated 0, unchanged 0, failed 0; \d+ ops\)/);
        expect(fixture.sandbox.users()).toHaveLength(4);

        await peakonSync('schedule', 'pause', scheduleId, '--note', 'maintenance');
        expect(await describeJson(scheduleId)).toMatchObject({ paused: true, note: 'waiting for go-live; paused: maintenance' });

        // Listing reads the visibility store, which catches up shortly after a change.
        const listed = await eventually('the schedule to be listed', async () => {
          const rows = ListJsonSchema.parse(JSON.parse(await peakonSync('schedule', 'list', '--json')));
          return rows.find((row) => row.scheduleId === scheduleId);
        });
        expect(listed.tenant).toBe(fixture.config.tenant);
        expect(await peakonSync('schedule', 'list')).toMatch(new RegExp(`${scheduleId}\\s+${fixture.config.tenant}\\s+every 1h`));

        expect(await peakonSync('schedule', 'delete', scheduleId)).toMatch(`deleted ${scheduleId}`);
        await expect(peakonSync('schedule', 'describe', scheduleId)).rejects.toThrow(`no schedule ${scheduleId}`);
      })(),
    );
  }, 60_000);

  it('refuses a schedule with both --every and --cron before touching Temporal', async () => {
    await expect(peakonSync('schedule', 'create', '--config', 'nowhere.yaml', '--every', '1h', '--cron', '0 2 * * *')).rejects.toThrow(/exactly one of --every/);
  });

  it('refuses --timezone with --every (it was accepted and ignored), and --timezone without --cron, before creating anything', async () => {
    const { temporal, fixture, scheduleId } = cli;
    const configPath = writeConfigFile(fixture, 'zone.yaml', configAsWrittenFor(fixture));
    await expect(peakonSync('schedule', 'create', '--config', configPath, '--every', '1h', '--timezone', 'Europe/Copenhagen', '--id', scheduleId)).rejects.toThrow(
      '--timezone Europe/Copenhagen with --every 1h: an interval runs at the same pace in every time zone',
    );
    await expect(peakonSync('schedule', 'create', '--config', configPath, '--timezone', 'Europe/Copenhagen', '--id', scheduleId)).rejects.toThrow(
      '--timezone Europe/Copenhagen alone: a new schedule needs --cron "<expression>"',
    );
    await expect(temporal.client.schedule.getHandle(scheduleId).describe()).rejects.toThrow(/not found/i);
  });
});
