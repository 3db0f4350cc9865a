import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateEncryptionKey } from '../../codec/keys';
import { BUILT_CLI } from '../harness/cli';
import { devServerAddress, TEST_NAMESPACE } from '../harness/temporal';

interface WorkerStart {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** It printed `worker polling` (and was then stopped by the test). */
  polled: boolean;
}

/**
 * Starts `peakon-sync worker` against the test dev server, on a task queue of its own, and waits until it exits or says
 * it is polling; then it is stopped (SIGTERM, no drain) and its output returned.
 */
async function startWorker(env: NodeJS.ProcessEnv, cwd?: string): Promise<WorkerStart> {
  // An undefined value leaves the variable out of the child's environment.
  const child = spawn(process.execPath, [BUILT_CLI, 'worker'], {
    ...(cwd ? { cwd } : {}),
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: devServerAddress(),
      TEMPORAL_NAMESPACE: TEST_NAMESPACE,
      PEAKON_SYNC_TASK_QUEUE: `startup-checks-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      PEAKON_SYNC_SHUTDOWN_GRACE_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let polled = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    if (!polled && stdout.includes('"worker polling"')) {
      polled = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  clearTimeout(timer);
  return { stdout, stderr, exitCode, polled };
}

/** The JSON lines a worker wrote on stdout. */
const lines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level?: string; message?: string; ledgerFolder?: string; secret?: string; file?: string; mode?: string });

const temporaryFolder = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

describe('peakon-sync worker start-up checks', () => {
  beforeAll(() => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  describe('a report folder it cannot write', () => {
    it('stops the worker with one line naming the folder and the error, before it polls', async () => {
      // Root writes anywhere a mode forbids: a folder under a plain file cannot be made by anyone.
      const stateDirectory = temporaryFolder('worker-reports-');
      const file = path.join(stateDirectory, 'not-a-folder');
      writeFileSync(file, '');
      const reportDirectory = path.join(file, 'reports');
      // The payload store is fine (a folder of its own): only the report folder is wrong.
      const result = await startWorker({ PEAKON_SYNC_STATE_DIR: stateDirectory, PEAKON_SYNC_PAYLOAD_STORE: '', PEAKON_SYNC_REPORT_DIR: reportDirectory });
      expect(result.polled).toBe(false);
      expect(result.stdout).not.toContain('worker polling');
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`cannot write run reports to ${reportDirectory} (PEAKON_SYNC_REPORT_DIR; unset: reports/ under PEAKON_SYNC_STATE_DIR): creating, renaming and deleting a probe file there failed: ENOTDIR`);
      // One line: what the orchestrator shows as the reason the worker stopped.
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }, 90_000);

    it('leaves a writable report folder as it was, and polls', async () => {
      const stateDirectory = temporaryFolder('worker-reports-');
      const result = await startWorker({ PEAKON_SYNC_STATE_DIR: stateDirectory, PEAKON_SYNC_PAYLOAD_STORE: '', PEAKON_SYNC_REPORT_DIR: undefined });
      expect(result.stderr).not.toContain('cannot write run reports');
      expect(result.polled).toBe(true);
      // The probe is gone: the folder (if the check made it) is empty, as the report step would have found it.
      const reportDirectory = path.join(stateDirectory, 'reports');
      expect(existsSync(reportDirectory) ? readdirSync(reportDirectory) : []).toEqual([]);
    }, 90_000);
  });

  describe('a local payload store without an ownership ledger', () => {
    const warning = (start: WorkerStart) => lines(start.stdout).filter((line) => line.message?.startsWith('no ownership ledger in '));

    it('is a warning at start-up when the (absolute) state folder holds no ledger, e.g. a container without its volume', async () => {
      const stateDirectory = temporaryFolder('worker-ledger-');
      const ledgerFolder = path.join(stateDirectory, 'payloads', 'ledger');
      const result = await startWorker({ PEAKON_SYNC_STATE_DIR: stateDirectory, PEAKON_SYNC_PAYLOAD_STORE: '', PEAKON_SYNC_REPORT_DIR: undefined });
      expect(result.polled).toBe(true);
      expect(warning(result)).toEqual([
        expect.objectContaining({
          level: 'warn',
          ledgerFolder,
          message: `no ownership ledger in ${ledgerFolder}: if this worker's tenants have synced before, the state folder (PEAKON_SYNC_STATE_DIR) is not the one they used (a container without its volume?), and the next run will not switch off people who left before it: stop this worker and give it that folder (nothing to do on a first install)`,
        }),
      ]);
      // Only a warning: a fresh install is normal.
      expect(result.stderr).toBe('');
    }, 90_000);

    it('names PEAKON_SYNC_PAYLOAD_STORE when that is the folder without a ledger', async () => {
      const store = temporaryFolder('worker-ledger-store-');
      const result = await startWorker({ PEAKON_SYNC_STATE_DIR: temporaryFolder('worker-ledger-'), PEAKON_SYNC_PAYLOAD_STORE: `local:${store}`, PEAKON_SYNC_REPORT_DIR: undefined });
      expect(warning(result)).toEqual([
        expect.objectContaining({ level: 'warn', message: expect.stringContaining(`no ownership ledger in ${path.join(store, 'ledger')}: if this worker's tenants have synced before, the payload store (PEAKON_SYNC_PAYLOAD_STORE) is not the folder they used`) }),
      ]);
    }, 90_000);

    it('is not said when a tenant\'s ledger is there', async () => {
      const stateDirectory = temporaryFolder('worker-ledger-');
      const ledgerFolder = path.join(stateDirectory, 'payloads', 'ledger');
      mkdirSync(ledgerFolder, { recursive: true, mode: 0o700 });
      writeFileSync(path.join(ledgerFolder, 'acme.ledger'), 'not read at start-up', { mode: 0o600 });
      const result = await startWorker({ PEAKON_SYNC_STATE_DIR: stateDirectory, PEAKON_SYNC_PAYLOAD_STORE: '', PEAKON_SYNC_REPORT_DIR: undefined });
      expect(result.polled).toBe(true);
      expect(warning(result)).toEqual([]);
      expect(result.stdout).not.toContain('no ownership ledger');
    }, 90_000);

    it('is said once on a new default state folder: the state folder\'s own line already warns', async () => {
      const workingDirectory = temporaryFolder('worker-ledger-cwd-');
      const result = await startWorker({ PEAKON_SYNC_STATE_DIR: undefined, PEAKON_SYNC_PAYLOAD_STORE: '', PEAKON_SYNC_REPORT_DIR: undefined }, workingDirectory);
      expect(result.polled).toBe(true);
      const warnings = lines(result.stdout).filter((line) => line.level === 'warn' && /ownership ledger/.test(line.message ?? ''));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.message).toContain('it did not exist before this start, so the ownership ledger');
    }, 90_000);
  });

  describe('a key file other users can read', () => {
    it('is warned about in one of the worker\'s JSON lines on stdout (a log shipper parses it), not as plain text on stderr', async () => {
      const folder = temporaryFolder('worker-key-mode-');
      const key = generateEncryptionKey();
      const keyFile = path.join(folder, 'peakon-sync.key');
      writeFileSync(keyFile, `${key}\n`);
      chmodSync(keyFile, 0o644);
      const result = await startWorker({ PEAKON_SYNC_STATE_DIR: folder, PEAKON_SYNC_PAYLOAD_STORE: '', PEAKON_SYNC_REPORT_DIR: undefined, PEAKON_SYNC_ENCRYPTION_KEY: undefined, PEAKON_SYNC_ENCRYPTION_KEY_FILE: keyFile });
      expect(result.polled).toBe(true);
      const warnings = lines(result.stdout).filter((line) => line.secret === 'PEAKON_SYNC_ENCRYPTION_KEY_FILE');
      expect(warnings).toEqual([
        expect.objectContaining({ level: 'warn', file: keyFile, mode: '0644', message: expect.stringContaining(`PEAKON_SYNC_ENCRYPTION_KEY_FILE: ${keyFile} has mode 0644, open to other users of the host`) }),
      ]);
      expect(result.stderr).toBe('');
      expect(result.stdout).not.toContain(key);
    }, 90_000);
  });
});
