import { syncProgressQuery, type SyncProgress } from '../../workflows/sync';

/** Polls a running sync's progress query until `until` holds (a minute at most) and returns that progress. */
export async function progressOf(handle: { query: (query: typeof syncProgressQuery) => Promise<SyncProgress> }, until: (progress: SyncProgress) => boolean): Promise<SyncProgress> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const progress = await handle.query(syncProgressQuery).catch(() => undefined);
    if (progress && until(progress)) return progress;
    if (Date.now() > deadline) throw new Error(`timed out; last progress ${JSON.stringify(progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Until the run has planned: a change to Peakon from now on comes after its plan read the tenant. */
export const pastItsPlan = (handle: Parameters<typeof progressOf>[0]) => progressOf(handle, (progress) => progress.phase !== 'locking' && progress.phase !== 'planning');
