// Temporal external storage in any S3-compatible object store (AWS S3, MinIO, Ceph RGW, GCS interoperability).
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type DeleteObjectsCommandOutput,
  type GetBucketLifecycleConfigurationCommandOutput,
  type GetBucketVersioningCommandOutput,
  type LifecycleRule,
  type ListObjectsV2CommandOutput,
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
/**
 * Total deadline of one S3 call, from sending it to the last byte of its answer, the SDK's own retries included: a
 * store that accepts a connection and never answers (or trickles bytes) must not hold a workflow task, a ledger write or
 * the worker's start-up check forever. Ledger writes run in 60 s activities: a read and a write fit in one.
 */
export const S3_REQUEST_DEADLINE_MS = 30_000;

/** The S3 call that got no complete answer within its total deadline; names the store, never credentials. */
export class S3DeadlineError extends Error {
  override readonly name = 'S3DeadlineError';
}

/**
 * S3 refused a call for want of a permission (AccessDenied). Its message names the object or prefix, the permission
 * missing and every one the worker needs; never credentials, a signed URL or the store's own message.
 */
export class S3PermissionError extends Error {
  override readonly name = 'S3PermissionError';
}

/**
 * A read of an object answered HTTP 404 without S3's `NoSuchKey` error code: not the object store saying the object
 * does not exist (AWS S3, MinIO, Ceph RGW, R2 and GCS all say NoSuchKey), but something in front of it (an ingress or
 * load balancer during a rollout, a gateway, an endpoint that is not the store). Taking it as a missing object would
 * read a tenant's ownership ledger as empty (nobody owned: no leaver handled, and an unconditional write then forgets
 * everyone owned before). Its message names the object and the endpoint, never credentials or the answer's body.
 * A plain Error, retried like any other failed S3 call (the activity's retries, the workflow task's).
 */
export class S3UnexpectedNotFoundError extends Error {
  override readonly name = 'S3UnexpectedNotFoundError';
}

/**
 * A refusal for want of a permission: AccessDenied (an IAM or bucket policy), not a credential or clock problem
 * (InvalidAccessKeyId, SignatureDoesNotMatch, ExpiredToken, RequestTimeTooSkewed, which are 403 too).
 */
export function isAccessDenied(error: unknown): boolean {
  // Other 403s are named by their code: blaming a permission for one would send the operator to the wrong fix.
  if (!(error instanceof S3ServiceException)) return false;
  // A 403 with no error code in its body (a gateway's, some S3-compatible stores'): the SDK names it `Unknown` (or by its status).
  return ACCESS_DENIED_NAMES.has(error.name) || (error.$metadata.httpStatusCode === 403 && /^(\d+|Unknown|UnknownError)$/.test(error.name));
}

const ACCESS_DENIED_NAMES = new Set(['AccessDenied', 'AllAccessDisabled']);

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
  /** Total deadline of each S3 call, retries and reading the answer included; default S3_REQUEST_DEADLINE_MS. */
  requestDeadlineMs?: number;
}

export class S3StorageDriver implements StorageDriver, RetainableStorageDriver {
  readonly name: string;
  readonly type = S3_DRIVER_TYPE;
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly deleteBatchSize: number;
  readonly requestDeadlineMs: number;
  /** The endpoint for messages, without user info, query or fragment; undefined for AWS's own. */
  private readonly endpointName: string | undefined;

  constructor(options: S3StorageDriverOptions) {
    if (!options.bucket) throw new Error('S3 storage driver: a bucket is required');
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix);
    this.name = options.name ?? S3_DRIVER_NAME;
    this.deleteBatchSize = Math.max(1, Math.min(MAX_DELETE_BATCH, options.deleteBatchSize ?? MAX_DELETE_BATCH));
    this.requestDeadlineMs = options.requestDeadlineMs ?? S3_REQUEST_DEADLINE_MS;
    if (!(this.requestDeadlineMs > 0)) throw new Error('S3 storage driver: requestDeadlineMs must be above 0');
    this.endpointName = options.endpoint === undefined ? undefined : endpointForMessages(options.endpoint);
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

  /** s3:ListBucket as the worker needs it: on the bucket (what retention lists with, and what makes S3 answer 404, not 403, for a missing object). */
  get listBucketPermission(): string {
    // No s3:prefix condition: a GetObject carries no prefix, so a conditioned grant may still turn a missing object's 404 into 403.
    return `s3:ListBucket on arn:aws:s3:::${this.bucket} (docs/deploy.md: Minimal IAM policy)`;
  }

  /** Every permission the worker needs of the store, for messages (docs/deploy.md: Minimal IAM policy). */
  get requiredPermissions(): string {
    return (
      `s3:GetObject, s3:PutObject and s3:DeleteObject on arn:aws:s3:::${this.bucket}/${this.prefix}*, and ${this.listBucketPermission} ` +
      '(s3:GetBucketVersioning and s3:GetLifecycleConfiguration on the bucket are optional: without them the start-up check only warns that it cannot tell whether retention\'s deletes are kept as old versions)'
    );
  }

  /** S3 refused `operation` on `what` (a ListObjectsV2 under the prefix, or a read of a missing object) for want of s3:ListBucket. */
  listBucketRefused(what: string, operation: string, error: unknown): S3PermissionError {
    return new S3PermissionError(`${what} was refused (${operation}: ${errorName(error)}): the worker lacks ${this.listBucketPermission}; it needs ${this.requiredPermissions}`);
  }

  /**
   * S3 refused to read an object (403): without s3:ListBucket it answers 403, not 404, for an object that does not
   * exist (a ledger not written yet, a payload retention deleted), and 403 too without s3:GetObject. `what` names the object.
   */
  readRefused(what: string, objectKey: string, error: unknown): S3PermissionError {
    return new S3PermissionError(
      `reading ${what} s3://${this.bucket}/${objectKey} was refused (GetObject: ${errorName(error)}): S3 answers 403 instead of 404 for an object that ` +
        `does not exist when the worker lacks ${this.listBucketPermission}, and 403 when it lacks s3:GetObject; it needs ${this.requiredPermissions}`,
    );
  }

  /**
   * The error for a read (GetObject) of `what` at `objectKey` that failed other than with S3's NoSuchKey (which each
   * caller handles itself): a 403 is an S3PermissionError (readRefused), a 404 without NoSuchKey an
   * S3UnexpectedNotFoundError, anything else itself.
   */
  readFailed(what: string, objectKey: string, error: unknown): unknown {
    if (isAccessDenied(error)) return this.readRefused(what, objectKey, error);
    if (!isUnexpectedNotFound(error)) return error;
    // An empty or non-XML body: the SDK names the first `NotFound` (any 404 without an error code); the second fails its XML parsing.
    const answer = error instanceof S3ServiceException ? `no error code; the SDK names it ${error.name}` : 'a body that is not S3\'s XML';
    return new S3UnexpectedNotFoundError(
      `reading ${what} s3://${this.bucket}/${objectKey} from ${this.endpointName ?? 'AWS S3'} was answered HTTP 404 without S3's NoSuchKey (${answer}): ` +
        'not the object store saying the object does not exist, but something in front of it (a proxy, ingress or load balancer, e.g. during a rollout, ' +
        'or an endpoint that is not the store: PEAKON_SYNC_S3_ENDPOINT, PEAKON_SYNC_S3_FORCE_PATH_STYLE); it is not taken as a missing object',
    );
  }

  /**
   * The start-up check of s3:ListBucket: reads `absentKey` (an object that does not exist: S3 answers 404 only to a
   * caller with s3:ListBucket, 403 without, and `why` says who reads such objects) and lists one key under the prefix,
   * as retention lists (the same Prefix and Delimiter, so the same s3:prefix an IAM condition sees). Either refused is an
   * S3PermissionError: otherwise they show only as each such read failing, and as each retention sweep failing with
   * stored payloads outliving PEAKON_SYNC_RETENTION_DAYS.
   */
  async checkListBucket(absentKey: string, why: string): Promise<void> {
    try {
      await this.call('GetObject', async (abortSignal) => await (await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: absentKey }), { abortSignal })).Body?.transformToByteArray());
    } catch (error) {
      if (isAccessDenied(error)) throw this.listBucketRefused(`reading an object that does not exist (s3://${this.bucket}/${absentKey}, ${why})`, 'GetObject', error);
      if (!isNotFound(error, 'GetObject')) throw this.readFailed(`an object that does not exist (${why})`, absentKey, error);
    }
    try {
      await this.send(new ListObjectsV2Command(this.listInput(1)));
    } catch (error) {
      if (isAccessDenied(error)) throw this.listBucketRefused(`listing ${this.location} (as retention does)`, 'ListObjectsV2', error);
      throw error;
    }
  }

  /** One ListObjectsV2 page under the prefix, stopping at the next `/` (deleteOlderThan, checkListBucket). */
  private listInput(maxKeys: number, continuationToken?: string) {
    return {
      Bucket: this.bucket,
      Delimiter: '/',
      MaxKeys: maxKeys,
      ...(this.prefix ? { Prefix: this.prefix } : {}),
      ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
    };
  }

  /**
   * Runs one S3 call, `call` (the request and reading its answer), within the total deadline (requestDeadlineMs) and
   * `signal`. Every S3 call of the driver and of the ownership ledger goes through here. A call past its deadline is
   * aborted (its connection destroyed) and fails with an S3DeadlineError naming the store: its bucket and endpoint.
   */
  async call<T>(operation: string, call: (abortSignal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const deadline = AbortSignal.timeout(this.requestDeadlineMs);
    try {
      return await call(signal ? AbortSignal.any([signal, deadline]) : deadline);
    } catch (error) {
      if (!deadline.aborted || signal?.aborted) throw error;
      throw new S3DeadlineError(
        `the payload store ${this.location}${this.endpointName ? ` at ${this.endpointName}` : ''} gave no complete ` +
          `answer to ${operation} within the total deadline of ${this.requestDeadlineMs} ms`,
      );
    }
  }

  /** Sends one command within the total deadline (call); for a GetObject, read its Body inside `call` instead. */
  async send<Output = unknown>(command: { readonly input: object }, signal?: AbortSignal): Promise<Output> {
    const operation = command.constructor.name.replace(/Command$/, '');
    // Any command of this client (PutObjectCommand, …); its output type is the caller's to name.
    return await this.call(operation, async (abortSignal) => (await this.client.send(command as never, { abortSignal })) as Output, signal);
  }

  async store(context: StorageDriverStoreContext, payloads: Payload[]): Promise<StorageDriverClaim[]> {
    return mapLimit(payloads, CONCURRENCY, async (payload) => {
      const { key, bytes } = serializePayload(payload);
      // Content-addressed: a retried store PUTs the same bytes to the same key (and refreshes LastModified, so
      // retention counts from the latest store that referenced it).
      await this.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: 'application/x-protobuf',
        }),
        context.abortSignal,
      );
      return claimFor(key);
    });
  }

  async retrieve(context: StorageDriverRetrieveContext, claims: StorageDriverClaim[]): Promise<Payload[]> {
    return mapLimit(claims, CONCURRENCY, async (claim) => {
      const key = keyOfClaim(claim, this.name);
      let bytes: Uint8Array;
      try {
        bytes = await this.call(
          'GetObject',
          async (abortSignal) => {
            const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }), { abortSignal });
            if (!response.Body) throw new Error(`payload ${key} in ${this.location} has no body`);
            return await response.Body.transformToByteArray();
          },
          context.abortSignal,
        );
      } catch (error) {
        if (isNotFound(error, 'GetObject')) {
          throw new Error(
            `payload ${key} is missing from ${this.location}: is PEAKON_SYNC_PAYLOAD_STORE shared by every worker, ` +
              'or was it deleted by retention (PEAKON_SYNC_RETENTION_DAYS)?',
          );
        }
        throw this.readFailed('payload', this.objectKey(key), error);
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
    let continuationToken: string | undefined;
    do {
      signal?.throwIfAborted();
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.send<ListObjectsV2CommandOutput>(new ListObjectsV2Command(this.listInput(MAX_DELETE_BATCH, continuationToken)), signal);
      } catch (error) {
        if (isAccessDenied(error)) throw this.listBucketRefused(`retention's listing of ${this.location} (stored payloads outlive PEAKON_SYNC_RETENTION_DAYS until it is allowed)`, 'ListObjectsV2', error);
        throw error;
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      const old = (page.Contents ?? [])
        .filter((object) => object.Key !== undefined && this.isPayloadKey(object.Key))
        .filter((object) => object.LastModified && object.LastModified.getTime() < cutoff.getTime())
        .map((object) => object.Key as string);
      for (let start = 0; start < old.length; start += this.deleteBatchSize) {
        deleted += await this.deleteBatch(old.slice(start, start + this.deleteBatchSize), signal);
      }
    } while (continuationToken);
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
      status = (await this.send<GetBucketVersioningCommandOutput>(new GetBucketVersioningCommand({ Bucket: this.bucket }))).Status;
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
      const { Rules: rules = [] } = await this.send<GetBucketLifecycleConfigurationCommandOutput>(new GetBucketLifecycleConfigurationCommand({ Bucket: this.bucket }));
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
      const response = await this.send<DeleteObjectsCommandOutput>(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
        signal,
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
        this.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), signal),
      );
      return keys.length;
    }
  }
}

/** An endpoint as messages may show it: scheme, host, port and path; never user info, a query or a fragment. */
function endpointForMessages(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return 'the configured endpoint';
  }
}

function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed ? `${trimmed}/` : '';
}

/**
 * The object does not exist, as the store answers `operation` for it (S3 says so only to a caller with s3:ListBucket;
 * 403 without). A GetObject's answer carries an error code: only `NoSuchKey` is a missing object. Any other 404 (a
 * missing bucket's NoSuchBucket, or one without a code: a proxy's, a load balancer's, a gateway's, which the SDK names
 * `NotFound`) is not (isUnexpectedNotFound). A HeadObject's answer has no body, so the SDK names every 404 `NotFound`:
 * it cannot tell a missing object from a missing bucket or a gateway's 404, and must not decide anything a wrong
 * "absent" would break (an ownership ledger is read with GetObject).
 */
export function isNotFound(error: unknown, operation: 'GetObject' | 'HeadObject'): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  if (operation === 'HeadObject') return error.name === 'NotFound' && error.$metadata.httpStatusCode === 404;
  return error.name === 'NoSuchKey' || (error as { Code?: string }).Code === 'NoSuchKey';
}

/**
 * A GetObject answered 404 other than by the store's NoSuchKey or NoSuchBucket: with no error code (an empty or
 * non-S3 body; the SDK names it `NotFound`) or a body it cannot parse as S3's XML (then not even an S3ServiceException).
 */
export function isUnexpectedNotFound(error: unknown): boolean {
  if ((error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode !== 404) return false;
  return !isNotFound(error, 'GetObject') && (error as { name?: string }).name !== 'NoSuchBucket';
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
