/**
 * Pages of a stored plan (sync/stored-plan.ts) in the payload store: each page is one payload, JSON-encoded, encrypted
 * with the connector's codec and written by the store's own driver under the sha256 of its bytes, exactly like an
 * offloaded workflow payload. So every worker reads them where it reads payloads (a folder on one host, S3 across
 * hosts), and retention removes them with the run's other payloads.
 */
import { createHmac } from 'node:crypto';
import { defaultPayloadConverter, StorageDriverClaim, type PayloadCodec, type StorageDriver } from '@temporalio/common';
import { z } from 'zod';
import { connectorDataConverter } from '../codec/data-converter';
import type { LightPlanEntry, PlanEntry } from '../sync/plan';
import { lightEntryOf, PLAN_PAGE_SIZE, storageOrder, type StoredPlan } from '../sync/stored-plan';
import type { HrIdIndexRef } from '../sync/types';
import { createStorageDriver, storageConfigFromEnv } from './from-env';

/**
 * What a partition relies on in a stored entry. The page was written by a connector worker with our key, but maybe by
 * another version of it during a rolling deploy: a shape this version cannot use is a clear error naming the page,
 * the entry and the field (never a value: entries are personal data), not a write built from undefined.
 */
const StoredWriteSchema = z.discriminatedUnion('method', [
  z.looseObject({ method: z.literal('patch'), operations: z.array(z.looseObject({ op: z.string() })) }),
  z.looseObject({ method: z.literal('put'), body: z.looseObject({}) }),
  z.looseObject({ method: z.literal('delete') }),
]);
const StoredPlanEntrySchema = z.looseObject({
  ref: z.string(),
  employeeKey: z.string(),
  recordRef: z.string(),
  action: z.enum(['create', 'update', 'unchanged', 'discover', 'skip', 'deactivate', 'delete']),
  wave: z.number().int().min(0),
  warnings: z.array(z.string()),
  changes: z.array(z.looseObject({ field: z.string() })),
  create: z.looseObject({ userName: z.string(), createBody: z.looseObject({ userName: z.string() }), createReferences: z.record(z.string(), z.string()) }).optional(),
  update: z.looseObject({ peakonUserId: z.string(), write: StoredWriteSchema, references: z.record(z.string(), z.string()) }).optional(),
});
const StoredPlanPageSchema = z.array(StoredPlanEntrySchema);

export interface PlanPageStore {
  /** Where the pages live, for messages. */
  readonly location: string;
  /** Stores one page and returns its key (encryption's random nonce makes each store its own key: a retried plan's earlier pages stay until retention removes them). */
  put(entries: readonly PlanEntry[], signal?: AbortSignal): Promise<string>;
  get(key: string, signal?: AbortSignal): Promise<PlanEntry[]>;
  /**
   * Stores a page of strings (the HR id index's hashes, or its list of bucket pages: storeHrIdIndex) and returns its
   * key. Optional: a store without it keeps no HR id index, and filter discovery then does without (DesiredState.readHrIds).
   */
  putStrings?(values: readonly string[], signal?: AbortSignal): Promise<string>;
  getStrings?(key: string, signal?: AbortSignal): Promise<string[]>;
}

const StringPageSchema = z.array(z.string());

export function planPageStore(driver: StorageDriver & { location?: string }, codec: PayloadCodec): PlanPageStore {
  const location = driver.location ?? driver.name;
  const put = async (value: unknown, signal?: AbortSignal): Promise<string> => {
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    if (!encoded) throw new Error('the payload codec returned no payload');
    const [claim] = await driver.store(signal ? { abortSignal: signal } : {}, [encoded]);
    const key = claim?.claimData.key;
    if (typeof key !== 'string') throw new Error(`the payload store (${location}) returned no key for a plan page`);
    return key;
  };
  const get = async (key: string, signal?: AbortSignal): Promise<unknown> => {
    const [stored] = await driver.retrieve(signal ? { abortSignal: signal } : {}, [new StorageDriverClaim({ key })]);
    const [payload] = await codec.decode(stored ? [stored] : []);
    return payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
  };
  return {
    location,
    put,
    async putStrings(values, signal) {
      return put(values, signal);
    },
    async getStrings(key, signal) {
      const page = StringPageSchema.safeParse(await get(key, signal));
      if (!page.success) throw new Error(`plan page ${key} in ${location} is not a page of the HR id index this version can use: was it written by another version of the connector?`);
      return page.data;
    },
    async get(key, signal) {
      const entries = await get(key, signal);
      // The bytes were verified against their sha256 key and decrypted with our key: only a page a connector wrote
      // gets here, so the check is of its shape (which the version that wrote it decided), not of its origin.
      const page = StoredPlanPageSchema.safeParse(entries);
      if (!page.success) {
        const issues = page.error.issues.slice(0, 3).map((issue) => `${issue.path.map(String).join('.') || '(page)'}: ${issue.code}`);
        throw new Error(`plan page ${key} in ${location} is not a page of plan entries this version can use (${issues.join('; ')}): was it written by another version of the connector?`);
      }
      return entries as PlanEntry[];
    },
  };
}

/**
 * Stores the entries in pages, creates wave by wave first (sync/stored-plan.ts), one page at a time so that no more
 * than a page is encoded at once, and returns the light entries (in plan order, each with its slot) and the page keys.
 */
export async function storePlan(pages: PlanPageStore, entries: readonly PlanEntry[], options: { signal?: AbortSignal; heartbeat?: (pages: number) => void } = {}): Promise<{ entries: LightPlanEntry[]; stored: StoredPlan }> {
  const order = storageOrder(entries);
  const slots = new Array<number>(entries.length);
  order.forEach((index, slot) => (slots[index] = slot));
  const keys: string[] = [];
  for (let start = 0; start < order.length; start += PLAN_PAGE_SIZE) {
    keys.push(await pages.put(order.slice(start, start + PLAN_PAGE_SIZE).map((index) => entries[index] as PlanEntry), options.signal));
    options.heartbeat?.(keys.length);
  }
  return { entries: entries.map((entry, index) => lightEntryOf(entry, slots[index] as number)), stored: { pages: keys, pageSize: PLAN_PAGE_SIZE } };
}

/** Hashes per bucket page of the HR id index, at most (16 bytes of JSON each: a page of some 64 kB). */
const HR_ID_BUCKET_SIZE = 4096;

/**
 * HrIdIndexRef.keyId of an index a keyless worker (PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS=1) hashed: no encryption key
 * id (16 hex digits) spells it. Without it a run planned keyless and discovered on a worker already given a key (the
 * upgrade docs/deploy.md describes) would be checked with that key, and the index would hold nobody.
 */
export const UNKEYED_HR_ID_INDEX = 'unkeyed';

/**
 * An HR id as the HR id index stores it: a keyed hash of the tenant and the id (64 bits), keyed like employee refs
 * (sync/employee-ref.ts: derived from the encryption key), so the pages never hold an HR id in plain and a hash cannot
 * be reversed by hashing guessed ids.
 */
export function hrIdHash(secret: Buffer | undefined, tenant: string, sourceId: string): string {
  const key = secret ?? Buffer.from('peakon-sync/unkeyed-hr-id');
  return createHmac('sha256', key).update(`hr-id\u0000${tenant}\u0000${sourceId}`).digest('hex').slice(0, 16);
}

/** The bucket of a hash among `buckets` (a power of 16): its first hex digits. */
function bucketOf(hash: string, buckets: number): number {
  const digits = Math.round(Math.log(buckets) / Math.log(16));
  return digits === 0 ? 0 : Number.parseInt(hash.slice(0, digits), 16);
}

/**
 * Stores the HR id index of a read (DesiredState.readHrIds): the hashes (hrIdHash) bucketed by their first hex digits,
 * as few buckets as keep each at most HR_ID_BUCKET_SIZE, one page per bucket that holds any, and a page listing the
 * buckets' keys ('' for an empty one). So a discovery reads two small pages, never the whole read's ids. `keyId`: the
 * encryption key whose employee-ref key hashed them (HrIdIndexRef.keyId). Undefined when the store cannot hold string
 * pages.
 */
export async function storeHrIdIndex(pages: PlanPageStore, hashes: readonly string[], options: { signal?: AbortSignal; heartbeat?: (pages: number) => void; keyId?: string } = {}): Promise<HrIdIndexRef | undefined> {
  if (!pages.putStrings) return undefined;
  let buckets = 1;
  while (hashes.length / buckets > HR_ID_BUCKET_SIZE && buckets < 16 ** 4) buckets *= 16;
  const byBucket: string[][] = Array.from({ length: buckets }, () => []);
  for (const hash of hashes) byBucket[bucketOf(hash, buckets)]?.push(hash);
  const keys: string[] = [];
  for (const bucket of byBucket) {
    keys.push(bucket.length ? await pages.putStrings(bucket.sort(), options.signal) : '');
    options.heartbeat?.(keys.length);
  }
  return { index: await pages.putStrings(keys, options.signal), buckets, ...(options.keyId !== undefined ? { keyId: options.keyId } : {}) };
}

/** Whether the HR id index holds the hash (hrIdHash): reads the list of buckets, then the one bucket the hash is in. */
export async function hrIdIndexHolds(pages: PlanPageStore, ref: HrIdIndexRef, hash: string, signal?: AbortSignal): Promise<boolean> {
  if (!pages.getStrings) throw new Error(`the plan page store (${pages.location}) cannot read the HR id index`);
  const keys = await pages.getStrings(ref.index, signal);
  if (keys.length !== ref.buckets) throw new Error(`HR id index ${ref.index} in ${pages.location} lists ${keys.length} buckets, not ${ref.buckets}`);
  const key = keys[bucketOf(hash, ref.buckets)];
  if (!key) return false;
  return (await pages.getStrings(key, signal)).includes(hash);
}

/** The worker's page store: its payload store (PEAKON_SYNC_PAYLOAD_STORE, else `defaultDirectory`) and its codec. */
export function planPageStoreFromEnv(env: NodeJS.ProcessEnv, defaultDirectory: string): PlanPageStore {
  const { store } = storageConfigFromEnv(env, { defaultLocalDirectory: defaultDirectory });
  const [codec] = connectorDataConverter(env).payloadCodecs ?? [];
  if (!codec) throw new Error('the connector data converter has no payload codec');
  return planPageStore(createStorageDriver(store ?? { kind: 'local', directory: defaultDirectory }), codec);
}
