/**
 * The HR id index filter discovery reads (DesiredState.readHrIds): the read's HR ids as keyed hashes, bucketed into
 * pages of the real payload store (the folder driver and the connector's codec), never in plain.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hrIdHashesOf } from '../../activities/plan';
import { connectorDataConverter } from '../../codec/data-converter';
import { LocalStorageDriver } from '../../storage/local-driver';
import { hrIdHash, hrIdIndexHolds, planPageStore, storeHrIdIndex } from '../../storage/plan-pages';

describe('the HR id index of a filter-discovery plan', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'peakon-hr-id-index-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const [codec] = connectorDataConverter(process.env).payloadCodecs ?? [];
  if (!codec) throw new Error('no payload codec');
  const pages = planPageStore(new LocalStorageDriver({ directory: folder }), codec);
  const secret = Buffer.from('test-secret');
  const hash = (sourceId: string) => hrIdHash(secret, 'acme', sourceId);

  it('holds every id one record carries, across buckets, and no other; never an id in plain', async () => {
    const ids = Array.from({ length: 10_000 }, (_, index) => `HR-${index}`);
    const records = [...ids.map((sourceId) => ({ sourceId })), { sourceId: 'TWICE' }, { sourceId: 'TWICE' }];
    const index = await storeHrIdIndex(pages, hrIdHashesOf(records, hash));
    // 10,000 hashes need more than one bucket of at most 4,096.
    expect(index?.buckets).toBe(16);
    if (!index) throw new Error('no index');
    for (const sourceId of ['HR-0', 'HR-4711', 'HR-9999']) expect(await hrIdIndexHolds(pages, index, hash(sourceId))).toBe(true);
    // An id two records carry names nobody (as a listing plan's hrIdHolders); an id no record carries is not there.
    for (const sourceId of ['TWICE', 'OKTA-00u1abc', 'HR-10000']) expect(await hrIdIndexHolds(pages, index, hash(sourceId))).toBe(false);
    // Another tenant's hash of the same id is another hash.
    expect(await hrIdIndexHolds(pages, index, hrIdHash(secret, 'other', 'HR-0'))).toBe(false);
    const stored = readdirSync(folder, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    expect(stored.length).toBeGreaterThan(1);
    for (const file of stored) expect(readFileSync(path.join(file.parentPath, file.name)).toString('latin1')).not.toContain('HR-4711');
    // Decrypted (the files above are encrypted by the test run's key whatever they hold): every value a keyed hash.
    const bucketKeys = (await pages.getStrings?.(index.index)) ?? [];
    const values = (await Promise.all(bucketKeys.filter(Boolean).map((key) => pages.getStrings?.(key) ?? []))).flat();
    expect(values).toHaveLength(10_000);
    expect(values.every((value) => /^[0-9a-f]{16}$/.test(value))).toBe(true);
    expect(values).not.toContain('HR-4711');
    expect(values).toContain(hash('HR-4711'));
  });

  it('an empty read stores an index that holds nothing', async () => {
    const index = await storeHrIdIndex(pages, []);
    if (!index) throw new Error('no index');
    expect(index.buckets).toBe(1);
    expect(await hrIdIndexHolds(pages, index, hash('HR-0'))).toBe(false);
  });

  it('a page store without string pages keeps no index', async () => {
    expect(await storeHrIdIndex({ location: 'memory', put: async () => 'k', get: async () => [] }, [hash('HR-0')])).toBeUndefined();
  });
});
