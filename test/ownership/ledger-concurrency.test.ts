// The ownership ledger under concurrent writers (a run that lost its lock still finishing a plan's write while the next
// run records its own): every writer's change lands, in a folder (lock file around compare and rename) and in S3
// (conditional writes, against a real S3-compatible server, moto).
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateEncryptionKey } from '../../codec/keys';
import { ledgerStoreFor, type LedgerStore } from '../../ownership/store';
import { describeWithMoto, startMoto, type RunningMoto } from '../harness/moto';

const WRITERS = 16;
const ids = Array.from({ length: WRITERS }, (_, index) => `peakon-user-${String(index).padStart(2, '0')}`);

/** Every id recorded at once, spread over the stores (one per "worker"); what the ledger holds after. */
async function recordAllAtOnce(stores: LedgerStore[]): Promise<string[]> {
  await Promise.all(ids.map((id, index) => stores[index % stores.length]?.record('acme', { owned: [id], deleted: [] })));
  return (await stores[0]?.read('acme'))?.owned ?? [];
}

describe('ownership ledger in a folder, several writers at once', () => {
  it('loses no writer\'s change', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    const env = { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() };
    const stores = [ledgerStoreFor({ kind: 'local', directory }, env), ledgerStoreFor({ kind: 'local', directory }, env)];
    await stores[0]?.record('acme', { owned: ['already-owned'], deleted: [] });
    expect(await recordAllAtOnce(stores)).toEqual(['already-owned', ...ids]);
    expect(existsSync(path.join(directory, 'ledger', 'acme.ledger.lock'))).toBe(false);
  });

  it('takes over a lock file a crashed writer left, and waits for one a live writer holds', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    const store = ledgerStoreFor({ kind: 'local', directory }, { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() });
    const lock = path.join(directory, 'ledger', 'acme.ledger.lock');
    mkdirSync(path.dirname(lock), { recursive: true });
    writeFileSync(lock, '');
    const longAgo = new Date(Date.now() - 10 * 60_000);
    utimesSync(lock, longAgo, longAgo);
    await store.record('acme', { owned: ['u1'], deleted: [] });
    expect((await store.read('acme')).owned).toEqual(['u1']);

    writeFileSync(lock, ''); // held now
    let recorded = false;
    const writing = store.record('acme', { owned: ['u2'], deleted: [] }).then(() => {
      recorded = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(recorded).toBe(false);
    await rm(lock);
    await writing;
    expect((await store.read('acme')).owned).toEqual(['u1', 'u2']);
  });
});

describeWithMoto('ownership ledger in S3 (moto server), several writers at once')('ownership ledger in S3 (moto server), several writers at once', () => {
  let moto: RunningMoto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.close();
  });

  it('loses no writer\'s change (conditional writes), from an absent ledger and from a written one', async () => {
    const env = { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() };
    const storesOn = (bucket: string) => [0, 1].map(() => ledgerStoreFor({ kind: 's3', bucket, prefix: 'payloads', endpoint: moto.endpoint, forcePathStyle: true }, env, moto.clientConfig));
    // Nobody has written the ledger yet: the first writers race on creating it.
    expect(await recordAllAtOnce(storesOn(await moto.newBucket()))).toEqual(ids);
    const written = storesOn(await moto.newBucket());
    await written[0]?.record('acme', { owned: ['already-owned'], deleted: [] });
    expect(await recordAllAtOnce(written)).toEqual(['already-owned', ...ids]);
  });
});
