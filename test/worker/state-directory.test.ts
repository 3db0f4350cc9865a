import { StorageDriverClaim } from '@temporalio/common';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reportFilePath } from '../../activities/report';
import { generateEncryptionKey } from '../../codec/keys';
import { LocalStorageDriver } from '../../storage/local-driver';
import { defaultActivityDeps } from '../../worker/create-worker';
import {
  connectorDataConverterFromEnv,
  defaultPayloadDirectory,
  readWorkerEnvironment,
  reportDirectoryOf,
  stateDirectoryNotice,
  stateDirectoryOf,
} from '../../worker/environment';
import { BUILT_CLI } from '../harness/cli';

/**
 * The state folder (PEAKON_SYNC_STATE_DIR, default `.peakon-sync/state`) is resolved once, at start, against the working
 * folder: every path a process stores or hands on (the report path in a run's result, the ledger, the payload store)
 * is absolute, so a CLI started from another folder reads the file the worker wrote, or says plainly why it cannot.
 */
describe('the state folder', () => {
  const keyed = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey(), ...env });

  it('is absolute by default and when PEAKON_SYNC_STATE_DIR is relative, at the same place as before', () => {
    expect(defaultPayloadDirectory({})).toBe(path.resolve('.peakon-sync', 'state', 'payloads'));
    expect(defaultPayloadDirectory({ PEAKON_SYNC_STATE_DIR: 'state' })).toBe(path.resolve('state', 'payloads'));
    expect(defaultPayloadDirectory({ PEAKON_SYNC_STATE_DIR: '/var/lib/peakon-sync/state' })).toBe('/var/lib/peakon-sync/state/payloads');
    expect(stateDirectoryOf({})).toBe(path.resolve('.peakon-sync', 'state'));
  });

  it('gives the worker absolute state and report folders, so the report path in a result is absolute', () => {
    const environment = readWorkerEnvironment(keyed());
    expect(environment.PEAKON_SYNC_STATE_DIR).toBe(path.resolve('.peakon-sync', 'state'));
    expect(reportDirectoryOf(environment)).toBe(path.resolve('.peakon-sync', 'state', 'reports'));
    expect(readWorkerEnvironment(keyed({ PEAKON_SYNC_REPORT_DIR: 'reports' })).PEAKON_SYNC_REPORT_DIR).toBe(path.resolve('reports'));
    // Also from an environment nobody resolved (the schema's own default is relative).
    expect(reportDirectoryOf({ PEAKON_SYNC_STATE_DIR: path.join('.peakon-sync', 'state') })).toBe(path.resolve('.peakon-sync', 'state', 'reports'));
    expect(reportDirectoryOf({ PEAKON_SYNC_STATE_DIR: '/s', PEAKON_SYNC_REPORT_DIR: 'r' })).toBe(path.resolve('r'));
    const run = { tenant: 'acme', runId: 'peakon-sync/acme/2026-01-01T00:00:00Z' };
    expect(reportFilePath('reports', run)).toBe(path.resolve('reports', 'acme', 'peakon-sync_acme_2026-01-01T00_00_00Z.json'));
    const deps = defaultActivityDeps(path.join('.peakon-sync', 'state', 'reports'), keyed({ PEAKON_SYNC_PAYLOAD_STORE: '' }));
    expect(deps.reportDirectory).toBe(path.resolve('.peakon-sync', 'state', 'reports'));
    // The ownership ledger, in the default payload store: absolute too.
    expect(deps.ownership?.location).toBe(path.resolve('.peakon-sync', 'state', 'payloads', 'ledger'));
  });

  describe('a payload missing from the default store', () => {
    const key = 'b'.repeat(64);
    const missing = (env: NodeJS.ProcessEnv) => {
      const driver = connectorDataConverterFromEnv(keyed(env)).externalStorage?.drivers[0] as LocalStorageDriver;
      expect(driver).toBeInstanceOf(LocalStorageDriver);
      return driver.retrieve({}, [new StorageDriverClaim({ key })]);
    };

    it('names the absolute folder and the working folder as the likely cause when PEAKON_SYNC_STATE_DIR is unset', async () => {
      const error = await missing({}).then(() => undefined, (caught: unknown) => caught as Error);
      expect(error?.message).toContain(`payload ${key} is missing from ${path.resolve('.peakon-sync', 'state', 'payloads')}: `);
      expect(error?.message).toContain(`PEAKON_SYNC_STATE_DIR and PEAKON_SYNC_PAYLOAD_STORE are unset, so it is the default .peakon-sync/state/payloads under this process's working folder ${process.cwd()}`);
      expect(error?.message).toContain('if the worker was started from another working folder, that may be the cause');
      expect(error?.message).toContain('set the same absolute PEAKON_SYNC_STATE_DIR (or PEAKON_SYNC_PAYLOAD_STORE) for the worker and the CLI');
      expect(error?.message).not.toContain('shared by every worker');
    });

    it('says a relative PEAKON_SYNC_STATE_DIR depends on the working folder too', async () => {
      await expect(missing({ PEAKON_SYNC_STATE_DIR: 'state' })).rejects.toThrow(
        `payload ${key} is missing from ${path.resolve('state', 'payloads')}: PEAKON_SYNC_STATE_DIR=state is relative and PEAKON_SYNC_PAYLOAD_STORE unset, so it is under this process's working folder ${process.cwd()}: if the worker`,
      );
    });

    it('asks whether worker and CLI share an absolute PEAKON_SYNC_STATE_DIR', async () => {
      const state = mkdtempSync(path.join(tmpdir(), 'peakon-sync-state-'));
      await expect(missing({ PEAKON_SYNC_STATE_DIR: state })).rejects.toThrow(
        `payload ${key} is missing from ${path.join(state, 'payloads')}: it is the payload store under PEAKON_SYNC_STATE_DIR (PEAKON_SYNC_PAYLOAD_STORE is unset): do the worker and this process have the same PEAKON_SYNC_STATE_DIR (or one PEAKON_SYNC_PAYLOAD_STORE), or was it deleted by retention (PEAKON_SYNC_RETENTION_DAYS)?`,
      );
    });

    it('keeps the shared-store question for an explicit PEAKON_SYNC_PAYLOAD_STORE', async () => {
      const folder = mkdtempSync(path.join(tmpdir(), 'peakon-sync-store-'));
      await expect(missing({ PEAKON_SYNC_PAYLOAD_STORE: `local:${folder}` })).rejects.toThrow(
        `payload ${key} is missing from ${folder}: is PEAKON_SYNC_PAYLOAD_STORE shared by every worker, or was it deleted by retention`,
      );
    });
  });

  describe('the worker\'s start-up line', () => {
    it('names the absolute default folder, under the working folder, and how to pin it', () => {
      const notice = stateDirectoryNotice({}, true, '/opt/peakon-sync');
      expect(notice).toEqual({
        level: 'info',
        stateDirectory: '/opt/peakon-sync/.peakon-sync/state',
        message: 'state folder /opt/peakon-sync/.peakon-sync/state; PEAKON_SYNC_STATE_DIR is unset: this is the default .peakon-sync/state under the working folder /opt/peakon-sync, and a worker or CLI started from another folder uses another one; set PEAKON_SYNC_STATE_DIR to an absolute folder to pin it',
      });
    });

    it('warns when that default folder is new: an empty ownership ledger, as on a first run or after a move', () => {
      const notice = stateDirectoryNotice({}, false, '/home/ops');
      expect(notice.level).toBe('warn');
      expect(notice.message).toContain('it did not exist before this start, so the ownership ledger (which Peakon users this connector created) starts empty');
      expect(notice.message).toContain('its ledger is in that folder\'s .peakon-sync/state: stop this worker and set PEAKON_SYNC_STATE_DIR to that absolute folder');
      // The ledger is elsewhere (a shared store): a new state folder forgets nothing.
      expect(stateDirectoryNotice({ PEAKON_SYNC_PAYLOAD_STORE: 's3://bucket/p' }, false, '/home/ops').level).toBe('info');
    });

    it('says a relative PEAKON_SYNC_STATE_DIR is resolved against the working folder', () => {
      expect(stateDirectoryNotice({ PEAKON_SYNC_STATE_DIR: 'state' }, true, '/opt/peakon-sync')).toMatchObject({
        level: 'info',
        stateDirectory: '/opt/peakon-sync/state',
        message: expect.stringContaining('PEAKON_SYNC_STATE_DIR=state is relative: resolved against the working folder /opt/peakon-sync'),
      });
    });

    it('only names a pinned (absolute) folder, new or not', () => {
      expect(stateDirectoryNotice({ PEAKON_SYNC_STATE_DIR: '/var/lib/peakon-sync/state' }, false, '/')).toEqual({
        level: 'info',
        stateDirectory: '/var/lib/peakon-sync/state',
        message: 'state folder /var/lib/peakon-sync/state',
      });
    });

    it('is written by `peakon-sync worker` before it reaches Temporal, warning on a new default folder, not on a restart', async () => {
      if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
      const workingDirectory = realpathSync(mkdtempSync(path.join(tmpdir(), 'peakon-sync-cwd-')));
      const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_NAMESPACE: 'default' };
      delete env.PEAKON_SYNC_STATE_DIR;
      delete env.PEAKON_SYNC_PAYLOAD_STORE;
      delete env.PEAKON_SYNC_REPORT_DIR;
      const startLine = async () => {
        const stdout = await new Promise<string>((resolve) => {
          execFile(process.execPath, [BUILT_CLI, 'worker'], { cwd: workingDirectory, env, timeout: 60_000 }, (_error, out) => resolve(String(out)));
        });
        const line = stdout.split('\n').find((text) => text.includes('"stateDirectory"'));
        return JSON.parse(line ?? '{}') as { level?: string; message?: string; stateDirectory?: string };
      };
      const stateDirectory = path.join(workingDirectory, '.peakon-sync', 'state');
      const first = await startLine();
      expect(first).toMatchObject({ level: 'warn', stateDirectory, message: expect.stringContaining(`under the working folder ${workingDirectory}`) });
      expect(existsSync(path.join(stateDirectory, 'payloads', 'ledger'))).toBe(true);
      expect(await startLine()).toMatchObject({ level: 'info', stateDirectory, message: expect.stringContaining('set PEAKON_SYNC_STATE_DIR to an absolute folder to pin it') });
    }, 130_000);
  });
});
