import type { WorkflowExecutionInfo } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { describeSyncSchedule } from '../../client/schedules/inspect';
import { buildSyncScheduleOptions } from '../../client/schedules/options';
import { scheduleConfigFromFile } from '../../client/schedules/stored-config';
import { formatScheduleUpdate, updateSyncSchedule } from '../../client/schedules/update';
import { scheduledSyncWorkflowIdPrefix } from '../../workflows/ids';
import { SYNC_STATUS_SEARCH_ATTRIBUTE, TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';
import { generateOrg } from '../fixtures/org';
import { createPipelineFixture, TEST_TUNING, type PipelineFixture } from '../harness/pipeline';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { eventually } from '../harness/wait';
import { configAsWrittenFor, writeConfigFile } from './config-as-written';

const WHY =
  "(without the schedule ID: it is not one `create --id` takes — letters, digits, '.', '_', '-' — and could be personal data, which run IDs show in plain text in Temporal; create the schedule again under a valid --id, and delete this one, to give its runs their own IDs)";

/**
 * Schedules made before `create --id` was checked may have an ID such as an email: `schedule update` must not put it
 * into their run IDs (and so into every child workflow ID), where Temporal shows it in plain text.
 */
describe('schedule update of a schedule whose ID create --id would refuse (real Temporal server)', () => {
  let temporal: TemporalTestContext;
  let fixture: PipelineFixture;
  const scheduleIds: string[] = [];

  beforeAll(async () => {
    temporal = await connectToDevServer();
    fixture = await createPipelineFixture(temporal);
  });
  afterAll(async () => {
    for (const scheduleId of scheduleIds) await temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await fixture.close();
    await temporal.close();
  });

  /** A schedule as an earlier version made it: an unchecked ID, and runs named `…/scheduled` (or `runIds`). */
  async function olderSchedule(scheduleId: string, runIds = scheduledSyncWorkflowIdPrefix(fixture.config.tenant)) {
    scheduleIds.push(scheduleId);
    const config = scheduleConfigFromFile(writeConfigFile(fixture, 'config.yaml', configAsWrittenFor(fixture)));
    const options = buildSyncScheduleOptions({ config, taskQueue: temporal.taskQueue, timing: { everyMs: 3_600_000 }, paused: true, withSearchAttributes: false, tuning: TEST_TUNING });
    await temporal.client.schedule.create({ ...options, scheduleId, action: { ...options.action, workflowId: runIds } });
    return config;
  }

  it('keeps the run IDs without the schedule ID through a note-only and a config update, says why, and no run or child workflow ID holds it', async () => {
    const { tenant } = fixture.config;
    const scheduleId = `anna.${tenant}@corp.example`;
    const config = await olderSchedule(scheduleId);
    const handle = temporal.client.schedule.getHandle(scheduleId);

    const noteOnly = await updateSyncSchedule(temporal.client, { namespace: TEST_NAMESPACE, scheduleId, note: 'owner: hr-it' });
    expect(formatScheduleUpdate(noteOnly).split('\n')).toEqual([
      `updated schedule ${scheduleId} (tenant ${tenant}):`,
      '  note: "" → "owner: hr-it"',
      `  run IDs: stay peakon-sync/${tenant}/scheduled-<time> ${WHY}`,
      // Made without the search attributes, which the test namespace has: a note-only update adds them, and says so.
      `  search attributes: its runs now carry PeakonTenant=${tenant} and PeakonSyncStatus (registered in the namespace since the schedule was made), so Temporal can list them by tenant and status`,
    ]);
    const noteOnlyAction = (await handle.describe()).action;
    expect(noteOnlyAction.workflowId).toBe(`peakon-sync/${tenant}/scheduled`);
    const attributes = noteOnlyAction.typedSearchAttributes;
    expect(attributes instanceof TypedSearchAttributes ? [attributes.get(TENANT_SEARCH_ATTRIBUTE), attributes.get(SYNC_STATUS_SEARCH_ATTRIBUTE)] : attributes).toEqual([tenant, 'running']);

    // A new config rebuilds the action: its run IDs still leave the schedule ID out.
    const withConfig = await updateSyncSchedule(temporal.client, { namespace: TEST_NAMESPACE, scheduleId, config });
    expect(withConfig.changes).toContain(`run IDs: stay peakon-sync/${tenant}/scheduled-<time> ${WHY}`);
    expect((await handle.describe()).action).toMatchObject({ workflowType: 'scheduledSyncWorkflow', workflowId: `peakon-sync/${tenant}/scheduled` });

    // A run, and the child workflows it starts, are named without the schedule ID.
    fixture.writeEmployees(generateOrg(3, 2));
    const workers = await fixture.startWorkers();
    const run = await workers.runUntil(
      (async () => {
        await handle.trigger();
        return eventually('the triggered run to complete', async () => {
          const current = await describeSyncSchedule(temporal.client, scheduleId);
          return current.recentRuns.find((candidate) => candidate.execution !== 'RUNNING');
        }, 60_000);
      })(),
    );
    expect(run).toMatchObject({ execution: 'COMPLETED', outcome: { status: 'completed', counts: { created: 3 } } });
    expect(run.workflowId).toMatch(new RegExp(`^peakon-sync/${tenant}/scheduled-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    const children: WorkflowExecutionInfo[] = [];
    for await (const execution of temporal.client.workflow.list({ query: `WorkflowId STARTS_WITH "${run.workflowId}/"` })) children.push(execution);
    expect(children.length).toBeGreaterThan(0);
    for (const child of [run, ...children]) {
      expect(child.workflowId).not.toContain(scheduleId);
      expect(child.workflowId).not.toContain('@');
    }
  }, 120_000);

  it('takes the schedule ID back out of run IDs that already hold it, and gives a schedule with a valid ID its own run IDs', async () => {
    const { tenant } = fixture.config;
    const withSlash = `hr/${tenant}/anna`;
    await olderSchedule(withSlash, `peakon-sync/${tenant}/scheduled-${withSlash}`);
    const update = await updateSyncSchedule(temporal.client, { namespace: TEST_NAMESPACE, scheduleId: withSlash, note: 'moved back' });
    expect(update.changes).toContain(`run IDs: peakon-sync/${tenant}/scheduled-${withSlash}-<time> → peakon-sync/${tenant}/scheduled-<time> ${WHY}`);
    expect((await temporal.client.schedule.getHandle(withSlash).describe()).action.workflowId).toBe(`peakon-sync/${tenant}/scheduled`);

    const valid = `nightly-${tenant}`;
    await olderSchedule(valid);
    const migrated = await updateSyncSchedule(temporal.client, { namespace: TEST_NAMESPACE, scheduleId: valid, note: 'migrated' });
    expect(migrated.changes).toContain(
      `run IDs: peakon-sync/${tenant}/scheduled-<time> → peakon-sync/${tenant}/scheduled-${valid}-<time> (unique per schedule: another schedule of the tenant due at the same time no longer makes the same ID)`,
    );
    expect(migrated.changes.join('\n')).not.toContain('without the schedule ID');
  }, 60_000);
});
