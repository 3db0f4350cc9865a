/**
 * `schedule update <name>` where the name is both a schedule's ID (tenant beta's schedule created with `--id acme`)
 * and a tenant whose default schedule exists (`peakon-sync-acme`): refused, naming both, instead of re-timing beta's
 * schedule. Each one is still reachable by a name that is not ambiguous. The CLI in-process against the real dev server.
 */
import { generateOrg } from '../fixtures/org';
import { runCliInProcess } from '../harness/cli';
import { useScheduleCli } from '../harness/schedule-cli';
import { eventually } from '../harness/wait';
import { configAsWrittenFor, writeConfigFile } from './config-as-written';

describe('peakon-sync schedule update <name that is a schedule ID and a tenant> (against a real Temporal server)', () => {
  const cli = useScheduleCli((tenant) => `peakon-sync-${tenant}`);

  it('refuses the ambiguous name, listing both schedules and their tenants, and changes neither; the unambiguous names still work', async () => {
    const { temporal, fixture, scheduleId: tenantSchedule } = cli;
    const { tenant } = fixture.config;
    const otherTenant = `${tenant}-beta`;
    fixture.writeEmployees(generateOrg(3, 2));
    const ownConfig = writeConfigFile(fixture, 'own.yaml', configAsWrittenFor(fixture));
    const otherConfig = writeConfigFile(fixture, 'beta.yaml', { ...configAsWrittenFor(fixture), tenant: otherTenant });
    const timing = async (scheduleId: string) => (await temporal.client.schedule.getHandle(scheduleId).describe()).spec.intervals?.[0]?.every;
    try {
      await runCliInProcess('schedule', 'create', '--config', ownConfig, '--every', '1h', '--paused');
      // Tenant beta's schedule, under the ID that is tenant acme's name.
      await runCliInProcess('schedule', 'create', '--config', otherConfig, '--id', tenant, '--every', '1h', '--paused');

      await expect(runCliInProcess('schedule', 'update', tenant, '--every', '30m')).rejects.toThrow(
        `${tenant} names two schedules: ${tenant} (tenant ${otherTenant}), whose ID it is, and ${tenantSchedule} (tenant ${tenant}), the default schedule of a tenant ${tenant}; nothing was changed. ` +
          `Name the one you mean by an ID that is not ambiguous: schedule ${tenantSchedule} by its ID; schedule ${tenant} by its tenant, ${otherTenant}, when that is its only schedule (see peakon-sync schedule list)`,
      );
      expect(await timing(tenant)).toBe(3_600_000);
      expect(await timing(tenantSchedule)).toBe(3_600_000);

      // The default schedule by its full ID; the other by its tenant (its only schedule, found in the list, which lags).
      expect(await runCliInProcess('schedule', 'update', tenantSchedule, '--every', '30m')).toContain('when: every 1h → every 30m');
      expect(await timing(tenantSchedule)).toBe(1_800_000);
      expect(await timing(tenant)).toBe(3_600_000);
      const byTenant = await eventually('the list to show the other schedule', async () => runCliInProcess('schedule', 'update', otherTenant, '--every', '2h').catch(() => undefined));
      expect(byTenant).toContain(`updated schedule ${tenant} (tenant ${otherTenant}):`);
      expect(await timing(tenant)).toBe(7_200_000);

      // Unambiguous again once the default schedule is gone: the name is the schedule's ID, as before.
      await temporal.client.schedule.getHandle(tenantSchedule).delete();
      expect(await runCliInProcess('schedule', 'update', tenant, '--every', '45m')).toContain(`updated schedule ${tenant} (tenant ${otherTenant}):`);
      expect(await timing(tenant)).toBe(2_700_000);
    } finally {
      await temporal.client.schedule.getHandle(tenant).delete().catch(() => undefined);
    }
  }, 120_000);
});
