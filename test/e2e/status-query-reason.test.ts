/**
 * `status` of a running run reads its progress (or `--held`, its held leavers) through a query, which a worker answers.
 * When none does, Temporal gives up after its query timeout: the SDK's ServiceError says only "Failed to query
 * Workflow"; Temporal's reason (`4 DEADLINE_EXCEEDED: query timed out before a worker could process it`) is its cause,
 * and the error line must carry it. The built CLI against the real dev server, a run that no worker polls for.
 */
import { randomUUID } from 'node:crypto';
import { builtCliWithDevServer, runBuiltCli } from '../harness/cli';
import { devServerAddress, TEST_NAMESPACE } from '../harness/temporal';

describe('peakon-sync status of a running run whose query no worker answers', () => {
  const connected = builtCliWithDevServer();

  it("prints Temporal's reason after the SDK's \"Failed to query Workflow\", for the progress and for --held", async () => {
    const temporal = connected();
    // A run of the connector's run type on a task queue nobody polls: described as running, its queries time out.
    const runId = `peakon-sync/status-reason-${randomUUID().slice(0, 8)}/2026-11-28T02:00:00Z`;
    const handle = await temporal.client.workflow.start('syncTenantWorkflow', { taskQueue: temporal.taskQueue, workflowId: runId, args: [] });
    try {
      const environment = { TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: TEST_NAMESPACE };
      const [progress, held] = await Promise.all([runBuiltCli(['status', runId], environment), runBuiltCli(['status', runId, '--held'], environment)]);
      expect(progress.exitCode).toBe(1);
      expect(progress.stderr).toContain(`${runId} is running, but its progress could not be read from a worker on task queue "${temporal.taskQueue}": Failed to query Workflow: 4 DEADLINE_EXCEEDED: `);
      expect(held.exitCode).toBe(1);
      expect(held.stderr).toContain(`${runId} is running, but its held leaver writes could not be read from a worker on task queue "${temporal.taskQueue}" (\`status ${runId}\` shows the first few): Failed to query Workflow: 4 DEADLINE_EXCEEDED: `);
      // Said once: the reason the message quotes is not repeated from its cause.
      for (const printed of [progress, held]) expect(printed.stderr.match(/DEADLINE_EXCEEDED/g)).toHaveLength(1);
    } finally {
      await handle.terminate('test done');
    }
  }, 150_000);
});
