/**
 * A versioned bucket whose only noncurrent-version rule keeps some newer versions (`NewerNoncurrentVersions`) still
 * keeps what retention deletes: the worker warns. moto (the S3 server the other storage tests use) does not return
 * `NewerNoncurrentVersions` in a bucket's lifecycle, so this one S3 client is a stand-in answering the two calls the
 * check makes, as S3 answers them.
 */
import { GetBucketLifecycleConfigurationCommand, GetBucketVersioningCommand, type LifecycleRule, type S3Client } from '@aws-sdk/client-s3';
import { S3StorageDriver } from '../../storage/s3-driver';

function driverOverBucket(rules: LifecycleRule[]): S3StorageDriver {
  const client = {
    send: (command: unknown) => {
      if (command instanceof GetBucketVersioningCommand) return Promise.resolve({ Status: 'Enabled' });
      if (command instanceof GetBucketLifecycleConfigurationCommand) return Promise.resolve({ Rules: rules });
      return Promise.reject(new Error('not a call of the versioning check'));
    },
  } as unknown as S3Client;
  return new S3StorageDriver({ bucket: 'payloads', prefix: 'connector/payloads', client });
}

describe('the retention warning of a versioned bucket', () => {
  const expireAll = { NoncurrentDays: 1 };

  it('warns when the only rule expiring noncurrent versions keeps some newer ones', async () => {
    const warning = await driverOverBucket([{ ID: 'kept-newer', Status: 'Enabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: { ...expireAll, NewerNoncurrentVersions: 3 } }]).retentionVersioningWarning();
    expect(warning).toMatch(/^bucket payloads has versioning enabled: .*; no lifecycle rule of the bucket does$/s);
  });

  it('does not warn for the same rule expiring every noncurrent version (the control)', async () => {
    expect(await driverOverBucket([{ ID: 'all', Status: 'Enabled', Filter: { Prefix: '' }, NoncurrentVersionExpiration: expireAll }]).retentionVersioningWarning()).toBeUndefined();
  });
});
