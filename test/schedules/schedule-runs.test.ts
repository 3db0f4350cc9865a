import type { WorkflowExecutionInfo } from '@temporalio/client';
import { createSyncSchedule } from '../../client/schedules/create';
import { describeSyncSchedule } from '../../client/schedules/inspect';
import { buildSyncScheduleOptions } from '../../client/schedules/options';
import { updateSyncSchedule } from '../../client/schedules/update';
import { scheduleConfigFromFile } from '../../client/schedules/stored-config';
import { formatScheduleOverview, type SyncScheduleOverview } from '../../client/schedules/overview';
import type { SyncReport } from '../../sync/report';
import { scheduledSyncWorkflowIdPrefix, tenantLockWorkflowId } from '../../workflows/ids';
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

  it('starts a run at every due time (every 2 s); a run that meets the previous one ends skipped at the tenant lock, so the tenant never has two syncs at once', async () => {
    const pipeline = await createPipelineFixture(temporal, { sandbox: { faults: { latencyMs: SCIM_LATENCY_MS } } });
    fixture = pipeline;
    pipeline.writeEmployees(generateOrg(6, 2));
    const workers = await pipeline.startWorkers();
    const scheduleId = await scheduleFor(pipeline, { everyMs: 2_000 });
    const schedule = temporal.client.schedule.getHandle(scheduleId);

    const overview = await workers.runUntil(
      (async () => {
        const enough = await waitFor('two scheduled runs that synced and one that met the lock, all finished', async () => {
          const current: SyncScheduleOverview = await describeSyncSchedule(temporal.client, scheduleId);
          const finished = current.recentRuns.filter((run) => run.execution === 'COMPLETED');
          const synced = finished.filter((run) => run.outcome?.status === 'completed').length;
          const skipped = finished.filter((run) => run.outcome?.status === 'skipped').length;
          return synced >= 2 && skipped >= 1 ? current : undefined;
        }, 45_000);
        await schedule.pause('test over');
        // No run left behind without a worker once this one stops.
        await waitFor('the runs started before the pause to end', async () => {
          const current = await describeSyncSchedule(temporal.client, scheduleId);
          return current.running.length === 0 && current.recentRuns.every((run) => run.execution !== 'RUNNING') ? true : undefined;
        }, 30_000);
        return enough;
      })(),
    );

    // The first run (a first load at 1.2 s a request) outlasted the interval: the schedule started runs anyway (no
    // start skipped by the schedule), and each of them found the tenant lock held, did nothing and said so.
    expect(overview.overlapPolicy).toBe('ALLOW_ALL');
    expect(overview.skippedBecauseStillRunning).toBe(0);
    expect(overview.recentRuns.every((run) => run.workflowId.startsWith(`peakon-sync/${pipeline.config.tenant}/scheduled-`))).toBe(true);
    const synced = overview.recentRuns.filter((run) => run.outcome?.status === 'completed').map((run) => run.workflowId);
    const skipped = overview.recentRuns.filter((run) => run.outcome?.status === 'skipped');
    expect(skipped.every((run) => run.outcome?.operations === 0)).toBe(true);
    // `describe` counts those runs (Temporal's overlap-skip counter stays 0 under ALLOW_ALL, so it is not shown).
    const text = formatScheduleOverview(overview);
    expect(text).toContain(`(skipped at the tenant lock: ${skipped.length} of the last ${overview.recentRuns.length}, missed the catch-up window: `);
    expect(text).not.toContain('while one was running');

    // The tenant lock's runs, from visibility: every run that synced held it, none that was skipped did, and it was
    // held by one run at a time.
    const lockRuns = await waitFor('visibility to list the lock of each run that synced', async () => {
      const listed = await listRuns(temporal, `WorkflowId = '${tenantLockWorkflowId(pipeline.config.tenant)}'`);
      return listed.filter((run) => run.closeTime !== undefined).length >= synced.length ? listed : undefined;
    });
    const holders = lockRuns.map((run) => run.memo?.holderRunId);
    expect(holders).toEqual(expect.arrayContaining(synced));
    for (const run of skipped) expect(holders).not.toContain(run.workflowId);
    const byStart = [...lockRuns].sort((left, right) => left.startTime.getTime() - right.startTime.getTime());
    for (let index = 1; index < byStart.length; index += 1) {
      const previousClose = byStart[index - 1]?.closeTime;
      expect(previousClose).toBeDefined();
      expect(byStart[index]?.startTime.getTime()).toBeGreaterThanOrEqual(previousClose?.getTime() ?? Infinity);
    }
    // The runs carry the tenant search attribute, so the UI can filter one tenant's syncs.
    const tenantRuns = await listRuns(temporal, `PeakonTenant = '${pipeline.config.tenant}'`);
    expect(tenantRuns.length).toBeGreaterThanOrEqual(1);
    expectNoDuplicateUsers(pipeline, 6);
    // Above its waits (45 s, 30 s and 60 s for visibility), so a slow run fails naming what it waited for.
  }, 180_000);

  it('gives the runs of two schedules of one tenant, due at the same time, their own IDs: both start, one syncs and the other ends skipped at the tenant lock', async () => {
    const pipeline = await createPipelineFixture(temporal, { sandbox: { faults: { latencyMs: SCIM_LATENCY_MS } } });
    fixture = pipeline;
    const { tenant } = pipeline.config;
    pipeline.writeEmployees(generateOrg(3, 2));
    const workers = await pipeline.startWorkers();
    const config = scheduleConfigFromFile(writeConfigFile(pipeline, 'config.yaml', configAsWrittenFor(pipeline)));
    // Both every 3 s: Temporal aligns intervals to the epoch, so they are due at the same times.
    const [first, second] = [`test-schedule-${tenant}-a`, `test-schedule-${tenant}-b`];
    scheduleIds.push(first, second);
    await createSyncSchedule(temporal.client, { namespace: TEST_NAMESPACE, config, taskQueue: temporal.taskQueue, timing: { everyMs: 3_000 }, scheduleId: first, paused: true, tuning: TEST_TUNING });
    // The second as a schedule made before run IDs named their schedule: its runs would take the first's IDs.
    const older = buildSyncScheduleOptions({ config, taskQueue: temporal.taskQueue, timing: { everyMs: 3_000 }, scheduleId: second, paused: true, withSearchAttributes: false, tuning: TEST_TUNING });
    await temporal.client.schedule.create({ ...older, action: { ...older.action, workflowId: scheduledSyncWorkflowIdPrefix(tenant) } });
    // Any update gives it its own run IDs, and says so.
    const update = await updateSyncSchedule(temporal.client, { namespace: TEST_NAMESPACE, scheduleId: second, note: 'second schedule' });
    expect(update.changes).toContain(
      `run IDs: peakon-sync/${tenant}/scheduled-<time> → peakon-sync/${tenant}/scheduled-${second}-<time> (unique per schedule: another schedule of the tenant due at the same time no longer makes the same ID)`,
    );
    expect((await temporal.client.schedule.getHandle(second).describe()).action.workflowId).toBe(`peakon-sync/${tenant}/scheduled-${second}`);

    const both = await workers.runUntil(
      (async () => {
        await temporal.client.schedule.getHandle(first).unpause();
        await temporal.client.schedule.getHandle(second).unpause();
        const found = await waitFor('a due time at which both schedules started a run, both finished', async () => {
          const [a, b] = [await describeSyncSchedule(temporal.client, first), await describeSyncSchedule(temporal.client, second)];
          for (const run of a.recentRuns) {
            const other = b.recentRuns.find((candidate) => candidate.scheduledAt.getTime() === run.scheduledAt.getTime());
            if (other && run.execution === 'COMPLETED' && other.execution === 'COMPLETED') return [run, other] as const;
          }
          return undefined;
        }, 45_000);
        for (const scheduleId of [first, second]) await temporal.client.schedule.getHandle(scheduleId).pause('test over');
        await waitFor('the runs started before the pause to end', async () => {
          const overviews = [await describeSyncSchedule(temporal.client, first), await describeSyncSchedule(temporal.client, second)];
          return overviews.every((current) => current.running.length === 0 && current.recentRuns.every((run) => run.execution !== 'RUNNING')) ? true : undefined;
        }, 30_000);
        return found;
      })(),
    );

    const [runOfFirst, runOfSecond] = both;
    expect(runOfFirst.workflowId).toMatch(new RegExp(`^peakon-sync/${tenant}/scheduled-${first}-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    expect(runOfSecond.workflowId).toBe(runOfFirst.workflowId.replace(`scheduled-${first}-`, `scheduled-${second}-`));
    // Started together, so one of them found the tenant lock held (by the other, or by an earlier run) and said so.
    expect([runOfFirst.outcome?.status, runOfSecond.outcome?.status]).toContain('skipped');
    expect([runOfFirst, runOfSecond].every((run) => run.outcome?.status === 'completed' || run.outcome?.status === 'skipped')).toBe(true);
    expectNoDuplicateUsers(pipeline, 3);
    // Above its waits (45 s and 30 s) and the setup, so a slow run fails naming what it waited for.
  }, 120_000);

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
    // It says how to find and follow the run that holds the tenant.
    expect(manual.message).toContain(`peakon-sync status '${tenantLockWorkflowId(pipeline.config.tenant)}'`);
    expect(manual.operations).toBe(0);
    expect(scheduled.status).toBe('completed');
    expect(scheduled.counts.created).toBe(5);
    expectNoDuplicateUsers(pipeline, 5);
    // Above its two waits (60 s each), so a slow run fails naming what it waited for.
  }, 150_000);
});
