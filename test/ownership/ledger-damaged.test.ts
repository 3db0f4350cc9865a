// A ledger file a power loss (or anything else) left empty, cut short or altered: the read names the ledger and says
// what to do, instead of a codec or protobuf message; a previous version, where the folder keeps one, is used instead,
// with a warning.
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateEncryptionKey } from '../../codec/keys';
import { LedgerUnreadableError, ledgerStoreFor } from '../../ownership/store';

const env = { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() };

function setup() {
  const directory = mkdtempSync(path.join(tmpdir(), 'ledger-damaged-'));
  const warnings: { message: string; meta: Record<string, unknown> }[] = [];
  const store = ledgerStoreFor({ kind: 'local', directory }, env, undefined, { warn: (message, meta) => warnings.push({ message, meta }) });
  const file = path.join(directory, 'ledger', 'acme.ledger');
  return { directory, store, file, previous: `${file}.prev`, warnings };
}

const damage: [string, (file: string) => void][] = [
  ['emptied (zero length)', (file) => truncateSync(file, 0)],
  ['zeroed (the blocks allocated, the data never written)', (file) => writeFileSync(file, Buffer.alloc(readFileSync(file).length))],
  ['cut short', (file) => truncateSync(file, Math.floor(readFileSync(file).length / 2))],
  ['cut after its first bytes', (file) => truncateSync(file, 5)],
  ['altered inside the encrypted data', (file) => {
    const bytes = readFileSync(file);
    const at = bytes.length - 3;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    writeFileSync(file, bytes);
  }],
];

describe('a damaged ownership ledger', () => {
  it.each(damage)('%s, without a previous version: the read names the tenant\'s ledger file and the fix, and nothing of its content', async (_, spoil) => {
    const { store, file, previous } = setup();
    await store.record('acme', { owned: ['peakon-user-4711'], deleted: [] });
    expect(existsSync(previous)).toBe(false); // the first write has no previous version
    spoil(file);
    // One at a time: both started at once, the second's rejection would be unhandled while the first is awaited.
    for (const attempt of [() => store.read('acme'), () => store.record('acme', { owned: ['peakon-user-9'], deleted: [] })]) {
      const failure = await attempt().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LedgerUnreadableError);
      const { message } = failure as Error;
      expect(message).toMatch(new RegExp(`^the ownership ledger of tenant acme \\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) cannot be read: .*; restore it from a backup or remove it \\(the connector then owns only the users it matches to HR records\\)$`));
      expect(message).not.toMatch(/refusing an unencrypted payload|has no key|peakon-user/);
    }
  });

  it.each(damage)('%s, with a previous version: reads and writes fall back to it, with a warning, and the next write repairs the file', async (_, spoil) => {
    const { store, file, previous, warnings } = setup();
    await store.record('acme', { owned: ['u1'], deleted: [] });
    await store.record('acme', { owned: ['u2'], deleted: [] });
    expect(existsSync(previous)).toBe(true);
    spoil(file);

    // The previous version owns fewer users: the safe direction (see ownership/store.ts load).
    expect(await store.read('acme')).toMatchObject({ owned: ['u1'] });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/^the ownership ledger of tenant acme cannot be read \(.*\); using its previous version/);
    expect(warnings[0]!.meta).toEqual({ tenant: 'acme', ledger: file, previous });

    expect(await store.record('acme', { owned: ['u3'], deleted: [] })).toMatchObject({ owned: ['u1', 'u3'] });
    warnings.length = 0;
    expect(await store.read('acme')).toMatchObject({ owned: ['u1', 'u3'] });
    expect(warnings).toEqual([]);
  });

  it('both versions damaged: the current version\'s message', async () => {
    const { store, file, previous } = setup();
    await store.record('acme', { owned: ['u1'], deleted: [] });
    await store.record('acme', { owned: ['u2'], deleted: [] });
    truncateSync(file, 0);
    truncateSync(previous, 3);
    await expect(store.read('acme')).rejects.toThrow(`the ownership ledger of tenant acme (${file}) cannot be read: the file is empty; restore it from a backup or remove it`);
  });

  it('a ledger removed by an operator starts again without the old previous version', async () => {
    const { store, file, previous } = setup();
    await store.record('acme', { owned: ['u1'], deleted: [] });
    await store.record('acme', { owned: ['u2'], deleted: [] });
    rmSync(file);
    expect(await store.read('acme')).toMatchObject({ owned: [] });
    await store.record('acme', { owned: ['u9'], deleted: [] });
    expect(existsSync(previous)).toBe(false);
    truncateSync(file, 0);
    await expect(store.read('acme')).rejects.toBeInstanceOf(LedgerUnreadableError);
  });

  it('a ledger encrypted with a key this worker lacks is not "damaged": the key is the fix, and there is no fallback', async () => {
    const { directory, store, file } = setup();
    await store.record('acme', { owned: ['u1'], deleted: [] });
    await store.record('acme', { owned: ['u2'], deleted: [] });
    const otherKey = ledgerStoreFor({ kind: 'local', directory }, { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() }, undefined, { warn: () => { throw new Error('no fallback expected'); } });
    const failure = await otherKey.read('acme').catch((error: unknown) => error);
    expect(failure).not.toBeInstanceOf(LedgerUnreadableError);
    expect((failure as Error).message).toMatch(new RegExp(`^the ownership ledger of tenant acme \\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): payload encrypted with key [0-9a-f]{16}, which is not configured`));
  });
});
