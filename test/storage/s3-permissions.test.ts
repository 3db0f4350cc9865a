// The S3 permissions the worker needs, and what it says when one is missing, against a real S3-compatible server (moto).
// Moto enforces no IAM policy here, so an HTTP proxy in front of it stands in for a least-privilege policy that grants
// s3:GetObject, s3:PutObject and s3:DeleteObject but not s3:ListBucket: it answers S3's own 403 AccessDenied where AWS
// would (a GET of a key that does not exist, which AWS answers 404 only to a caller allowed to list; a ListObjectsV2).
// Everything else goes through to moto unchanged.
import http from 'node:http';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { StorageDriverClaim } from '@temporalio/common';
import { generateEncryptionKey } from '../../codec/keys';
import { ledgerStoreFor } from '../../ownership/store';
import { S3PermissionError, S3StorageDriver } from '../../storage/s3-driver';
import { describeWithMoto, startMoto, type RunningMoto } from '../harness/moto';

/** S3's XML error body for a 403 with `code` (AccessDenied for a policy's refusal). */
const s3Error403 = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>stand-in</HostId></Error>`;

interface Refused {
  /** GET of a key moto answers 404 to: 403 AccessDenied instead (AWS without s3:ListBucket). */
  missingKeys: boolean;
  /** ListObjectsV2 (a GET of the bucket itself): 403 AccessDenied. */
  listing: boolean;
  /** The 403's error code: AccessDenied unless a test stands in for another refusal (a skewed clock). */
  code?: string;
  /** A 403 with no body (a gateway's, some S3-compatible stores'): no error code at all. */
  bodyless?: boolean;
}

/** The proxy standing in for the IAM policy (see the top of the file); `refused()` counts the 403s it answered. */
async function startPolicyProxy(upstream: string, refuse: Refused): Promise<{ endpoint: string; refused: () => number; close: () => Promise<void> }> {
  const target = new URL(upstream);
  let refused = 0;
  const deny = (response: http.ServerResponse) => {
    refused += 1;
    if (refuse.bodyless) {
      response.writeHead(403, { 'Content-Length': '0' });
      response.end();
      return;
    }
    response.writeHead(403, { 'Content-Type': 'application/xml' });
    response.end(s3Error403(refuse.code ?? 'AccessDenied'));
  };
  const server = http.createServer((incoming, response) => {
    const { pathname } = new URL(incoming.url ?? '/', 'http://proxy');
    const bucketOnly = /^\/[^/]+\/?$/.test(pathname);
    if (refuse.listing && incoming.method === 'GET' && bucketOnly && (incoming.url ?? '').includes('list-type=2')) {
      incoming.resume();
      deny(response);
      return;
    }
    const forwarded = http.request({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      if (refuse.missingKeys && incoming.method === 'GET' && !bucketOnly && answer.statusCode === 404) {
        answer.resume();
        deny(response);
        return;
      }
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    // moto resetting a connection fails this request (and its test), not the jest worker.
    forwarded.on('error', (error) => response.destroy(error));
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const describeS3 = describeWithMoto('S3 permissions (moto behind a policy stand-in)');

describeS3('S3 permissions (moto behind a policy stand-in)', () => {
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

  async function behindPolicy(refuse: Refused) {
    const proxy = await startPolicyProxy(moto.endpoint, refuse);
    closers.push(proxy.close);
    const bucket = await moto.newBucket();
    const store = { kind: 's3' as const, bucket, prefix: 'payloads', endpoint: proxy.endpoint, forcePathStyle: true };
    const driver = new S3StorageDriver({ bucket, prefix: 'payloads', endpoint: proxy.endpoint, forcePathStyle: true, clientConfig: moto.clientConfig });
    closers.push(() => driver.destroy());
    return { proxy, bucket, ledger: ledgerStoreFor(store, env, moto.clientConfig, { warn: () => undefined }), driver };
  }

  /** The whole list the worker needs, for `bucket` under `payloads/`, and nothing secret. */
  function expectPermissionMessage(message: string, bucket: string) {
    expect(message).toContain(`the worker lacks s3:ListBucket on arn:aws:s3:::${bucket} (docs/deploy.md: Minimal IAM policy)`);
    expect(message).toContain(`it needs s3:GetObject, s3:PutObject and s3:DeleteObject on arn:aws:s3:::${bucket}/payloads/*, and s3:ListBucket on arn:aws:s3:::${bucket} (docs/deploy.md: Minimal IAM policy)`);
    expect(message).not.toMatch(/test-(secret|access)-key|X-Amz-|Signature=|127\.0\.0\.1/);
  }

  const failure = async (promise: Promise<unknown>): Promise<Error> => {
    try {
      await promise;
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a failure');
  };

  it('the stand-in passes everything when the policy grants all: the start-up check succeeds through it', async () => {
    const { ledger, proxy } = await behindPolicy({ missingKeys: false, listing: false });
    expect((await ledger.check()).writes).toBe('conditional');
    expect(proxy.refused()).toBe(0);
  });

  it('the start-up check fails when a missing key is answered 403 (no s3:ListBucket), naming the permission and every one the worker needs, and leaves nothing behind', async () => {
    const { ledger, bucket, proxy } = await behindPolicy({ missingKeys: true, listing: false });
    const error = await failure(ledger.check());
    expect(error).toBeInstanceOf(S3PermissionError);
    expect(error.message).toMatch(new RegExp(`^reading an object that does not exist \\(s3://${bucket}/payloads/ledger/\\.probe-[0-9a-f]{16}, as each tenant's first run reads its ledger\\) was refused \\(GetObject: AccessDenied, HTTP 403\\)`));
    expectPermissionMessage(error.message, bucket);
    expect(proxy.refused()).toBe(1);
    expect((await moto.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(0);
  });

  it('the start-up check fails when listing the prefix is refused, as retention would be', async () => {
    const { ledger, bucket } = await behindPolicy({ missingKeys: false, listing: true });
    const error = await failure(ledger.check());
    expect(error).toBeInstanceOf(S3PermissionError);
    expect(error.message).toMatch(new RegExp(`^listing s3://${bucket}/payloads/ \\(as retention does\\) was refused \\(ListObjectsV2: AccessDenied, HTTP 403\\)`));
    expectPermissionMessage(error.message, bucket);
  });

  it('a tenant\'s first ledger read answered 403 names the ledger object and the missing s3:ListBucket; an existing ledger still reads', async () => {
    const { ledger, bucket } = await behindPolicy({ missingKeys: true, listing: false });
    for (const attempt of [ledger.read('acme'), ledger.record('acme', { owned: ['u1'], deleted: [] })]) {
      const error = await failure(attempt);
      expect(error.message).toMatch(new RegExp(`^reading the ownership ledger s3://${bucket}/payloads/ledger/acme\\.ledger was refused \\(GetObject: AccessDenied, HTTP 403\\): S3 answers 403 instead of 404 for an object that does not exist when the worker lacks s3:ListBucket`));
      expectPermissionMessage(error.message, bucket);
      expect(error).toBeInstanceOf(S3PermissionError);
    }
    // Written where the policy allows listing: from then on the same reads go through the stand-in.
    await ledgerStoreFor({ kind: 's3', bucket, prefix: 'payloads', endpoint: moto.endpoint, forcePathStyle: true }, env, moto.clientConfig).record('acme', { owned: ['u1'], deleted: [] });
    expect((await ledger.read('acme')).owned).toEqual(['u1']);
  });

  it('retention\'s listing and a missing payload\'s read answered 403 name the prefix or object and the missing s3:ListBucket', async () => {
    const { driver, bucket } = await behindPolicy({ missingKeys: true, listing: true });
    const sweep = await failure(driver.deleteOlderThan(new Date()));
    expect(sweep.message).toMatch(new RegExp(`^retention's listing of s3://${bucket}/payloads/ \\(stored payloads outlive PEAKON_SYNC_RETENTION_DAYS until it is allowed\\) was refused \\(ListObjectsV2: AccessDenied, HTTP 403\\)`));
    expectPermissionMessage(sweep.message, bucket);
    expect(sweep).toBeInstanceOf(S3PermissionError);

    const key = 'a'.repeat(64);
    const read = await failure(driver.retrieve({}, [new StorageDriverClaim({ key })]));
    expect(read.message).toMatch(new RegExp(`^reading payload s3://${bucket}/payloads/${key} was refused \\(GetObject: AccessDenied, HTTP 403\\)`));
    expectPermissionMessage(read.message, bucket);
    expect(read).toBeInstanceOf(S3PermissionError);
  });

  it('another 403 (a worker clock off by more than 15 minutes) is not blamed on a missing permission', async () => {
    const { ledger } = await behindPolicy({ missingKeys: true, listing: false, code: 'RequestTimeTooSkewed' });
    const error = await failure(ledger.read('acme'));
    expect(error).not.toBeInstanceOf(S3PermissionError);
    expect(error.name).toBe('RequestTimeTooSkewed');
    expect(error.message).not.toMatch(/s3:ListBucket/);
  });

  it('a 403 without an error code (a gateway\'s) is taken as a refusal too, naming the ledger object and the permissions', async () => {
    const { ledger, bucket } = await behindPolicy({ missingKeys: true, listing: false, bodyless: true });
    const error = await failure(ledger.read('acme'));
    expect(error).toBeInstanceOf(S3PermissionError);
    expect(error.message).toMatch(new RegExp(`^reading the ownership ledger s3://${bucket}/payloads/ledger/acme\\.ledger was refused`));
    expectPermissionMessage(error.message, bucket);
  });

  it('a bucket that does not exist fails the ledger read instead of reading as a tenant with no ledger yet', async () => {
    // An empty ledger owns nobody: every leaver would stay active, run after run, with nothing said.
    const missingBucket = ledgerStoreFor({ kind: 's3', bucket: `no-such-bucket-${Date.now()}`, prefix: 'payloads', endpoint: moto.endpoint, forcePathStyle: true }, env, moto.clientConfig, { warn: () => undefined });
    const error = await failure(missingBucket.read('acme'));
    expect(error.name).toBe('NoSuchBucket');
  });
});
