import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../../devserver/ports';

/** A real S3-compatible server (moto in server mode, installed into .tools/moto by scripts/install-moto.js), not a mock of the S3 client. */
export const MOTO_SERVER = process.env.MOTO_SERVER_PATH ?? path.resolve(__dirname, '../../.tools/moto/bin/moto_server');
export const motoAvailable = existsSync(MOTO_SERVER);

/** `describe` when moto is installed; otherwise a loud skip (CI installs it, a developer may not have). */
export function describeWithMoto(name: string): jest.Describe {
  if (!motoAvailable) {
    console.warn(
      `\n*** SKIPPING "${name}": no moto_server at ${MOTO_SERVER}.\n` +
        '*** Install it with: node scripts/install-moto.js (jest runs it before the tests; its [moto] lines say why it failed).\n' +
        '*** It needs python3 with venv and pip (Debian/Ubuntu: apt install python3-venv python3-pip) and access to PyPI;\n' +
        '*** or point MOTO_SERVER_PATH at a moto_server binary.\n',
    );
  }
  return motoAvailable ? describe : describe.skip;
}

export interface RunningMoto {
  endpoint: string;
  /** Region and (fake) credentials the S3 clients need; the worker reads the same from AWS_* variables. */
  clientConfig: S3ClientConfig;
  /** The AWS_* and PEAKON_SYNC_S3_* variables a worker process needs to use this server. */
  environment(bucket: string): Record<string, string>;
  s3: S3Client;
  newBucket(): Promise<string>;
  close(): Promise<void>;
}

let bucketCount = 0;

/** How many ports startMoto tries when moto_server finds the one it picked taken (another process got it first). */
const PORT_ATTEMPTS = 3;

/** moto_server's (and werkzeug's) words when it cannot bind its port. */
const PORT_TAKEN = /address already in use|is in use by another program/i;

/**
 * `readyTimeoutMs`: how long moto_server may take to answer HTTP before startMoto stops it and fails. A moto_server that
 * exits before it answered fails at once, with its stderr; when it could not bind a port chosen here (free when
 * checked, taken before moto bound it), startMoto tries another, up to PORT_ATTEMPTS ports. `port` fixes the port
 * (no retry).
 */
export async function startMoto(readyTimeoutMs = 30_000, port?: number): Promise<RunningMoto> {
  for (let attempt = 1; ; attempt += 1) {
    const chosen = port ?? (await freePort());
    try {
      return await startMotoOn(chosen, readyTimeoutMs);
    } catch (error) {
      const retry = port === undefined && attempt < PORT_ATTEMPTS && error instanceof MotoExitedError && PORT_TAKEN.test(error.stderr);
      if (!retry) throw error;
    }
  }
}

/** moto_server exited before it answered HTTP. */
export class MotoExitedError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'MotoExitedError';
  }
}

async function startMotoOn(port: number, readyTimeoutMs: number): Promise<RunningMoto> {
  const endpoint = `http://127.0.0.1:${port}`;
  const moto: ChildProcess = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  moto.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  // A binary that cannot be started: said in the failure, not thrown at the test runner as an unhandled 'error'.
  moto.on('error', (error) => (stderr += `\n${String(error)}`));
  try {
    await waitForHttp(endpoint, readyTimeoutMs, () => stderr, moto);
  } catch (error) {
    // A moto_server that never answered must not outlive the test file that started it.
    await stopChild(moto);
    throw error;
  }
  const clientConfig: S3ClientConfig = { region: 'us-east-1', credentials: { accessKeyId: 'test-access-key', secretAccessKey: 'test-secret-key' } };
  const s3 = new S3Client({ endpoint, forcePathStyle: true, ...clientConfig });
  return {
    endpoint,
    clientConfig,
    s3,
    environment: (bucket) => ({
      PEAKON_SYNC_PAYLOAD_STORE: `s3://${bucket}/payloads`,
      PEAKON_SYNC_S3_ENDPOINT: endpoint,
      PEAKON_SYNC_S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test-access-key',
      AWS_SECRET_ACCESS_KEY: 'test-secret-key',
    }),
    async newBucket() {
      bucketCount += 1;
      const bucket = `peakon-sync-test-${process.pid}-${bucketCount}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async close() {
      s3.destroy();
      await stopChild(moto);
    },
  };
}

/** Whether `child` has exited: with a code, or killed by a signal (then exitCode stays null and signalCode is set). */
export function hasExited(child: Pick<ChildProcess, 'exitCode' | 'signalCode'>): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Stops `child` (SIGTERM) and waits until it exited; at once when it already has. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}


/**
 * Polls `url` until it answers HTTP (any status). With `child`, the server's process: fails at once, with
 * `diagnostics()` (its stderr, complete once its pipes closed), when it exits before answering.
 */
export async function waitForHttp(url: string, timeoutMs: number, diagnostics: () => string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // 'close' comes after 'exit' once the child's stdio is drained: its last stderr lines are in then (waited for up to
  // a second, in case it closed before this listened).
  const closed = new Promise<void>((resolve) => child?.once('close', () => resolve()));
  const exitedError = async () => {
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    const how = child?.signalCode ? `signal ${child.signalCode}` : `code ${child?.exitCode}`;
    const output = diagnostics();
    return new MotoExitedError(`moto_server exited (${how}) before it answered at ${url}:\n${output}`, output);
  };
  // An attempt ends when the child exits, or after a few seconds: a port held by something that accepts and never
  // answers must not keep this waiting past the deadline or the child's exit.
  const exited = new AbortController();
  child?.once('exit', () => exited.abort());
  for (;;) {
    if (child !== undefined && hasExited(child)) throw await exitedError();
    try {
      const signal = AbortSignal.any([exited.signal, AbortSignal.timeout(Math.max(1, Math.min(5_000, deadline - Date.now())))]);
      const response = await fetch(url, { signal });
      await response.arrayBuffer();
      // An answer from another process that holds the port, while ours has already given up on it, is not moto's.
      if (child !== undefined && hasExited(child)) throw await exitedError();
      return;
    } catch (error) {
      if (error instanceof MotoExitedError) throw error;
      if (Date.now() > deadline) throw new Error(`moto_server did not answer at ${url} within ${timeoutMs} ms:\n${diagnostics()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 200);
        child?.once('exit', done);
        function done() {
          clearTimeout(timer);
          child?.off('exit', done);
          resolve();
        }
      });
    }
  }
}
