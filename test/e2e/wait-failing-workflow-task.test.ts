/**
 * Commands that wait for a run say so when a worker does poll the run's task queue but the run's workflow task keeps
 * failing there, instead of waiting silently (`sync --wait -q`, `cancel`) or blaming a missing worker (`sync --wait`'s
 * progress warning). Made real: the CLI (or client) starts the run with an encryption key the workers do not have, so
 * the worker cannot decode the run's input and fails its workflow task at every attempt, and the server refuses queries
 * (FAILED_PRECONDITION). The built CLI and a worker in this process, against the real Temporal dev server.
 */
import { Client } from '@temporalio/client';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { watchProgress } from '../../client/progress';
import { generateEncryptionKey } from '../../codec/keys';
import { connectorDataConverterFromEnv } from '../../worker/environment';
import { generateOrg } from '../fixtures/org';
import { BUILT_CLI, spawnBuiltCli } from '../harness/cli';
import { TEST_TUNING, usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { devServerAddress, TEST_NAMESPACE } from '../harness/temporal';
import { eventually } from '../harness/wait';

describe('waiting for a run whose workflow task keeps failing on the worker', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  /** A key the workers (this process's environment key) do not have. */
  const otherKey = generateEncryptionKey();
  const cliEnv = (): NodeJS.ProcessEnv => ({ TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: TEST_NAMESPACE, PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue, PEAKON_SYNC_ENCRYPTION_KEY: otherKey });
  const otherKeyClient = () => new Client({ connection: pipeline.temporal.connection, namespace: TEST_NAMESPACE, dataConverter: connectorDataConverterFromEnv({ ...process.env, PEAKON_SYNC_ENCRYPTION_KEY: otherKey }) });
  const where = () => `task queue "${pipeline.temporal.taskQueue}" on ${devServerAddress()} (namespace ${TEST_NAMESPACE})`;
  const failingHint = (runId: string) => new RegExp(`^the workflow task of ${escape(runId)} keeps failing on the worker polling ${escape(where())} \\(attempt \\d+\\): the run cannot go on until it succeeds; why is in the worker's log and in the run's history \\(Web UI\\); most often the workers lack the PEAKON_SYNC_ENCRYPTION_KEY the run was started with \\(they cannot decode its input\\), or a deploy broke them; this command keeps waiting$`, 'm');

  async function fixtureWithConfig(): Promise<{ fixture: PipelineFixture; configPath: string }> {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(2, 2));
    const configPath = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(configPath, JSON.stringify(fixture.config));
    return { fixture, configPath };
  }

  /** Until the run's workflow task has failed on the worker `times` times (its pending task's attempt is past that). */
  const failedTimes = (runId: string, times = 1) =>
    eventually(`${times} failed workflow task(s) of ${runId}`, async () => ((await pipeline.temporal.client.workflowService.describeWorkflowExecution({ namespace: TEST_NAMESPACE, execution: { workflowId: runId } })).pendingWorkflowTask?.attempt ?? 0) > times || undefined, 25_000);

  it('sync --wait -q says once that the workflow task keeps failing (not that no worker polls), and keeps waiting', async () => {
    const { fixture, configPath } = await fixtureWithConfig();
    const workers = await fixture.startWorkers();
    await workers.runUntil((async () => {
      const sync = spawnBuiltCli(['sync', '--config', configPath, '--wait', '-q'], cliEnv());
      let runId: string | undefined;
      try {
        runId = await eventually(`the run started (so far: ${sync.stdout()} ${sync.stderr()})`, async () => /^started (\S+) on task queue/m.exec(sync.stdout())?.[1], 20_000);
        const id = runId;
        await eventually(`the failing-task hint (so far: ${JSON.stringify(sync.stderr())})`, async () => (failingHint(id).test(sync.stderr()) ? true : undefined), 20_000);
        expect(sync.child.exitCode).toBeNull();
        expect(sync.stderr()).not.toContain('no worker is polling');
        expect(sync.stderr().split('keeps failing').length - 1).toBe(1);
      } finally {
        await sync.kill();
        if (runId) await pipeline.temporal.client.workflow.getHandle(runId).terminate('test over').catch(() => undefined);
      }
    })());
  }, 60_000);

  it('cancel says the workflow task keeps failing while it waits for the run to stop', async () => {
    const { fixture } = await fixtureWithConfig();
    const workers = await fixture.startWorkers();
    await workers.runUntil((async () => {
      const run = await otherKeyClient().workflow.start('syncTenantWorkflow', { taskQueue: pipeline.temporal.taskQueue, workflowId: `peakon-sync/${fixture.config.tenant}/failing-task`, args: [{ config: fixture.config, tuning: TEST_TUNING }] });
      const cancel = spawnBuiltCli(['cancel', run.workflowId], cliEnv());
      try {
        await failedTimes(run.workflowId);
        await eventually(`the failing-task hint (so far: ${JSON.stringify({ stdout: cancel.stdout(), stderr: cancel.stderr() })})`, async () => (failingHint(run.workflowId).test(cancel.stderr()) ? true : undefined), 35_000);
        expect(cancel.stdout()).toContain(`cancel requested; waiting for ${run.workflowId} to stop`);
        expect(cancel.stderr()).not.toContain('no worker is polling');
        expect(cancel.child.exitCode).toBeNull();
      } finally {
        await cancel.kill();
        await run.terminate('test over').catch(() => undefined);
      }
    })());
  }, 60_000);

  it("sync --wait's progress warning says the workflow task keeps failing, with the query's reason, not that no worker polls", async () => {
    const { fixture } = await fixtureWithConfig();
    const workers = await fixture.startWorkers();
    await workers.runUntil((async () => {
      const client = otherKeyClient();
      const run = await client.workflow.start('syncTenantWorkflow', { taskQueue: pipeline.temporal.taskQueue, workflowId: `peakon-sync/${fixture.config.tenant}/failing-progress`, args: [{ config: fixture.config, tuning: TEST_TUNING }] });
      try {
        // Past the second failure the server refuses queries at once (one sent earlier waits for its 30 s deadline).
        await failedTimes(run.workflowId, 2);
        const lines: string[] = [];
        let finish: () => void = () => undefined;
        const finished = new Promise<void>((resolve) => (finish = resolve));
        const watching = watchProgress(client, run.workflowId, finished, { write: (text: string) => lines.push(text) }, 100, 1_000);
        const warning = await eventually('the progress warning', async () => lines.find((line) => line.startsWith(`progress of ${run.workflowId} could not be read for `)), 20_000);
        finish();
        await watching;
        expect(warning).toMatch(/queries in a row failed, the last: Failed to query Workflow: 9 FAILED_PRECONDITION: Unable to query workflow due to Workflow Task in failed state/);
        expect(warning).toContain(`the run's workflow task keeps failing on the worker of task queue "${pipeline.temporal.taskQueue}" (attempt `);
        expect(warning).toContain("why is in the worker's log and in the run's history (Web UI)");
        expect(warning).not.toContain('no worker polls');
        expect(warning.endsWith('; this command keeps waiting\n')).toBe(true);
      } finally {
        await run.terminate('test over').catch(() => undefined);
      }
    })());
  }, 60_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
