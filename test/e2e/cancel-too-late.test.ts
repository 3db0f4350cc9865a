/**
 * `peakon-sync cancel` of a run that is still running at the request but has already done its work: the cancel comes
 * while the run writes its report, which a cancel does not stop, so the run ends completed. The command says the cancel
 * came too late (nothing was cancelled) and exits with the run's code. Built CLI, real dev server and sandbox.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { BUILT_CLI, runBuiltCli as cli } from '../harness/cli';
import { TEST_TUNING, usePipelineTests } from '../harness/pipeline';
import { devServerAddress } from '../harness/temporal';
import { eventually } from '../harness/wait';

describe('peakon-sync cancel of a run that finishes before the cancel takes effect', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  const env = (): NodeJS.ProcessEnv => ({ TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue });

  it('says the run ended completed before the cancel took effect, prints its report and exits with its code', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(4, 2));
    // A file where the tenant's report folder goes: the run writes everyone, then retries its report until it is removed.
    const reportFolder = path.join(fixture.stateDirectory, fixture.config.tenant);
    writeFileSync(reportFolder, 'not a folder: the report waits');
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        // Retries far enough apart (about 2 minutes in all) to hold the report step while the CLI starts (slow on a busy
        // machine) and requests the cancel; the folder is freed as soon as the request is in the history.
        const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, scimRetry: { initialIntervalMs: 500, maximumIntervalMs: 3_000, maximumAttempts: 40 } } });
        await eventually('the report step retrying', async () => {
          const pending = (await handle.describe()).raw.pendingActivities ?? [];
          return pending.some((activity) => activity.activityType?.name === 'writeRunReport' && (activity.attempt ?? 0) >= 2) || undefined;
        }, 60_000, 50);
        // The run is running: the command requests the cancel and waits for the run's end.
        const cancelling = cli(['cancel', handle.workflowId], env());
        await eventually('the cancel request in the run history', async () => ((await handle.fetchHistory()).events ?? []).some((event) => event.workflowExecutionCancelRequestedEventAttributes) || undefined, 100_000, 200);
        rmSync(reportFolder);
        const cancelled = await cancelling;
        const report: SyncReport = await handle.result();
        expect(report.status).toBe('completed');
        expect(cancelled.stdout).toContain(`cancel requested; waiting for ${handle.workflowId} to stop`);
        expect(cancelled.stdout).toContain(`${handle.workflowId} ended completed before the cancel took effect: nothing was cancelled\nSync ${handle.workflowId} — completed`);
        expect(cancelled.stdout).not.toContain('had already ended');
        expect(cancelled.exitCode).toBe(0);
      })(),
    );
  }, 240_000);
});
