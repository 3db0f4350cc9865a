import * as path from 'node:path';
import {
  DEFAULT_PAYLOAD_THRESHOLD_BYTES,
  STORAGE_ENVIRONMENT_VARIABLES,
  assertSingleProtobufjs,
  externalStorageFromEnv,
  storageConfigFromEnv,
} from '../../storage/from-env';
import { LocalStorageDriver } from '../../storage/local-driver';
import { S3StorageDriver } from '../../storage/s3-driver';

describe('payload storage from the environment', () => {
  it('lists its variables', () => {
    expect(STORAGE_ENVIRONMENT_VARIABLES).toEqual([
      'PEAKON_SYNC_PAYLOAD_STORE',
      'PEAKON_SYNC_S3_ENDPOINT',
      'PEAKON_SYNC_S3_FORCE_PATH_STYLE',
      'PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES',
      'PEAKON_SYNC_RETENTION_DAYS',
    ]);
  });

  it('is off when unset, or the local default folder when one is given', () => {
    expect(externalStorageFromEnv({})).toBeUndefined();
    expect(externalStorageFromEnv({ PEAKON_SYNC_PAYLOAD_STORE: '' })).toBeUndefined();
    const storage = externalStorageFromEnv({}, { defaultLocalDirectory: 'state/payloads' });
    const driver = storage?.drivers[0] as LocalStorageDriver;
    expect(driver).toBeInstanceOf(LocalStorageDriver);
    expect(driver.directory).toBe(path.resolve('state/payloads'));
    expect(storage?.payloadSizeThreshold).toBe(DEFAULT_PAYLOAD_THRESHOLD_BYTES);
    expect(DEFAULT_PAYLOAD_THRESHOLD_BYTES).toBe(16384);
  });

  it('parses local: and s3:// stores with their settings and defaults', () => {
    expect(storageConfigFromEnv({ PEAKON_SYNC_PAYLOAD_STORE: 'local:/var/lib/peakon/payloads' })).toEqual({
      store: { kind: 'local', directory: '/var/lib/peakon/payloads' },
      thresholdBytes: 16384,
      retentionDays: 30,
    });
    expect(
      storageConfigFromEnv({
        PEAKON_SYNC_PAYLOAD_STORE: 's3://my-bucket/peakon/payloads/',
        PEAKON_SYNC_S3_ENDPOINT: 'http://minio:9000',
        PEAKON_SYNC_S3_FORCE_PATH_STYLE: 'true',
        PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES: '65536',
        PEAKON_SYNC_RETENTION_DAYS: '7',
      }),
    ).toEqual({
      store: { kind: 's3', bucket: 'my-bucket', prefix: 'peakon/payloads', endpoint: 'http://minio:9000', forcePathStyle: true },
      thresholdBytes: 65536,
      retentionDays: 7,
    });
    const storage = externalStorageFromEnv({ PEAKON_SYNC_PAYLOAD_STORE: 's3://bucket-only' });
    const driver = storage?.drivers[0] as S3StorageDriver;
    expect(driver).toBeInstanceOf(S3StorageDriver);
    expect(driver.location).toBe('s3://bucket-only/');
    driver.destroy();
  });

  it.each([
    [{ PEAKON_SYNC_PAYLOAD_STORE: '/tmp/payloads' }, /PEAKON_SYNC_PAYLOAD_STORE="\/tmp\/payloads": expected local:<folder>/],
    [{ PEAKON_SYNC_PAYLOAD_STORE: 'local:' }, /local: needs a folder/],
    [{ PEAKON_SYNC_PAYLOAD_STORE: 's3://Bad_Bucket/x' }, /valid bucket name/],
    [{ PEAKON_SYNC_PAYLOAD_STORE: 's3://b1/x', PEAKON_SYNC_S3_ENDPOINT: 'minio:9000' }, /PEAKON_SYNC_S3_ENDPOINT \(value not shown: it may hold credentials\): expected an http\(s\) URL/],
    [{ PEAKON_SYNC_PAYLOAD_STORE: 's3://b1/x', PEAKON_SYNC_S3_FORCE_PATH_STYLE: 'maybe' }, /PEAKON_SYNC_S3_FORCE_PATH_STYLE="maybe": expected true or false/],
    [{ PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES: '128k' }, /PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES="128k": expected a whole number of bytes/],
    [{ PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES: '0' }, /above 0/],
    [{ PEAKON_SYNC_RETENTION_DAYS: '-3' }, /PEAKON_SYNC_RETENTION_DAYS="-3": expected a whole number of days/],
    [{ PEAKON_SYNC_PAYLOAD_STORE: 'local:/x', PEAKON_SYNC_S3_ENDPOINT: 'http://minio:9000' }, /PEAKON_SYNC_PAYLOAD_STORE is not s3:\/\//],
  ])('rejects %j with a clear error', (env, message) => {
    expect(() => storageConfigFromEnv(env)).toThrow(message);
  });

  it('never quotes an invalid endpoint: written as user:password@host it holds a secret', () => {
    const refused = (() => {
      try {
        storageConfigFromEnv({ PEAKON_SYNC_PAYLOAD_STORE: 's3://b1/x', PEAKON_SYNC_S3_ENDPOINT: 'minio-admin:S3cr3tK3y@minio.internal:9000' });
      } catch (error) {
        return (error as Error).message;
      }
      return undefined;
    })();
    expect(refused).toContain('PEAKON_SYNC_S3_ENDPOINT');
    expect(refused).not.toContain('S3cr3tK3y');
  });

  it('reports every invalid variable at once', () => {
    expect(() =>
      storageConfigFromEnv({ PEAKON_SYNC_PAYLOAD_STORE: 'ftp://x', PEAKON_SYNC_RETENTION_DAYS: 'forever' }),
    ).toThrow(/PEAKON_SYNC_PAYLOAD_STORE[\s\S]*\n {2}PEAKON_SYNC_RETENTION_DAYS/);
  });

  it('finds one protobufjs shared by @temporalio/common and @temporalio/proto (else every offload fails)', () => {
    expect(() => assertSingleProtobufjs()).not.toThrow();
  });
});
