// Writes that survive a power loss once they have returned: the file's bytes and the folder entry naming it are on disk.
import { open } from 'node:fs/promises';

/**
 * Writes `bytes` to a new file (`wx`: never over an existing one) and fsyncs it before closing, so a rename of it that
 * a power loss keeps also keeps its bytes (without the fsync, ext4 and XFS may persist the rename before the data: an
 * empty or partial file under the final name).
 */
export async function writeNewFileSynced(file: string, bytes: Uint8Array, mode = 0o600): Promise<void> {
  const handle = await open(file, 'wx', mode);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs a file written some other way (a stream), before the rename that publishes it (see writeNewFileSynced). */
export async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Fsyncs a folder, so a rename (or create) inside it that has returned survives a power loss: a rename changes the
 * folder, not the file, and until the folder is on disk the old entry (or none) may come back. Platforms that cannot
 * open a folder for fsync (Windows: EISDIR/EPERM) have nothing to sync this way; any other error is thrown.
 */
export async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, 'r');
  } catch (error) {
    if (['EISDIR', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems (and Windows) refuse fsync on a folder handle: nothing more can be done from here.
    if (!['EINVAL', 'EPERM', 'EBADF'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle.close();
  }
}
