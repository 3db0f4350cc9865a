// The ownership ledger's store: a folder (one host) and S3 through a real S3-compatible server (moto), encrypted with
// the connector's codec, kept by retention.
import { existsSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateEncryptionKey } from '../../codec/keys';
import { ledgerStoreFor } from '../../ownership/store';
import { sweepOnce } from '../../storage/retention';
import { S3StorageDriver } from '../../storage/s3-driver';
import { describeWithMoto, startMoto, type RunningMoto } from '../harness/moto';

const keyed = (key = generateEncryptionKey()) => ({ PEAKON_SYNC_ENCRYPTION_KEY: key });

describe('ownership ledger in a folder', () => {
  it('records idempotently, keeps the last complete read, and forgets deleted users', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    const store = ledgerStoreFor({ kind: 'local', directory }, keyed());
    expect(await store.read('acme')).toEqual({ version: 1, tenant: 'acme', owned: [] });
    await store.record('acme', { owned: ['u2', 'u1'], deleted: [] });
    await store.record('acme', { owned: ['u2', 'u3'], deleted: [], completeRead: { records: 3, runId: 'run-1' } });
    await store.record('acme', { owned: [], deleted: ['u1'] });
    expect(await store.read('acme')).toEqual({ version: 1, tenant: 'acme', owned: ['u2', 'u3'], lastCompleteRead: { records: 3, runId: 'run-1' } });
    expect(await store.read('other')).toMatchObject({ owned: [] });
  });

  it('does not write a change that changes nothing (no ledger created for it, no version replaced)', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    const store = ledgerStoreFor({ kind: 'local', directory }, keyed());
    const file = path.join(directory, 'ledger', 'acme.ledger');
    await store.record('acme', { owned: [], deleted: [] });
    expect(existsSync(file)).toBe(false);
    await store.record('acme', { owned: ['u1', 'u2'], deleted: [] });
    const written = readFileSync(file);
    for (const change of [{ owned: [], deleted: [] }, { owned: ['u2'], deleted: [] }, { owned: [], deleted: ['u9'] }]) {
      expect(await store.record('acme', change)).toEqual({ version: 1, tenant: 'acme', owned: ['u1', 'u2'] });
    }
    // Each write re-encrypts with a fresh IV, so equal bytes mean no write; and no previous version was kept.
    expect(readFileSync(file).equals(written)).toBe(true);
    expect(existsSync(`${file}.prev`)).toBe(false);
  });

  it('a change that changes nothing still rewrites a ledger sealed under an old key, or plain: the old key can then be dropped', async () => {
    const [oldKey, newKey] = [generateEncryptionKey(), generateEncryptionKey()];
    const file = (directory: string) => path.join(directory, 'ledger', 'acme.ledger');
    // Rotation (README): the new key current, the old one kept for reading until every tenant has completed a run.
    const rotated = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    await ledgerStoreFor({ kind: 'local', directory: rotated }, keyed(oldKey)).record('acme', { owned: ['u1'], deleted: [] });
    const rotating = ledgerStoreFor({ kind: 'local', directory: rotated }, { PEAKON_SYNC_ENCRYPTION_KEY: newKey, PEAKON_SYNC_ENCRYPTION_OLD_KEYS: oldKey });
    await rotating.record('acme', { owned: ['u1'], deleted: [] });
    const resealed = readFileSync(file(rotated));
    expect(await ledgerStoreFor({ kind: 'local', directory: rotated }, keyed(newKey)).read('acme')).toMatchObject({ owned: ['u1'] });
    // Its fallback copy too: a ledger damaged later is read from `.prev` with the new key alone.
    writeFileSync(file(rotated), 'damaged');
    const warnings: string[] = [];
    expect(await ledgerStoreFor({ kind: 'local', directory: rotated }, keyed(newKey), undefined, { warn: (message) => warnings.push(message) }).read('acme')).toMatchObject({ owned: ['u1'] });
    expect(warnings).toEqual([expect.stringContaining('using its previous version')]);
    writeFileSync(file(rotated), resealed);
    // Sealed under the current key now: the next no-op is not written again.
    await rotating.record('acme', { owned: [], deleted: [] });
    expect(readFileSync(file(rotated)).equals(resealed)).toBe(true);

    // Turning encryption on (README): a plain ledger is sealed by the first run with the key, while plain is still allowed.
    const plain = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    await ledgerStoreFor({ kind: 'local', directory: plain }, { PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '1' }).record('acme', { owned: ['u1'], deleted: [] });
    expect(readFileSync(file(plain)).toString('latin1')).toContain('u1');
    await ledgerStoreFor({ kind: 'local', directory: plain }, { PEAKON_SYNC_ENCRYPTION_KEY: newKey, PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '1' }).record('acme', { owned: ['u1'], deleted: [] });
    expect(readFileSync(file(plain)).toString('latin1')).not.toContain('u1');
    // Nor is a plain copy left as the fallback.
    expect(readFileSync(`${file(plain)}.prev`).toString('latin1')).not.toContain('u1');
    expect(await ledgerStoreFor({ kind: 'local', directory: plain }, keyed(newKey)).read('acme')).toMatchObject({ owned: ['u1'] });
  });

  it('a change recorded after a rotation or after turning encryption on keeps its fallback .prev in the new seal too', async () => {
    const [oldKey, newKey] = [generateEncryptionKey(), generateEncryptionKey()];
    const file = (directory: string) => path.join(directory, 'ledger', 'acme.ledger');
    for (const before of [keyed(oldKey), { PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '1' }]) {
      const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
      await ledgerStoreFor({ kind: 'local', directory }, before).record('acme', { owned: ['peakon-user-0001'], deleted: [] });
      // The first run under the new key creates someone: the ledger changes, and its previous version is kept.
      await ledgerStoreFor({ kind: 'local', directory }, { PEAKON_SYNC_ENCRYPTION_KEY: newKey, PEAKON_SYNC_ENCRYPTION_OLD_KEYS: oldKey, PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '1' }).record('acme', { owned: ['peakon-user-0002'], deleted: [] });
      expect(readFileSync(`${file(directory)}.prev`).toString('latin1')).not.toContain('peakon-user-0001');
      // The old key dropped, the current file damaged: the fallback is read with the new key alone.
      writeFileSync(file(directory), 'damaged');
      const warnings: string[] = [];
      expect(await ledgerStoreFor({ kind: 'local', directory }, keyed(newKey), undefined, { warn: (message) => warnings.push(message) }).read('acme')).toMatchObject({ owned: ['peakon-user-0001'] });
      expect(warnings).toEqual([expect.stringContaining('using its previous version')]);
    }
  });

  it('is encrypted and readable by the worker\'s user only; another key cannot read it', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    const key = generateEncryptionKey();
    await ledgerStoreFor({ kind: 'local', directory }, keyed(key)).record('acme', { owned: ['peakon-user-4711'], deleted: [] });
    const file = path.join(directory, 'ledger', 'acme.ledger');
    expect(readFileSync(file).toString('latin1')).not.toContain('peakon-user-4711');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await expect(ledgerStoreFor({ kind: 'local', directory }, keyed()).read('acme')).rejects.toThrow();
  });

  it('is never deleted by the payload retention sweep', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    await ledgerStoreFor({ kind: 'local', directory }, keyed()).record('acme', { owned: ['u1'], deleted: [] });
    const file = path.join(directory, 'ledger', 'acme.ledger');
    const old = new Date(Date.now() - 400 * 86_400_000);
    utimesSync(file, old, old);
    const { LocalStorageDriver } = await import('../../storage/local-driver');
    await sweepOnce({ store: new LocalStorageDriver({ directory }), retentionDays: 1 });
    expect(statSync(file).isFile()).toBe(true);
  });
});

describeWithMoto('ownership ledger in S3 (moto server)')('ownership ledger in S3 (moto server)', () => {
  let moto: RunningMoto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.close();
  });

  it('round-trips through the bucket next to the payloads, and the retention sweep keeps it', async () => {
    const bucket = await moto.newBucket();
    const env = keyed();
    const store = ledgerStoreFor({ kind: 's3', bucket, prefix: 'payloads', endpoint: moto.endpoint, forcePathStyle: true }, env, moto.clientConfig);
    await store.record('acme', { owned: ['u1', 'u2'], deleted: [], completeRead: { records: 2, runId: 'r' } });
    expect(store.location).toBe(`s3://${bucket}/payloads/ledger/`);
    const driver = new S3StorageDriver({ bucket, prefix: 'payloads', endpoint: moto.endpoint, forcePathStyle: true, clientConfig: moto.clientConfig });
    try {
      await sweepOnce({ store: driver, retentionDays: 1, now: new Date(Date.now() + 30 * 86_400_000) });
    } finally {
      driver.destroy();
    }
    expect(await ledgerStoreFor({ kind: 's3', bucket, prefix: 'payloads', endpoint: moto.endpoint, forcePathStyle: true }, env, moto.clientConfig).read('acme')).toMatchObject({ owned: ['u1', 'u2'], lastCompleteRead: { records: 2 } });
  });
});
