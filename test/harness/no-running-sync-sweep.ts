import path from 'node:path';

/** What a test's worker process writes on stderr once its running-sync sweep was replaced by nothing. */
export const RUNNING_SYNC_SWEEP_DISABLED = 'test preload: the running-sync sweep is disabled';

/**
 * Environment for `startWorkerProcess`: the real worker, but without its sweep of running syncs (the start-up one
 * included), through a preloaded module (no-running-sync-sweep-preload.cjs). Check its stderr for RUNNING_SYNC_SWEEP_DISABLED.
 */
export function withoutRunningSyncSweep(): Record<string, string> {
  const preload = path.resolve(__dirname, 'no-running-sync-sweep-preload.cjs');
  return { NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require "${preload}"`].filter(Boolean).join(' ') };
}
