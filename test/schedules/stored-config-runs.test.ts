import { ApplicationFailure, ScheduleOverlapPolicy, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { createSyncSchedule } from '../../client/schedules/create';
import { describeSyncSchedule } from '../../client/schedules/inspect';
import { buildSyncScheduleOptions } from '../../client/schedules/options';
import { formatScheduleOverview, type ScheduledRun } from '../../client/schedules/overview';
import { scheduleConfigFromFile } from '../../client/schedules/stored-config';
import { formatScheduleUpdate, updateSyncSchedule } from '../../client/schedules/update';
import type { scheduledSyncWorkflow } from '../../workflows';
import { partitionWorkflowId, scheduledSyncWorkflowIdPrefix } from '../../workflows/ids';
import type { SyncProgress } from '../../workflows/sync';
import { generateOrg } from '../fixtures/org';
import { TEST_TUNING, usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { TEST_NAMESPACE } from '../harness/temporal';
import { configAsWrittenFor, writeConfigFile } from './config-as-written';
import { eventually as waitFor } from '../harness/wait';


describe('schedules that store the config as written and validate it at every run', () => {
  const pipelines = usePipelineTests();
  const scheduleIds: string[] = [];

  afterEach(async () => {
    // A schedule left behind would keep starting runs for the rest of the jest run.
    for (const scheduleId of scheduleIds.splice(0)) await pipelines.temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
  });

  function scheduleIdFor(fixture: PipelineFixture): string {
    const scheduleId = `test-stored-${fixture.config.tenant}`;
    scheduleIds.push(scheduleId);
    return scheduleId;
  }

  /** Triggers the schedule and waits for the run it starts (the `earlier`+1-th) to close. */
  async function triggerRun(scheduleId: string, earlier: number): Promise<ScheduledRun> {
    await pipelines.temporal.client.schedule.getHandle(scheduleId).trigger();
    return waitFor('the triggered run to close', async () => {
      const run = (await describeSyncSchedule(pipelines.temporal.client, scheduleId)).recentRuns[earlier];
      return run && run.execution !== 'RUNNING' ? run : undefined;
    });
  }

  async function exists(workflowId: string): Promise<boolean> {
    try {
      await pipelines.temporal.client.workflow.getHandle(workflowId).describe();
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /** How many create partitions each wave of a run had (the partition IDs are numbered from 0 per wave). */
  async function createPartitionsPerWave(runWorkflowId: string, waves: number): Promise<number[]> {
    const counts: number[] = [];
    for (let wave = 0; wave < waves; wave += 1) {
      let count = 0;
      while (await exists(partitionWorkflowId(runWorkflowId, 'create', wave, count))) count += 1;
      counts.push(count);
    }
    return counts;
  }

  it('gives a stored config that lacks settings added later today\'s defaults: bounded partitions, the default budget', async () => {
    const fixture = await pipelines.fixture();
    fixture.writeEmployees(generateOrg(6, 2));
    // As a config written before `sync` and `peakon.operationsPerHour` existed: neither is in the file.
    const { sync: _sync, ...older } = configAsWrittenFor(fixture);
    const configFile = writeConfigFile(fixture, 'acme.yaml', { ...older, peakon: { baseUrl: fixture.sandbox.baseUrl, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 2_000 } });
    const scheduleId = scheduleIdFor(fixture);
    const { client } = pipelines.temporal;
    await createSyncSchedule(client, { namespace: TEST_NAMESPACE, config: scheduleConfigFromFile(configFile), taskQueue: pipelines.temporal.taskQueue, timing: { everyMs: 3_600_000 }, scheduleId, paused: true, tuning: TEST_TUNING });

    // The schedule holds the file's content, relative path included, and no secret: the worker resolves the reference.
    const action = (await client.schedule.getHandle(scheduleId).describe()).action;
    expect(action.workflowType).toBe('scheduledSyncWorkflow');
    expect(action.args?.[0]).toMatchObject({ configFile, storedConfig: { source: { path: 'hr.csv' }, peakon: { token: { env: 'PEAKON_TOKEN' } } } });
    expect(action.args?.[0]?.storedConfig).not.toHaveProperty('sync');
    expect(JSON.stringify(action.args)).not.toContain(fixture.sandbox.token);

    const workers = await fixture.startWorkers();
    const { run, report, progress, partitions } = await workers.runUntil(
      (async () => {
        const closed = await triggerRun(scheduleId, 0);
        const handle = client.workflow.getHandle<typeof scheduledSyncWorkflow>(closed.workflowId, closed.runId);
        return {
          run: closed,
          report: await handle.result(),
          progress: await handle.query<SyncProgress>('progress'),
          partitions: await createPartitionsPerWave(closed.workflowId, 2),
        };
      })(),
    );

    expect(run.workflowId.startsWith(`${scheduledSyncWorkflowIdPrefix(fixture.config.tenant)}-`)).toBe(true);
    expect(run.execution).toBe('COMPLETED');
    expect(run.outcome?.status).toBe('completed');
    expect(report).toMatchObject({ status: 'completed', tenant: fixture.config.tenant, counts: { created: 6, failed: 0 } });
    // peakon.operationsPerHour defaulted to Peakon's 25,000, not undefined.
    expect(progress.operationsPerHour).toBe(25_000);
    // The manager in wave 0, five reports in wave 1 split over maxConcurrentPartitions = 2 (its default) partitions; an
    // unset value would have made one unbounded partition.
    expect(partitions).toEqual([1, 2]);
    expect(fixture.sandbox.users()).toHaveLength(6);

    const overview = await describeSyncSchedule(client, scheduleId);
    expect(overview.storedConfig).toEqual({ form: 'as-written', configFile, tenant: fixture.config.tenant, source: `csv:${fixture.stateDirectory}/hr.csv`, validates: true });
    expect(formatScheduleOverview(overview)).toMatch(/validates: +yes, with this version/);
  }, 120_000);

  it('fails a run whose stored config no longer validates, naming the field, once and before anything is read or written', async () => {
    const fixture = await pipelines.fixture();
    fixture.writeEmployees(generateOrg(3, 2));
    const { client, taskQueue } = pipelines.temporal;
    const scheduleId = scheduleIdFor(fixture);
    const config = scheduleConfigFromFile(writeConfigFile(fixture, 'acme.yaml', configAsWrittenFor(fixture)));
    // What a config that an earlier version accepted can look like to this one: a setting this version does not know.
    const options = buildSyncScheduleOptions({ config, taskQueue, timing: { everyMs: 3_600_000 }, scheduleId, paused: true, withSearchAttributes: true, tuning: TEST_TUNING });
    const stored = { ...config.stored, storedConfig: { ...configAsWrittenFor(fixture), sync: { maxConcurentPartitions: 3 } }, tuning: TEST_TUNING };
    await client.schedule.create({ ...options, action: { ...options.action, args: [stored] } });

    const workers = await fixture.startWorkers();
    const { run, failure, history } = await workers.runUntil(
      (async () => {
        const closed = await triggerRun(scheduleId, 0);
        const handle = client.workflow.getHandle(closed.workflowId, closed.runId);
        return { run: closed, failure: await handle.result().then(() => undefined, (error: unknown) => error), history: await handle.fetchHistory() };
      })(),
    );

    expect(run.execution).toBe('FAILED');
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = failure instanceof WorkflowFailedError ? failure.cause : undefined;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'ConfigInvalid', nonRetryable: true });
    expect(cause?.message).toContain('sync.maxConcurentPartitions: unknown setting (did you mean "maxConcurrentPartitions"?)');
    expect(cause?.message).toContain(`peakon-sync schedule update ${scheduleId} --config <file>`);
    // One attempt (retrying cannot fix a file), no lock, no child, nothing written.
    const events = history.events ?? [];
    expect(events.filter((event) => event.activityTaskStartedEventAttributes)).toHaveLength(1);
    expect(events.filter((event) => event.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
    expect(fixture.sandbox.users()).toHaveLength(0);

    const overview = await describeSyncSchedule(client, scheduleId);
    expect(overview.storedConfig).toMatchObject({ form: 'as-written', tenant: fixture.config.tenant, validates: false });
    expect(overview.storedConfig?.problem).toContain('sync.maxConcurentPartitions: unknown setting (did you mean "maxConcurrentPartitions"?)');
    expect(overview.recentRuns[0]?.outcome).toMatchObject({ status: 'failed' });
    const text = formatScheduleOverview(overview);
    expect(text).toMatch(/validates: +NO, with this version: runs fail until it is fixed/);
    expect(text).toMatch(/failed: the stored config .* is invalid: sync\.maxConcurentPartitions: unknown setting/);
  }, 120_000);

  it('keeps a schedule made by an earlier version running, and schedule update migrates it so its runs get today\'s defaults', async () => {
    const fixture = await pipelines.fixture();
    const org = generateOrg(6, 2);
    fixture.writeEmployees(org.filter((employee) => employee.manager_id === ''));
    const { client, taskQueue } = pipelines.temporal;
    const scheduleId = scheduleIdFor(fixture);
    const { tenant } = fixture.config;
    // What the previous version stored: a parsed copy of the config, made before maxConcurrentPartitions existed.
    const { tenant: _tenant, peakon, source, matching, mapping, sync } = fixture.config;
    const { maxConcurrentPartitions: _unknownThen, ...olderSync } = sync;
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: 3_600_000 }] },
      action: { type: 'startWorkflow', workflowType: 'syncTenantWorkflow', taskQueue, workflowId: scheduledSyncWorkflowIdPrefix(tenant), args: [{ config: { tenant, peakon, source, matching, mapping, sync: olderSync }, tuning: TEST_TUNING }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 600_000 },
      memo: { tenant, timing: 'every 1h' },
      state: { paused: true },
    });
    const before = await describeSyncSchedule(client, scheduleId);
    expect(before).toMatchObject({ timing: 'every 1h', storedConfig: { form: 'parsed-copy', tenant, validates: true } });
    expect(formatScheduleOverview(before)).toContain(`store it as written: peakon-sync schedule update ${scheduleId}`);

    const workers = await fixture.startWorkers();
    const { legacyRun, update, migratedRun, partitions } = await workers.runUntil(
      (async () => {
        const first = await triggerRun(scheduleId, 0);
        const updated = await updateSyncSchedule(client, { namespace: TEST_NAMESPACE, scheduleId });
        fixture.writeEmployees(org);
        const second = await triggerRun(scheduleId, 1);
        return { legacyRun: first, update: updated, migratedRun: second, partitions: await createPartitionsPerWave(second.workflowId, 2) };
      })(),
    );

    expect(legacyRun).toMatchObject({ execution: 'COMPLETED', outcome: { status: 'completed', counts: { created: 1 } } });
    // Every setting the copy lacks shows with the default it gets now (other settings added since included).
    expect(update.changes[0]).toMatch(/^config: now stored as written \(was a parsed copy made by an earlier version\)/);
    expect(update.changes).toContain('config: sync.maxConcurrentPartitions: (not set) → 2');
    expect(formatScheduleUpdate(update)).toMatch(new RegExp(`^updated schedule ${scheduleId} \\(tenant ${tenant}\\):\\n {2}config: now stored as written`));
    const after = await client.schedule.getHandle(scheduleId).describe();
    expect(after.action.workflowType).toBe('scheduledSyncWorkflow');
    // Its runs' IDs now name the schedule (the earlier version's were the same for every schedule of the tenant).
    expect(update.changes).toContain(`run IDs: peakon-sync/${tenant}/scheduled-<time> → peakon-sync/${tenant}/scheduled-${scheduleId}-<time> (unique per schedule: another schedule of the tenant due at the same time no longer makes the same ID)`);
    expect(after.action.workflowId).toBe(`peakon-sync/${tenant}/scheduled-${scheduleId}`);
    expect(legacyRun.workflowId.startsWith(`peakon-sync/${tenant}/scheduled-${scheduleId}-`)).toBe(false);
    expect(migratedRun.workflowId.startsWith(`peakon-sync/${tenant}/scheduled-${scheduleId}-`)).toBe(true);
    expect(after.action.args?.[0]).toMatchObject({ tuning: TEST_TUNING });
    expect(after.state.paused).toBe(true);
    // The manager is there already: the five reports are the one create wave, in two partitions (the default), not one.
    expect(migratedRun).toMatchObject({ execution: 'COMPLETED', outcome: { status: 'completed', counts: { created: 5, unchanged: 1 } } });
    expect(partitions).toEqual([2, 0]);
  }, 120_000);
});
