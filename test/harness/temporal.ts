import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker, type WorkerOptions } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { connectorDataConverterFromEnv } from '../../worker/environment';

let runtimeInstalled = false;
/** Keeps worker logs to warnings so test output stays readable. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by another helper in this process.
  }
}

export function devServerAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) throw new Error('TEMPORAL_TEST_ADDRESS is not set: run tests through jest (globalSetup starts the dev server)');
  return address;
}

export const TEST_NAMESPACE = process.env.TEMPORAL_TEST_NAMESPACE ?? 'default';

export interface TemporalTestContext {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  /** A task queue unique to this test, so workers of parallel test files never steal each other's tasks. */
  taskQueue: string;
  close(): Promise<void>;
}

export async function connectToDevServer(): Promise<TemporalTestContext> {
  quietRuntime();
  const address = devServerAddress();
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  // Encrypted with the run's test key (globalSetup sets PEAKON_SYNC_ENCRYPTION_KEY), as production would be.
  const client = new Client({ connection, namespace: TEST_NAMESPACE, dataConverter: connectorDataConverterFromEnv() });
  return {
    client,
    connection,
    nativeConnection,
    taskQueue: `test-${randomUUID()}`,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/** Runs `body` while a worker polls; the worker is shut down and awaited afterwards even when `body` throws. */
export async function withWorker<T>(options: WorkerOptions, body: (worker: Worker) => Promise<T>): Promise<T> {
  quietRuntime();
  const worker = await Worker.create({ dataConverter: connectorDataConverterFromEnv(), ...options });
  return worker.runUntil(body(worker));
}
