/**
 * The test run keeps its temporary files (fixtures' HR files, ledgers, keys) in one private folder that the run's
 * teardown removes, instead of leaving a few hundred folders in the machine's /tmp at every `npm test`.
 */
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import globalTeardown from '../harness/global-teardown';

describe('the test run\'s temporary folder', () => {
  it('is where every test\'s temporary files go, readable by this user only', () => {
    expect(path.basename(tmpdir())).toMatch(/^peakon-sync-tests-/);
    expect(statSync(tmpdir()).mode & 0o777).toBe(0o700);
  });

  it('is no longer TMPDIR after the teardown, which puts back the one from before the run (jest --watch sets up again)', async () => {
    const state = globalThis as { __testRunFolder?: string; __tmpdirBeforeRun?: string | undefined };
    const runTmpdir = process.env.TMPDIR;
    const folder = mkdtempSync(path.join(tmpdir(), 'teardown-'));
    try {
      state.__testRunFolder = folder;
      state.__tmpdirBeforeRun = '/var/tmp';
      process.env.TMPDIR = folder;
      await globalTeardown();
      expect(process.env.TMPDIR).toBe('/var/tmp');
      expect(existsSync(folder)).toBe(false);
    } finally {
      delete state.__testRunFolder;
      delete state.__tmpdirBeforeRun;
      if (runTmpdir === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = runTmpdir;
    }
  });

  it('is removed by the run\'s teardown, with what the tests left in it, unless PEAKON_SYNC_KEEP_TEST_FILES=1', async () => {
    const state = globalThis as { __testRunFolder?: string; __temporalDevServer?: unknown };
    const folder = mkdtempSync(path.join(tmpdir(), 'teardown-'));
    mkdirSync(path.join(folder, 'ledger'));
    writeFileSync(path.join(folder, 'ledger', 'owned.json'), '{}');
    const kept = process.env.PEAKON_SYNC_KEEP_TEST_FILES;
    try {
      state.__testRunFolder = folder;
      process.env.PEAKON_SYNC_KEEP_TEST_FILES = '1';
      await globalTeardown();
      expect(existsSync(folder)).toBe(true);
      delete process.env.PEAKON_SYNC_KEEP_TEST_FILES;
      state.__testRunFolder = folder;
      await globalTeardown();
      expect(existsSync(folder)).toBe(false);
    } finally {
      delete state.__testRunFolder;
      if (kept === undefined) delete process.env.PEAKON_SYNC_KEEP_TEST_FILES;
      else process.env.PEAKON_SYNC_KEEP_TEST_FILES = kept;
    }
  });
});
