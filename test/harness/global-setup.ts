import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateEncryptionKey } from '../../codec/keys';
import { startDevServer } from '../../devserver/dev-server';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, shared with .ci/run
const { installMoto } = require('../../scripts/install-moto.js') as { installMoto: () => boolean };

/**
 * One Temporal dev server for the whole jest run (the SDK gives a server 5 s to start; one per file would be slow and
 * flaky on two cores). Test files reach it through TEMPORAL_TEST_ADDRESS.
 */
export default async function globalSetup(): Promise<void> {
  // Every temporary file of the run (fixtures' state folders, ledgers, keys, the dev server's own files) goes under one
  // private folder that global-teardown removes: jest's workers and the processes tests spawn inherit TMPDIR, and
  // os.tmpdir() reads it at each call. PEAKON_SYNC_KEEP_TEST_FILES=1 keeps it, to look at a failed run's files.
  // The teardown puts TMPDIR back: jest --watch runs this setup again in the same process, after the folder is gone.
  const runFolder = mkdtempSync(path.join(tmpdir(), 'peakon-sync-tests-'));
  (globalThis as { __tmpdirBeforeRun?: string | undefined }).__tmpdirBeforeRun = process.env.TMPDIR;
  process.env.TMPDIR = runFolder;
  (globalThis as { __testRunFolder?: string }).__testRunFolder = runFolder;
  // The S3 payload-store tests need moto (a real S3-compatible server): installed once from PyPI, so `npm test` runs
  // them on a fresh clone; without Python they are skipped, loudly (test/harness/moto.ts).
  if (process.env.MOTO_SERVER_PATH === undefined) installMoto();
  const server = await startDevServer();
  (globalThis as { __temporalDevServer?: typeof server }).__temporalDevServer = server;
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  process.env.TEMPORAL_TEST_NAMESPACE = server.namespace;
  // Every client and worker of the run encrypts, as in production. Jest's workers (and the CLI processes tests spawn)
  // inherit this environment; a developer's own key settings would only get in the way.
  process.env.PEAKON_SYNC_ENCRYPTION_KEY = generateEncryptionKey();
  delete process.env.PEAKON_SYNC_ENCRYPTION_KEY_FILE;
  delete process.env.PEAKON_SYNC_ENCRYPTION_OLD_KEYS;
  delete process.env.PEAKON_SYNC_ENCRYPTION_OLD_KEYS_FILE;
  // CSV sources read only inside the worker's data directories (hris/data-dir.ts): the examples and the exports tests
  // write to temporary folders. test/hris/data-dir.test.ts checks the confinement with its own settings.
  process.env.PEAKON_SYNC_DATA_DIR = [path.resolve(__dirname, '../..'), tmpdir()].join(path.delimiter);
  // Large payloads (plans, partition work) go to a payload store every worker and client of the run shares.
  process.env.PEAKON_SYNC_PAYLOAD_STORE = `local:${mkdtempSync(path.join(tmpdir(), 'peakon-sync-payloads-'))}`;
  // The production payload-store threshold (16 KiB): the tests' small runs send their plans and partition work
  // through the store as a 10,000-employee run does.
  delete process.env.PEAKON_SYNC_PAYLOAD_THRESHOLD_BYTES;
}
