import type { WorkflowExecutionInfo } from '@temporalio/client';
import { createSyncSchedule } from '../../client/schedules/create';
import { describeSyncSchedule } from '../../client/schedules/inspect';
import { scheduleConfigFromFile } from '../../client/schedules/stored-config';
import type { SyncScheduleOverview } from '../../client/schedules/overview';
import type { SyncReport } from '../../sync/report';
import { tenantLockWorkflowId } from '../../workflows/ids';
import { generateOrg } from '../fixtures/org';
import { configAsWrittenFor, writeConfigFile } from './config-as-written';
import { createPipelineFixture, TEST_TUNING, type PipelineFixture } from '../harness/pipeline';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { eventually as waitFor } from '../harness/wait';

/** Every SCIM request takes this long, so a first run (list, POST, PUT) outlasts a 2-second interval. */
const SCIM_LATENCY_MS = 1_200;


async function listRuns(temporal: TemporalTestContext, query: string): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const run of temporal.client.workflow.list({ query })) runs.push(run);
  return runs;
}

function expectNoDuplicateUsers(fixture: PipelineFixture, expected: number): void {
  const userNames = fixture.sandbox.users().map((user) => user.userName);
  expect(new Set(userNames).size).toBe(userNames.length);
  expect(userNames).toHaveLength(expected);
}

describe('sync schedules on a real Temporal server', () => {
  let temporal: TemporalTestContext;
  let fixture: PipelineFixture | undefined;
  const scheduleIds: string[] = [];

  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    await temporal.close();
  });
  afterEach(async () => {
    // A schedule left behind would keep starting runs for the rest of the jest run.
    for (const scheduleId of scheduleIds.splice(0)) await temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await fixture?.close();
    fixture = undefined;
  });

  async function scheduleFor(pipeline: PipelineFixture, timing: { everyMs: number }, paused = false) {
    const scheduleId = `test-schedule-${pipeline.config.tenant}`;
    scheduleIds.push(scheduleId);
    await createSyncSchedule(temporal.client, {
      namespace: TEST_NAMESPACE,
      config: scheduleConfigFromFile(writeConfigFile(pipeline, 'config.yaml', configAsWrittenFor(pipeline))),
      taskQueue: temporal.taskQueue,
      timing,
      scheduleId,
      paused,
      tuning: TEST_TUNING,
    });
    return scheduleId;
  }

  it('starts a run every 2 s, skips a start while the previous run is still going, and never runs two syncs of the tenant at once', async () => {
    const pipeline = await createPipelineFixture(temporal, { sandbox: { faults: { latencyMs: SCIM_LATENCY_MS } } });
    fixture = pipeline;
    pipeline.writeEmployees(generateOrg(6, 2));
    const workers = await pipeline.startWorkers();
    const scheduleId = await scheduleFor(pipeline, { everyMs: 2_000 });

    let mostRunningAtOnce = 0;
    const overview = await workers.runUntil(
      waitFor('three scheduled runs, all finished', async () => {
        const current: SyncScheduleOverview = await describeSyncSchedule(temporal.client, scheduleId);
        mostRunningAtOnce = Math.max(mostRunningAtOnce, current.running.length);
        const finished = current.recentRuns.filter((run) => run.execution === 'COMPLETED');
        return finished.length >= 3 ? current : undefined;
      }, 45_000),
    );
    await temporal.client.schedule.getHandle(scheduleId).pause('test over');

    expect(mostRunningAtOnce).toBe(1);
    // The first run (create then update, at 1.2 s a request) outlasted the interval: the schedule skipped rather than stacked.
    expect(overview.skippedBecauseStillRunning).toBeGreaterThanOrEqual(1);
    expect(overview.recentRuns.every((run) => run.workflowId.startsWith(`peakon-sync/${pipeline.config.tenant}/scheduled-`))).toBe(true);
    expect(overview.recentRuns.filter((run) => run.execution === 'COMPLETED').map((run) => run.outcome?.status)).toEqual(
      expect.arrayContaining(['completed']),
    );

    // Visibility agrees: no scheduled run started before the previous one had closed.
    const query = `TemporalScheduledById = '${scheduleId}'`;
    const runs = await waitFor('visibility to list the finished runs', async () => {
      const listed = await listRuns(temporal, query);
      return listed.filter((run) => run.closeTime !== undefined).length >= 3 ? listed : undefined;
    });
    const byStart = [...runs].sort((left, right) => left.startTime.getTime() - right.startTime.getTime());
    for (let index = 1; index < byStart.length; index += 1) {
      const previousClose = byStart[index - 1]?.closeTime;
      expect(previousClose).toBeDefined();
      expect(byStart[index]?.startTime.getTime()).toBeGreaterThanOrEqual(previousClose?.getTime() ?? Infinity);
    }
    // The runs carry the tenant search attribute, so the UI can filter one tenant's syncs.
    const tenantRuns = await listRuns(temporal, `PeakonTenant = '${pipeline.config.tenant}'`);
    expect(tenantRuns.length).toBeGreaterThanOrEqual(1);
    expectNoDuplicateUsers(pipeline, 6);
  }, 60_000);

  it('skips a manual sync started while a scheduled run holds the tenant lock', async () => {
    const pipeline = await createPipelineFixture(temporal, { sandbox: { faults: { latencyMs: SCIM_LATENCY_MS } } });
    fixture = pipeline;
    pipeline.writeEmployees(generateOrg(5, 2));
    const workers = await pipeline.startWorkers();
    const scheduleId = await scheduleFor(pipeline, { everyMs: 3_600_000 }, true);

    const { manual, scheduled } = await workers.runUntil(
      (async () => {
        await temporal.client.schedule.getHandle(scheduleId).trigger();
        const scheduledRun = await waitFor('the triggered run', async () => (await describeSyncSchedule(temporal.client, scheduleId)).recentRuns[0]);
        await waitFor('the scheduled run to take the tenant lock', async () => {
          const lock = await temporal.client.workflow.getHandle(tenantLockWorkflowId(pipeline.config.tenant)).describe().catch(() => undefined);
          return lock?.status.name === 'RUNNING' ? lock : undefined;
        });
        const manualReport: SyncReport = await (await pipeline.startSync()).result();
        const scheduledReport: SyncReport = await temporal.client.workflow.getHandle(scheduledRun.workflowId, scheduledRun.runId).result();
        return { manual: manualReport, scheduled: scheduledReport };
      })(),
    );

    expect(manual.status).toBe('skipped');
    expect(manual.message).toMatch(/another sync of tenant/);
    expect(manual.operations).toBe(0);
    expect(scheduled.status).toBe('completed');
    expect(scheduled.counts.created).toBe(5);
    expectNoDuplicateUsers(pipeline, 5);
  }, 60_000);
});
