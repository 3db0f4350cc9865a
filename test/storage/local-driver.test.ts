import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExternalStorage, StorageDriverClaim, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { LocalStorageDriver } from '../../storage/local-driver';
import { startRetentionSweeper, sweepOnce } from '../../storage/retention';
import { connectToDevServer, type TemporalTestContext } from '../harness/temporal';
import { PERSONAL_MARKER, referenceOf, runLargePayloadWorkflow } from './temporal-roundtrip';

const DAY_MS = 24 * 60 * 60 * 1000;
const encode = (payload: Payload) => Buffer.from(proto.api.common.v1.Payload.encode(payload).finish());

async function ageFile(file: string, days: number): Promise<void> {
  const when = new Date(Date.now() - days * DAY_MS);
  await fs.utimes(file, when, when);
}

describe('local folder storage driver', () => {
  let root: string;
  let folder: string;
  let driver: LocalStorageDriver;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'peakon-local-store-'));
    folder = path.join(root, 'payloads', 'nested');
    driver = new LocalStorageDriver({ directory: folder });
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('round-trips payloads byte for byte, in order, with claims holding only a content hash', async () => {
    const payloads = [
      defaultPayloadConverter.toPayload({ email: 'ada@example.com', name: 'Ada' }),
      defaultPayloadConverter.toPayload('x'.repeat(200_000)),
      defaultPayloadConverter.toPayload(new Uint8Array([0, 1, 2, 255])),
    ];
    const claims = await driver.store({}, payloads);
    expect(claims).toHaveLength(3);
    for (const claim of claims) {
      expect(Object.keys(claim.claimData)).toEqual(['key']);
      expect(claim.claimData.key).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(JSON.stringify(claims.map((c) => c.claimData))).not.toContain('ada');
    const back = await driver.retrieve({}, claims);
    expect(back.map(encode)).toEqual(payloads.map(encode));
    expect(defaultPayloadConverter.fromPayload(back[0] as Payload)).toEqual({ email: 'ada@example.com', name: 'Ada' });
  });

  it('creates the folder 0700 and writes files 0600, leaving no temp files', async () => {
    await driver.store({}, [defaultPayloadConverter.toPayload('secret')]);
    expect((await fs.stat(folder)).mode & 0o777).toBe(0o700);
    const files = await fs.readdir(folder);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9a-f]{64}\.payload$/);
    expect((await fs.stat(path.join(folder, files[0] as string))).mode & 0o777).toBe(0o600);
  });

  it('stores idempotently: the same payload twice is one file and one claim, and its age is refreshed', async () => {
    const payload = defaultPayloadConverter.toPayload({ run: 1, rows: ['a', 'b'] });
    const [first] = await driver.store({}, [payload]);
    const file = driver.pathOf(first?.claimData.key as string);
    await ageFile(file, 10);
    const [second] = await driver.store({}, [payload]);
    expect(second?.claimData).toEqual(first?.claimData);
    expect(await fs.readdir(folder)).toHaveLength(1);
    expect(Date.now() - (await fs.stat(file)).mtimeMs).toBeLessThan(60_000);
  });

  it('names the key and the folder when a claimed payload is missing', async () => {
    const key = 'a'.repeat(64);
    await expect(driver.retrieve({}, [new StorageDriverClaim({ key })])).rejects.toThrow(
      `payload ${key} is missing from ${folder}: is PEAKON_SYNC_PAYLOAD_STORE shared by every worker, or was it deleted by retention`,
    );
  });

  it('refuses claims that are not a bare sha256 (no path from history reaches the file system)', async () => {
    await expect(driver.retrieve({}, [new StorageDriverClaim({ key: '../../etc/passwd' })])).rejects.toThrow(
      /without a valid key/,
    );
  });

  it('refuses a stored file whose content does not match its key', async () => {
    const [claim] = await driver.store({}, [defaultPayloadConverter.toPayload('original')]);
    const file = driver.pathOf(claim?.claimData.key as string);
    await fs.writeFile(file, encode(defaultPayloadConverter.toPayload('tampered')));
    await expect(driver.retrieve({}, [claim as StorageDriverClaim])).rejects.toThrow(/is corrupt/);
  });

  it('retention deletes only payloads and report files older than the retention, never outside the report folder', async () => {
    const claims = await driver.store({}, ['old-1', 'old-2', 'fresh'].map((v) => defaultPayloadConverter.toPayload(v)));
    const [old1, old2, fresh] = claims.map((c) => driver.pathOf(c.claimData.key as string));
    await ageFile(old1 as string, 31);
    await ageFile(old2 as string, 45);
    await ageFile(fresh as string, 29);
    // A temp file left by a killed process is swept too once old.
    const staleTemp = path.join(folder, '.tmp-deadbeef-1-abc');
    await fs.writeFile(staleTemp, 'half');
    await ageFile(staleTemp, 40);

    const reports = path.join(root, 'reports');
    await fs.mkdir(path.join(reports, 'acme', '2024'), { recursive: true });
    const oldReport = path.join(reports, 'acme', '2024', 'run-1.json');
    const freshReport = path.join(reports, 'acme', 'run-2.json');
    await fs.writeFile(oldReport, '{}');
    await fs.writeFile(freshReport, '{}');
    await ageFile(oldReport, 60);
    // An old file outside the report folder, reachable through a symlink inside it: must survive.
    const outside = path.join(root, 'outside.json');
    await fs.writeFile(outside, '{}');
    await ageFile(outside, 90);
    await fs.symlink(outside, path.join(reports, 'link.json'));
    await fs.symlink(root, path.join(reports, 'link-dir'));

    const result = await sweepOnce({ store: driver, reportDirectory: reports, retentionDays: 30 });
    expect(result).toMatchObject({ payloadsDeleted: 3, reportsDeleted: 1 });
    await expect(fs.access(old1 as string)).rejects.toThrow();
    await expect(fs.access(old2 as string)).rejects.toThrow();
    await expect(fs.access(staleTemp)).rejects.toThrow();
    await fs.access(fresh as string);
    await expect(fs.access(oldReport)).rejects.toThrow();
    await fs.access(freshReport);
    await fs.access(outside);
    await fs.lstat(path.join(reports, 'link.json'));
    await fs.access(path.join(reports, 'acme', '2024')); // folders are kept
    const [freshBack] = await driver.retrieve({}, [claims[2] as StorageDriverClaim]);
    expect(defaultPayloadConverter.fromPayload(freshBack as Payload)).toBe('fresh');
  });

  it('retention from a store config, with a missing folder and report folder, deletes nothing and does not fail', async () => {
    const result = await sweepOnce({
      store: { kind: 'local', directory: path.join(root, 'never-created') },
      reportDirectory: path.join(root, 'no-reports'),
    });
    expect(result).toMatchObject({ payloadsDeleted: 0, reportsDeleted: 0 });
  });

  it('the sweeper sweeps at start and on its interval, logs errors instead of throwing, and stops', async () => {
    const [claim] = await driver.store({}, [defaultPayloadConverter.toPayload('old')]);
    await ageFile(driver.pathOf(claim?.claimData.key as string), 31);
    const infos: Record<string, unknown>[] = [];
    const errors: Record<string, unknown>[] = [];
    const log = {
      info: (_message: string, meta?: Record<string, unknown>) => infos.push(meta ?? {}),
      error: (_message: string, meta?: Record<string, unknown>) => errors.push(meta ?? {}),
    };
    const stop = startRetentionSweeper({ store: { kind: 'local', directory: folder }, retentionDays: 30, intervalMs: 50, log });
    await waitFor(() => infos.length >= 2);
    await stop();
    expect(infos[0]).toMatchObject({ payloadsDeleted: 1, reportsDeleted: 0, store: folder });
    expect(errors).toEqual([]);

    // A report "folder" that is a file makes every sweep fail: logged, never thrown.
    const notADir = path.join(root, 'file-not-dir');
    await fs.writeFile(notADir, 'x');
    const stopFailing = startRetentionSweeper({ reportDirectory: notADir, intervalMs: 50, log });
    await waitFor(() => errors.length >= 2);
    await stopFailing();
    expect(String(errors[0]?.error)).toMatch(/ENOTDIR/);
  });
});

describe('local folder storage driver through Temporal (dev server)', () => {
  let temporal: TemporalTestContext;
  let folder: string;
  beforeAll(async () => {
    temporal = await connectToDevServer();
    folder = await fs.mkdtemp(path.join(os.tmpdir(), 'peakon-local-temporal-'));
  });
  afterAll(async () => {
    await temporal.close();
    await fs.rm(folder, { recursive: true, force: true });
  });

  it('keeps a 300 KB activity result and workflow result out of history, as a reference to one stored file', async () => {
    const driver = new LocalStorageDriver({ directory: folder });
    const externalStorage = new ExternalStorage({ drivers: [driver], payloadSizeThreshold: 128 * 1024 });
    const { result, rawHistoryBytes, resultPayloads } = await runLargePayloadWorkflow(temporal, externalStorage);
    expect(result).toHaveLength(300 * 1024);
    expect(result).toContain(PERSONAL_MARKER);
    expect(rawHistoryBytes.includes(PERSONAL_MARKER)).toBe(false);
    expect(rawHistoryBytes.length).toBeLessThan(20_000);
    const references = resultPayloads.map(referenceOf);
    expect(references).toHaveLength(2); // the activity's result and the workflow's result
    for (const reference of references) {
      expect(reference).toMatchObject({ driverName: 'local', sizeBytes: expect.any(Number) });
      expect(reference?.sizeBytes).toBeGreaterThan(300 * 1024);
    }
    // Same bytes, same key: the workflow returning its activity's result stores nothing new.
    expect(new Set(references.map((r) => r?.key)).size).toBe(1);
    await fs.access(driver.pathOf(references[0]?.key as string));
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
