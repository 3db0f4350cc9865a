/**
 * A scheduled run whose leaver writes the guard holds keeps the tenant lock: the schedule's next runs are skipped, and
 * `schedule describe` says why and what to run (real Temporal dev server, real sandbox).
 */
import { createSyncSchedule } from '../../client/schedules/create';
import { describeSyncSchedule } from '../../client/schedules/inspect';
import { formatScheduleOverview } from '../../client/schedules/overview';
import { scheduleConfigFromFile } from '../../client/schedules/stored-config';
import { rejectLeaversUpdate } from '../../workflows/sync';
import { generateOrg } from '../fixtures/org';
import { createPipelineFixture, TEST_TUNING, type PipelineFixture } from '../harness/pipeline';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { configAsWrittenFor, writeConfigFile } from './config-as-written';
import { eventually as waitFor } from '../harness/wait';


describe('a schedule whose run awaits approval', () => {
  let temporal: TemporalTestContext;
  let fixture: PipelineFixture | undefined;
  let scheduleId: string | undefined;
  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    if (scheduleId) await temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await fixture?.close();
    await temporal.close();
  });

  it('skips its runs while the held run keeps the tenant lock, and describe says why and how to decide', async () => {
    fixture = await createPipelineFixture(temporal);
    const pipeline = fixture;
    const org = generateOrg(10, 3);
    pipeline.writeEmployees(org);
    const workers = await pipeline.startWorkers();
    scheduleId = `test-schedule-${pipeline.config.tenant}`;
    const id = scheduleId;
    await createSyncSchedule(temporal.client, { namespace: TEST_NAMESPACE, config: scheduleConfigFromFile(writeConfigFile(pipeline, 'config.yaml', configAsWrittenFor(pipeline))), taskQueue: temporal.taskQueue, timing: { everyMs: 3_600_000 }, scheduleId: id, paused: true, tuning: TEST_TUNING });
    const schedule = temporal.client.schedule.getHandle(id);
    await workers.runUntil(
      (async () => {
        await schedule.trigger();
        await waitFor('the first run', async () => ((await describeSyncSchedule(temporal.client, id)).recentRuns.find((run) => run.execution === 'COMPLETED') ? true : undefined));
        const managers = new Set(org.map((employee) => employee.manager_id));
        const gone = org.filter((employee) => !managers.has(employee.employee_id)).slice(0, 3);
        pipeline.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        await schedule.trigger();
        const held = await waitFor('a run awaiting approval', async () => (await describeSyncSchedule(temporal.client, id)).awaitingApproval);
        expect(held.leavers).toBe(3);
        // A start while the run waits (a manual trigger allows overlap): the tenant lock makes it a skipped run. Run IDs
        // carry the start time to the second, so the next start must not fall in the held run's second.
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        await schedule.trigger();
        const overview = await waitFor('the third run to be skipped', async () => {
          const current = await describeSyncSchedule(temporal.client, id);
          return current.recentRuns.some((run) => run.outcome?.status === 'skipped') && current.awaitingApproval ? current : undefined;
        });
        const text = formatScheduleOverview(overview);
        expect(text).toContain(`AWAITING APPROVAL: ${held.workflowId} holds 3 leaver write(s)`);
        expect(text).toContain("this schedule's runs are skipped until someone decides");
        expect(text).toContain(`peakon-sync approve ${held.workflowId}`);
        await temporal.client.workflow.getHandle(held.workflowId).executeUpdate(rejectLeaversUpdate);
        await waitFor('the held run to end', async () => ((await describeSyncSchedule(temporal.client, id)).awaitingApproval === undefined ? true : undefined));
        expect(pipeline.sandbox.users().every((user) => user.active !== false)).toBe(true);
      })(),
    );
  }, 120_000);
});
