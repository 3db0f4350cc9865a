// Every S3 call of the payload store and of the ownership ledger has a total deadline: against a real TCP server that
// accepts connections and never answers (a hung S3 endpoint, PEAKON_SYNC_S3_ENDPOINT), the ledger's start-up check,
// its reads and writes, and a payload's store and retrieve fail within the deadline, naming the store (bucket and
// endpoint), never its credentials.
import { createServer, type Server, type Socket } from 'node:net';
import { defaultPayloadConverter, StorageDriverClaim } from '@temporalio/common';
import { generateEncryptionKey } from '../../codec/keys';
import { ledgerStoreInBucket } from '../../ownership/store';
import { createStorageDriver } from '../../storage/from-env';
import { S3_REQUEST_DEADLINE_MS, S3StorageDriver } from '../../storage/s3-driver';

const DEADLINE_MS = 1_500;
/** The deadline, plus room for a loaded machine; far below the time a call without deadline would hang (forever). */
const WITHIN_MS = DEADLINE_MS + 3_000;
const ACCESS_KEY = 'AKIAHUNGSTOREACCESSKEY';
const SECRET_KEY = 'hung-store-secret-key-never-in-messages';

describe('S3 calls against a store that accepts connections and never answers', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  const drivers: S3StorageDriver[] = [];

  beforeAll(async () => {
    // Accepts, reads and never writes a byte back.
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const driver of drivers) driver.destroy();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  function hungDriver(bucket: string): S3StorageDriver {
    const driver = new S3StorageDriver({
      bucket,
      prefix: 'payloads',
      // user info in the endpoint must not show either
      endpoint: `http://store-user:store-password@127.0.0.1:${port}`,
      forcePathStyle: true,
      clientConfig: { region: 'us-east-1', credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } },
      requestDeadlineMs: DEADLINE_MS,
    });
    drivers.push(driver);
    return driver;
  }

  /** Runs `call`, which must fail within WITHIN_MS naming the bucket and endpoint; returns its message. */
  async function failsNamingTheStore(bucket: string, call: () => Promise<unknown>): Promise<string> {
    const started = Date.now();
    const outcome = await Promise.race([
      call().then(
        () => ({ kind: 'resolved' as const }),
        (error: unknown) => ({ kind: 'rejected' as const, error }),
      ),
      new Promise<{ kind: 'hung' }>((resolve) => setTimeout(() => resolve({ kind: 'hung' }), WITHIN_MS + 2_000).unref()),
    ]);
    const elapsed = Date.now() - started;
    expect(outcome.kind).toBe('rejected');
    const error = (outcome as { error: Error }).error;
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(elapsed).toBeLessThan(WITHIN_MS);
    expect(error.name).toBe('S3DeadlineError');
    expect(error.message).toContain(`s3://${bucket}/payloads/`);
    expect(error.message).toContain(`http://127.0.0.1:${port}`);
    expect(error.message).toContain(`within the total deadline of ${DEADLINE_MS} ms`);
    for (const secret of [ACCESS_KEY, SECRET_KEY, 'store-user', 'store-password']) expect(error.message).not.toContain(secret);
    return error.message;
  }

  it('the ownership ledger: the start-up check, a read and a write fail within the deadline, naming the store', async () => {
    const bucket = 'hung-ledger';
    const ledger = ledgerStoreInBucket(hungDriver(bucket), { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() }, { warn: () => undefined });
    const accepted = sockets.size;
    expect(await failsNamingTheStore(bucket, () => ledger.check())).toContain('answer to PutObject');
    // The server did accept: this is a store that hangs, not one that refuses connections.
    expect(sockets.size).toBeGreaterThan(accepted);
    expect(await failsNamingTheStore(bucket, () => ledger.record('acme', { owned: ['u1'], deleted: [] }))).toContain('answer to GetObject');
    expect(await failsNamingTheStore(bucket, () => ledger.read('acme'))).toContain('answer to GetObject');
  }, 30_000);

  it('the payload store: storing and retrieving a payload, and the retention sweep, fail within the deadline, naming the store', async () => {
    const bucket = 'hung-payloads';
    const driver = hungDriver(bucket);
    const payload = defaultPayloadConverter.toPayload('x'.repeat(1000));
    expect(await failsNamingTheStore(bucket, () => driver.store({}, [payload]))).toContain('answer to PutObject');
    expect(await failsNamingTheStore(bucket, () => driver.retrieve({}, [new StorageDriverClaim({ key: 'a'.repeat(64) })]))).toContain('answer to GetObject');
    expect(await failsNamingTheStore(bucket, () => driver.deleteOlderThan(new Date()))).toContain('answer to ListObjectsV2');
  }, 30_000);

  it('a caller that aborts first gets its own abort, not the deadline', async () => {
    const driver = hungDriver('hung-aborted');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 200).unref();
    const started = Date.now();
    await expect(driver.store({ abortSignal: controller.signal } as never, [defaultPayloadConverter.toPayload('y')])).rejects.not.toThrow(/total deadline/);
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS);
  });

  it('the drivers the worker builds from its settings (payloads and ledger) have the default deadline', () => {
    const driver = createStorageDriver({ kind: 's3', bucket: 'any-bucket', prefix: '', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true }) as S3StorageDriver;
    drivers.push(driver);
    expect(driver.requestDeadlineMs).toBe(S3_REQUEST_DEADLINE_MS);
    expect(S3_REQUEST_DEADLINE_MS).toBe(30_000);
  });
});
