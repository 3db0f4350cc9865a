import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runValidate } from './helpers';

/** A valid export and a config whose Peakon token is `token` (a YAML flow value), or the default when omitted. */
function writeConfig(token?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'peakon-validate-token-'));
  writeFileSync(path.join(dir, 'hr.csv'), 'id,email,first,last\n1,a@example.com,Ada,Lovelace\n');
  const configFile = path.join(dir, 'connector.yaml');
  const peakon = `{ baseUrl: "http://127.0.0.1:1/scim/v2"${token === undefined ? '' : `, token: ${token}`} }`;
  writeFileSync(configFile, ['tenant: demo', `peakon: ${peakon}`, 'source: { type: csv, path: hr.csv }', 'mapping: { id: id, email: email, givenName: first, familyName: last }'].join('\n'));
  return configFile;
}

/** The worker, not the CLI, reads the token: a config whose token is missing passed validate and failed every sync. */
describe('peakon-sync validate: the Peakon token', () => {
  const saved = process.env.PEAKON_TOKEN;
  beforeEach(() => {
    delete process.env.PEAKON_TOKEN;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.PEAKON_TOKEN;
    else process.env.PEAKON_TOKEN = saved;
  });

  it('reports the default PEAKON_TOKEN missing, says the worker needs it, and exits 1', async () => {
    // Bound to the loopback stand-in, as a worker's operator would for a local sandbox, so what is left is that it is not set.
    process.env.PEAKON_SYNC_SECRET_HOSTS = 'PEAKON_TOKEN=loopback';
    const { output, exitCode } = await runValidate(['--config', writeConfig()]).finally(() => delete process.env.PEAKON_SYNC_SECRET_HOSTS);
    expect(exitCode).toBe(1);
    expect(output).toContain('preflight: cannot check the tenant:');
    expect(output).toContain('peakon.token: secret environment variable PEAKON_TOKEN is not set. The worker reads this secret to call Peakon');
    expect(output).toContain('--no-preflight');
  });

  it('names the variable the config names, in the JSON too', async () => {
    // Bound by the operator (a secret nobody lists goes nowhere), so what is left to report is that it is not set.
    process.env.PEAKON_SYNC_SECRET_HOSTS = 'ACME_PEAKON_TOKEN=loopback';
    const { output, exitCode } = await runValidate(['--config', writeConfig('{ env: ACME_PEAKON_TOKEN }'), '--json']).finally(() => delete process.env.PEAKON_SYNC_SECRET_HOSTS);
    expect(exitCode).toBe(1);
    const parsed = JSON.parse(output) as { preflight: { checked: boolean; problems: string[] } };
    expect(parsed.preflight.checked).toBe(false);
    expect(parsed.preflight.problems).toEqual([expect.stringMatching(/^peakon\.token: secret environment variable ACME_PEAKON_TOKEN is not set\. The worker reads this secret/)]);
  });

  it('names a secret file that cannot be read', async () => {
    const secretDir = mkdtempSync(path.join(tmpdir(), 'peakon-validate-secrets-'));
    const saved = process.env.PEAKON_SYNC_SECRET_DIR;
    process.env.PEAKON_SYNC_SECRET_DIR = secretDir;
    try {
      const missing = path.join(secretDir, 'peakon');
      const { output, exitCode } = await runValidate(['--config', writeConfig(`{ file: "${missing}" }`)]);
      expect(exitCode).toBe(1);
      expect(output).toContain(`peakon.token: secret file ${missing} cannot be read (ENOENT)`);
    } finally {
      if (saved === undefined) delete process.env.PEAKON_SYNC_SECRET_DIR;
      else process.env.PEAKON_SYNC_SECRET_DIR = saved;
    }
  });

  it('checks neither token nor tenant with --no-preflight, and says so', async () => {
    const { output, exitCode } = await runValidate(['--config', writeConfig(), '--no-preflight']);
    expect(exitCode).toBeUndefined();
    expect(output).toContain('preflight skipped (--no-preflight): neither the Peakon token nor the tenant');
  });
});
