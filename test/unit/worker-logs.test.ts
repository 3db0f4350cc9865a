import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runBuiltCli } from '../harness/cli';
import { connectToDevServer, devServerAddress, type TemporalTestContext } from '../harness/temporal';
import { freePort } from '../../devserver/ports';

const CLI = path.resolve(__dirname, '../../dist/client/cli.js');

/** Lines that are not one JSON object each. */
function nonJsonLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return typeof parsed !== 'object' || parsed === null || Array.isArray(parsed);
      } catch {
        return true;
      }
    });
}

/** A port free right now, for the metrics endpoint. */

async function until(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * A worker that cannot start exits 1 with one line, so its orchestrator restarts it and shows why: a payload store it
 * cannot write stops it before it polls a single task; a bad Temporal TLS file used to leave the process idle forever.
 */
describe('peakon-sync worker that cannot start', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('exits 1 naming the store and the variable, without reaching Temporal', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'worker-store-')), 'state-is-a-file');
    writeFileSync(file, '');
    // Temporal unreachable too: a worker that skipped the check would fail on the connection instead, with another message.
    const result = await runBuiltCli(['worker'], { TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_STATE_DIR: file, PEAKON_SYNC_PAYLOAD_STORE: '' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`cannot use the payload store at ${path.join(file, 'payloads', 'ledger')} (PEAKON_SYNC_PAYLOAD_STORE; unset: a folder under PEAKON_SYNC_STATE_DIR): its start-up check (a probe written, read and deleted; on S3 also a missing key read and one key listed) failed: ENOTDIR`);
    expect(result.stderr).not.toContain('cannot reach Temporal');
    expect(result.stdout).not.toContain('worker polling');
    // One line: what the orchestrator shows as the reason the worker stopped.
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }, 30_000);

  it('exits 1 naming a Temporal TLS file that cannot be read', async () => {
    const stateDirectory = mkdtempSync(path.join(tmpdir(), 'worker-tls-'));
    const missing = path.join(stateDirectory, 'missing-client.pem');
    const result = await runBuiltCli(['worker'], { TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_STATE_DIR: stateDirectory, PEAKON_SYNC_PAYLOAD_STORE: '', TEMPORAL_TLS_CLIENT_CERT_PATH: missing, TEMPORAL_TLS_CLIENT_KEY_PATH: missing });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(missing);
    // The variable to fix, not only the file system's message.
    expect(result.stderr).toContain('TEMPORAL_TLS_CLIENT_CERT_PATH: the Temporal TLS file it names cannot be read');
    expect(result.stdout).not.toContain('worker polling');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }, 30_000);
});

/** README: "the worker writes one JSON object per line". The SDK core's own warnings used to be plain text. */
describe('peakon-sync worker output', () => {
  let temporal: TemporalTestContext;
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    await temporal.close();
  });

  // Both ways the worker installs its runtime: plain, and with the Prometheus endpoint.
  it.each([
    ['without metrics', async () => ({})],
    ['with metrics', async () => ({ PEAKON_SYNC_METRICS_ADDRESS: `127.0.0.1:${await freePort()}` })],
  ])('is one JSON object per line on stdout and stderr, the SDK core warnings included (%s)', async (mode, extraEnv) => {
    const taskQueue = `${temporal.taskQueue}-logs-${mode.replace(/ /g, '-')}`;
    const stateDirectory = mkdtempSync(path.join(tmpdir(), 'worker-logs-'));
    const child = spawn(process.execPath, [CLI, 'worker'], {
      env: { ...process.env, TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: taskQueue, PEAKON_SYNC_STATE_DIR: stateDirectory, PEAKON_SYNC_PAYLOAD_STORE: '', ...(await extraEnv()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await until('the worker to poll', () => stdout.includes('worker polling') || child.exitCode !== null);
      // The start-up line names the payload store the worker checked (written, read, deleted) and how ledger writes are kept apart.
      const polling = stdout.split('\n').find((line) => line.includes('"worker polling"'));
      expect(JSON.parse(polling ?? '{}')).toMatchObject({ level: 'info', payloadStore: path.join(stateDirectory, 'payloads', 'ledger'), ledgerWrites: 'lock file' });
      // A workflow type the worker does not know: its task fails, and the SDK core warns about it.
      const handle = await temporal.client.workflow.start('noSuchWorkflowType', { taskQueue, workflowId: `logs-${taskQueue}`, args: [] });
      try {
        await until('the core warning about the failed workflow task', () => /Failing workflow task/.test(stdout + stderr));
      } finally {
        await handle.terminate('test cleanup');
      }
      child.kill('SIGTERM');
      await exited;
      expect({ stdout: nonJsonLines(stdout), stderr: nonJsonLines(stderr) }).toEqual({ stdout: [], stderr: [] });
      // The core's line arrived through the connector's logger, with its level.
      const coreLine = (stdout + stderr).split('\n').find((line) => line.includes('Failing workflow task'));
      expect(JSON.parse(coreLine ?? '{}')).toMatchObject({ level: 'warn', message: expect.stringContaining('Failing workflow task') });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
});
