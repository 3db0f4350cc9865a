import { TypedSearchAttributes } from '@temporalio/common';
import path from 'node:path';
import { z } from 'zod';
import { generateOrg } from '../fixtures/org';
import { useScheduleCli } from '../harness/schedule-cli';
import { TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';
import { configAsWrittenFor, writeConfigFile, writeCsvFile } from './config-as-written';
import { runCliInProcess } from '../harness/cli';
import { scheduleConfigFromFile } from '../../client/schedules/stored-config';
import { planUpdate } from '../../client/schedules/update';
import { eventually } from '../harness/wait';

/** The parts of `schedule describe --json` this test reads. */
const DescribeJsonSchema = z.object({
  scheduleId: z.string(),
  tenant: z.string(),
  timing: z.string(),
  paused: z.boolean(),
  note: z.string().optional(),
  storedConfig: z.object({ form: z.string(), configFile: z.string().optional(), tenant: z.string().optional(), source: z.string().optional(), validates: z.boolean() }),
  recentRuns: z.array(z.object({ workflowId: z.string(), execution: z.string(), outcome: z.object({ status: z.string(), counts: z.object({ created: z.number() }).optional() }).optional() })),
});

const peakonSync = runCliInProcess;

async function describeJson(scheduleId: string) {
  return DescribeJsonSchema.parse(JSON.parse(await peakonSync('schedule', 'describe', scheduleId, '--json')));
}


describe('peakon-sync schedule update (the CLI against a real Temporal server)', () => {
  // The default ID, so that `update` can name the schedule by its tenant.
  const cli = useScheduleCli((tenant) => `peakon-sync-${tenant}`);

  it('changes the cadence and the config in place, says what changed, and the next run syncs the new HR export', async () => {
    const { temporal, fixture, scheduleId } = cli;
    const { tenant } = fixture.config;
    fixture.writeEmployees(generateOrg(3, 2, { domain: 'old-export.example' }));
    writeCsvFile(fixture, 'hr-new.csv', generateOrg(4, 2, { domain: 'new-export.example' }));
    const oldConfig = writeConfigFile(fixture, 'acme.yaml', configAsWrittenFor(fixture, 'hr.csv'));
    const newConfig = writeConfigFile(fixture, 'acme-new.yaml', configAsWrittenFor(fixture, 'hr-new.csv'));
    const workers = await fixture.startWorkers();

    await workers.runUntil(
      (async () => {
        expect(await peakonSync('schedule', 'create', '--config', oldConfig, '--every', '1h', '--paused', '--json')).toBe(`${JSON.stringify({ scheduleId })}\n`);
        expect(await describeJson(scheduleId)).toMatchObject({ timing: 'every 1h', storedConfig: { configFile: oldConfig, source: `csv:${path.join(fixture.stateDirectory, 'hr.csv')}`, validates: true } });

        const printed = await peakonSync('schedule', 'update', tenant, '--config', newConfig, '--every', '30m', '--note', 'moved to the new export');
        expect(printed.split('\n')).toEqual([
          `updated schedule ${scheduleId} (tenant ${tenant}):`,
          '  when: every 1h → every 30m',
          `  config file: ${oldConfig} → ${newConfig}`,
          `  config: source.path: ${JSON.stringify(path.join(fixture.stateDirectory, 'hr.csv'))} → ${JSON.stringify(path.join(fixture.stateDirectory, 'hr-new.csv'))}`,
          '  note: "" → "moved to the new export"',
          '',
        ]);
        // Same schedule, still paused; the new timing, note and config.
        const updated = await describeJson(scheduleId);
        expect(updated).toMatchObject({ scheduleId, tenant, timing: 'every 30m', paused: true, note: 'moved to the new export' });
        expect(updated.storedConfig).toEqual({ form: 'as-written', configFile: newConfig, tenant, source: `csv:${path.join(fixture.stateDirectory, 'hr-new.csv')}`, validates: true });

        await peakonSync('schedule', 'trigger', scheduleId);
        const afterRun = await eventually('the triggered run to complete', async () => {
          const current = await describeJson(scheduleId);
          return current.recentRuns.some((run) => run.execution !== 'RUNNING') ? current : undefined;
        });
        expect(afterRun.recentRuns[0]).toMatchObject({ execution: 'COMPLETED', outcome: { status: 'completed', counts: { created: 4 } } });
        const userNames = fixture.sandbox.users().map((user) => user.userName);
        expect(userNames).toHaveLength(4);
        expect(userNames.every((userName) => userName.endsWith('@new-export.example'))).toBe(true);

        // A cron keeps its expression as written through the server's compilation into calendar ranges.
        expect(await peakonSync('schedule', 'update', scheduleId, '--cron', '0 3 * * 1-5', '--timezone', 'Europe/Copenhagen')).toContain('when: every 30m → cron "0 3 * * 1-5" (Europe/Copenhagen)');
        expect((await describeJson(scheduleId)).timing).toBe('cron "0 3 * * 1-5" (Europe/Copenhagen)');
        // A cadence-only update keeps the action as it was: the stored config, and the tenant search attribute of runs.
        const { action } = await temporal.client.schedule.getHandle(scheduleId).describe();
        // Runs are named by the schedule too, so another schedule of the tenant due at the same time makes another ID.
        expect(action).toMatchObject({ workflowType: 'scheduledSyncWorkflow', workflowId: `peakon-sync/${tenant}/scheduled-${scheduleId}`, taskQueue: temporal.taskQueue, args: [{ configFile: newConfig }] });
        const searchAttributes = action.typedSearchAttributes;
        expect(searchAttributes instanceof TypedSearchAttributes ? searchAttributes.get(TENANT_SEARCH_ATTRIBUTE) : undefined).toBe(tenant);
        expect(await peakonSync('schedule', 'update', scheduleId, '--config', newConfig)).toBe(`schedule ${scheduleId} (tenant ${tenant}): nothing to change\n`);

        // A config change when the namespace's attributes could not be listed (a busy server past the deadline, an API
        // key without the operator service) keeps the attributes the schedule has; only a namespace known to lack them
        // (false) starts runs without them.
        const described = await temporal.client.schedule.getHandle(scheduleId).describe();
        const request = { namespace: temporal.client.options.namespace, scheduleId, config: scheduleConfigFromFile(oldConfig) };
        const runTenantOf = (registered: boolean | undefined): unknown => {
          const attributes = planUpdate(described, request, registered).options.action.typedSearchAttributes;
          const pairs = attributes instanceof TypedSearchAttributes ? attributes.getAll() : (attributes ?? []);
          return pairs.find((pair) => pair.key.name === TENANT_SEARCH_ATTRIBUTE.name)?.value;
        };
        expect(runTenantOf(undefined)).toBe(tenant);
        expect(runTenantOf(true)).toBe(tenant);
        expect(runTenantOf(false)).toBeUndefined();
      })(),
    );
  }, 120_000);

  it('refuses a config that does not validate, or one for another tenant, before changing anything', async () => {
    const { fixture, scheduleId } = cli;
    const schedule = scheduleId;
    const misspelt = writeConfigFile(fixture, 'misspelt.yaml', { ...configAsWrittenFor(fixture), sync: { maxConcurentPartitions: 3 } });
    await expect(peakonSync('schedule', 'update', schedule, '--config', misspelt)).rejects.toThrow(/sync\.maxConcurentPartitions: unknown setting \(did you mean "maxConcurrentPartitions"\?\)/);
    const otherTenant = writeConfigFile(fixture, 'other.yaml', { ...configAsWrittenFor(fixture), tenant: 'someone-else' });
    await expect(peakonSync('schedule', 'update', schedule, '--config', otherTenant)).rejects.toThrow(`the config is for tenant someone-else, but schedule ${schedule} syncs tenant ${fixture.config.tenant}`);
    await expect(peakonSync('schedule', 'update', 'no-such-schedule-or-tenant', '--every', '1h')).rejects.toThrow(/no schedule no-such-schedule-or-tenant/);
    expect((await describeJson(schedule)).storedConfig.configFile).toBe(path.join(fixture.stateDirectory, 'acme-new.yaml'));
  }, 60_000);

  it('keeps the time zone when only --cron changes, takes --timezone alone for a cron schedule, and refuses a time zone for an interval', async () => {
    const { temporal, scheduleId } = cli;
    const handle = temporal.client.schedule.getHandle(scheduleId);
    expect((await describeJson(scheduleId)).timing).toBe('cron "0 3 * * 1-5" (Europe/Copenhagen)');
    // A new hour: still Copenhagen's clock (it moved to UTC before).
    expect(await peakonSync('schedule', 'update', scheduleId, '--cron', '0 4 * * *')).toContain('when: cron "0 3 * * 1-5" (Europe/Copenhagen) → cron "0 4 * * *" (Europe/Copenhagen)');
    expect((await handle.describe()).spec.timezone).toBe('Europe/Copenhagen');
    // A new zone: the same cron expression (it was refused as "give exactly one of --every or --cron").
    expect(await peakonSync('schedule', 'update', scheduleId, '--timezone', 'America/New_York')).toContain('when: cron "0 4 * * *" (Europe/Copenhagen) → cron "0 4 * * *" (America/New_York)');
    const inNewYork = await handle.describe();
    expect(inNewYork.spec.timezone).toBe('America/New_York');
    expect((await describeJson(scheduleId)).timing).toBe('cron "0 4 * * *" (America/New_York)');
    // 04:00 in New York is 08:00 or 09:00 UTC, whatever the date.
    expect(inNewYork.info.nextActionTimes.slice(0, 3).map((time) => time.getUTCHours()).every((hour) => hour === 8 || hour === 9)).toBe(true);
    // UTC, when asked for.
    expect(await peakonSync('schedule', 'update', scheduleId, '--cron', '0 4 * * *', '--timezone', 'UTC')).toContain('when: cron "0 4 * * *" (America/New_York) → cron "0 4 * * *" (UTC)');

    // An interval has no time zone: refused with --every, and alone for an interval schedule, before anything changes.
    await expect(peakonSync('schedule', 'update', scheduleId, '--every', '1h', '--timezone', 'Europe/Copenhagen')).rejects.toThrow(
      '--timezone Europe/Copenhagen with --every 1h: an interval runs at the same pace in every time zone, so a time zone means nothing to it',
    );
    expect(await peakonSync('schedule', 'update', scheduleId, '--every', '1h')).toContain('when: cron "0 4 * * *" (UTC) → every 1h');
    await expect(peakonSync('schedule', 'update', scheduleId, '--timezone', 'Europe/Copenhagen')).rejects.toThrow(
      `--timezone Europe/Copenhagen alone changes the time zone of a cron schedule, but schedule ${scheduleId} runs every 1h, the same pace in every time zone: give --cron "<expression>" --timezone Europe/Copenhagen`,
    );
    expect((await describeJson(scheduleId)).timing).toBe('every 1h');
  }, 60_000);
});
