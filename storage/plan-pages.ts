/**
 * Pages of a stored plan (sync/stored-plan.ts) in the payload store: each page is one payload, JSON-encoded, encrypted
 * with the connector's codec and written by the store's own driver under the sha256 of its bytes, exactly like an
 * offloaded workflow payload. So every worker reads them where it reads payloads (a folder on one host, S3 across
 * hosts), and retention removes them with the run's other payloads.
 */
import { defaultPayloadConverter, StorageDriverClaim, type PayloadCodec, type StorageDriver } from '@temporalio/common';
import { z } from 'zod';
import { connectorDataConverter } from '../codec/data-converter';
import type { LightPlanEntry, PlanEntry } from '../sync/plan';
import { lightEntryOf, PLAN_PAGE_SIZE, storageOrder, type StoredPlan } from '../sync/stored-plan';
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
}

export function planPageStore(driver: StorageDriver & { location?: string }, codec: PayloadCodec): PlanPageStore {
  const location = driver.location ?? driver.name;
  return {
    location,
    async put(entries, signal) {
      const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(entries)]);
      if (!encoded) throw new Error('the payload codec returned no payload');
      const [claim] = await driver.store(signal ? { abortSignal: signal } : {}, [encoded]);
      const key = claim?.claimData.key;
      if (typeof key !== 'string') throw new Error(`the payload store (${location}) returned no key for a plan page`);
      return key;
    },
    async get(key, signal) {
      const [stored] = await driver.retrieve(signal ? { abortSignal: signal } : {}, [new StorageDriverClaim({ key })]);
      const [payload] = await codec.decode(stored ? [stored] : []);
      const entries: unknown = payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
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

/** The worker's page store: its payload store (PEAKON_SYNC_PAYLOAD_STORE, else `defaultDirectory`) and its codec. */
export function planPageStoreFromEnv(env: NodeJS.ProcessEnv, defaultDirectory: string): PlanPageStore {
  const { store } = storageConfigFromEnv(env, { defaultLocalDirectory: defaultDirectory });
  const [codec] = connectorDataConverter(env).payloadCodecs ?? [];
  if (!codec) throw new Error('the connector data converter has no payload codec');
  return planPageStore(createStorageDriver(store ?? { kind: 'local', directory: defaultDirectory }), codec);
}
