// Retention: deletes stored payloads and report files older than PEAKON_SYNC_RETENTION_DAYS.
//
// Temporal history keeps only references to stored payloads, so a payload must outlive every history (and every
// running workflow that may replay) referencing it: keep PEAKON_SYNC_RETENTION_DAYS at least as long as the
// namespace's history retention plus the longest sync. Re-storing an identical payload refreshes its age.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { createStorageDriver, DEFAULT_RETENTION_DAYS, type PayloadStoreConfig } from './from-env';
import { LocalStorageDriver } from './local-driver';
import type { RetainableStorageDriver } from './payload-bytes';
import { LEDGER_FOLDER, S3StorageDriver } from './s3-driver';

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_SWEEP_INTERVAL_MS = 6 * 60 * 60 * 1000;

/** The subset of Temporal's Logger (and of console-like loggers) the sweeper uses. */
export interface RetentionLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface SweepOptions {
  /** The payload store (a config from storageConfigFromEnv, or a driver); omitted: payloads are not swept. */
  store?: PayloadStoreConfig | RetainableStorageDriver;
  /** Report files (`<tenant>/<run>.json`) older than the retention are deleted under this folder (deleteOldFiles). */
  reportDirectory?: string;
  retentionDays?: number;
  /** The sweep's notion of now (tests). */
  now?: Date;
  signal?: AbortSignal;
}

export interface SweepResult {
  payloadsDeleted: number;
  reportsDeleted: number;
  cutoff: Date;
}

const retentionDaysSchema = z.number().int().positive();

/** One sweep: deletes payloads and report files last modified before now − retentionDays. */
export async function sweepOnce(options: SweepOptions): Promise<SweepResult> {
  const retentionDays = retentionDaysSchema.parse(options.retentionDays ?? DEFAULT_RETENTION_DAYS);
  const cutoff = new Date((options.now ?? new Date()).getTime() - retentionDays * DAY_MS);
  let payloadsDeleted = 0;
  if (options.store) {
    const { driver, dispose } = driverFor(options.store);
    try {
      payloadsDeleted = await driver.deleteOlderThan(cutoff, options.signal);
    } finally {
      dispose();
    }
  }
  // The local payload store (and its ledger) may lie inside the report folder, e.g. both in the state folder.
  const storeDirectory = localStoreDirectory(options.store);
  const reportsDeleted = options.reportDirectory
    ? await deleteOldFiles(options.reportDirectory, cutoff, options.signal, storeDirectory ? { exclude: [storeDirectory] } : {})
    : 0;
  return { payloadsDeleted, reportsDeleted, cutoff };
}

export interface RetentionSweeperOptions extends Omit<SweepOptions, 'now' | 'signal'> {
  intervalMs?: number;
  log: RetentionLogger;
}

/**
 * Sweeps once now, then every `intervalMs` (default 6 h) on an unref'd timer, so it never keeps a process alive.
 * Errors are logged, never thrown. A sweep still running when the next is due is not overlapped. The returned stop
 * function cancels the timer, aborts a sweep in flight and resolves once it has ended.
 */
export function startRetentionSweeper(options: RetentionSweeperOptions): () => Promise<void> {
  const { intervalMs = DEFAULT_SWEEP_INTERVAL_MS, log, ...sweep } = options;
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  let stopped = false;
  // A driver built once for the sweeper's life (an S3 client keeps its connections between sweeps).
  const owned = sweep.store ? driverFor(sweep.store) : undefined;
  const store = owned?.driver;

  const run = () => {
    if (running || stopped) return;
    running = (async () => {
      try {
        const result = await sweepOnce({ ...sweep, ...(store ? { store } : {}), signal: controller.signal });
        log.info('retention sweep done', {
          payloadsDeleted: result.payloadsDeleted,
          reportsDeleted: result.reportsDeleted,
          olderThan: result.cutoff.toISOString(),
          ...(store ? { store: store.location } : {}),
        });
      } catch (error) {
        if (!controller.signal.aborted) {
          log.error('retention sweep failed', { error: error instanceof Error ? error.message : String(error) });
        }
      } finally {
        running = undefined;
      }
    })();
  };

  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return async () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    controller.abort();
    await running;
    owned?.dispose();
  };
}

function localStoreDirectory(store: PayloadStoreConfig | RetainableStorageDriver | undefined): string | undefined {
  if (!store) return undefined;
  if ('kind' in store) return store.kind === 'local' ? store.directory : undefined;
  return store instanceof LocalStorageDriver ? store.directory : undefined;
}

function driverFor(store: PayloadStoreConfig | RetainableStorageDriver): {
  driver: RetainableStorageDriver;
  dispose(): void;
} {
  if (!('kind' in store)) return { driver: store, dispose: () => undefined };
  const driver = createStorageDriver(store);
  return { driver, dispose: () => (driver instanceof S3StorageDriver ? driver.destroy() : undefined) };
}

/**
 * The names of the files the connector writes into the report folder (activities/report.ts reportFilePath): the run's
 * report `<run>.json` (the run id with anything but `A-Za-z0-9._-` replaced), and `<run>.json.<16 hex>.tmp`, an attempt's
 * file a killed worker left before its rename.
 */
const REPORT_FILE = /^[A-Za-z0-9._-]+\.json(?:\.[0-9a-f]{16}\.tmp)?$/;

export interface DeleteOldReportsOptions {
  /** Folders never entered (the payload store, when it lies inside the report folder). */
  exclude?: readonly string[];
}

/**
 * The report sweep: deletes the report files the connector wrote under `root` (`<root>/<tenant>/…/<run>.json` and
 * their temp files, see REPORT_FILE) last modified before `cutoff`. Anything else is kept, since the report folder may
 * be the worker's state folder: files directly in `root`, files of any other name (the payload store's payloads, the
 * SQLite database, the ownership ledgers `<tenant>.ledger`), the folders in `exclude`, and the `ledger` folder of a
 * store that is `root` itself (the ownership ledgers, never swept).
 * Symbolic links are neither followed nor deleted, and folders are kept, so nothing outside `root` is ever touched.
 * A missing root is empty.
 */
export async function deleteOldFiles(root: string, cutoff: Date, signal?: AbortSignal, options: DeleteOldReportsOptions = {}): Promise<number> {
  const base = await realpathOrResolved(root);
  const excluded = new Set(await Promise.all((options.exclude ?? []).map(realpathOrResolved)));
  let deleted = 0;
  const walk = async (dir: string): Promise<void> => {
    // A store that is the report folder itself is still swept: its payloads lie directly in it, its ledger in `ledger/`.
    if (dir !== base && excluded.has(dir)) return;
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      signal?.throwIfAborted();
      const full = path.join(dir, entry.name);
      // Defensive: never leave the root. Only `..` as a whole segment leaves it: a folder named `..x` is inside.
      const relative = path.relative(base, full);
      if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) continue;
      if (entry.isDirectory()) {
        // The store's own ledger folder; elsewhere `ledger` may be a tenant's report folder (a tenant named so).
        if (entry.name !== LEDGER_FOLDER || !excluded.has(dir)) await walk(full);
      } else if (entry.isFile() && dir !== base && REPORT_FILE.test(entry.name)) {
        try {
          const stat = await fs.lstat(full);
          if (!stat.isFile() || stat.mtimeMs >= cutoff.getTime()) continue;
          await fs.unlink(full);
          deleted++;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    }
  };
  await walk(base);
  return deleted;
}

/** The real path of a folder (so a store reached through a symlink is still recognised), else its resolved path. */
async function realpathOrResolved(directory: string): Promise<string> {
  const resolved = path.resolve(directory);
  try {
    return await fs.realpath(resolved);
  } catch {
    return resolved;
  }
}
