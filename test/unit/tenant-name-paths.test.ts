/**
 * A tenant name becomes part of file paths (the run report's folder, the ownership ledger's file) and of the lock ID
 * `unlock` looks up. The config schema checks it, but a workflow started by hand (Temporal CLI or UI) reaches the
 * worker without that check: a name such as `../..` must never place a file outside its folder.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reportFilePath } from '../../activities/report';
import { ledgerStoreFromEnv } from '../../ownership/store';
import { BUILT_CLI, runBuiltCli } from '../harness/cli';

const KEY = { PEAKON_SYNC_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };

describe('tenant names in paths and IDs', () => {
  it('a report path is refused for a name that is not a tenant name, and stays in its folder for one that is', () => {
    expect(() => reportFilePath('/srv/state/reports', { tenant: '../../../', runId: 'package' })).toThrow('"../../../" is not a tenant name');
    expect(() => reportFilePath('/srv/state/reports', { tenant: 'Acme', runId: 'x' })).toThrow('is not a tenant name');
    expect(reportFilePath('/srv/state/reports', { tenant: 'acme-eu', runId: 'peakon-sync/acme-eu/2026' })).toBe('/srv/state/reports/acme-eu/peakon-sync_acme-eu_2026.json');
  });

  it('the ownership ledger of such a name is neither read nor written, and nothing appears outside the store', async () => {
    const base = mkdtempSync(path.join(tmpdir(), 'tenant-paths-'));
    const store = path.join(base, 'store');
    const ledger = ledgerStoreFromEnv(KEY, store);
    await expect(ledger.read('../escaped')).rejects.toThrow('is not a tenant name');
    await expect(ledger.record('../escaped', { owned: ['1'], deleted: [] })).rejects.toThrow('is not a tenant name');
    expect(readdirSync(base)).not.toContain('escaped.ledger');
    expect(existsSync(path.join(store, 'escaped.ledger'))).toBe(false);
    // A tenant name still works.
    await expect(ledger.read('acme')).resolves.toMatchObject({ tenant: 'acme' });
  });

  it('unlock refuses a name that cannot be a tenant before asking Temporal (it would say "not locked")', async () => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
    // No Temporal at this address: the refusal comes first, or the command would fail to connect instead.
    const result = await runBuiltCli(['unlock', 'Acme'], { TEMPORAL_ADDRESS: '127.0.0.1:1', ...KEY });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('"Acme" is not a tenant name (lower-case letters, digits and dashes, at most 63)');
  });
});
