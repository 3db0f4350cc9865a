/**
 * Commands that wait for a run never wait without a word: `cancel` says it waits for the run to stop, and `cancel` and
 * `approve` say when no worker polls the run's task queue; Ctrl-C during `sync --wait` says the run continues and how
 * to stop it, and exits 130. The built CLI against the real Temporal dev server, with nobody polling the task queue.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateOrg } from '../fixtures/org';
import { BUILT_CLI as CLI } from '../harness/cli';
import { usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { devServerAddress } from '../harness/temporal';
import { eventually } from '../harness/wait';

describe('peakon-sync commands that wait for a run', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  /** A task queue no worker polls: runs started on it wait forever. */
  const nobodyQueue = (): string => `${pipeline.temporal.taskQueue}-nobody-${Date.now().toString(36)}`;
  const envFor = (taskQueue: string): NodeJS.ProcessEnv => ({ TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: taskQueue });
  const noWorkerHint = (taskQueue: string): string => `no worker is polling task queue "${taskQueue}" on ${devServerAddress()} (namespace default): start one with \`peakon-sync worker\``;

  /** The built CLI in a child process; `printed` waits (bounded) for text on its stdout or stderr, while it still runs. */
  function startCli(args: string[], taskQueue: string) {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...envFor(taskQueue) } });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const printed = (text: string, timeoutMs = 10_000) =>
      eventually(`${JSON.stringify(text)} from \`peakon-sync ${args.join(' ')}\` (so far: ${JSON.stringify(output)})`, async () => {
        if (output.stdout.includes(text) || output.stderr.includes(text)) return true;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`peakon-sync ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${JSON.stringify(text)}: ${JSON.stringify(output)}`);
        return undefined;
      }, timeoutMs);
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      return exited;
    };
    return { child, output, exited, printed, stop };
  }

  function configFile(fixture: PipelineFixture): string {
    const file = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(file, JSON.stringify(fixture.config));
    return file;
  }

  it('cancel says it waits for the run to stop, and that no worker polls; approve says no worker polls', async () => {
    const fixture = await pipeline.fixture();
    const taskQueue = nobodyQueue();
    const { client } = pipeline.temporal;
    const toCancel = await client.workflow.start('syncTenantWorkflow', { taskQueue, workflowId: `peakon-sync/${fixture.config.tenant}/cancel-me`, args: [] });
    const toApprove = await client.workflow.start('syncTenantWorkflow', { taskQueue, workflowId: `peakon-sync/${fixture.config.tenant}-2/approve-me`, args: [] });
    try {
      const cancel = startCli(['cancel', toCancel.workflowId], taskQueue);
      try {
        await cancel.printed(`cancel requested; waiting for ${toCancel.workflowId} to stop (Ctrl-C leaves the cancel in effect)`);
        await cancel.printed(noWorkerHint(taskQueue));
        expect(cancel.output.stdout).toContain('cancel requested;');
        expect(cancel.output.stderr).toContain(noWorkerHint(taskQueue));
      } finally {
        await cancel.stop();
      }

      const approve = startCli(['approve', toApprove.workflowId], taskQueue);
      try {
        await approve.printed(noWorkerHint(taskQueue));
        // Still waiting for a worker to take the answer.
        expect(approve.child.exitCode).toBeNull();
      } finally {
        await approve.stop();
      }
    } finally {
      for (const handle of [toCancel, toApprove]) await handle.terminate('test cleanup').catch(() => undefined);
    }
  });

  it('Ctrl-C during sync --wait says the run continues and how to cancel it, exits 130, and leaves the run running', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(2, 2));
    const taskQueue = nobodyQueue();
    const sync = startCli(['sync', '--config', configFile(fixture), '--wait'], taskQueue);
    let runId: string | undefined;
    try {
      await sync.printed('started ');
      runId = /started (\S+) on task queue/.exec(sync.output.stdout)?.[1];
      expect(runId).toBeDefined();
      // Waiting: the no-worker hint is out.
      await sync.printed(noWorkerHint(taskQueue));
      sync.child.kill('SIGINT');
      expect(await sync.exited).toEqual({ code: 130, signal: null });
      expect(sync.output.stderr).toContain(`detached: ${runId} continues; stop it with peakon-sync cancel '${runId}'\n`);
      expect((await pipeline.temporal.client.workflow.getHandle(runId ?? '').describe()).status.name).toBe('RUNNING');
    } finally {
      await sync.stop();
      if (runId) await pipeline.temporal.client.workflow.getHandle(runId).terminate('test cleanup').catch(() => undefined);
    }
  });
});
