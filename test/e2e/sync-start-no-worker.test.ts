/**
 * `sync` without --wait on a task queue no worker polls (a typo in PEAKON_SYNC_TASK_QUEUE on a cron host) says so on
 * stderr after `started …`, and still exits 0: the run is started and waits for a worker. With a worker polling, it
 * says nothing more. The built CLI against the real Temporal dev server.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hasWorkflowPollers } from '../../client/temporal-client';
import { generateOrg } from '../fixtures/org';
import { BUILT_CLI, runBuiltCli } from '../harness/cli';
import { usePipelineTests } from '../harness/pipeline';
import { devServerAddress, TEST_NAMESPACE } from '../harness/temporal';
import { eventually } from '../harness/wait';

describe('sync without --wait and the workers of its task queue', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  async function configFile(): Promise<string> {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(2, 2));
    const file = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(file, JSON.stringify(fixture.config));
    return file;
  }
  const envFor = (taskQueue: string): NodeJS.ProcessEnv => ({ TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: TEST_NAMESPACE, PEAKON_SYNC_TASK_QUEUE: taskQueue });
  const runIdOf = (stdout: string): string | undefined => /^started (\S+) on task queue/m.exec(stdout)?.[1];

  it('says no worker polls the queue, and exits 0 with the run started', async () => {
    const taskQueue = `${pipeline.temporal.taskQueue}-typo`;
    const result = await runBuiltCli(['sync', '--config', await configFile()], envFor(taskQueue), { timeoutMs: 30_000 });
    const runId = runIdOf(result.stdout);
    try {
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(`started ${runId} on task queue ${taskQueue}\n`);
      expect(result.stderr).toBe(`no worker is polling task queue "${taskQueue}" on ${devServerAddress()} (namespace ${TEST_NAMESPACE}): start one with \`peakon-sync worker\`\n`);
      expect((await pipeline.temporal.client.workflow.getHandle(runId ?? '').describe()).status.name).toBe('RUNNING');
    } finally {
      if (runId) await pipeline.temporal.client.workflow.getHandle(runId).terminate('test over').catch(() => undefined);
    }
  }, 60_000);

  it('says nothing more when a worker polls the queue', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(2, 2));
    const file = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(file, JSON.stringify(fixture.config));
    const workers = await fixture.startWorkers();
    const queue = pipeline.temporal.taskQueue;
    const result = await workers.runUntil(
      (async () => {
        // The server lists the worker once it has polled: only then is "nothing more" the answer to test.
        await eventually('the worker listed as polling', async () => ((await hasWorkflowPollers({ client: pipeline.temporal.client, namespace: TEST_NAMESPACE }, queue)) ? true : undefined), 20_000);
        return runBuiltCli(['sync', '--config', file], envFor(queue), { timeoutMs: 30_000 });
      })(),
    );
    const runId = runIdOf(result.stdout);
    if (runId) await pipeline.temporal.client.workflow.getHandle(runId).terminate('test over').catch(() => undefined);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`started ${runId} on task queue ${queue}\n`);
    expect(result.stderr).toBe('');
  }, 60_000);
});
