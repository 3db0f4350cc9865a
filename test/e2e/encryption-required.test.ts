import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUILT_CLI, runBuiltCli } from '../harness/cli';
import { devServerAddress } from '../harness/temporal';

/**
 * Without an encryption key the connector fails closed: the worker and every command that talks to Temporal refuse to
 * start, saying how to create a key, instead of putting names and emails into Temporal in plain text. The built CLI,
 * in its own process, against the run's dev server.
 */
describe('no encryption key: worker and CLI refuse to start', () => {
  beforeAll(() => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  const config = (() => {
    const dir = mkdtempSync(path.join(tmpdir(), 'encryption-required-'));
    writeFileSync(path.join(dir, 'hr.csv'), 'id,email,first,last\n1,a@example.com,Ada,Lovelace\n');
    const file = path.join(dir, 'connector.yaml');
    writeFileSync(file, ['tenant: demo', 'peakon: { baseUrl: "https://api.peakon.com/scim/v2" }', 'source: { type: csv, path: hr.csv }', 'mapping: { id: id, email: email, givenName: first, familyName: last }'].join('\n'));
    return file;
  })();
  // The dev server is up: without the refusal these commands would reach it (`sync` would start a plain-text run).
  const keyless = { TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_ENCRYPTION_KEY: '', PEAKON_SYNC_TASK_QUEUE: 'encryption-required' };

  it.each([
    // Pointed nowhere, so that a worker that did start would fail on the connection instead of polling forever.
    ['worker', ['worker'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }],
    ['sync', ['sync', '--config', config], {}],
    ['status', ['status', 'peakon-sync/demo/2026-01-01T00:00:00Z'], {}],
    ['cancel', ['cancel', 'peakon-sync/demo/2026-01-01T00:00:00Z'], {}],
    ['approve', ['approve', 'peakon-sync/demo/2026-01-01T00:00:00Z'], {}],
    ['unlock', ['unlock', 'demo'], {}],
    ['runs', ['runs', 'demo'], {}],
    ['schedule list', ['schedule', 'list'], {}],
  ])('%s exits 1 naming the missing key, how to create one and the opt-out', async (_name, args, env) => {
    const result = await runBuiltCli(args, { ...keyless, ...env });
    expect({ exitCode: result.exitCode, stderr: result.stderr.trim() }).toEqual({
      exitCode: 1,
      stderr: expect.stringMatching(/^no encryption key: set PEAKON_SYNC_ENCRYPTION_KEY_FILE \(or PEAKON_SYNC_ENCRYPTION_KEY\).*openssl rand -base64 32.*PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS=1$/s),
    });
    expect(result.stdout).not.toContain('worker polling');
  });

  it('runs with the explicit opt-out (status reaches Temporal and answers about the run)', async () => {
    const result = await runBuiltCli(['status', 'peakon-sync/demo/2026-01-01T00:00:00Z'], { ...keyless, PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '1' });
    expect(result.stderr).not.toContain('no encryption key');
    expect(result.stderr).toMatch(/peakon-sync\/demo\/2026-01-01T00:00:00Z/);
  });
});
