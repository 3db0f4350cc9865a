import { rmSync } from 'node:fs';
import type { RunningDevServer } from '../../devserver/dev-server';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __temporalDevServer?: RunningDevServer }).__temporalDevServer;
  await server?.stop();
  // The run's temporary folder (global-setup.ts): removed, unless asked to keep it.
  const state = globalThis as { __testRunFolder?: string; __tmpdirBeforeRun?: string | undefined };
  const runFolder = state.__testRunFolder;
  if (runFolder === undefined) return;
  delete state.__testRunFolder;
  if (process.env.TMPDIR === runFolder) {
    if (state.__tmpdirBeforeRun === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = state.__tmpdirBeforeRun;
  }
  if (process.env.PEAKON_SYNC_KEEP_TEST_FILES === '1') {
    process.stderr.write(`test files kept in ${runFolder} (PEAKON_SYNC_KEEP_TEST_FILES=1)\n`);
    return;
  }
  rmSync(runFolder, { recursive: true, force: true });
}
