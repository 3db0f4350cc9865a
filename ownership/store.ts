/**
 * Where the ownership ledger lives: next to the payloads, in the store every worker already shares
 * (PEAKON_SYNC_PAYLOAD_STORE: a local folder for one host, S3 for several), as `ledger/<tenant>.ledger`. The ledger is
 * encrypted with the same codec as every payload. Only the run holding the tenant's lock writes it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3ClientConfig } from '@aws-sdk/client-s3';
import { log as activityLog } from '@temporalio/activity';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ENCRYPTION_KEY_ID_METADATA_KEY, isEncryptedPayload, PayloadDecryptionError } from '../codec/aes-gcm-codec';
import { connectorDataConverter } from '../codec/data-converter';
import { checkedTenantName } from '../config/schema';
import { realSleep } from '../net/sleep';
import { writeLogLine } from '../worker/log-line';
import { syncDirectory, writeNewFileSynced } from '../storage/durable-file';
import { createStorageDriver, storageConfigFromEnv, type PayloadStoreConfig } from '../storage/from-env';
import { isNotFound, LEDGER_FOLDER, S3StorageDriver } from '../storage/s3-driver';
import { applyOwnershipChange, emptyLedger, OwnershipLedgerSchema, type OwnershipChange, type OwnershipLedger } from './ledger';

const PayloadProto = temporal.api.common.v1.Payload;

// LEDGER_FOLDER: the folder (or key prefix) inside the payload store; retention never deletes it (the local driver
// sweeps only its own top-level payload files; the S3 driver skips the prefix).

export interface LedgerStore {
  /** Where the ledger lives, for messages. */
  readonly location: string;
  read(tenant: string): Promise<OwnershipLedger>;
  /**
   * Reads, applies the change and writes back (idempotent), without losing another writer's change: the write goes
   * through only if the ledger is still the one read, else it reads again. Two writers of one tenant are rare (the
   * tenant lock keeps runs apart) but real: a run that lost its lock may still be finishing a plan's write while the
   * next run records its own, and a lost write would drop users from the ledger, who would then never be leavers.
   */
  record(tenant: string, change: OwnershipChange): Promise<OwnershipLedger>;
  /**
   * Writes, reads and deletes a probe object where the ledgers live (the payload store every worker shares), and finds
   * out how the store keeps two writers apart. The worker runs it at start-up: an unwritable store otherwise shows
   * only once a run stores its first payload, as workflow tasks failing over and over. In a bucket, it also warns when
   * versioning keeps what retention deletes (S3StorageDriver.retentionVersioningWarning), and it reads
   * a key that does not exist (404 expected: a 403 means no s3:ListBucket, and each tenant's first run would fail
   * reading its ledger) and lists one key under the prefix as retention does; either refused fails the check with an
   * S3PermissionError naming the permission missing and every one the worker needs.
   */
  check(): Promise<LedgerStoreCheck>;
}

/**
 * How a ledger write keeps another writer's change: a lock file (folder), conditional writes (S3: `If-None-Match: *`
 * creates a ledger, `If-Match: <ETag>` updates one, and both must hold), or nothing but the tenant lock
 * (`unconditional`: a store that refuses or ignores the create-only condition, or that refuses or ignores If-Match,
 * which every update of an existing ledger relies on).
 */
export type LedgerWrites =
  | 'lock file'
  | 'conditional'
  | 'unconditional: no conditional writes'
  | 'unconditional: conditions ignored'
  | 'unconditional: If-Match refused'
  | 'unconditional: If-Match ignored';

export interface LedgerStoreCheck {
  location: string;
  writes: LedgerWrites;
}

/** A stored object and the version it was read at (what a conditional write compares against). */
interface StoredBytes {
  bytes: Uint8Array;
  version: string;
}

interface ByteStore {
  location: string;
  get(name: string): Promise<StoredBytes | undefined>;
  /**
   * Writes `bytes` only if the object is still at `expected` (undefined: absent); false when another write came first.
   * `previous`: the last good ledger the write started from, kept as `<name>.prev` where the store keeps one.
   */
  putIfUnchanged(name: string, bytes: Uint8Array, expected: string | undefined, previous?: Uint8Array): Promise<boolean>;
  /** The `<name>.prev` a folder keeps (previousVersion); undefined where there is none. */
  getPrevious?(name: string): Promise<Uint8Array | undefined>;
  /** Where one ledger lives, for messages: its file, or its object's URL. */
  locationOf(name: string): string;
  /** LedgerStore.check, on the bytes. */
  check(): Promise<LedgerWrites>;
}

/** A probe object's name: its own per check (workers starting together), never a `<tenant>.ledger`. */
const probeName = () => `.probe-${randomBytes(8).toString('hex')}`;

/** How often a ledger write reads again after losing a race before giving up (each race is one other writer's write). */
const MAX_RECORD_ATTEMPTS = 20;

/** How often an activity heartbeats while a record() waits (a folder's lock, S3 round trips): well inside its heartbeat time-out. */
export const RECORD_HEARTBEAT_MS = 10_000;
/** A folder ledger's lock is held for one read and one rename, its lease renewed meanwhile: one older than this was left by a crashed writer. */
const STALE_LOCK_MS = 30_000;
/** How long a folder ledger writer waits for another writer's lock before it gives up. */
const LOCK_WAIT_MS = 60_000;

/** 10–50 ms, so writers that met do not meet again at once. */
const jitter = () => realSleep(10 + Math.floor(Math.random() * 40));

/** How long ago `file` was last touched; undefined when it is gone. */
async function ageOf(file: string): Promise<number | undefined> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Creates `file` only if it does not exist (O_EXCL), holding `token`; false when it exists. */
async function createExclusive(file: string, token: string): Promise<boolean> {
  try {
    await writeFile(file, token, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Removes `lock` if it is still stale. Every waiter finds a crashed writer's lock stale at once; if each removed what it
 * had found, a late one would remove the lock an early one had just taken, and two writers would compare and rename at
 * once (a change lost). So removing happens under `<lock>.break`, and the age is checked again under it. The breaker is
 * held for one stat and one unlink; one left by a crash while breaking (two crashes in a row) is itself stale.
 */
async function breakStaleLock(lock: string): Promise<void> {
  const breaker = `${lock}.break`;
  if (!(await createExclusive(breaker, String(process.pid)))) {
    if (((await ageOf(breaker)) ?? 0) > STALE_LOCK_MS) await rm(breaker, { force: true });
    return;
  }
  try {
    if (((await ageOf(lock)) ?? 0) > STALE_LOCK_MS) await rm(lock, { force: true });
  } finally {
    await rm(breaker, { force: true });
  }
}

/**
 * Runs `critical` holding `<file>.lock`, created exclusively (O_EXCL). POSIX has no compare-and-replace of a file, so
 * the compare and the rename happen under this lock. The lock is a lease: renewed while `critical` runs (a slow disk
 * must not make a live writer's lock look crashed), taken over once it is STALE_LOCK_MS old (breakStaleLock), and
 * released only while it still holds this writer's token.
 */
async function withLockFile<T>(file: string, critical: (stillHeld: () => Promise<boolean>) => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const token = `${process.pid}-${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  while (!(await createExclusive(lock, token))) {
    if (((await ageOf(lock)) ?? 0) > STALE_LOCK_MS) await breakStaleLock(lock);
    if (Date.now() > deadline) throw new Error(`the ownership ledger ${file} stayed locked by another writer for ${LOCK_WAIT_MS / 1000} s (${lock}); if no worker is writing it, remove the lock file`);
    await jitter(); // also after a takeover attempt: a waiter that found the breaker held must not spin on it
  }
  const renew = setInterval(() => {
    const now = new Date();
    utimes(lock, now, now).catch(() => undefined); // a failed renewal shows as a takeover at worst, which the token check below notices
  }, STALE_LOCK_MS / 3);
  const stillHeld = async () => (await readFile(lock, 'utf8').catch(() => undefined)) === token;
  try {
    return await critical(stillHeld);
  } finally {
    clearInterval(renew);
    if (await stillHeld()) await rm(lock, { force: true });
  }
}

const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function folderStore(directory: string): ByteStore {
  const folder = path.join(directory, LEDGER_FOLDER);
  const get = async (name: string): Promise<StoredBytes | undefined> => {
    try {
      const bytes = await readFile(path.join(folder, name));
      return { bytes, version: digest(bytes) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };
  /**
   * Replaces `file` with `bytes` so that a power loss leaves the old or the new version, never an empty or partial
   * one: the bytes are fsynced in a temporary file of their own (two writers of one process must never share one),
   * renamed over the file, and the folder is fsynced, which makes the rename itself durable. `beforeRename` false
   * leaves the file as it was.
   */
  const replaceDurably = async (file: string, bytes: Uint8Array, beforeRename: () => Promise<boolean> = async () => true): Promise<boolean> => {
    const temporary = `${file}.${randomBytes(8).toString('hex')}.tmp`;
    try {
      await writeNewFileSynced(temporary, bytes);
      if (!(await beforeRename())) {
        await rm(temporary, { force: true });
        return false;
      }
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    await syncDirectory(folder);
    return true;
  };
  return {
    location: folder,
    locationOf: (name) => path.join(folder, name),
    get,
    async getPrevious(name) {
      return (await get(previousVersion(name)))?.bytes;
    },
    async putIfUnchanged(name, bytes, expected, previous) {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const file = path.join(folder, name);
      return await withLockFile(file, async (stillHeld) => {
        if ((await get(name))?.version !== expected) return false;
        // A writer stalled past the lease (a paused VM) may have been taken over meanwhile, and newer writers may have
        // finished: it then writes neither file and reads again. So `.prev` too is replaced only while this writer
        // still holds the lock and the ledger is still the one it read; else it would put back an older version than
        // the newer writers kept there, and a fallback to it would skip their writes.
        const stillCurrent = async () => (await stillHeld()) && (await get(name))?.version === expected;
        // The last good version first, so a ledger the next write leaves unreadable has a fallback (ledgerStore.read).
        // A ledger written anew (none before, or removed by an operator) has no previous version: an old one is dropped.
        const prev = path.join(folder, previousVersion(name));
        if (previous) {
          if (!(await replaceDurably(prev, previous, stillCurrent))) return false;
        } else {
          if (!(await stillCurrent())) return false;
          await rm(prev, { force: true });
        }
        return await replaceDurably(file, bytes, stillHeld);
      });
    },
    async check() {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const probe = path.join(folder, probeName());
      await writeFile(probe, 'probe', { flag: 'wx', mode: 0o600 });
      await readFile(probe);
      await rm(probe);
      return 'lock file';
    },
  };
}

const statusOf = (error: unknown) => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
/** The store answered that it has no conditional writes (`501 NotImplemented` to If-Match / If-None-Match). */
const refusesConditions = (error: unknown) => statusOf(error) === 501 || (error as { name?: string }).name === 'NotImplemented';
/** The store refused a conditional write whose condition did not hold: it honours the condition. */
const conditionHeld = (error: unknown) => statusOf(error) === 412 || statusOf(error) === 409;
/** An ETag no object has (S3's are an MD5 or `<MD5>-<parts>`): a write on this condition must be refused. */
const WRONG_ETAG = '"00000000000000000000000000000000"';

/** Warns; `meta` names stores and files, never a ledger's content (the Peakon users it owns). */
type Warn = (message: string, meta: Record<string, unknown>) => void;

/** What unconditional ledger writes mean, and what closes the gap: said at start-up (the worker) and at a later fallback. */
export const UNCONDITIONAL_LEDGER_CONSEQUENCE = 'only the tenant lock keeps two writers of one tenant apart; a store that honours If-Match / If-None-Match (AWS S3, MinIO, R2, Ceph) closes that gap';

function bucketStore(driver: S3StorageDriver, warn: Warn): ByteStore {
  const key = (name: string) => driver.objectKey(`${LEDGER_FOLDER}/${name}`);
  /** Set once the store answers that it has no conditional writes: the tenant lock alone keeps writers apart then. */
  let unconditional = false;
  /**
   * Ledger writes are unconditional from here on, for this process's lifetime. After the start-up check (which the
   * worker reports itself), a store that starts refusing conditions or stops giving ETags is warned about once.
   */
  const becomeUnconditional = (name: string, reason: string) => {
    if (unconditional) return;
    unconditional = true;
    warn(`the payload store ${driver.location} ${reason}: ownership-ledger writes are unconditional from now on, until the worker restarts, and ${UNCONDITIONAL_LEDGER_CONSEQUENCE}`, {
      ledger: `s3://${driver.bucket}/${key(name)}`,
      ledgerWrites: 'unconditional',
    });
  };
  const put = async (name: string, bytes: Uint8Array, expected: string | undefined): Promise<boolean> => {
    // S3's conditional writes: If-Match the ETag read, or If-None-Match * for a ledger not written yet.
    const condition = unconditional ? {} : expected === undefined ? { IfNoneMatch: '*' } : { IfMatch: expected };
    try {
      await driver.send(new PutObjectCommand({ Bucket: driver.bucket, Key: key(name), Body: bytes, ContentLength: bytes.byteLength, ...condition }));
      return true;
    } catch (error) {
      // 412: another write came first; 409: one is in progress (S3 says try again); 404 on If-Match: it was removed.
      if (conditionHeld(error) || (statusOf(error) === 404 && expected !== undefined)) return false;
      if (!unconditional && refusesConditions(error)) {
        becomeUnconditional(name, `answered ${statusOf(error) ?? 'NotImplemented'} to a conditional write (${expected === undefined ? 'If-None-Match' : 'If-Match'})`);
        return await put(name, bytes, expected);
      }
      throw error;
    }
  };
  // No `.prev` here: a PUT replaces the object whole and durably (S3 acknowledges only what it has stored), so there is
  // no partial ledger to fall back from.
  return {
    location: `s3://${driver.bucket}/${key('')}`,
    locationOf: (name) => `s3://${driver.bucket}/${key(name)}`,
    async get(name) {
      try {
        // The request and reading the ledger's bytes within one total deadline (S3StorageDriver.call).
        return await driver.call('GetObject', async (abortSignal) => {
          const response = await driver.client.send(new GetObjectCommand({ Bucket: driver.bucket, Key: key(name) }), { abortSignal });
          if (!response.Body) return undefined;
          // A store that gives no ETag has no version to compare against: its writes cannot be conditional.
          if (response.ETag === undefined) becomeUnconditional(name, 'gave no ETag for a ledger it returned');
          return { bytes: await response.Body.transformToByteArray(), version: response.ETag ?? '' };
        });
      } catch (error) {
        // Only S3's NoSuchKey is a ledger not written yet: any other 404 (a proxy's or load balancer's, with no error
        // code) read as one would be an empty ledger, owning nobody (S3UnexpectedNotFoundError, retried instead).
        if (isNotFound(error, 'GetObject')) return undefined;
        // A tenant's first run reads a ledger not written yet: without s3:ListBucket S3 answers 403, not 404.
        throw driver.readFailed('the ownership ledger', key(name), error);
      }
    },
    putIfUnchanged: put,
    async check() {
      const probe = key(probeName());
      const putProbe = (condition: { IfNoneMatch?: string; IfMatch?: string }) => driver.send(new PutObjectCommand({ Bucket: driver.bucket, Key: probe, Body: 'probe', ContentLength: 5, ...condition }));
      let writes: LedgerWrites;
      try {
        await putProbe({ IfNoneMatch: '*' });
        // The object exists now: a store that honours conditions refuses a second create-only write.
        try {
          await putProbe({ IfNoneMatch: '*' });
          writes = 'unconditional: conditions ignored';
        } catch (error) {
          if (!conditionHeld(error)) throw error;
          writes = 'conditional';
        }
        // Every update of an existing ledger is an If-Match on the ETag read: a store must refuse one on an ETag the
        // object does not have, or two writers would overwrite each other's change (create-only alone is not enough).
        if (writes === 'conditional') {
          try {
            await putProbe({ IfMatch: WRONG_ETAG });
            writes = 'unconditional: If-Match ignored';
          } catch (error) {
            if (refusesConditions(error)) writes = 'unconditional: If-Match refused';
            else if (!conditionHeld(error)) throw error;
          }
        }
      } catch (error) {
        if (!refusesConditions(error)) throw error;
        await putProbe({});
        writes = 'unconditional: no conditional writes';
      }
      try {
        await driver.call('GetObject', async (abortSignal) => await (await driver.client.send(new GetObjectCommand({ Bucket: driver.bucket, Key: probe }), { abortSignal })).Body?.transformToByteArray());
      } catch (error) {
        // The probe was just written: any 404 here (a gateway answering object reads itself) is named, not "UnknownError".
        throw driver.readFailed('the start-up probe', probe, error);
      } finally {
        await driver.send(new DeleteObjectCommand({ Bucket: driver.bucket, Key: probe }));
      }
      // A tenant's first run reads its ledger before one exists; retention lists the prefix.
      await driver.checkListBucket(key(probeName()), 'as each tenant\'s first run reads its ledger');
      if (writes !== 'conditional') unconditional = true;
      // Retention deletes without version ids: in a versioned bucket what it deletes (and each ledger a write replaced)
      // stays as a noncurrent version unless a lifecycle rule expires those. Said at start-up, never fatal.
      const versioning = await driver.retentionVersioningWarning();
      if (versioning) warn(versioning, { payloadStore: driver.location });
      return writes;
    },
  };
}

/** `<tenant>.ledger.prev`: the version before the last write, kept in a folder store. */
const previousVersion = (name: string) => `${name}.prev`;

/**
 * A ledger file that cannot be decoded: empty or cut short (a write a power loss interrupted before this version made
 * writes durable), or altered. Its message names the tenant and the file, never any of its content.
 */
export class LedgerUnreadableError extends Error {
  override readonly name = 'LedgerUnreadableError';
  constructor(tenant: string, location: string, readonly reason: string) {
    super(`the ownership ledger of tenant ${tenant} (${location}) cannot be read: ${reason}; restore it from a backup or remove it (the connector then owns only the users it matches to HR records)`);
  }
}

export interface LedgerStoreOptions {
  /**
   * Where the fallback to a previous ledger version, an S3 store's fallback to unconditional writes and a bucket's
   * versioning that keeps what retention deletes (start-up check) are reported;
   * default the activity's logger (outside one, a JSON line on stdout).
   */
  warn?: Warn;
}

function defaultWarn(message: string, meta: Record<string, unknown>): void {
  try {
    activityLog.warn(message, meta);
  } catch {
    // Not in an activity (the worker's start-up check, tests, tools): one JSON line, as the worker's own start-up lines.
    writeLogLine('warn', message, meta);
  }
}

const warnOf = (options: LedgerStoreOptions): Warn => options.warn ?? defaultWarn;

const textDecoder = new TextDecoder();
const textOf = (bytes: Uint8Array | null | undefined) => (bytes ? textDecoder.decode(bytes) : undefined);
const encodingOf = (payload: Payload) => textOf(payload.metadata?.[METADATA_ENCODING_KEY]);

/** A ledger store on a byte store, encrypted with `codec` (the connector's payload codec). */
export function ledgerStore(bytes: ByteStore, codec: PayloadCodec, options: LedgerStoreOptions = {}): LedgerStore {
  const warn = warnOf(options);
  const name = (tenant: string) => `${checkedTenantName(tenant)}.ledger`;

  /**
   * Decodes one version of a ledger. What only a damaged file can be (empty, not a payload, an encryption that fails
   * authentication, not a ledger of this tenant) is a LedgerUnreadableError; a ledger encrypted with a key this process
   * does not hold, or a plain one it refuses, keeps the codec's message (the fix is the key or the setting, not
   * removing the ledger, which would forget whom the connector owns), prefixed with the ledger's location.
   */
  const decodeVersion = async (tenant: string, location: string, stored: Uint8Array): Promise<OwnershipLedger> => {
    const unreadable = (reason: string) => new LedgerUnreadableError(tenant, location, reason);
    if (stored.byteLength === 0) throw unreadable('the file is empty');
    let payload: Payload;
    try {
      payload = PayloadProto.decode(stored);
    } catch (error) {
      // protobufjs says only where the bytes stop making sense ("index out of range: 12 + 40 > 30", "illegal tag").
      throw unreadable(`it is cut short or not a ledger file (${error instanceof Error ? error.message : String(error)})`);
    }
    const encrypted = isEncryptedPayload(payload);
    if (!encrypted && encodingOf(payload) !== 'json/plain') throw unreadable('it is cut short or not a ledger file (no payload encoding)');
    let decoded: Payload;
    try {
      [decoded] = (await codec.decode([payload])) as [Payload];
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // An unknown key or a refused plain ledger: not damage (see above).
      if (!(error instanceof PayloadDecryptionError) || !encrypted || / not configured/.test(message)) throw new Error(`the ownership ledger of tenant ${tenant} (${location}): ${message}`, { cause: error });
      throw unreadable(`it is cut short or altered (${message})`);
    }
    let value: unknown;
    try {
      value = defaultPayloadConverter.fromPayload(decoded as never);
    } catch {
      // The converter's JSON error quotes the text: no part of it in the message.
      throw unreadable('its content is not a ledger');
    }
    const parsed = OwnershipLedgerSchema.safeParse(value);
    if (!parsed.success || parsed.data.tenant !== tenant) throw unreadable(`its content is not a ledger of tenant ${tenant}`);
    return parsed.data;
  };

  /**
   * The tenant's ledger and the bytes it was decoded from (what a write keeps as the previous version). A current
   * version that cannot be decoded falls back, with a warning, to the previous one a folder keeps. That is the safe
   * direction: the ledger decides whom the connector may deactivate or delete, and the previous version owns at most
   * the users of the one that came after it, but for users the last write added (the next run that matches them adds
   * them again; until then they are not leavers) and for users the last write removed because it had deleted them (they
   * are gone from Peakon). It never makes the connector own a user it would not have owned before. Without a previous
   * version the read fails with the LedgerUnreadableError.
   */
  const load = async (tenant: string, stored: StoredBytes | undefined): Promise<{ ledger: OwnershipLedger; good?: Uint8Array }> => {
    if (!stored) return { ledger: emptyLedger(tenant) };
    const location = bytes.locationOf(name(tenant));
    try {
      return { ledger: await decodeVersion(tenant, location, stored.bytes), good: stored.bytes };
    } catch (error) {
      if (!(error instanceof LedgerUnreadableError)) throw error;
      const previous = await bytes.getPrevious?.(name(tenant));
      if (!previous) throw error;
      const previousLocation = bytes.locationOf(previousVersion(name(tenant)));
      let ledger: OwnershipLedger;
      try {
        ledger = await decodeVersion(tenant, previousLocation, previous);
      } catch {
        throw error; // the current version's message: restoring or removing the ledger is the fix
      }
      warn(`the ownership ledger of tenant ${tenant} cannot be read (${error.reason}); using its previous version, which may lack the users the last run added (the next run that matches them records them again); the next write replaces the unreadable file`, {
        tenant,
        ledger: location,
        previous: previousLocation,
      });
      return { ledger, good: previous };
    }
  };

  /** How this process seals a ledger: the encoding and key id the codec gives a payload now. */
  let sealing: Promise<{ encoding?: string; keyId?: string }> | undefined;
  const sealOf = (payload: Payload) => ({ encoding: encodingOf(payload), keyId: textOf(payload.metadata?.[ENCRYPTION_KEY_ID_METADATA_KEY]) });
  /** The stored ledger is sealed as this process would seal it now (same encoding, same key id). */
  const sealedAsNow = async (stored: Uint8Array): Promise<boolean> => {
    sealing ??= codec.encode([defaultPayloadConverter.toPayload(null)]).then(([probe]) => sealOf(probe as Payload));
    const now = await sealing;
    const then = sealOf(PayloadProto.decode(stored));
    return then.encoding === now.encoding && then.keyId === now.keyId;
  };

  return {
    location: bytes.location,
    read: async (tenant) => (await load(tenant, await bytes.get(name(tenant)))).ledger,
    check: async () => ({ location: bytes.location, writes: await bytes.check() }),
    async record(tenant, change) {
      for (let attempt = 1; ; attempt += 1) {
        const stored = await bytes.get(name(tenant));
        const { ledger, good } = await load(tenant, stored);
        const next = applyOwnershipChange(ledger, change);
        // A change that changes nothing is not written: rewriting the same ledger only risks another writer's change
        // where writes cannot be conditional (a run that lost its lock and created nobody still records its change).
        // An unreadable current version that the previous one stood in for is still replaced, and so is one sealed
        // otherwise than this process seals (an old key, or plain before encryption was turned on): the README's key
        // rotation drops an old key once every tenant has completed a run, and every plan records (sealedAsNow).
        const unchanged = JSON.stringify(next) === JSON.stringify(ledger);
        if (unchanged && (stored === undefined || (good === stored.bytes && (await sealedAsNow(stored.bytes))))) return next;
        const seal = async (value: OwnershipLedger) => PayloadProto.encode((await codec.encode([defaultPayloadConverter.toPayload(value)]))[0] as never).finish();
        const sealed = await seal(next);
        // The previous version is kept in this process's seal too (the same ledger when only the seal changes), so no
        // fallback copy stays under a key the rotation is about to drop, or plain once encryption is on.
        const previous = good === undefined || (await sealedAsNow(good)) ? good : unchanged ? sealed : await seal(ledger);
        if (await bytes.putIfUnchanged(name(tenant), sealed, stored?.version, previous)) return next;
        if (attempt >= MAX_RECORD_ATTEMPTS) throw new Error(`the ownership ledger of tenant ${tenant} in ${bytes.location} changed under each of ${MAX_RECORD_ATTEMPTS} writes in a row (other writers?); the write is retried with the activity`);
        await jitter();
      }
    },
  };
}

/** The ledger store of a worker: in its payload store (PEAKON_SYNC_PAYLOAD_STORE, else `defaultDirectory`). */
export function ledgerStoreFor(store: PayloadStoreConfig, env: NodeJS.ProcessEnv = process.env, s3ClientConfig?: S3ClientConfig, options: LedgerStoreOptions = {}): LedgerStore {
  if (store.kind === 'local') return ledgerStore(folderStore(store.directory), ledgerCodec(env), options);
  return ledgerStoreInBucket(createStorageDriver(store, s3ClientConfig) as S3StorageDriver, env, options);
}

/** The codec a ledger is encrypted with: the connector's payload codec (its keys from `env`). */
function ledgerCodec(env: NodeJS.ProcessEnv) {
  const [codec] = connectorDataConverter(env).payloadCodecs ?? [];
  if (!codec) throw new Error('the connector data converter has no payload codec');
  return codec;
}

/**
 * The ledger store in the bucket of `driver` (under its prefix), through the driver's S3 calls: each one has the
 * driver's total deadline (S3StorageDriver.call), and one past it names the store.
 */
export function ledgerStoreInBucket(driver: S3StorageDriver, env: NodeJS.ProcessEnv = process.env, options: LedgerStoreOptions = {}): LedgerStore {
  return ledgerStore(bucketStore(driver, warnOf(options)), ledgerCodec(env), options);
}

export function ledgerStoreFromEnv(env: NodeJS.ProcessEnv, defaultDirectory: string): LedgerStore {
  const { store } = storageConfigFromEnv(env, { defaultLocalDirectory: defaultDirectory });
  return ledgerStoreFor(store ?? { kind: 'local', directory: defaultDirectory }, env);
}
