// The ownership ledger under concurrent writers (a run that lost its lock still finishing a plan's write while the next
// run records its own): every writer's change lands, in a folder (lock file around compare and rename) and in S3
// (conditional writes, against a real S3-compatible server, moto).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ListObjectsV2Command, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { generateEncryptionKey } from '../../codec/keys';
import { ledgerStoreFor, type LedgerStore } from '../../ownership/store';
import { describeWithMoto, startMoto, type RunningMoto } from '../harness/moto';

/**
 * A hook run once when the next ledger temporary file has been created, after the writer's compare and before its
 * rename (fs mocked only to pause a writer at that point, as a stalled process would be; every file operation still
 * happens on disk).
 */
let mockAfterTemporaryWrite: (() => Promise<void>) | undefined;
jest.mock('node:fs/promises', () => {
  const actual = jest.requireActual<typeof import('node:fs/promises')>('node:fs/promises');
  return {
    ...actual,
    open: async (...args: Parameters<typeof actual.open>) => {
      const handle = await actual.open(...args);
      const hook = mockAfterTemporaryWrite;
      if (hook && String(args[0]).endsWith('.tmp')) {
        mockAfterTemporaryWrite = undefined;
        await hook();
      }
      return handle;
    },
  };
});

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

  it('a writer that lost its lock while it wrote (stalled past the lease) reads again instead of renaming over the newer ledger', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    const env = { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() };
    const [stalled, other] = [ledgerStoreFor({ kind: 'local', directory }, env), ledgerStoreFor({ kind: 'local', directory }, env)];
    const lock = path.join(directory, 'ledger', 'acme.ledger.lock');
    let tookOver = false;
    // Between the stalled writer's compare and its rename, its lock is taken over (as after a 30 s pause) and the
    // other writer records its change and releases the lock.
    mockAfterTemporaryWrite = async () => {
      tookOver = true;
      await rm(lock);
      await other.record('acme', { owned: ['other-writer'], deleted: [] });
    };
    await stalled.record('acme', { owned: ['stalled-writer'], deleted: [] });
    expect(tookOver).toBe(true);
    expect((await stalled.read('acme')).owned).toEqual(['other-writer', 'stalled-writer']);
    // No temporary or lock file left; the version the retry started from (the other writer's) kept as the previous one.
    expect(readdirSync(path.dirname(lock)).sort()).toEqual(['acme.ledger', 'acme.ledger.prev']);
  });

  it('a writer that lost its lock while it wrote the previous version leaves `.prev` alone: it holds the newer writer\'s previous version', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    const env = { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() };
    const [stalled, other] = [ledgerStoreFor({ kind: 'local', directory }, env), ledgerStoreFor({ kind: 'local', directory }, env)];
    const file = path.join(directory, 'ledger', 'acme.ledger');
    const lock = `${file}.lock`;
    await other.record('acme', { owned: ['a'], deleted: [] });
    // The stalled writer read {a} and is writing it as the previous version when it stalls past its lease: its lock is
    // taken over and the other writer records two changes, keeping {a, b} as the previous version of {a, b, c}.
    let newerPrevious: Buffer | undefined;
    let prevWhenTheStalledWriterWentOn: Buffer | undefined;
    mockAfterTemporaryWrite = async () => {
      await rm(lock);
      await other.record('acme', { owned: ['b'], deleted: [] });
      newerPrevious = readFileSync(file);
      await other.record('acme', { owned: ['c'], deleted: [] });
      // The next temporary file the stalled writer opens (the main file's, or its retry's `.prev`): what `.prev` holds then.
      mockAfterTemporaryWrite = async () => {
        prevWhenTheStalledWriterWentOn = readFileSync(`${file}.prev`);
      };
    };
    await stalled.record('acme', { owned: ['stalled-writer'], deleted: [] });
    expect(newerPrevious).toBeDefined();
    // Not the stalled writer's {a}: a fallback to that would drop b and c, written after it.
    expect(prevWhenTheStalledWriterWentOn?.equals(newerPrevious ?? Buffer.alloc(0))).toBe(true);
    expect((await stalled.read('acme')).owned).toEqual(['a', 'b', 'c', 'stalled-writer']);
    // The retry, holding the lock, kept the version it started from: {a, b, c}, which a damaged ledger falls back to.
    writeFileSync(file, '');
    expect((await stalled.read('acme')).owned).toEqual(['a', 'b', 'c']);
    expect(readdirSync(path.dirname(lock)).sort()).toEqual(['acme.ledger', 'acme.ledger.prev']);
  });

  it('lets one waiter at a time take over a crashed writer\'s lock: writers in parallel threads keep every change', async () => {
    // Every waiter finds the same stale lock. If each removed what it had found, a late one would remove the lock an
    // early one had just taken and both would compare and rename at once: a change lost. Worker threads (running the
    // built dist/ module, as the worker does) so the writers really run in parallel; in one event loop they take turns.
    const threads = 8;
    const module = builtModuleUpToDate('ownership/store');
    for (let round = 0; round < 5; round += 1) {
      const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
      const env = { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() };
      const lock = path.join(directory, 'ledger', 'acme.ledger.lock');
      mkdirSync(path.dirname(lock), { recursive: true });
      writeFileSync(lock, '');
      const longAgo = new Date(Date.now() - 10 * 60_000);
      utimesSync(lock, longAgo, longAgo);
      const started = new SharedArrayBuffer(4);
      const written = ids.slice(0, threads);
      const outcomes = await Promise.all(written.map((id) => recordInThread(module, directory, env, id, started, threads)));
      expect(outcomes).toEqual(written.map(() => 'recorded'));
      expect((await ledgerStoreFor({ kind: 'local', directory }, env).read('acme')).owned).toEqual(written);
      // No lock, breaker or temporary file left; the version before the last write kept as the previous one.
      expect(readdirSync(path.dirname(lock)).sort()).toEqual(['acme.ledger', 'acme.ledger.prev']);
    }
  });
});

const REPO = path.resolve(__dirname, '../..');

/**
 * The built dist/ file of `source` (a path under the repo, without extension), checked to be built from today's
 * sources: it and every dist/ module it loads (listed by a node that requires it) must be newer than its .ts. Jest runs
 * the .ts files but threads run the built code, so after an edit without `npm run build` this test would test old code.
 */
function builtModuleUpToDate(source: string): string {
  const dist = path.join(REPO, 'dist');
  const module = path.join(dist, `${source}.js`);
  if (!existsSync(module)) throw new Error(`${path.relative(REPO, module)} is missing: this test runs the built module in worker threads; run npm run build`);
  const loaded = JSON.parse(execFileSync(process.execPath, ['-e', `require(${JSON.stringify(module)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`], { encoding: 'utf8' })) as string[];
  const stale = loaded
    .filter((file) => file.startsWith(`${dist}${path.sep}`) && file.endsWith('.js'))
    .flatMap((built) => {
      const ts = path.join(REPO, path.relative(dist, built)).replace(/\.js$/, '.ts');
      if (!existsSync(ts)) return [`${path.relative(REPO, built)} (its source ${path.relative(REPO, ts)} is gone)`];
      return statSync(ts).mtimeMs > statSync(built).mtimeMs ? [`${path.relative(REPO, built)} (older than ${path.relative(REPO, ts)})`] : [];
    });
  if (stale.length > 0) throw new Error(`this test runs the built dist/ code in worker threads, and it is older than its sources: run npm run build. Stale: ${stale.join(', ')}`);
  return module;
}

/** One `record` in a worker thread on the built module; threads spin until all have started, so they write at once. */
function recordInThread(module: string, directory: string, env: Record<string, string>, id: string, started: SharedArrayBuffer, threads: number): Promise<string> {
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { ledgerStoreFor } = require(workerData.module);
    const store = ledgerStoreFor({ kind: 'local', directory: workerData.directory }, workerData.env);
    const started = new Int32Array(workerData.started);
    Atomics.add(started, 0, 1);
    while (Atomics.load(started, 0) < workerData.threads) {}
    store.record('acme', { owned: [workerData.id], deleted: [] }).then(
      () => parentPort.postMessage('recorded'),
      (error) => parentPort.postMessage(String(error && error.message)),
    );`;
  return new Promise((resolve, reject) => {
    const thread = new Worker(code, { eval: true, workerData: { module, directory, env, id, started, threads } });
    thread.once('message', (message: string) => {
      resolve(message);
      void thread.terminate();
    });
    thread.once('error', reject);
  });
}

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
    // moto checks a condition and then writes, in two steps on a threaded server: two conditional PUTs at once can both
    // pass its check (CI saw it). AWS S3 applies them atomically; a proxy that forwards one request at a time models that.
    const atomic = await startStoreWithout('concurrent requests', moto.endpoint);
    try {
      const storesOn = (bucket: string) => [0, 1].map(() => ledgerStoreFor({ kind: 's3', bucket, prefix: 'payloads', endpoint: atomic.endpoint, forcePathStyle: true }, env, moto.clientConfig));
      // Nobody has written the ledger yet: the first writers race on creating it.
      expect(await recordAllAtOnce(storesOn(await moto.newBucket()))).toEqual(ids);
      const written = storesOn(await moto.newBucket());
      await written[0]?.record('acme', { owned: ['already-owned'], deleted: [] });
      expect(await recordAllAtOnce(written)).toEqual(['already-owned', ...ids]);
      // The writers did meet: some conditional writes were refused and retried.
      expect(atomic.conditionalPuts()).toBeGreaterThan(2 * WRITERS + 1);
    } finally {
      await atomic.close();
    }
  });
});

/**
 * A store without conditional writes, in front of the real S3-compatible server: an HTTP proxy that answers every
 * conditional PUT `501 NotImplemented` (as such stores do), drops the conditions and writes anyway (as some do
 * silently), or hides the ETag of every GET. Mocked because no such
 * store runs here; everything behind the proxy is moto.
 */
async function startStoreWithout(feature: 'conditional writes' | 'honoured conditions' | 'If-Match' | 'honoured If-Match' | 'ETags' | 'concurrent requests', upstream: string): Promise<{ endpoint: string; conditionalPuts: () => number; close: () => Promise<void> }> {
  let conditionalPuts = 0;
  const target = new URL(upstream);
  /** Without concurrent requests, each is forwarded once the one before it has been answered. */
  let previous: Promise<void> = Promise.resolve();
  const server = http.createServer((incoming, response) => {
    if (feature === 'concurrent requests') {
      const answered = new Promise<void>((resolve) => response.on('close', () => resolve()));
      const turn = previous;
      previous = previous.then(() => answered);
      incoming.pause();
      void turn.then(() => {
        incoming.resume();
        forward(incoming, response);
      });
      return;
    }
    forward(incoming, response);
  });
  const forward = (incoming: http.IncomingMessage, response: http.ServerResponse) => {
    const conditional = incoming.method === 'PUT' && (incoming.headers['if-match'] !== undefined || incoming.headers['if-none-match'] !== undefined);
    if (conditional) conditionalPuts += 1;
    // 'If-Match': a store with create-only writes (If-None-Match) that refuses If-Match, which updates rely on.
    if ((conditional && feature === 'conditional writes') || (feature === 'If-Match' && incoming.method === 'PUT' && incoming.headers['if-match'] !== undefined)) {
      incoming.resume();
      response.writeHead(501, { 'Content-Type': 'application/xml' });
      response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented</Message></Error>');
      return;
    }
    const headers = { ...incoming.headers };
    // A store that accepts the headers and ignores them: they never reach moto.
    if (feature === 'honoured conditions') {
      delete headers['if-match'];
      delete headers['if-none-match'];
    }
    if (feature === 'honoured If-Match') delete headers['if-match'];
    const forwarded = http.request({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers }, (answer) => {
      const headers = { ...answer.headers };
      if (feature === 'ETags' && incoming.method === 'GET') delete headers.etag;
      response.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(response);
    });
    incoming.pipe(forwarded);
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { endpoint: `http://127.0.0.1:${address.port}`, conditionalPuts: () => conditionalPuts, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

describeWithMoto('ownership ledger in an S3-compatible store without conditional writes (moto behind a proxy)')('ownership ledger in an S3-compatible store without conditional writes (moto behind a proxy)', () => {
  let moto: RunningMoto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.close();
  });

  it.each(['conditional writes', 'ETags'] as const)('without %s: writes unconditionally (the tenant lock keeps writers apart) and keeps every change', async (feature) => {
    const store = await startStoreWithout(feature, moto.endpoint);
    try {
      const bucket = await moto.newBucket();
      const warnings: string[] = [];
      const ledger = ledgerStoreFor({ kind: 's3', bucket, prefix: 'payloads', endpoint: store.endpoint, forcePathStyle: true }, { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() }, moto.clientConfig, { warn: (message) => warnings.push(message) });
      await ledger.record('acme', { owned: ['u1'], deleted: [] });
      await ledger.record('acme', { owned: ['u2'], deleted: [] });
      await ledger.record('acme', { owned: [], deleted: ['u1'] });
      expect((await ledger.read('acme')).owned).toEqual(['u2']);
      // One conditional write (the first, for a ledger not written yet): refused (501) and never asked again, or
      // accepted, and none after it once reads showed the store has no versions to compare.
      expect(store.conditionalPuts()).toBe(1);
      // Falling back is said once, not per write.
      expect(warnings).toEqual([expect.stringContaining('ownership-ledger writes are unconditional from now on')]);
    } finally {
      await store.close();
    }
  });

  it('the start-up check tells a store that honours conditions from one that refuses them and one that ignores them, and leaves nothing behind', async () => {
    const env = { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() };
    const checkThrough = async (endpoint: string) => {
      const bucket = await moto.newBucket();
      const ledger = ledgerStoreFor({ kind: 's3', bucket, prefix: 'payloads', endpoint, forcePathStyle: true }, env, moto.clientConfig);
      const check = await ledger.check();
      expect((await moto.s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount).toBe(0);
      return check;
    };
    expect(await checkThrough(moto.endpoint)).toEqual({ location: expect.stringMatching(/^s3:\/\/.+\/payloads\/ledger\/$/), writes: 'conditional' });
    for (const [feature, writes] of [
      ['conditional writes', 'unconditional: no conditional writes'],
      ['honoured conditions', 'unconditional: conditions ignored'],
      // Create-only writes alone are not enough: every update of an existing ledger is an If-Match.
      ['If-Match', 'unconditional: If-Match refused'],
      ['honoured If-Match', 'unconditional: If-Match ignored'],
    ] as const) {
      const store = await startStoreWithout(feature, moto.endpoint);
      try {
        expect((await checkThrough(store.endpoint)).writes).toBe(writes);
      } finally {
        await store.close();
      }
    }
    // A bucket that does not exist: the check fails with the store's answer (the worker then exits naming the store).
    const missing = ledgerStoreFor({ kind: 's3', bucket: 'no-such-bucket', prefix: 'payloads', endpoint: moto.endpoint, forcePathStyle: true }, env, moto.clientConfig);
    await expect(missing.check()).rejects.toThrow(/bucket does not exist/i);
  });

  it('the start-up check warns, without failing, when the bucket keeps what retention deletes (versioning without a lifecycle rule for noncurrent versions)', async () => {
    const env = { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() };
    const checkWarnings = async (versioned: boolean) => {
      const bucket = await moto.newBucket();
      if (versioned) await moto.s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
      const warnings: { message: string; meta: Record<string, unknown> }[] = [];
      const ledger = ledgerStoreFor({ kind: 's3', bucket, prefix: 'payloads', endpoint: moto.endpoint, forcePathStyle: true }, env, moto.clientConfig, { warn: (message, meta) => warnings.push({ message, meta }) });
      expect((await ledger.check()).writes).toBe('conditional');
      return { bucket, warnings };
    };
    expect((await checkWarnings(false)).warnings).toEqual([]);
    const { bucket, warnings } = await checkWarnings(true);
    expect(warnings).toEqual([{ message: expect.stringMatching(new RegExp(`^bucket ${bucket} has versioning enabled: retention .* only adds delete markers`)), meta: { payloadStore: `s3://${bucket}/payloads/` } }]);
    // The worker's own check (no warn option, not in an activity): one JSON line on stdout, as its other start-up lines.
    const written: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    try {
      await ledgerStoreFor({ kind: 's3', bucket, prefix: 'payloads', endpoint: moto.endpoint, forcePathStyle: true }, env, moto.clientConfig).check();
    } finally {
      write.mockRestore();
    }
    expect(written.map((line) => JSON.parse(line) as unknown)).toEqual([{ time: expect.any(String), level: 'warn', message: warnings[0]?.message, payloadStore: `s3://${bucket}/payloads/` }]);
  });

  it('a store that starts refusing If-Match after start-up: the write falls back to unconditional once, with one warning naming the store and not the ledger content', async () => {
    const store = await startStoreWithout('If-Match', moto.endpoint);
    try {
      const bucket = await moto.newBucket();
      const warnings: { message: string; meta: Record<string, unknown> }[] = [];
      const ledger = ledgerStoreFor({ kind: 's3', bucket, prefix: 'payloads', endpoint: store.endpoint, forcePathStyle: true }, { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() }, moto.clientConfig, { warn: (message, meta) => warnings.push({ message, meta }) });
      await ledger.record('acme', { owned: ['peakon-user-1'], deleted: [] }); // a create: If-None-Match, honoured
      expect(warnings).toEqual([]);
      await ledger.record('acme', { owned: ['peakon-user-2'], deleted: [] }); // an update: If-Match, 501
      await ledger.record('acme', { owned: [], deleted: ['peakon-user-1'] });
      expect((await ledger.read('acme')).owned).toEqual(['peakon-user-2']);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toMatch(/^the payload store s3:\/\/.+ answered 501 to a conditional write \(If-Match\): ownership-ledger writes are unconditional from now on/);
      expect(warnings[0]!.meta).toEqual({ ledger: `s3://${bucket}/payloads/ledger/acme.ledger`, ledgerWrites: 'unconditional' });
      expect(JSON.stringify(warnings)).not.toMatch(/peakon-user/);
    } finally {
      await store.close();
    }
  });
});

describe('ownership ledger store start-up check, in a folder', () => {
  it('writes, reads and deletes a probe in the ledger folder, and fails when the folder cannot be made', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'ledger-'));
    const env = { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() };
    expect(await ledgerStoreFor({ kind: 'local', directory }, env).check()).toEqual({ location: path.join(directory, 'ledger'), writes: 'lock file' });
    expect(readdirSync(path.join(directory, 'ledger'))).toEqual([]);
    // A file where the store's folder should be (a mistyped PEAKON_SYNC_STATE_DIR): no folder, no probe.
    const file = path.join(directory, 'not-a-folder');
    writeFileSync(file, '');
    await expect(ledgerStoreFor({ kind: 'local', directory: file }, env).check()).rejects.toThrow(/ENOTDIR|EEXIST/);
  });
});
