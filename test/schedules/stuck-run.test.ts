/**
 * A scheduled run stuck without ending (a non-determinism error after a bad deploy) must not block its schedule: its
 * tenant lock lease expires, and the next due time starts a run that syncs. Under the overlap policy SKIP that
 * schedules used before, every due time is skipped while the stuck run lives; `schedule update` switches such a schedule
 * to ALLOW_ALL (real Temporal dev server, real workers, real sandbox over HTTP).
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { connectorDataConverter, workflowBundleConverterOptions } from '../../codec/data-converter';
import { describeSyncSchedule } from '../../client/schedules/inspect';
import { buildSyncScheduleOptions } from '../../client/schedules/options';
import { scheduleConfigFromFile } from '../../client/schedules/stored-config';
import { updateSyncSchedule } from '../../client/schedules/update';
import { createSyncWorkers, defaultActivityDeps } from '../../worker/create-worker';
import { tenantLockWorkflowId } from '../../workflows/ids';
import { generateOrg } from '../fixtures/org';
import { createPipelineFixture, TEST_TUNING, type PipelineFixture } from '../harness/pipeline';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { eventually as waitFor } from '../harness/wait';
import { configAsWrittenFor, writeConfigFile } from './config-as-written';

/** The stuck run's lock frees the tenant this long after its last renewal (production: 10 minutes). */
const LEASE_MS = 3_000;

describe('a sync schedule whose scheduled run is stuck after a bad deploy', () => {
  let temporal: TemporalTestContext;
  let fixture: PipelineFixture | undefined;
  let scheduleId: string | undefined;
  let stuck: { workflowId: string; firstExecutionRunId: string } | undefined;

  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    if (scheduleId) await temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    // A stuck run would retry its workflow task for the rest of the jest run.
    if (stuck) await temporal.client.workflow.getHandle(stuck.workflowId, stuck.firstExecutionRunId).terminate('test over').catch(() => undefined);
    await fixture?.close();
    await temporal.close();
  });

  it('keeps starting runs at its due times once updated to ALLOW_ALL: the lease expires and the next run syncs', async () => {
    const badDeploy = bundleWorkflowCode({
      workflowsPath: require.resolve('./bad-deploy/workflows'),
      ...workflowBundleConverterOptions(connectorDataConverter()),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
    });
    const pipeline = await createPipelineFixture(temporal, { sandbox: { faults: { latencyMs: 1_200 } } });
    fixture = pipeline;
    const org = generateOrg(4, 2);
    pipeline.writeEmployees(org);
    const id = `test-stuck-${pipeline.config.tenant}`;
    scheduleId = id;
    const schedule = temporal.client.schedule.getHandle(id);
    const lock = temporal.client.workflow.getHandle(tenantLockWorkflowId(pipeline.config.tenant));
    // A schedule as an earlier version made it: overlap SKIP. Every 2 s, paused until the run is stuck.
    const options = buildSyncScheduleOptions({
      config: scheduleConfigFromFile(writeConfigFile(pipeline, 'config.yaml', configAsWrittenFor(pipeline))),
      taskQueue: temporal.taskQueue,
      timing: { everyMs: 2_000 },
      scheduleId: id,
      paused: true,
      withSearchAttributes: false,
      tuning: { ...TEST_TUNING, lockLeaseMs: LEASE_MS },
    });
    await temporal.client.schedule.create({ ...options, policies: { ...options.policies, overlap: ScheduleOverlapPolicy.SKIP } });

    // Today's code starts a run, which takes the tenant lock; then its worker goes away, mid-plan.
    const before = await pipeline.startWorkers();
    const stuckRun = await before.runUntil(
      (async () => {
        // As the CLI triggered before ALLOW_ALL: under the schedule's SKIP, so the schedule tracks the run as running.
        await schedule.trigger(ScheduleOverlapPolicy.SKIP);
        const run = await waitFor('the triggered run', async () => (await schedule.describe()).info.recentActions[0]?.action.workflow);
        await waitFor('the run to take the tenant lock', async () => ((await lock.describe().catch(() => undefined))?.status.name === 'RUNNING' ? true : undefined));
        return run;
      })(),
    );
    stuck = stuckRun;
    const stuckHandle = temporal.client.workflow.getHandle(stuckRun.workflowId, stuckRun.firstExecutionRunId);

    // The bad deploy: its workers cannot replay the run (non-determinism), so it neither ends nor renews its lock.
    const after = await createSyncWorkers({
      connection: temporal.nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue: temporal.taskQueue,
      deps: { ...defaultActivityDeps(pipeline.stateDirectory), resolveSecret: () => pipeline.sandbox.token },
      workflowBundle: await badDeploy,
    });
    pipeline.sandbox.setFaults({ latencyMs: 100 });
    await after.runUntil(
      (async () => {
        await waitFor('the run to fail its workflow task on replay', async () => {
          const { events } = await stuckHandle.fetchHistory();
          return events?.some((event) => event.workflowTaskFailedEventAttributes) ? true : undefined;
        }, 60_000);
        await waitFor('the stuck run\'s lock lease to expire', async () => ((await lock.describe()).status.name === 'COMPLETED' ? true : undefined), 60_000);

        // SKIP: the tenant is free, yet every due time is skipped because the stuck run still "runs".
        await schedule.unpause();
        const blocked = await waitFor('due times skipped behind the stuck run', async () => {
          const description = await schedule.describe();
          return description.info.numActionsSkippedOverlap >= 2 ? description : undefined;
        }, 30_000);
        expect(blocked.info.numActionsTaken).toBe(1);

        // `schedule update` with nothing else to change gives the schedule today's policy, and says so.
        const update = await updateSyncSchedule(temporal.client, { namespace: TEST_NAMESPACE, scheduleId: id });
        // (Made without the search attributes, which the test namespace has: the update adds them too.)
        expect(update.changes).toEqual([
          expect.stringMatching(/^overlap: SKIP → ALLOW_ALL \(every due time starts a run; the tenant lock keeps one sync at a time/),
          expect.stringMatching(/^search attributes: its runs now carry PeakonTenant=/),
        ]);
        expect((await schedule.describe()).policies.overlap).toBe(ScheduleOverlapPolicy.ALLOW_ALL);

        const synced = await waitFor('a scheduled run that syncs while the stuck one still runs', async () => {
          const overview = await describeSyncSchedule(temporal.client, id);
          return overview.recentRuns.find((run) => run.runId !== stuckRun.firstExecutionRunId && run.outcome?.status === 'completed');
        }, 60_000);
        await schedule.pause('test over');
        expect(synced.outcome?.counts).toMatchObject({ created: 4, failed: 0 });
        expect((await stuckHandle.describe()).status.name).toBe('RUNNING');
      })(),
    );
    // Created once each: the stuck run wrote nothing, the runs that found the lock held wrote nothing.
    const userNames = pipeline.sandbox.users().map((user) => user.userName);
    expect(new Set(userNames).size).toBe(org.length);
    expect(userNames).toHaveLength(org.length);
  }, 180_000);
});
