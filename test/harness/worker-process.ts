import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { devServerAddress } from './temporal';

const CLI = path.resolve(__dirname, '../../dist/client/cli.js');

export interface WorkerProcess {
  process: ChildProcess;
  /** Everything the worker wrote on stdout (JSON log lines) so far. */
  stdout(): string;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
}

/**
 * The real `peakon-sync worker` command in its own process (built `dist/`), so a test can run several, kill one like a
 * crashing host, or give each its own state folder like separate hosts. Kill them with `stopWorkerProcesses`.
 */
export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [CLI, 'worker'], {
    // The tests' Peakon is a sandbox on loopback, where no secret goes unless the operator binds it (config/secret.ts).
    env: { ...process.env, TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_SECRET_HOSTS: 'PEAKON_TOKEN=loopback', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  running.push(child);
  return { process: child, stdout: () => out, stderr: () => err };
}

const running: ChildProcess[] = [];

export async function stopWorkerProcesses(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await Promise.all(
    running.splice(0).map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    }),
  );
}
