import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/** A real S3-compatible server (moto in server mode, installed into .tools/moto by scripts/install-moto.js), not a mock of the S3 client. */
export const MOTO_SERVER = process.env.MOTO_SERVER_PATH ?? path.resolve(__dirname, '../../.tools/moto/bin/moto_server');
export const motoAvailable = existsSync(MOTO_SERVER);

/** `describe` when moto is installed; otherwise a loud skip (CI installs it, a developer may not have). */
export function describeWithMoto(name: string): jest.Describe {
  if (!motoAvailable) {
    console.warn(
      `\n*** SKIPPING "${name}": no moto_server at ${MOTO_SERVER}.\n` +
        `*** Install it with: python3 -m venv .tools/moto && .tools/moto/bin/pip install 'moto[server]==5.2.5'\n` +
        '*** (or point MOTO_SERVER_PATH at a moto_server binary).\n',
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

/** `readyTimeoutMs`: how long moto_server may take to answer HTTP before startMoto stops it and fails. */
export async function startMoto(readyTimeoutMs = 30_000): Promise<RunningMoto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const moto: ChildProcess = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  moto.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  try {
    await waitForHttp(endpoint, readyTimeoutMs, () => stderr);
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

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function waitForHttp(url: string, timeoutMs: number, diagnostics: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`moto_server did not answer at ${url} within ${timeoutMs} ms:\n${diagnostics()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
