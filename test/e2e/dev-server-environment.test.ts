import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { devServerEnvironment, installerEnvironment } from '../../devserver/child-environment';
import { startDevServer } from '../../devserver/dev-server';
import { resolveTemporalCli } from '../../devserver/temporal-cli';

/** Processes with an argument containing `text` and an argument exactly `argument` (from /proc, Linux). */
function processesWith(text: string, argument: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return args.some((arg) => arg.includes(text)) && args.includes(argument);
      } catch {
        return false;
      }
    })
    .map(Number);
}

// `npm start`, `peakon-sync server` and the tests hold the SCIM token, the encryption key and HR credentials in their
// environment; the dev server (a third-party binary) must not inherit them. A real server; its environment is read
// from /proc, which is where another process of the user would read it too (Linux only, as CI).
describe('the dev server process', () => {
  it('gets PATH and HOME but none of the connector secrets in its environment', async () => {
    const secrets = { PEAKON_SCIM_TOKEN: 'scim-token-never-inherited', PEAKON_SYNC_ENCRYPTION_KEY: 'key-never-inherited', BAMBOOHR_API_KEY: 'hr-key-never-inherited' };
    const saved = Object.fromEntries(Object.keys(secrets).map((name) => [name, process.env[name]]));
    Object.assign(process.env, secrets);
    let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
    try {
      server = await startDevServer({ sdkDownload: false });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    try {
      expect(server.pid).toBeDefined();
      const environment = readFileSync(`/proc/${String(server.pid)}/environ`, 'utf8').split('\0');
      expect(environment.some((entry) => entry.startsWith('PATH='))).toBe(true);
      for (const value of Object.values(secrets)) expect(environment.filter((entry) => entry.includes(value))).toEqual([]);
      // jest's process.env is the test's own copy, which a child process started without an explicit environment
      // never sees; the worker's real one holds the test encryption key (jest's globalSetup): none of ours either.
      expect(environment.filter((entry) => entry.startsWith('PEAKON_'))).toEqual([]);
      // Nor the watcher that stops the server if this process dies (it lives as long as the server).
      const watchers = processesWith('process.kill(server', String(server.pid));
      expect(watchers).toHaveLength(1);
      const watcherEnvironment = readFileSync(`/proc/${String(watchers[0])}/environ`, 'utf8').split('\0');
      expect(watcherEnvironment.filter((entry) => entry.startsWith('PEAKON_'))).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('runs the temporal CLI it checks (`temporal --version`) without the connector secrets', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'temporal-cli-env-'));
    const dump = path.join(folder, 'environment');
    const fakeCli = path.join(folder, 'temporal');
    writeFileSync(fakeCli, `#!/bin/sh\nenv > '${dump}'\n`);
    chmodSync(fakeCli, 0o700);
    const saved = { TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH, PEAKON_TOKEN: process.env.PEAKON_TOKEN };
    process.env.TEMPORAL_CLI_PATH = fakeCli;
    process.env.PEAKON_TOKEN = 'scim-token-never-inherited';
    try {
      expect(resolveTemporalCli()).toBe(fakeCli);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    const environment = readFileSync(dump, 'utf8');
    expect(environment).toContain('PATH=');
    expect(environment).not.toContain('scim-token-never-inherited');
    // The worker's real environment holds the test encryption key (see the first test): not passed on either.
    expect(environment.split('\n').filter((line) => line.startsWith('PEAKON_'))).toEqual([]);
  });

  it('gives the CLI installer what pip and Go need to reach the registries, and no secrets', () => {
    const environment = installerEnvironment({ PATH: '/bin', PIP_INDEX_URL: 'https://mirror/simple', HTTPS_PROXY: 'http://proxy:3128', GOPROXY: 'https://proxy.golang.org', GOFLAGS: '-mod=mod', PEAKON_TOKEN: 'secret', PEAKON_SYNC_ENCRYPTION_KEY: 'key', BAMBOOHR_API_KEY: 'hr' });
    expect(environment).toEqual({ PATH: '/bin', PIP_INDEX_URL: 'https://mirror/simple', HTTPS_PROXY: 'http://proxy:3128', GOPROXY: 'https://proxy.golang.org', GOFLAGS: '-mod=mod' });
    // Named variables only: an HR credential in a variable that merely starts like Go's or Python's is not passed on.
    expect(installerEnvironment({ GOOGLE_SHEETS_TOKEN: 'hr', PYTHON_API_KEY: 'hr', GOPATH: '/go' })).toEqual({ GOPATH: '/go' });
  });

  it('keeps the names Windows spells in mixed case (Path, SystemRoot, windir), which a Go program needs', () => {
    expect(devServerEnvironment({ Path: 'C:\\bin', SystemRoot: 'C:\\Windows', windir: 'C:\\Windows', PEAKON_TOKEN: 'secret' })).toEqual({ Path: 'C:\\bin', SystemRoot: 'C:\\Windows', windir: 'C:\\Windows' });
  });
});
