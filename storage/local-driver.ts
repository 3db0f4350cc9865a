// Temporal external storage in a local (or shared, mounted) folder: one file per payload, named by its sha256.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type {
  Payload,
  StorageDriver,
  StorageDriverClaim,
  StorageDriverRetrieveContext,
  StorageDriverStoreContext,
} from '@temporalio/common';
import { syncDirectory } from './durable-file';
import {
  claimFor,
  deserializePayload,
  keyOfClaim,
  mapLimit,
  serializePayload,
  type RetainableStorageDriver,
} from './payload-bytes';

export const LOCAL_DRIVER_NAME = 'local';
export const LOCAL_DRIVER_TYPE = 'peakon-sync.local-folder';

const FILE_SUFFIX = '.payload';
const TEMP_PREFIX = '.tmp-';
const CONCURRENCY = 8;

export interface LocalStorageDriverOptions {
  /** The folder holding the payloads (created 0700 on first store). Every worker and client must see the same one. */
  directory: string;
  /** Driver name written into each reference in history; default `local`. Changing it orphans existing references. */
  name?: string;
  /**
   * Why a payload may be missing from this folder, after `payload … is missing from <folder>: ` in the error a read
   * raises; default: is PEAKON_SYNC_PAYLOAD_STORE shared by every worker, or was it deleted by retention.
   */
  missingHint?: string;
}

export class LocalStorageDriver implements StorageDriver, RetainableStorageDriver {
  readonly name: string;
  readonly type = LOCAL_DRIVER_TYPE;
  readonly directory: string;
  private readonly missingHint: string;
  private ready: Promise<void> | undefined;

  constructor(options: LocalStorageDriverOptions) {
    this.directory = path.resolve(options.directory);
    this.name = options.name ?? LOCAL_DRIVER_NAME;
    this.missingHint = options.missingHint ?? 'is PEAKON_SYNC_PAYLOAD_STORE shared by every worker, or was it deleted by retention (PEAKON_SYNC_RETENTION_DAYS)?';
  }

  get location(): string {
    return this.directory;
  }

  /** The file a key is stored in. */
  pathOf(key: string): string {
    return path.join(this.directory, `${key}${FILE_SUFFIX}`);
  }

  async store(context: StorageDriverStoreContext, payloads: Payload[]): Promise<StorageDriverClaim[]> {
    await this.ensureDirectory();
    return mapLimit(payloads, CONCURRENCY, async (payload) => {
      context.abortSignal?.throwIfAborted();
      const { key, bytes } = serializePayload(payload);
      await this.writeOnce(key, bytes);
      return claimFor(key);
    });
  }

  async retrieve(context: StorageDriverRetrieveContext, claims: StorageDriverClaim[]): Promise<Payload[]> {
    return mapLimit(claims, CONCURRENCY, async (claim) => {
      context.abortSignal?.throwIfAborted();
      const key = keyOfClaim(claim, this.name);
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(this.pathOf(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new Error(`payload ${key} is missing from ${this.directory}: ${this.missingHint}`);
        }
        throw error;
      }
      return deserializePayload(key, bytes, this.directory);
    });
  }

  async deleteOlderThan(cutoff: Date, signal?: AbortSignal): Promise<number> {
    let entries;
    try {
      entries = await fs.readdir(this.directory, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    let deleted = 0;
    for (const entry of entries) {
      signal?.throwIfAborted();
      // Only what this driver writes: payload files and temp files a killed process left behind.
      if (!entry.isFile() || !(entry.name.endsWith(FILE_SUFFIX) || entry.name.startsWith(TEMP_PREFIX))) continue;
      const file = path.join(this.directory, entry.name);
      try {
        const stat = await fs.lstat(file);
        if (stat.mtimeMs >= cutoff.getTime()) continue;
        await fs.unlink(file);
        deleted++;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // another worker's sweep got there first
      }
    }
    return deleted;
  }

  private ensureDirectory(): Promise<void> {
    this.ready ??= (async () => {
      const created = await fs.mkdir(this.directory, { recursive: true, mode: 0o700 });
      // mkdir's mode goes through the umask; set it exactly on the folder we created. An existing folder is left as
      // the operator configured it (e.g. a shared volume).
      if (created !== undefined) await fs.chmod(this.directory, 0o700);
    })();
    return this.ready.catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
  }

  /**
   * Writes the bytes under their key unless a file already holds them. Content-addressed, so an existing file is
   * the same payload: its mtime is refreshed instead, so retention counts from the latest store that referenced it.
   */
  private async writeOnce(key: string, bytes: Uint8Array): Promise<void> {
    const target = this.pathOf(key);
    const now = new Date();
    try {
      await fs.utimes(target, now, now);
      // Another writer may have renamed it in a moment ago and not yet synced the folder: this reference goes into
      // history too, so the name must be on disk before it does (see below).
      await syncDirectory(this.directory);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    // Temp file then rename: a killed process leaves at most a temp file (swept by retention), never a half payload.
    const temp = path.join(this.directory, `${TEMP_PREFIX}${key}-${process.pid}-${randomBytes(6).toString('hex')}`);
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    try {
      await fs.rename(temp, target);
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
    // The reference goes into Temporal history as soon as this returns: the folder entry the rename made must be on
    // disk too, or a power loss could undo the rename (the file's own fsync above does not cover its name) and leave
    // history pointing at a payload that is gone.
    await syncDirectory(this.directory);
  }
}
