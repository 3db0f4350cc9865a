// Temporal external storage in any S3-compatible object store (AWS S3, MinIO, Ceph RGW, GCS interoperability).
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  paginateListObjectsV2,
  type LifecycleRule,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import type {
  Payload,
  StorageDriver,
  StorageDriverClaim,
  StorageDriverRetrieveContext,
  StorageDriverStoreContext,
} from '@temporalio/common';
import {
  claimFor,
  deserializePayload,
  keyOfClaim,
  mapLimit,
  serializePayload,
  type RetainableStorageDriver,
} from './payload-bytes';

export const S3_DRIVER_NAME = 's3';
export const S3_DRIVER_TYPE = 'peakon-sync.s3';

const CONCURRENCY = 8;
/** Keys under `<prefix>ledger/` hold the ownership ledgers (ownership/store.ts): kept, never swept by retention. */
export const LEDGER_FOLDER = 'ledger';
/** The name of a stored payload under the prefix (payload-bytes.ts: its sha256); the only name retention deletes. */
const PAYLOAD_KEY = /^[0-9a-f]{64}$/;
/** S3's own maximum for one DeleteObjects request. */
const MAX_DELETE_BATCH = 1000;

export interface S3StorageDriverOptions {
  bucket: string;
  /** Key prefix, e.g. `peakon-sync/payloads` (a trailing `/` is added). Default: the bucket root. */
  prefix?: string;
  /** A non-AWS endpoint (MinIO, Ceph, `https://storage.googleapis.com`). Credentials and region still come from the
   * standard AWS chain (AWS_ACCESS_KEY_ID/…, AWS_PROFILE, web identity, instance metadata; AWS_REGION). */
  endpoint?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most self-hosted stores need. */
  forcePathStyle?: boolean;
  /** Extra S3 client settings (region, credentials, …); they win over the ones above. */
  clientConfig?: S3ClientConfig;
  /** A ready client instead of one built from the settings above (the driver then does not destroy it). */
  client?: S3Client;
  /** Driver name written into each reference in history; default `s3`. Changing it orphans existing references. */
  name?: string;
  /** Objects per DeleteObjects request during retention (≤ 1000). */
  deleteBatchSize?: number;
}

export class S3StorageDriver implements StorageDriver, RetainableStorageDriver {
  readonly name: string;
  readonly type = S3_DRIVER_TYPE;
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly deleteBatchSize: number;

  constructor(options: S3StorageDriverOptions) {
    if (!options.bucket) throw new Error('S3 storage driver: a bucket is required');
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix);
    this.name = options.name ?? S3_DRIVER_NAME;
    this.deleteBatchSize = Math.max(1, Math.min(MAX_DELETE_BATCH, options.deleteBatchSize ?? MAX_DELETE_BATCH));
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ??
      new S3Client({
        ...(options.endpoint
          ? {
              endpoint: options.endpoint,
              // Recent SDKs add CRC checksums to every request by default; several S3-compatible stores reject them.
              requestChecksumCalculation: 'WHEN_REQUIRED',
              responseChecksumValidation: 'WHEN_REQUIRED',
            }
          : {}),
        ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
        ...options.clientConfig,
      });
  }

  get location(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  objectKey(key: string): string {
    return `${this.prefix}${key}`;
  }

  async store(context: StorageDriverStoreContext, payloads: Payload[]): Promise<StorageDriverClaim[]> {
    return mapLimit(payloads, CONCURRENCY, async (payload) => {
      const { key, bytes } = serializePayload(payload);
      // Content-addressed: a retried store PUTs the same bytes to the same key (and refreshes LastModified, so
      // retention counts from the latest store that referenced it).
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: 'application/x-protobuf',
        }),
        { abortSignal: context.abortSignal },
      );
      return claimFor(key);
    });
  }

  async retrieve(context: StorageDriverRetrieveContext, claims: StorageDriverClaim[]): Promise<Payload[]> {
    return mapLimit(claims, CONCURRENCY, async (claim) => {
      const key = keyOfClaim(claim, this.name);
      let bytes: Uint8Array;
      try {
        const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }), {
          abortSignal: context.abortSignal,
        });
        if (!response.Body) throw new Error(`payload ${key} in ${this.location} has no body`);
        bytes = await response.Body.transformToByteArray();
      } catch (error) {
        if (isNotFound(error)) {
          throw new Error(
            `payload ${key} is missing from ${this.location}: is PEAKON_SYNC_PAYLOAD_STORE shared by every worker, ` +
              'or was it deleted by retention (PEAKON_SYNC_RETENTION_DAYS)?',
          );
        }
        throw error;
      }
      return deserializePayload(key, bytes, this.location);
    });
  }

  /**
   * Deletes the payloads this driver stored before `cutoff`, and nothing else: only keys `<prefix><sha256 hex>` (the
   * one name `store` writes; it writes no temp or claim objects). The bucket may be shared, and with no prefix the
   * payloads sit at its root: other objects there (reports, other tools' data, `<prefix>ledger/…`) are never touched.
   * The listing stops at the first `/` after the prefix, so no other folder of the bucket is even listed.
   */
  async deleteOlderThan(cutoff: Date, signal?: AbortSignal): Promise<number> {
    let deleted = 0;
    const pages = paginateListObjectsV2(
      { client: this.client, pageSize: MAX_DELETE_BATCH },
      { Bucket: this.bucket, Delimiter: '/', ...(this.prefix ? { Prefix: this.prefix } : {}) },
    );
    for await (const page of pages) {
      signal?.throwIfAborted();
      const old = (page.Contents ?? [])
        .filter((object) => object.Key !== undefined && this.isPayloadKey(object.Key))
        .filter((object) => object.LastModified && object.LastModified.getTime() < cutoff.getTime())
        .map((object) => object.Key as string);
      for (let start = 0; start < old.length; start += this.deleteBatchSize) {
        deleted += await this.deleteBatch(old.slice(start, start + this.deleteBatchSize), signal);
      }
    }
    return deleted;
  }

  /** Whether an object key is one `store` writes: the prefix, then a bare sha256 in hex (never `ledger/…`). */
  isPayloadKey(objectKey: string): boolean {
    return objectKey.startsWith(this.prefix) && PAYLOAD_KEY.test(objectKey.slice(this.prefix.length));
  }

  /**
   * Why retention may not remove what it deletes, or undefined. Retention deletes by key, without version ids: in a
   * bucket with versioning enabled (or suspended after it was, so old versions may exist) that only adds a delete
   * marker, and each deleted payload (plan pages too) stays as a noncurrent version, as does each ownership ledger a
   * write replaced, until a lifecycle rule with NoncurrentVersionExpiration removes it. Read at the worker's start-up
   * check; no warning when versioning was never turned on or such a rule covers the whole prefix. The answers of a
   * store that refuses to say (no s3:GetBucketVersioning permission, a store without the call) are a warning too:
   * nothing then shows that retention keeps its promise. Names the bucket and the store's error name, nothing else.
   */
  async retentionVersioningWarning(): Promise<string | undefined> {
    const rule = `a lifecycle rule with NoncurrentVersionExpiration (and no NewerNoncurrentVersions) covering ${this.location}`;
    let status: string | undefined;
    try {
      status = (await this.client.send(new GetBucketVersioningCommand({ Bucket: this.bucket }))).Status;
    } catch (error) {
      return (
        `could not read whether bucket ${this.bucket} keeps old versions (GetBucketVersioning: ${errorName(error)}): ` +
        'if versioning is on, retention (PEAKON_SYNC_RETENTION_DAYS) only adds delete markers and every deleted payload ' +
        `stays as a noncurrent version, unless ${rule} removes them`
      );
    }
    if (status !== 'Enabled' && status !== 'Suspended') return undefined;
    let lifecycle: string;
    try {
      const { Rules: rules = [] } = await this.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: this.bucket }));
      if (rules.some((candidate) => this.expiresNoncurrentVersions(candidate))) return undefined;
      lifecycle = 'no lifecycle rule of the bucket does';
    } catch (error) {
      lifecycle = (error as { name?: string }).name === 'NoSuchLifecycleConfiguration' ? 'the bucket has no lifecycle rules' : `its lifecycle rules could not be read (${errorName(error)})`;
    }
    return (
      `bucket ${this.bucket} has versioning ${status.toLowerCase()}: retention (PEAKON_SYNC_RETENTION_DAYS) deletes ` +
      'without version ids, which only adds delete markers, so every deleted payload and plan page (and every ownership ' +
      `ledger a write replaced) stays in the bucket as a noncurrent version until ${rule} removes it; ${lifecycle}`
    );
  }

  /** Whether `rule` expires the noncurrent versions of every object under the prefix (no tag or size filter). */
  private expiresNoncurrentVersions(rule: LifecycleRule): boolean {
    const expiration = rule.NoncurrentVersionExpiration;
    if (rule.Status !== 'Enabled' || expiration?.NoncurrentDays === undefined || (expiration.NewerNoncurrentVersions ?? 0) > 0) return false;
    const filter = rule.Filter;
    const and = filter?.And;
    if (filter?.Tag || (and?.Tags?.length ?? 0) > 0) return false;
    if ([filter?.ObjectSizeGreaterThan, filter?.ObjectSizeLessThan, and?.ObjectSizeGreaterThan, and?.ObjectSizeLessThan].some((size) => size !== undefined)) return false;
    // A rule written with the old top-level Prefix still applies.
    const prefix = filter?.Prefix ?? and?.Prefix ?? rule.Prefix ?? '';
    return this.prefix.startsWith(prefix);
  }

  /** Releases the HTTP connections of a client this driver created. */
  destroy(): void {
    if (this.ownsClient) this.client.destroy();
  }

  private async deleteBatch(keys: string[], signal?: AbortSignal): Promise<number> {
    if (keys.length === 0) return 0;
    try {
      const response = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
        { abortSignal: signal },
      );
      const errors = response.Errors ?? [];
      if (errors.length > 0) {
        const first = errors[0];
        throw new Error(
          `retention could not delete ${errors.length} of ${keys.length} payloads in ${this.location} ` +
            `(first: ${first?.Key ?? '?'}: ${first?.Code ?? ''} ${first?.Message ?? ''})`,
        );
      }
      return keys.length;
    } catch (error) {
      // GCS's S3 interoperability (and some gateways) lack the multi-object delete: fall back to one by one.
      if (!isNotImplemented(error)) throw error;
      await mapLimit(keys, CONCURRENCY, (Key) =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: signal }),
      );
      return keys.length;
    }
  }
}

function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed ? `${trimmed}/` : '';
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException) || error.name === 'NoSuchBucket') return false;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404;
}

/** An S3 error's name (AccessDenied, NotImplemented, …), never its message. */
function errorName(error: unknown): string {
  if (error instanceof S3ServiceException) return `${error.name}, HTTP ${error.$metadata.httpStatusCode ?? '?'}`;
  return error instanceof Error ? error.name : 'error';
}

function isNotImplemented(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NotImplemented' || error.$metadata.httpStatusCode === 501;
}
