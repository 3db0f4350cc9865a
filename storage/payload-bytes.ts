// Shared by both storage drivers: how a payload becomes stored bytes, and the content-derived key that names them.
import { createHash } from 'node:crypto';
import { StorageDriverClaim, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const PayloadProto = temporal.api.common.v1.Payload;

/** A claim is `{ key }`: the sha256 of the stored bytes, nothing else (claims are plain text in Temporal history). */
const KEY_PATTERN = /^[0-9a-f]{64}$/;

export interface SerializedPayload {
  key: string;
  bytes: Uint8Array;
}

/**
 * Serializes a payload (already encrypted by the payload codec when one is configured) and derives its key.
 * Same bytes → same key. An encrypted payload's bytes differ at every encoding (a fresh nonce), so a retried store of
 * one is a new object; the one it replaces is removed by retention.
 */
export function serializePayload(payload: Payload): SerializedPayload {
  const bytes = PayloadProto.encode(payload).finish();
  return { key: sha256Hex(bytes), bytes };
}

/** Decodes stored bytes, refusing bytes that do not hash to the claimed key (corruption or a swapped object). */
export function deserializePayload(key: string, bytes: Uint8Array, location: string): Payload {
  const actual = sha256Hex(bytes);
  if (actual !== key) {
    throw new Error(`payload ${key} in ${location} is corrupt: its content hashes to ${actual}`);
  }
  return PayloadProto.decode(bytes) as Payload;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function claimFor(key: string): StorageDriverClaim {
  return new StorageDriverClaim({ key });
}

/** Reads the key of a claim that came from Temporal history, refusing anything that is not a bare sha256 (no paths). */
export function keyOfClaim(claim: StorageDriverClaim, driverName: string): string {
  const key = claim.claimData.key;
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new Error(`storage driver '${driverName}' received a claim without a valid key (expected 64 hex characters)`);
  }
  return key;
}

/** Runs `task` over `items` with at most `limit` in flight, preserving order in the result. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function lane(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** A storage driver that can also delete what it stored before a cutoff (used by retention). */
export interface RetainableStorageDriver {
  readonly name: string;
  readonly type: string;
  /** Where the payloads live, for logs and errors (a folder or an s3:// URL; never a credential). */
  readonly location: string;
  /** Deletes stored payloads last written before `cutoff`; returns how many were deleted. */
  deleteOlderThan(cutoff: Date, signal?: AbortSignal): Promise<number>;
}
