// A 404 that is not the object store's "no such object" must not read as a ledger not written yet. S3 (and moto, MinIO,
// Ceph, R2, GCS) answers a GET of a missing key 404 with the error code NoSuchKey; an ingress or load balancer in front
// of the store during a rollout, or a gateway, answers 404 with an empty or HTML body, which the AWS SDK names
// `NotFound`. Read as "no ledger", that is an empty ledger: a run owns nobody (no leaver handled), and where writes are
// unconditional its record() replaces the ledger with only that run's users.
// The store is a real S3-compatible server (moto). The non-S3 404 is a local HTTP proxy in front of it (a mock of such a
// gateway): it passes everything to moto, except the GETs it is told to answer 404 itself, with an empty or nginx-like
// HTML body; it can also drop If-Match / If-None-Match, standing in for a store that ignores conditional writes.
import http from 'node:http';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { StorageDriverClaim } from '@temporalio/common';
import { generateEncryptionKey } from '../../codec/keys';
import { ledgerStoreFor } from '../../ownership/store';
import { isNotFound, S3StorageDriver, S3UnexpectedNotFoundError } from '../../storage/s3-driver';
import { describeWithMoto, startMoto, type RunningMoto } from '../harness/moto';

/** What the stand-in gateway answers for a GET it intercepts instead of moto. */
type Stray = 'none' | 'empty' | 'html';

const NGINX_404 = '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

interface Gateway {
  endpoint: string;
  /** Which GETs of objects (not of the bucket) are answered 404 by the gateway, and with what body. */
  stray: Stray;
  /** Only GETs whose path includes this; undefined: every object GET. */
  only?: string;
  /** Only GETs moto answers 404 (its NoSuchKey), the gateway's own 404 replacing moto's answer. */
  onlyMissing?: boolean;
  /** How many GETs the gateway answered itself. */
  answered: number;
  close(): Promise<void>;
}

async function startGateway(upstream: string, options: { dropConditions?: boolean } = {}): Promise<Gateway> {
  const target = new URL(upstream);
  const gateway: Gateway = { endpoint: '', stray: 'none', answered: 0, close: async () => undefined };
  const server = http.createServer((incoming, response) => {
    const { pathname } = new URL(incoming.url ?? '/', 'http://gateway');
    const objectGet = incoming.method === 'GET' && !/^\/[^/]+\/?$/.test(pathname);
    const intercepted = objectGet && gateway.stray !== 'none' && (gateway.only === undefined || pathname.includes(gateway.only));
    const answerItself = () => {
      gateway.answered += 1;
      const body = gateway.stray === 'html' ? NGINX_404 : '';
      response.writeHead(404, { 'Content-Length': String(Buffer.byteLength(body)), ...(body ? { 'Content-Type': 'text/html' } : {}) });
      response.end(body);
    };
    if (intercepted && !gateway.onlyMissing) {
      incoming.resume();
      answerItself();
      return;
    }
    const headers = { ...incoming.headers };
    if (options.dropConditions) {
      delete headers['if-match'];
      delete headers['if-none-match'];
    }
    const forwarded = http.request({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers }, (answer) => {
      if (intercepted && answer.statusCode === 404) {
        answer.resume();
        answerItself();
        return;
      }
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    forwarded.on('error', (error) => response.destroy(error));
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  gateway.endpoint = `http://127.0.0.1:${address.port}`;
  gateway.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return gateway;
}

const failure = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
};

const describeS3 = describeWithMoto('ownership ledger behind a gateway that answers 404 itself (moto)');

describeS3('ownership ledger behind a gateway that answers 404 itself (moto)', () => {
  let moto: RunningMoto;
  const closers: (() => Promise<void> | void)[] = [];
  const env = { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() };

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await moto?.close();
  });

  async function behindGateway(options: { dropConditions?: boolean } = {}) {
    const gateway = await startGateway(moto.endpoint, options);
    closers.push(gateway.close);
    const bucket = await moto.newBucket();
    const store = { kind: 's3' as const, bucket, prefix: 'payloads', endpoint: gateway.endpoint, forcePathStyle: true };
    const ledger = ledgerStoreFor(store, env, moto.clientConfig, { warn: () => undefined });
    /** The same bucket, straight to moto: what is really stored. */
    const direct = ledgerStoreFor({ ...store, endpoint: moto.endpoint }, env, moto.clientConfig, { warn: () => undefined });
    const driver = new S3StorageDriver({ bucket, prefix: 'payloads', endpoint: gateway.endpoint, forcePathStyle: true, clientConfig: moto.clientConfig });
    closers.push(() => driver.destroy());
    return { gateway, bucket, ledger, direct, driver };
  }

  function expectStrayMessage(error: Error, what: string, bucket: string, key: string, gateway: Gateway) {
    expect(error).toBeInstanceOf(S3UnexpectedNotFoundError);
    expect(error.message.startsWith(`reading ${what} s3://${bucket}/${key} from ${gateway.endpoint} was answered HTTP 404 without S3's NoSuchKey`)).toBe(true);
    expect(error.message).not.toMatch(/test-(secret|access)-key|X-Amz-|Signature=|nginx|<html/);
  }

  it('what the real store answers for a missing key: GetObject NoSuchKey (the only "absent"), HeadObject NotFound', async () => {
    const { driver } = await behindGateway();
    const answer = async (operation: 'GetObject' | 'HeadObject') => {
      const Command = operation === 'GetObject' ? GetObjectCommand : HeadObjectCommand;
      return await failure(driver.client.send(new Command({ Bucket: driver.bucket, Key: driver.objectKey('ledger/nobody.ledger') }) as never));
    };
    const get = await answer('GetObject');
    expect([get.name, isNotFound(get, 'GetObject')]).toEqual(['NoSuchKey', true]);
    const head = await answer('HeadObject');
    expect([head.name, isNotFound(head, 'HeadObject'), isNotFound(head, 'GetObject')]).toEqual(['NotFound', true, false]);
  });

  it('a tenant with no ledger yet (S3\'s NoSuchKey) still reads as no ledger, through the gateway, and the start-up check passes', async () => {
    const { ledger, direct, gateway } = await behindGateway();
    expect((await ledger.check()).writes).toBe('conditional');
    expect(await ledger.read('acme')).toEqual({ version: 1, tenant: 'acme', owned: [] });
    await ledger.record('acme', { owned: ['u1'], deleted: [] });
    expect((await direct.read('acme')).owned).toEqual(['u1']);
    expect(gateway.answered).toBe(0);
  });

  it.each(['empty', 'html'] as const)('a ledger read answered 404 by the gateway (%s body) fails, naming the ledger and the endpoint, instead of reading as nobody owned', async (stray) => {
    const { ledger, direct, gateway, bucket } = await behindGateway();
    await direct.record('acme', { owned: ['u1', 'u2'], deleted: [] });
    gateway.stray = stray;
    // Not an empty ledger (nobody owned): a failure.
    const read = await ledger.read('acme').then((read) => read.owned, (error: Error) => error);
    expect(read).toBeInstanceOf(Error);
    expectStrayMessage(read as Error, 'the ownership ledger', bucket, 'payloads/ledger/acme.ledger', gateway);
    // record() reads first: it fails too, and writes nothing.
    const recorded = await failure(ledger.record('acme', { owned: ['u3'], deleted: [] }));
    expect(recorded).toBeInstanceOf(S3UnexpectedNotFoundError);
    gateway.stray = 'none';
    // The rollout over, the same store reads the ledger as it is.
    expect((await ledger.read('acme')).owned).toEqual(['u1', 'u2']);
  });

  it('on a store that ignores conditional writes, a record() whose read is answered 404 by the gateway does not replace the ledger with only its own users', async () => {
    const { ledger, direct, gateway } = await behindGateway({ dropConditions: true });
    expect((await ledger.check()).writes).toBe('unconditional: conditions ignored');
    await ledger.record('acme', { owned: ['u1', 'u2'], deleted: [] });
    gateway.stray = 'empty';
    gateway.only = '/ledger/acme.ledger';
    const recorded = await ledger.record('acme', { owned: ['u3'], deleted: [] }).then((written) => written.owned, (error: Error) => error);
    expect(gateway.answered).toBe(1);
    // Everyone owned before is still owned (read straight from moto), and the write failed.
    expect((await direct.read('acme')).owned).toEqual(['u1', 'u2']);
    expect(recorded).toBeInstanceOf(S3UnexpectedNotFoundError);
  });

  it('the start-up check fails when its read of a missing key is answered 404 without NoSuchKey', async () => {
    const { ledger, gateway, bucket } = await behindGateway();
    gateway.stray = 'empty';
    gateway.only = '/ledger/.probe-';
    gateway.onlyMissing = true; // the probe it wrote reads as stored; the key that does not exist is the gateway's 404
    const error = await failure(ledger.check());
    expect(error).toBeInstanceOf(S3UnexpectedNotFoundError);
    expect(error.message).toMatch(new RegExp(`^reading an object that does not exist \\(as each tenant's first run reads its ledger\\) s3://${bucket}/payloads/ledger/\\.probe-[0-9a-f]{16} from ${gateway.endpoint.replace(/\./g, '\\.')} was answered HTTP 404`));
  });

  it('a payload read answered 404 by the gateway is not said to be a missing payload; a really missing one still is', async () => {
    const { driver, gateway, bucket } = await behindGateway();
    const key = 'b'.repeat(64);
    const missing = await failure(driver.retrieve({}, [new StorageDriverClaim({ key })]));
    expect(missing.message).toMatch(new RegExp(`^payload ${key} is missing from s3://${bucket}/payloads/`));
    gateway.stray = 'empty';
    const stray = await failure(driver.retrieve({}, [new StorageDriverClaim({ key })]));
    expectStrayMessage(stray, 'payload', bucket, `payloads/${key}`, gateway);
  });
});
