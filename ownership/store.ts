/**
 * Where the ownership ledger lives: next to the payloads, in the store every worker already shares
 * (PEAKON_SYNC_PAYLOAD_STORE: a local folder for one host, S3 for several), as `ledger/<tenant>.ledger`. The ledger is
 * encrypted with the same codec as every payload. Only the run holding the tenant's lock writes it.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3ClientConfig } from '@aws-sdk/client-s3';
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { connectorDataConverter } from '../codec/data-converter';
import { createStorageDriver, storageConfigFromEnv, type PayloadStoreConfig } from '../storage/from-env';
import { LEDGER_FOLDER, S3StorageDriver } from '../storage/s3-driver';
import { applyOwnershipChange, emptyLedger, OwnershipLedgerSchema, type OwnershipChange, type OwnershipLedger } from './ledger';

const PayloadProto = temporal.api.common.v1.Payload;

// LEDGER_FOLDER: the folder (or key prefix) inside the payload store; retention never deletes it (the local driver
// sweeps only its own top-level payload files; the S3 driver skips the prefix).

export interface LedgerStore {
  /** Where the ledger lives, for messages. */
  readonly location: string;
  read(tenant: string): Promise<OwnershipLedger>;
  /** Reads, applies the change and writes back (idempotent). */
  record(tenant: string, change: OwnershipChange): Promise<OwnershipLedger>;
}

interface ByteStore {
  location: string;
  get(name: string): Promise<Uint8Array | undefined>;
  put(name: string, bytes: Uint8Array): Promise<void>;
}

function folderStore(directory: string): ByteStore {
  const folder = path.join(directory, LEDGER_FOLDER);
  return {
    location: folder,
    async get(name) {
      try {
        return await readFile(path.join(folder, name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async put(name, bytes) {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const file = path.join(folder, name);
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, bytes, { mode: 0o600 });
      await rename(temporary, file);
    },
  };
}

function bucketStore(driver: S3StorageDriver): ByteStore {
  const key = (name: string) => driver.objectKey(`${LEDGER_FOLDER}/${name}`);
  return {
    location: `s3://${driver.bucket}/${key('')}`,
    async get(name) {
      try {
        const response = await driver.client.send(new GetObjectCommand({ Bucket: driver.bucket, Key: key(name) }));
        return response.Body ? await response.Body.transformToByteArray() : undefined;
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
        throw error;
      }
    },
    async put(name, bytes) {
      await driver.client.send(new PutObjectCommand({ Bucket: driver.bucket, Key: key(name), Body: bytes, ContentLength: bytes.byteLength }));
    },
  };
}

/** A ledger store on a byte store, encrypted with `codec` (the connector's payload codec). */
export function ledgerStore(bytes: ByteStore, codec: PayloadCodec): LedgerStore {
  const name = (tenant: string) => `${tenant}.ledger`;
  const read = async (tenant: string): Promise<OwnershipLedger> => {
    const stored = await bytes.get(name(tenant));
    if (!stored) return emptyLedger(tenant);
    const [payload] = await codec.decode([PayloadProto.decode(stored)]);
    const parsed = OwnershipLedgerSchema.safeParse(defaultPayloadConverter.fromPayload(payload as never));
    if (!parsed.success || parsed.data.tenant !== tenant) throw new Error(`the ownership ledger of tenant ${tenant} in ${bytes.location} is not valid; restore it from a backup or remove it (the connector then owns only the users it matches to HR records)`);
    return parsed.data;
  };
  return {
    location: bytes.location,
    read,
    async record(tenant, change) {
      const next = applyOwnershipChange(await read(tenant), change);
      const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(next)]);
      await bytes.put(name(tenant), PayloadProto.encode(encoded as never).finish());
      return next;
    },
  };
}

/** The ledger store of a worker: in its payload store (PEAKON_SYNC_PAYLOAD_STORE, else `defaultDirectory`). */
export function ledgerStoreFor(store: PayloadStoreConfig, env: NodeJS.ProcessEnv = process.env, s3ClientConfig?: S3ClientConfig): LedgerStore {
  const [codec] = connectorDataConverter(env).payloadCodecs ?? [];
  if (!codec) throw new Error('the connector data converter has no payload codec');
  if (store.kind === 'local') return ledgerStore(folderStore(store.directory), codec);
  return ledgerStore(bucketStore(createStorageDriver(store, s3ClientConfig) as S3StorageDriver), codec);
}

export function ledgerStoreFromEnv(env: NodeJS.ProcessEnv, defaultDirectory: string): LedgerStore {
  const { store } = storageConfigFromEnv(env, { defaultLocalDirectory: defaultDirectory });
  return ledgerStoreFor(store ?? { kind: 'local', directory: defaultDirectory }, env);
}
