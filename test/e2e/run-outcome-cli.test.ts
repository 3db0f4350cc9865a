/**
 * What `status` and `cancel` tell an operator about how a run ended, with the built CLI, a real Temporal dev server and
 * the sandbox over HTTP: a run that failed as a whole says why (the words `sync --wait` prints, nothing more) and the
 * counts it had published; `cancel` exits 0 once the run ends cancelled, takes any workflow ID of a run as `status`
 * does, and leaves a run that had already ended as it was, saying so, with that run's exit code.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { BUILT_CLI as CLI, runBuiltCli as cli, type CliResult } from '../harness/cli';
import { TEST_TUNING, usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { progressOf } from '../harness/progress';
import { devServerAddress } from '../harness/temporal';
import { eventually } from '../harness/wait';
import { configAsWrittenFor, writeConfigFile } from '../schedules/config-as-written';
import { scheduleConfigFromFile } from '../../client/schedules/stored-config';
import { scheduledSyncWorkflowIdPrefix } from '../../workflows/ids';
import { SYNC_STATUS_SEARCH_ATTRIBUTE, TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';

describe('peakon-sync status / cancel: how a run ended', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  const env = (): NodeJS.ProcessEnv => ({ TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue });

  function configFile(fixture: PipelineFixture): string {
    const file = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(file, JSON.stringify(fixture.config));
    return file;
  }

  /** `sync --wait` of a run that fails: its run ID and the reason it prints (`sync <run> failed: <reason>`). */
  function failedSync(result: CliResult): { runId: string; reason: string } {
    expect(result.exitCode).toBe(1);
    const said = /^sync (\S+) failed: (.+)$/m.exec(result.stderr);
    if (!said?.[1] || !said[2]) throw new Error(`sync --wait did not say why the run failed: ${result.stderr}`);
    return { runId: said[1], reason: said[2] };
  }

  it('status of a run that failed before any write says why, in the words sync --wait prints, and nothing else', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(3, 2));
    // Outside the worker's data directories: the run fails at its plan (ConfigInvalid, not retried).
    fixture.config.source = { ...fixture.config.source, path: '/etc/hosts' } as PipelineFixture['config']['source'];
    const workers = await fixture.startWorkers();
    const synced = await workers.runUntil(cli(['sync', '--config', configFile(fixture), '--wait', '--quiet'], env()));
    const { runId, reason } = failedSync(synced);
    expect(reason).toMatch(/^source\.path: \/etc\/hosts is outside the worker's data directories/);

    const status = await cli(['status', runId], env());
    expect(status.exitCode).toBe(1);
    // The reason exactly as sync --wait gave it, then the counts (numbers only): no other text of the run's.
    expect(status.stdout.trimEnd().split('\n')).toEqual([`${runId} ended failed: ${reason}`, expect.stringMatching(/^ {2}before it ended: no employee written; \d+ SCIM operations$/)]);

    const json = await cli(['status', runId, '--json'], env());
    expect(json.exitCode).toBe(1);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({ runId, status: 'failed', message: reason, counts: { created: 0, updated: 0, failed: 0 } });
    expect(Object.keys(parsed).sort()).toEqual(['counts', 'failures', 'message', 'operations', 'runId', 'status']);
  });

  it('status of a run that failed after its writes (its report could not be written) gives the reason and what it had done', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(5, 2);
    fixture.writeEmployees(employees);
    // A file where the tenant's report folder goes: the run writes everyone, then fails at its last step.
    writeFileSync(path.join(fixture.stateDirectory, fixture.config.tenant), 'not a folder');
    const workers = await fixture.startWorkers();
    // Started with the tests' quick retries (the CLI's defaults retry a report for minutes); the reason is the
    // failure's cause's message, as `sync --wait` takes it.
    const handle = await fixture.startSync();
    const failure = await workers.runUntil(handle.result().then(() => undefined, (error: unknown) => error));
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const runId = handle.workflowId;
    const reason = (failure as WorkflowFailedError).cause?.message ?? '';
    expect(reason).toMatch(/EEXIST|ENOTDIR/);

    const status = await cli(['status', runId], env());
    expect(status.exitCode).toBe(1);
    expect(status.stdout.trimEnd().split('\n')).toEqual([`${runId} ended failed: ${reason}`, expect.stringMatching(/^ {2}before it ended: created 5; \d+ SCIM operations$/)]);
    const json = JSON.parse((await cli(['status', runId, '--json'], env())).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ runId, status: 'failed', message: reason, counts: { created: 5, failed: 0 }, failures: 0 });

    // One employee's steps (written fine) under a failed run: the run's exit code all the same, as plain status gives it.
    const employee = await cli(['status', runId, '--employee', employees[0]?.work_email ?? ''], env());
    expect(employee.stdout).toContain(`${employees[0]?.work_email ?? ''} create: `);
    expect(employee.exitCode).toBe(1);
  });

  it('cancel <a partition ID> cancels its run and exits 0 once the run ends cancelled', async () => {
    // Slow writes, two at a time: the run is still writing when the cancel comes.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 200 } } });
    fixture.writeEmployees(generateOrg(20, 3));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, maxConcurrentPartitions: 1, partitionSize: 10 };
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync();
        const progress = await progressOf(handle, (now) => now.runningPartitions.length > 0);
        const partition = progress.runningPartitions[0] ?? '';
        const cancelled = await cli(['cancel', partition], env());
        expect(cancelled.stderr).not.toMatch(/TypeError/);
        expect(cancelled.stdout).toContain(`${partition} is partition `);
        expect(cancelled.stdout).toContain(`of run ${handle.workflowId}`);
        expect(cancelled.stdout).toContain(`Sync ${handle.workflowId} — cancelled`);
        expect(cancelled.exitCode).toBe(0);
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('cancelled');
        // `status` of the cancelled run still exits 1: for a scheduler, the run did not do its job.
        expect((await cli(['status', handle.workflowId], env())).exitCode).toBe(1);
        // Cancelling it again: nothing to cancel, it ended cancelled all the same.
        const again = await cli(['cancel', handle.workflowId], env());
        expect(again.stdout).toContain(`${handle.workflowId} had already ended cancelled: nothing was cancelled`);
        expect(again.exitCode).toBe(0);
      })(),
    );
  });

  it('cancel of a run that had already completed leaves it so, says so, and exits with its code', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(4, 2));
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil(fixture.startSync().then((handle) => handle.result()));
    expect(report.status).toBe('completed');
    const cancelled = await cli(['cancel', report.runId], env());
    expect(cancelled.stdout).toContain(`${report.runId} had already ended completed: nothing was cancelled`);
    expect(cancelled.stdout).toContain(`Sync ${report.runId} — completed`);
    expect(cancelled.exitCode).toBe(0);
    const json = await cli(['cancel', report.runId, '--json'], env());
    expect(JSON.parse(json.stdout)).toMatchObject({ runId: report.runId, status: 'completed', alreadyEnded: true });
    expect(json.exitCode).toBe(0);
  });

  it('cancel of a run that Temporal itself ends cancelled (no report: a scheduled run stopped before its config resolved) exits 0', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(3, 2));
    const { client, taskQueue } = pipeline.temporal;
    const config = scheduleConfigFromFile(writeConfigFile(fixture, 'acme.yaml', configAsWrittenFor(fixture)));
    const workflowId = `${scheduledSyncWorkflowIdPrefix(fixture.config.tenant)}-cancelled-early`;
    // Started as a schedule starts it: the status search attribute says running until the run records how it ended.
    const typedSearchAttributes = [{ key: TENANT_SEARCH_ATTRIBUTE, value: fixture.config.tenant }, { key: SYNC_STATUS_SEARCH_ATTRIBUTE, value: 'running' }];
    const handle = await client.workflow.start('scheduledSyncWorkflow', { taskQueue, workflowId, typedSearchAttributes, args: [{ ...config.stored, tuning: TEST_TUNING }] });
    // No worker yet: the cancel is in the history before the run's first step, which it then never takes.
    const cancelling = cli(['cancel', workflowId], env());
    await eventually('the cancel request in the run history', async () => ((await handle.fetchHistory()).events ?? []).some((event) => event.workflowExecutionCancelRequestedEventAttributes) || undefined);
    const workers = await fixture.startWorkers();
    const cancelled = await workers.runUntil(cancelling);
    const description = await handle.describe();
    expect(description.status.name).toBe('CANCELLED');
    expect(cancelled.stdout).toContain(`${workflowId} ended cancelled: `);
    expect(cancelled.exitCode).toBe(0);
    // What the UI's list and `schedule describe` show of it: cancelled, not running for good.
    expect(description.typedSearchAttributes.get(SYNC_STATUS_SEARCH_ATTRIBUTE)).toBe('cancelled');
    expect(description.memo).toMatchObject({ status: 'cancelled' });
  });

  it('cancel of a run that had already failed says so, with the reason, and exits 1', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(3, 2));
    fixture.config.source = { ...fixture.config.source, path: '/etc/hosts' } as PipelineFixture['config']['source'];
    const workers = await fixture.startWorkers();
    const { runId, reason } = failedSync(await workers.runUntil(cli(['sync', '--config', configFile(fixture), '--wait', '--quiet'], env())));
    const cancelled = await cli(['cancel', runId], env());
    expect(cancelled.stdout).toContain(`${runId} had already ended failed: nothing was cancelled\n${runId} ended failed: ${reason}`);
    expect(cancelled.exitCode).toBe(1);
  });
});
