/**
 * `sync --wait` that loses the Temporal frontend for longer than the SDK retries does not say the run failed: the run
 * goes on on the server (it needs no CLI), so the CLI says so and how to follow it.
 *
 * Simulated: the network between the CLI and Temporal. The built CLI reaches the real dev server through a TCP relay in
 * this test, which is shut (listener closed, connections cut) once the run has started; the server and the run are
 * untouched. Nobody polls the run's task queue, so the run stays running throughout.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILT_CLI } from '../harness/cli';
import { usePipelineTests } from '../harness/pipeline';
import { devServerAddress, TEST_NAMESPACE } from '../harness/temporal';
import { startRelay } from '../harness/tcp-relay';
import { eventually } from '../harness/wait';

describe('sync --wait when Temporal stops answering while it waits', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('says the run was not seen to fail, continues on the server, and how to follow it; the run does go on', async () => {
    const fixture = await pipeline.fixture();
    const configPath = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(configPath, JSON.stringify(fixture.config));
    const relay = await startRelay(devServerAddress());
    const taskQueue = `${pipeline.temporal.taskQueue}-nobody`;
    const child = spawn(process.execPath, [BUILT_CLI, 'sync', '--config', configPath, '--wait', '--quiet'], {
      env: { ...process.env, TEMPORAL_ADDRESS: relay.address, TEMPORAL_NAMESPACE: TEST_NAMESPACE, PEAKON_SYNC_TASK_QUEUE: taskQueue },
    });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let runId: string | undefined;
    try {
      runId = await eventually(`the run started (so far: ${JSON.stringify(output)})`, async () => /^started (\S+) on task queue/m.exec(output.stdout)?.[1]);
      await relay.cut();
      const code = await exited;
      expect(code).toBe(1);
      expect(output.stderr).toContain(`lost Temporal while waiting for sync ${runId} (Failed to get Workflow execution history: 14 UNAVAILABLE: `);
      expect(output.stderr).toContain(`the run was not seen to fail: ${runId} continues on the server; follow it with peakon-sync status '${runId}'\n`);
      expect(output.stderr).not.toMatch(/^Failed to get Workflow execution history\n/m);
      // No crash after the message (a retry timer the SDK leaves running would throw once the connection is closed).
      expect(output.stderr).not.toContain('Channel has been shut down');
      expect(output.stderr.trimEnd().split('\n').at(-1)).toMatch(/^lost Temporal while waiting for sync /);
      // It does continue: the server still runs it.
      expect((await pipeline.temporal.client.workflow.getHandle(runId).describe()).status.name).toBe('RUNNING');
    } finally {
      if (child.exitCode === null) child.kill();
      await relay.cut().catch(() => undefined);
      if (runId) await pipeline.temporal.client.workflow.getHandle(runId).terminate('test over').catch(() => undefined);
    }
  }, 120_000);
});
