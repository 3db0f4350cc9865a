import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { storageConfigFromEnv } from '../storage/from-env';
import { LEDGER_FOLDER } from '../storage/s3-driver';
import { defaultPayloadDirectory } from './environment';

/**
 * Writes a probe file into the report folder as the report step does (the folder created 0700, a new file 0600, renamed
 * into place), then deletes it. The worker runs it at start-up, before it polls: a folder it cannot write would
 * otherwise show only at the end of each run, after every Peakon write, as a report step failing until its retries run
 * out and the run ending `failed`.
 */
export async function checkReportDirectory(directory: string): Promise<void> {
  const name = `.probe-${randomBytes(8).toString('hex')}`;
  const temporary = path.join(directory, `${name}.tmp`);
  const probe = path.join(directory, name);
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    try {
      await writeFile(temporary, '', { flag: 'wx', mode: 0o600 });
      await rename(temporary, probe);
    } finally {
      await rm(temporary, { force: true });
    }
    await rm(probe);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot write run reports to ${directory} (PEAKON_SYNC_REPORT_DIR; unset: reports/ under PEAKON_SYNC_STATE_DIR): creating, renaming and deleting a probe file there failed: ${reason}`);
  }
}

/** Whether `folder` holds a tenant's ownership ledger (`<tenant>.ledger`, or only the previous version a folder keeps). */
async function holdsLedger(folder: string): Promise<boolean> {
  try {
    return (await readdir(folder)).some((name) => name.endsWith('.ledger') || name.endsWith('.ledger.prev'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * The start-up warning for a local payload store without a single ownership ledger: a fresh install, or a worker given
 * another folder than the one its tenants synced with (a container started again without its volume, a Kubernetes pod
 * without a volume for the image's VOLUME). The store is then empty, and a run matches only the users it finds in HR,
 * so the people who left before it are never switched off. Undefined with a ledger present, or an S3 store.
 */
export async function missingLedgerWarning(env: NodeJS.ProcessEnv = process.env): Promise<{ message: string; ledgerFolder: string } | undefined> {
  const { store } = storageConfigFromEnv(env, { defaultLocalDirectory: defaultPayloadDirectory(env) });
  if (store?.kind !== 'local') return undefined;
  const ledgerFolder = path.join(store.directory, LEDGER_FOLDER);
  if (await holdsLedger(ledgerFolder)) return undefined;
  const folder = env.PEAKON_SYNC_PAYLOAD_STORE?.trim() ? `the payload store (PEAKON_SYNC_PAYLOAD_STORE) is not the folder they used` : `the state folder (PEAKON_SYNC_STATE_DIR) is not the one they used`;
  return {
    ledgerFolder,
    message: `no ownership ledger in ${ledgerFolder}: if this worker's tenants have synced before, ${folder} (a container without its volume?), and the next run will not switch off people who left before it: stop this worker and give it that folder (nothing to do on a first install)`,
  };
}
