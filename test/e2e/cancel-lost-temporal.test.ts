/**
 * `cancel` that loses the Temporal frontend while it waits for the run to stop says so, that the cancel was requested
 * and stays in effect, and how to follow the run; it does not crash afterwards ("Channel has been shut down" from the
 * SDK's retry timer of the no-worker check, had the connection been closed under it).
 *
 * Simulated: the network between the CLI and Temporal. The built CLI reaches the real dev server through a TCP relay in
 * this test, which is shut (listener closed, connections cut) once the cancel is requested and the CLI is waiting; the
 * server and the run are untouched. Nobody polls the run's task queue, so the run stays running throughout.
 */
import { existsSync } from 'node:fs';
import { BUILT_CLI, spawnBuiltCli } from '../harness/cli';
import { usePipelineTests } from '../harness/pipeline';
import { devServerAddress, TEST_NAMESPACE } from '../harness/temporal';
import { startRelay } from '../harness/tcp-relay';
import { eventually } from '../harness/wait';

describe('cancel when Temporal stops answering while it waits for the run to stop', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('says the cancel stays in effect and how to follow the run, exits 1, and does not crash after', async () => {
    const fixture = await pipeline.fixture();
    const taskQueue = `${pipeline.temporal.taskQueue}-nobody`;
    const run = await pipeline.temporal.client.workflow.start('syncTenantWorkflow', { taskQueue, workflowId: `peakon-sync/${fixture.config.tenant}/cancel-lost`, args: [] });
    const relay = await startRelay(devServerAddress());
    const cancel = spawnBuiltCli(['cancel', run.workflowId], { TEMPORAL_ADDRESS: relay.address, TEMPORAL_NAMESPACE: TEST_NAMESPACE });
    try {
      // Waiting, with the no-worker check going (its DescribeTaskQueue calls are what would be cut mid-retry).
      await eventually(`the no-worker hint (so far: ${JSON.stringify({ stdout: cancel.stdout(), stderr: cancel.stderr() })})`, async () => (cancel.stderr().includes(`no worker is polling task queue "${taskQueue}"`) ? true : cancel.child.exitCode !== null ? false : undefined), 20_000);
      expect(cancel.stdout()).toContain(`cancel requested; waiting for ${run.workflowId} to stop`);
      await relay.cut();
      expect(await cancel.exited).toBe(1);
      const stderr = cancel.stderr();
      expect(stderr).toMatch(new RegExp(`^lost Temporal while waiting for ${run.workflowId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} to stop \\(Failed to get Workflow execution history: 14 UNAVAILABLE: .*\\); the cancel was requested and stays in effect: follow the run with peakon-sync status '`, 'm'));
      expect(stderr).not.toContain('Channel has been shut down');
      expect(stderr.trimEnd().split('\n').at(-1)).toMatch(/^lost Temporal while waiting for /);
      // The run goes on on the server (nobody polls its queue, so the requested cancel has not stopped it yet).
      expect((await run.describe()).status.name).toBe('RUNNING');
    } finally {
      await cancel.kill();
      await relay.cut().catch(() => undefined);
      await run.terminate('test over').catch(() => undefined);
    }
  }, 90_000);
});
