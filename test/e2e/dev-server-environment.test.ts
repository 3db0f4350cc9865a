import { readFileSync } from 'node:fs';
import { devServerEnvironment, startDevServer } from '../../devserver/dev-server';

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
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('keeps the names Windows spells in mixed case (Path, SystemRoot, windir), which a Go program needs', () => {
    expect(devServerEnvironment({ Path: 'C:\\bin', SystemRoot: 'C:\\Windows', windir: 'C:\\Windows', PEAKON_TOKEN: 'secret' })).toEqual({ Path: 'C:\\bin', SystemRoot: 'C:\\Windows', windir: 'C:\\Windows' });
  });
});
