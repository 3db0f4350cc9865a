import { rmSync } from 'node:fs';
import type { RunningDevServer } from '../../devserver/dev-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __temporalDevServer?: RunningDevServer }).__temporalDevServer;
  await server?.stop();
  // The run's temporary folder (global-setup.ts): removed, unless asked to keep it.
  const runFolder = (globalThis as { __testRunFolder?: string }).__testRunFolder;
  if (runFolder === undefined) return;
  if (process.env.PEAKON_SYNC_KEEP_TEST_FILES === '1') {
    process.stderr.write(`test files kept in ${runFolder} (PEAKON_SYNC_KEEP_TEST_FILES=1)\n`);
    return;
  }
  rmSync(runFolder, { recursive: true, force: true });
}
