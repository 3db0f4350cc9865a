/**
 * `schedule update <name>` takes a schedule under the name only when it is a sync schedule that name can mean: another
 * tool's schedule whose ID is a tenant's name (a shared namespace) is passed over for the tenant's only schedule, as
 * docs/schedules.md says, and left as it is; `peakon-sync-<name>` holding another tenant's schedule (created with
 * `--id peakon-sync-<name>`) is not tenant <name>'s, and is reached by its full ID only. The CLI in-process against the
 * real dev server.
 */
import { Client } from '@temporalio/client';
import { findSyncSchedule, listSyncSchedules } from '../../client/schedules/inspect';
import { generateOrg } from '../fixtures/org';
import { runCliInProcess } from '../harness/cli';
import { useScheduleCli } from '../harness/schedule-cli';
import { TEST_NAMESPACE } from '../harness/temporal';
import { eventually } from '../harness/wait';
import { configAsWrittenFor, writeConfigFile } from './config-as-written';

describe('peakon-sync schedule update <name> beside schedules the name does not mean (against a real Temporal server)', () => {
  const cli = useScheduleCli((tenant) => `nightly-${tenant}`);
  const every = async (scheduleId: string) => (await cli.temporal.client.schedule.getHandle(scheduleId).describe()).spec.intervals?.[0]?.every;

  it("passes over another tool's schedule whose ID is the tenant's name, and updates the tenant's only schedule", async () => {
    const { temporal, fixture, scheduleId: ours } = cli;
    const { tenant } = fixture.config;
    fixture.writeEmployees(generateOrg(3, 2));
    const config = writeConfigFile(fixture, 'own.yaml', configAsWrittenFor(fixture));
    // Another tool's client: the same namespace, no codec; its schedule is paused on a queue no worker polls.
    const otherTool = new Client({ connection: temporal.connection, namespace: TEST_NAMESPACE });
    await otherTool.schedule.create({
      scheduleId: tenant,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'otherToolReportWorkflow', taskQueue: `${temporal.taskQueue}-nobody`, args: [] },
      memo: { owner: 'reporting-team' },
      state: { paused: true },
    });
    try {
      await runCliInProcess('schedule', 'create', '--config', config, '--id', ours, '--every', '1h', '--paused');
      // The fallback reads the list, a second or so behind: wait until it shows ours, then update once.
      await eventually('the list to show the tenant\'s schedule', async () => ((await listSyncSchedules(temporal.client)).some((row) => row.scheduleId === ours) ? true : undefined));
      const before = await temporal.client.workflowService.describeSchedule({ namespace: TEST_NAMESPACE, scheduleId: tenant });

      await expect(findSyncSchedule(temporal.client, tenant)).resolves.toBe(ours);
      expect(await runCliInProcess('schedule', 'update', tenant, '--every', '30m')).toContain(`updated schedule ${ours} (tenant ${tenant}):`);
      expect(await every(ours)).toBe(1_800_000);
      // The other tool's schedule is as it made it.
      const after = await temporal.client.workflowService.describeSchedule({ namespace: TEST_NAMESPACE, scheduleId: tenant });
      expect(after.schedule).toEqual(before.schedule);
      expect(after.conflictToken).toEqual(before.conflictToken);

      // With no schedule of the tenant left, the name is refused as the other tool's, as before.
      await temporal.client.schedule.getHandle(ours).delete();
      await eventually('the list to drop the tenant\'s schedule', async () => ((await listSyncSchedules(temporal.client)).some((row) => row.scheduleId === ours) ? undefined : true));
      await expect(runCliInProcess('schedule', 'update', tenant, '--every', '2h')).rejects.toThrow(
        `schedule ${tenant} is not a peakon-sync schedule (it starts workflow type otherToolReportWorkflow, not a sync of this connector): left as it is`,
      );
    } finally {
      await otherTool.schedule.getHandle(tenant).delete().catch(() => undefined);
    }
  }, 120_000);

  it("does not take tenant acme's schedule created with --id peakon-sync-beta for tenant beta's", async () => {
    const { temporal, fixture } = cli;
    const { tenant } = fixture.config;
    const beta = `${tenant}-beta`;
    const misleading = `peakon-sync-${beta}`;
    fixture.writeEmployees(generateOrg(3, 2));
    const config = writeConfigFile(fixture, 'own.yaml', configAsWrittenFor(fixture));
    try {
      await runCliInProcess('schedule', 'create', '--config', config, '--id', misleading, '--every', '1h', '--paused');

      await expect(runCliInProcess('schedule', 'update', beta, '--every', '5m')).rejects.toThrow(
        `no schedule ${beta}, and no schedule of a tenant ${beta} (schedule ${misleading} is tenant ${tenant}'s: name it by that full ID): see peakon-sync schedule list`,
      );
      await expect(findSyncSchedule(temporal.client, beta)).rejects.toThrow(`no schedule ${beta}`);
      expect(await every(misleading)).toBe(3_600_000);

      // By its full ID it is found, as any schedule is.
      expect(await runCliInProcess('schedule', 'update', misleading, '--every', '2h')).toContain(`updated schedule ${misleading} (tenant ${tenant}):`);
      expect(await every(misleading)).toBe(7_200_000);
    } finally {
      await temporal.client.schedule.getHandle(misleading).delete().catch(() => undefined);
    }
  }, 120_000);
});
