// The S3 driver against a real S3-compatible server (moto in server mode, installed by .ci/run into .tools/moto),
// and through a real Temporal dev server.
import {
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  type BucketLifecycleConfiguration,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { ExternalStorage, StorageDriverClaim, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { externalStorageFromEnv } from '../../storage/from-env';
import { sweepOnce } from '../../storage/retention';
import { S3StorageDriver } from '../../storage/s3-driver';
import { describeWithMoto, startMoto, type RunningMoto } from '../harness/moto';
import { connectToDevServer, type TemporalTestContext } from '../harness/temporal';
import { PERSONAL_MARKER, referenceOf, runLargePayloadWorkflow } from './temporal-roundtrip';

const describeS3 = describeWithMoto('S3 storage driver (moto server)');

const DAY_MS = 24 * 60 * 60 * 1000;
const encode = (payload: Payload) => Buffer.from(proto.api.common.v1.Payload.encode(payload).finish());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeS3('S3 storage driver (moto server)', () => {
  let moto: RunningMoto;
  let endpoint: string;
  let clientConfig: S3ClientConfig;
  let s3: S3Client;
  const drivers: S3StorageDriver[] = [];

  const newBucket = () => moto.newBucket();
  function newDriver(bucket: string, options: { prefix?: string; deleteBatchSize?: number } = {}): S3StorageDriver {
    const driver = new S3StorageDriver({ bucket, endpoint, forcePathStyle: true, clientConfig, ...options });
    drivers.push(driver);
    return driver;
  }
  async function listKeys(bucket: string): Promise<string[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (listed.Contents ?? []).map((object) => object.Key as string).sort();
  }

  beforeAll(async () => {
    moto = await startMoto();
    ({ endpoint, clientConfig, s3 } = moto);
  });
  afterAll(async () => {
    for (const driver of drivers) driver.destroy();
    await moto?.close();
  });

  it('round-trips payloads under the prefix, idempotently, with claims holding only a content hash', async () => {
    const bucket = await newBucket();
    const driver = newDriver(bucket, { prefix: '/connector/payloads/' });
    const payloads = [
      defaultPayloadConverter.toPayload({ email: PERSONAL_MARKER }),
      defaultPayloadConverter.toPayload('y'.repeat(300_000)),
    ];
    const claims = await driver.store({}, payloads);
    for (const claim of claims) expect(claim.claimData).toEqual({ key: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(claims.map((c) => c.claimData))).not.toContain('ada');
    const back = await driver.retrieve({}, claims);
    expect(back.map(encode)).toEqual(payloads.map(encode));

    const again = await driver.store({}, payloads);
    expect(again.map((c) => c.claimData)).toEqual(claims.map((c) => c.claimData));
    expect(await listKeys(bucket)).toEqual(claims.map((c) => `connector/payloads/${c.claimData.key}`).sort());
  });

  it('names the key and the bucket when a claimed payload is missing', async () => {
    const bucket = await newBucket();
    const driver = newDriver(bucket, { prefix: 'p' });
    const key = 'b'.repeat(64);
    await expect(driver.retrieve({}, [new StorageDriverClaim({ key })])).rejects.toThrow(
      `payload ${key} is missing from s3://${bucket}/p/: is PEAKON_SYNC_PAYLOAD_STORE shared by every worker`,
    );
  });

  it('retention deletes only objects under the prefix last modified before the cutoff, in batches', async () => {
    const bucket = await newBucket();
    const driver = newDriver(bucket, { prefix: 'payloads', deleteBatchSize: 2 });
    const old = await driver.store({}, ['a', 'b', 'c', 'd', 'e'].map((v) => defaultPayloadConverter.toPayload(v)));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'elsewhere/keep-me', Body: 'x' }));
    // S3 LastModified has one-second resolution: put a clear second between old and fresh objects.
    await sleep(1500);
    const cutoff = new Date();
    await sleep(1500);
    const fresh = await driver.store({}, [defaultPayloadConverter.toPayload('fresh')]);

    // retentionDays: 1 with "now" one day after the cutoff deletes what was written before the cutoff.
    const result = await sweepOnce({ store: driver, retentionDays: 1, now: new Date(cutoff.getTime() + DAY_MS) });
    expect(result.payloadsDeleted).toBe(old.length);
    expect(await listKeys(bucket)).toEqual(['elsewhere/keep-me', `payloads/${fresh[0]?.claimData.key}`].sort());
    await expect(driver.retrieve({}, [old[0] as StorageDriverClaim])).rejects.toThrow(/deleted by retention/);
  });

  it('retention in a shared bucket deletes only the payloads the driver wrote, with a prefix or at the bucket root', async () => {
    const hex = 'c'.repeat(64);
    for (const prefix of ['', 'connector/payloads']) {
      const bucket = await newBucket();
      const driver = newDriver(bucket, prefix ? { prefix } : {});
      const at = (key: string) => (prefix ? `${prefix}/${key}` : key);
      const old = await driver.store({}, ['a', 'b'].map((v) => defaultPayloadConverter.toPayload(v)));
      // Other people's objects (and the connector's own ledger), all as old as the payloads.
      const foreign = [
        'reports/x.csv',
        'other.txt',
        `nested/${hex}`,
        at('other.txt'),
        at(`${hex}.bak`),
        at(`${hex.toUpperCase()}`),
        at(`sub/${hex}`),
        at('ledger/acme.ledger'),
      ];
      for (const Key of foreign) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'theirs' }));
      await sleep(1500);
      const cutoff = new Date();

      const result = await sweepOnce({ store: driver, retentionDays: 1, now: new Date(cutoff.getTime() + DAY_MS) });
      expect(result.payloadsDeleted).toBe(old.length);
      expect(await listKeys(bucket)).toEqual([...new Set(foreign)].sort());
    }
  });

  it('warns when the bucket keeps what retention deletes (versioning) and no lifecycle rule expires the noncurrent versions', async () => {
    // Never versioned: retention's deletes remove the objects, no warning.
    const plain = await newBucket();
    expect(await newDriver(plain, { prefix: 'payloads' }).retentionVersioningWarning()).toBeUndefined();

    // Versioned: a payload retention deleted is gone from the listing but stays in the bucket as a noncurrent version.
    const bucket = await newBucket();
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const driver = newDriver(bucket, { prefix: 'connector/payloads' });
    const [claim] = await driver.store({}, [defaultPayloadConverter.toPayload(PERSONAL_MARKER)]);
    await sleep(1500);
    expect((await sweepOnce({ store: driver, retentionDays: 1, now: new Date(Date.now() + DAY_MS) })).payloadsDeleted).toBe(1);
    expect(await listKeys(bucket)).toEqual([]);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    expect(versions.Versions?.map((version) => version.Key)).toEqual([`connector/payloads/${claim?.claimData.key}`]);

    const warning = await driver.retentionVersioningWarning();
    expect(warning).toMatch(new RegExp(`^bucket ${bucket} has versioning enabled: retention \\(PEAKON_SYNC_RETENTION_DAYS\\) deletes without version ids, which only adds delete markers`));
    expect(warning).toMatch(/NoncurrentVersionExpiration .* covering s3:\/\/.+\/connector\/payloads\/ removes it; the bucket has no lifecycle rules$/);

    // Rules that leave some of the prefix's noncurrent versions: another prefix, a tag filter (kept newer versions, which
    // moto does not return, in test/storage/s3-lifecycle-newer-versions.test.ts).
    const lifecycle = (rules: BucketLifecycleConfiguration) => s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: rules }));
    await lifecycle({
      Rules: [
        { ID: 'other-prefix', Status: 'Enabled', Filter: { Prefix: 'reports/' }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
        { ID: 'tagged', Status: 'Enabled', Filter: { Tag: { Key: 'k', Value: 'v' } }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
        { ID: 'disabled', Status: 'Disabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } },
        { ID: 'current-only', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 30 } },
      ],
    });
    expect(await driver.retentionVersioningWarning()).toMatch(/; no lifecycle rule of the bucket does$/);
    // A rule that expires the noncurrent versions of the whole prefix (here: of a folder above it): no warning.
    await lifecycle({ Rules: [{ ID: 'noncurrent', Status: 'Enabled', Filter: { Prefix: 'connector/' }, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] });
    expect(await driver.retentionVersioningWarning()).toBeUndefined();

    // Suspended after being enabled: the old versions are still there.
    const suspended = await newBucket();
    await s3.send(new PutBucketVersioningCommand({ Bucket: suspended, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: suspended, VersioningConfiguration: { Status: 'Suspended' } }));
    expect(await newDriver(suspended).retentionVersioningWarning()).toMatch(new RegExp(`^bucket ${suspended} has versioning suspended: `));

    // A store that does not answer (here: no such bucket): a warning naming the error, never a failure.
    expect(await newDriver('no-such-bucket').retentionVersioningWarning()).toMatch(/^could not read whether bucket no-such-bucket keeps old versions \(GetBucketVersioning: NoSuchBucket, HTTP 404\): if versioning is on/);
  });

  it('is configured from PEAKON_SYNC_* variables, credentials and region coming from the AWS environment', async () => {
    const bucket = await newBucket();
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'test-access-key',
      AWS_SECRET_ACCESS_KEY: 'test-secret-key',
      AWS_REGION: 'us-east-1',
    });
    try {
      const storage = externalStorageFromEnv({
        PEAKON_SYNC_PAYLOAD_STORE: `s3://${bucket}/env/prefix`,
        PEAKON_SYNC_S3_ENDPOINT: endpoint,
        PEAKON_SYNC_S3_FORCE_PATH_STYLE: 'true',
        PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES: '1000',
      });
      expect(storage?.payloadSizeThreshold).toBe(1000);
      const driver = storage?.drivers[0] as S3StorageDriver;
      drivers.push(driver);
      expect(driver).toBeInstanceOf(S3StorageDriver);
      const [claim] = await driver.store({}, [defaultPayloadConverter.toPayload('from env')]);
      expect(await listKeys(bucket)).toEqual([`env/prefix/${claim?.claimData.key}`]);
      const [back] = await driver.retrieve({}, [claim as StorageDriverClaim]);
      expect(defaultPayloadConverter.fromPayload(back as Payload)).toBe('from env');
    } finally {
      process.env = saved;
    }
  });

  describe('through Temporal (dev server)', () => {
    let temporal: TemporalTestContext;
    beforeAll(async () => {
      temporal = await connectToDevServer();
    });
    afterAll(async () => {
      await temporal.close();
    });

    it('keeps a 300 KB result with personal data out of history: a reference in history, the object in the bucket', async () => {
      const bucket = await newBucket();
      const driver = newDriver(bucket, { prefix: 'payloads' });
      const externalStorage = new ExternalStorage({ drivers: [driver], payloadSizeThreshold: 128 * 1024 });
      const { result, rawHistoryBytes, resultPayloads } = await runLargePayloadWorkflow(temporal, externalStorage);

      expect(result).toHaveLength(300 * 1024);
      expect(result).toContain(PERSONAL_MARKER);
      expect(rawHistoryBytes.includes(PERSONAL_MARKER)).toBe(false);
      expect(rawHistoryBytes.length).toBeLessThan(20_000);
      const references = resultPayloads.map(referenceOf);
      expect(references).toHaveLength(2); // the activity's result and the workflow's result
      for (const reference of references) {
        expect(reference).toMatchObject({ driverName: 's3', sizeBytes: expect.any(Number) });
        expect(reference?.sizeBytes).toBeGreaterThan(300 * 1024);
      }
      expect(new Set(references.map((r) => r?.key)).size).toBe(1); // same bytes, same object
      const key = `payloads/${references[0]?.key}`;
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength).toBeGreaterThan(300 * 1024);
      expect(await listKeys(bucket)).toEqual([key]);
    });
  });
});
