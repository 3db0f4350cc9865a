/**
 * `status` of a running run and `approve` wait for a worker (a query, an update), and meanwhile check every few
 * seconds whether one polls (warnWhileWaiting: a DescribeTaskQueue, retried by the SDK while Temporal is away). When
 * they lose Temporal while waiting, they end with their own one-line error (exit 1), not a crash ("Channel has been
 * shut down", thrown by the SDK's retry timer of that check once the connection was closed), as `sync --wait` does.
 *
 * Simulated: the network between the CLI and Temporal. The built CLI reaches the real dev server through a TCP relay in
 * this test, which is shut (listener closed, connections cut) once the command says no worker polls; the server and
 * the run are untouched. Nobody polls the run's task queue, so the run stays running throughout.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BUILT_CLI } from '../harness/cli';
import { connectToDevServer, devServerAddress, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { startRelay } from '../harness/tcp-relay';
import { eventually } from '../harness/wait';

describe('status and approve when Temporal stops answering while they wait for a worker', () => {
  let temporal: TemporalTestContext;
  beforeAll(async () => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    await temporal.close();
  });

  it('each ends with its own one-line error and exit 1, no crash from the no-worker check; the run goes on', async () => {
    const taskQueue = `${temporal.taskQueue}-nobody`;
    const run = await temporal.client.workflow.start('syncTenantWorkflow', { taskQueue, workflowId: `peakon-sync/lost-${Date.now().toString(36)}/run`, args: [] });
    const children: ReturnType<typeof spawn>[] = [];
    const relays: Awaited<ReturnType<typeof startRelay>>[] = [];
    /** The built CLI through its own relay; resolves once it says no worker polls, with how to cut it and its exit. */
    const waiting = async (args: string[]) => {
      const relay = await startRelay(devServerAddress());
      relays.push(relay);
      const child = spawn(process.execPath, [BUILT_CLI, ...args], { env: { ...process.env, TEMPORAL_ADDRESS: relay.address, TEMPORAL_NAMESPACE: TEST_NAMESPACE, PEAKON_SYNC_TASK_QUEUE: taskQueue } });
      children.push(child);
      const output = { stdout: '', stderr: '' };
      child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await eventually(`\`${args.join(' ')}\` to say no worker polls (so far: ${JSON.stringify(output)})`, async () => {
        if (child.exitCode !== null) throw new Error(`\`${args.join(' ')}\` exited ${child.exitCode} first: ${JSON.stringify(output)}`);
        return output.stderr.includes(`no worker is polling task queue "${taskQueue}"`) || undefined;
      }, 20_000);
      return { relay, output, exited };
    };
    try {
      const [status, approve] = await Promise.all([waiting(['status', run.workflowId]), waiting(['approve', run.workflowId])]);
      // Cut while both still wait: the run's query or update, and the no-worker check between them, start retrying.
      await Promise.all([status.relay.cut(), approve.relay.cut()]);
      const [statusCode, approveCode] = await Promise.all([status.exited, approve.exited]);

      for (const { output } of [status, approve]) {
        // No crash after the message (a retry timer the SDK leaves running would throw once the connection is closed).
        expect(output.stderr).not.toContain('Channel has been shut down');
        expect(output.stderr).not.toMatch(/^\s+at /m);
      }
      expect(statusCode).toBe(1);
      // Temporal, not a worker, is what stopped answering: said so, with where the run is (it goes on).
      expect(status.output.stderr.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^lost Temporal while reading the progress of ${run.workflowId} \\(.*14 UNAVAILABLE.*\\); ${run.workflowId} continues on the server: ask again with peakon-sync status '${run.workflowId}'$`));
      expect(approveCode).toBe(1);
      expect(approve.output.stderr.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^cannot approve ${run.workflowId}: .*14 UNAVAILABLE`));
      // The run goes on: the server still runs it.
      expect((await run.describe()).status.name).toBe('RUNNING');
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
      for (const relay of relays) await relay.cut().catch(() => undefined);
      await run.terminate('test over').catch(() => undefined);
    }
  }, 60_000);
});
