import type { Client } from '@temporalio/client';
import { StorageDriverClaim, type Payload, type PayloadCodec, type StorageDriver } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ENCRYPTED_ENCODING } from '../../codec/aes-gcm-codec';
import { connectorDataConverter } from '../../codec/data-converter';
import { createStorageDriver, storageConfigFromEnv } from '../../storage/from-env';

/**
 * What Temporal holds of a run, read the way an auditor would: every history of every workflow whose ID starts with
 * the run's (all pages), raw, and every payload in it found by walking the protobuf schema (so none is missed: inputs,
 * results, failures' encoded attributes and details, heartbeats, memo, headers, search attributes), then decoded with
 * the client's codec (which holds the key) and followed into the payload store where a payload is a reference.
 */

const PAYLOAD_TYPE = '.temporal.api.common.v1.Payload';
const REFERENCE_MESSAGE_TYPE = 'temporal.api.sdk.v1.ExternalStorageReference';
/** Bytes as UTF-8 (Buffer, not TextDecoder: protobuf bytes from the SDK may come from another realm under jest). */
const utf8 = (bytes: Uint8Array | number[]): string =>
  // protobufjs leaves an absent bytes field as its default, an empty array.
  (Array.isArray(bytes) ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('utf8');

interface ReflectedField {
  name: string;
  map: boolean;
  repeated: boolean;
  resolvedType: unknown;
  resolve(): unknown;
}
interface ReflectedType {
  fullName: string;
  fieldsArray: ReflectedField[];
}
const isType = (value: unknown): value is ReflectedType => typeof value === 'object' && value !== null && 'fieldsArray' in value;

export interface FoundPayload {
  /** Where in the history: `events[3].activityTaskFailedEventAttributes.failure.encodedAttributes`. */
  path: string;
  payload: Payload;
}

/** Every Payload in `message` (of protobuf type `type`), wherever the schema allows one. */
export function payloadsIn(type: ReflectedType, message: unknown, at = ''): FoundPayload[] {
  const found: FoundPayload[] = [];
  if (typeof message !== 'object' || message === null) return found;
  for (const field of type.fieldsArray) {
    field.resolve();
    const value = (message as Record<string, unknown>)[field.name];
    if (value === undefined || value === null || !isType(field.resolvedType)) continue;
    const fieldType = field.resolvedType;
    const items: Array<[string, unknown]> = field.map ? Object.entries(value as object).map(([key, item]) => [`${at}.${field.name}[${key}]`, item]) : field.repeated ? (value as unknown[]).map((item, index) => [`${at}.${field.name}[${index}]`, item]) : [[`${at}.${field.name}`, value]];
    for (const [where, item] of items) {
      if (item === undefined || item === null) continue;
      if (fieldType.fullName === PAYLOAD_TYPE) found.push({ path: where.replace(/^\./, ''), payload: item as Payload });
      else found.push(...payloadsIn(fieldType, item, where));
    }
  }
  return found;
}

export const historyType = temporal.api.history.v1.History as unknown as ReflectedType;

export function encodingOf(payload: Payload): string | undefined {
  const encoding = payload.metadata?.encoding;
  return encoding ? utf8(encoding) : undefined;
}

function payloadText(payload: Payload): string {
  const metadata = Object.entries(payload.metadata ?? {}).map(([key, value]) => `${key}=${utf8(value)}`);
  return [...metadata, payload.data ? utf8(payload.data) : ''].join('\n');
}

export interface DecodedPayload {
  /** Every layer's metadata and data, outermost first, as text. */
  text: string;
  encrypted: boolean;
  /** Store references followed (outermost or inside a decrypted payload). */
  references: number;
  /** The payload as Temporal holds it is a plain store reference: its data, which is all that is in plain text. */
  plainReference?: unknown;
}

export interface Decoder {
  /** The payload as the client's data converter sees it: decrypted, references followed into the store. */
  decode(payload: Payload): Promise<DecodedPayload>;
}

/** The client's codec (with the key, from this process's environment) and the payload store it shares with workers. */
export function clientDecoder(env: NodeJS.ProcessEnv = process.env): Decoder {
  const [codec] = connectorDataConverter(env).payloadCodecs ?? [];
  if (!codec) throw new Error('the connector data converter has no codec');
  const { store } = storageConfigFromEnv(env);
  const driver: StorageDriver | undefined = store ? createStorageDriver(store) : undefined;
  return decoderOf(codec, driver);
}

export function decoderOf(codec: PayloadCodec, driver: StorageDriver | undefined): Decoder {
  return {
    async decode(original) {
      let payload = original;
      let encrypted = false;
      let references = 0;
      const seen: string[] = [];
      let plainReference: unknown;
      // Encrypted → decrypt; a reference → the stored payload (itself encrypted); until a plain value remains.
      for (let depth = 0; depth < 8; depth += 1) {
        seen.push(payloadText(payload));
        if (encodingOf(payload) === ENCRYPTED_ENCODING) {
          encrypted = true;
          [payload] = (await codec.decode([payload])) as [Payload];
          continue;
        }
        if (payload.metadata?.messageType && utf8(payload.metadata.messageType) === REFERENCE_MESSAGE_TYPE) {
          if (!driver) throw new Error('a reference payload, but no payload store is configured');
          const reference = JSON.parse(utf8(payload.data ?? new Uint8Array())) as { claimData?: Record<string, string> };
          if (depth === 0) plainReference = reference;
          [payload] = (await driver.retrieve({}, [new StorageDriverClaim(reference.claimData ?? {})])) as [Payload];
          references += 1;
          continue;
        }
        return { text: seen.join('\n'), encrypted, references, ...(plainReference !== undefined ? { plainReference } : {}) };
      }
      throw new Error('a payload nested more than 8 encodings deep');
    },
  };
}

export interface ScannedHistory {
  workflowId: string;
  /** The whole history as Temporal stores it (all pages), protobuf bytes as latin1. */
  raw: string;
  /** Every payload, with its path, raw encoding and decoded text. */
  payloads: Array<{ path: string; encoding: string | undefined; text: string; encrypted: boolean; plainReference?: unknown }>;
  references: number;
}

/** Every history of the run `workflowIdPrefix` (the run, its lock, partitions, employee children), read and decoded. */
export async function scanRun(client: Client, workflowIdPrefix: string, decoder: Decoder = clientDecoder()): Promise<ScannedHistory[]> {
  const executions = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId STARTS_WITH "${workflowIdPrefix}"` })) executions.push(execution);
  const scanned: ScannedHistory[] = [];
  for (const execution of executions) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    scanned.push(await scanHistory(execution.workflowId, history, decoder));
  }
  return scanned;
}

export async function scanHistory(workflowId: string, history: temporal.api.history.v1.IHistory, decoder: Decoder = clientDecoder()): Promise<ScannedHistory> {
  const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
  const payloads = [];
  let references = 0;
  for (const { path: where, payload } of payloadsIn(historyType, history)) {
    const decoded = await decoder.decode(payload);
    references += decoded.references;
    payloads.push({ path: where, encoding: encodingOf(payload), text: decoded.text, encrypted: decoded.encrypted, ...(decoded.plainReference !== undefined ? { plainReference: decoded.plainReference } : {}) });
  }
  return { workflowId, raw, payloads, references };
}

/** Every file under `directory`, as latin1 text. */
export function filesUnder(directory: string): Array<{ file: string; bytes: Buffer }> {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      return { file, bytes: readFileSync(file) };
    });
}

/** A payload-store file (a payload, a plan page or an ownership ledger: each a serialized, encrypted Payload), decoded. */
export async function decodeStoredFile(bytes: Uint8Array, decoder: Decoder = clientDecoder()): Promise<{ encoding: string | undefined; text: string }> {
  const payload = temporal.api.common.v1.Payload.decode(bytes) as Payload;
  return { encoding: encodingOf(payload), text: (await decoder.decode(payload)).text };
}

/** Fails naming the place and the values found there (never the whole text) when any of `needles` is in `haystack`. */
export function expectAbsent(where: string, haystack: string, needles: readonly string[]): void {
  const found = needles.filter((needle) => haystack.includes(needle));
  expect({ where, found }).toEqual({ where, found: [] });
}

/** The memo field a payload's path in history is (a start's `memo`, upsertMemo's `upsertedMemo`), else undefined. */
export const memoFieldOf = (where: string): string | undefined => /[mM]emo\.fields\[([^\]]+)\]$/.exec(where)?.[1];

/**
 * Payloads the SDK never runs through a codec: search attributes (Temporal indexes them), headers, and the SDK's own
 * patch markers (`patched()`: the patch ID). They are checked for personal data as they are.
 */
export const uncodedPath = (where: string): boolean => /searchAttributes|\.header\.|markerRecordedEventAttributes\.details\[patch-data\]/.test(where);
