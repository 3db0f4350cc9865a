import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { buildCli } from '../../client/cli';
import { connectToDevServer, devServerAddress, TEST_NAMESPACE, type TemporalTestContext } from './temporal';

/** The built CLI (`npm test` builds first), run as an operator runs it. */
export const BUILT_CLI = path.resolve(__dirname, '../../dist/client/cli.js');

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * For a describe block of tests of the built CLI against the dev server: fails first when the build is missing (`npm
 * test` builds), connects once before the tests and closes after. Returns the connection (available in the tests).
 */
export function builtCliWithDevServer(): () => TemporalTestContext {
  let temporal: TemporalTestContext | undefined;
  beforeAll(async () => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    await temporal?.close();
  });
  return () => {
    if (!temporal) throw new Error('not connected to the dev server yet (use it inside a test)');
    return temporal;
  };
}

/** Runs `node dist/client/cli.js …` in a child process with `env` added to this process's environment. */
export async function runBuiltCli(args: string[], env: NodeJS.ProcessEnv, options: { timeoutMs?: number } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BUILT_CLI, ...args], { env: { ...process.env, ...env }, ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}) });
    return { stdout, stderr, exitCode: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, exitCode: failed.code };
  }
}

/** A long-running built CLI command (`demo`, `worker`): its output so far, how it ended, and a clean stop. */
export interface BuiltCliProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  stdout(): string;
  stderr(): string;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Waits until stdout matches `pattern`, the process exits, or `timeoutMs` passes; true when it matched. */
  waitForStdout(pattern: RegExp | string, timeoutMs: number): Promise<boolean>;
  /** SIGKILLs it if it still runs, and waits for the end (for a `finally`). */
  kill(): Promise<void>;
}

/** Starts `node dist/client/cli.js …` in a child process with `env` added to this process's environment. */
export function spawnBuiltCli(args: string[], env: NodeJS.ProcessEnv): BuiltCliProcess {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [BUILT_CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  const matches = (pattern: RegExp | string) => (typeof pattern === 'string' ? stdout.includes(pattern) : pattern.test(stdout));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async waitForStdout(pattern, timeoutMs) {
      const started = Date.now();
      while (!matches(pattern) && running() && Date.now() - started < timeoutMs) await new Promise((resolve) => setTimeout(resolve, 100));
      return matches(pattern);
    },
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs `peakon-sync …` in this process (commander, no child) and returns what it printed on stdout. */
export async function runCliInProcess(...args: string[]): Promise<string> {
  const printed: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    await buildCli().exitOverride().parseAsync(['node', 'peakon-sync', ...args]);
  } finally {
    spy.mockRestore();
  }
  return printed.join('');
}

/** Runs `peakon-sync …` in this process as runCliInProcess does, and returns its stdout and what it wrote to stderr (warnings). */
export async function runCliInProcessWithStderr(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  try {
    return { stdout: await runCliInProcess(...args), stderr: written.join('') };
  } finally {
    spy.mockRestore();
  }
}

/**
 * Points `runCliInProcess` at the test dev server for a describe block (address and namespace, as an operator's
 * environment would), clears the exit code a command sets after each test, and restores the environment after the block.
 */
export function useCliEnvironment(): void {
  const savedEnvironment = { ...process.env };
  beforeAll(() => {
    process.env.TEMPORAL_ADDRESS = devServerAddress();
    process.env.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
  });
  afterEach(() => {
    // Commands such as `status` exit with the run's code.
    process.exitCode = undefined;
  });
  afterAll(() => {
    process.env = savedEnvironment;
  });
}
