import type { Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { ENCRYPTION_KEY_ID_METADATA_KEY, isEncryptedPayload } from '../../codec/aes-gcm-codec';
import { readEncryptionKeys } from '../../codec/keys';

/** Which key a schedule's payloads are encrypted with, read from their plain metadata: nothing is decrypted here. */

/** What a payload says about the key it was encrypted with: its key id, or UNENCRYPTED for a plain payload. */
export const UNENCRYPTED = 'unencrypted';

const decoder = new TextDecoder();

/** The key id in a payload's plain metadata (nothing is decrypted), or UNENCRYPTED. */
export function payloadKeyId(payload: Payload): string {
  if (!isEncryptedPayload(payload)) return UNENCRYPTED;
  const id = payload.metadata?.[ENCRYPTION_KEY_ID_METADATA_KEY];
  return id ? decoder.decode(id) : '(no key id)';
}

/** The key ids of a memo's fields (a row of `schedule list`, a schedule's memo), sorted; empty when it has none. */
export function memoKeyIds(fields: Record<string, Payload> | null | undefined): string[] {
  return [...new Set(Object.values(fields ?? {}).map(payloadKeyId))].sort();
}

/**
 * The key ids of every payload the connector's codec encoded in a raw schedule: its memo, and its action's arguments
 * and memo. The action's header is encoded by no codec; an encrypted payload there counts all the same, a plain one does
 * not. Search attributes are never encoded.
 */
export function scheduleKeyIds(raw: temporal.api.workflowservice.v1.IDescribeScheduleResponse): string[] {
  const start = raw.schedule?.action?.startWorkflow;
  const encoded = [...Object.values(raw.memo?.fields ?? {}), ...(start?.input?.payloads ?? []), ...Object.values(start?.memo?.fields ?? {})];
  const ids = encoded.map(payloadKeyId);
  for (const payload of Object.values(start?.header?.fields ?? {})) if (isEncryptedPayload(payload)) ids.push(payloadKeyId(payload));
  return [...new Set(ids)].sort();
}

/** The current key id (codec/keys.ts), or undefined when no key is configured (then `schedule list` marks nothing). */
export function currentKeyIdFromEnv(env: Record<string, string | undefined> = process.env): string | undefined {
  return readEncryptionKeys(env)?.current.id;
}
