import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ActivityCancellationDetails } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { planSyncActivity, type PlanInput, type PlanResult } from '../../activities/plan';
import type { ActivityDeps } from '../../activities/deps';
import { ENCRYPTION_KEY_VARIABLE, generateEncryptionKey } from '../../codec/keys';
import { ConnectorConfigSchema } from '../../config/schema';
import { createSourceForConfig } from '../../hris';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { planPageStoreFromEnv } from '../../storage/plan-pages';

/**
 * The plan activity reads the HR system page by page, heartbeating per page (the only way an attempt learns that it was
 * cancelled or timed out), and an abandoned attempt stops reading. MockActivityEnvironment records heartbeats and
 * cancels the attempt as the worker would; the HR system is a real REST server, Peakon the sandbox.
 */

const PAGES = 25;
const PAGE_SIZE = 4;
const PAGE_DELAY_MS = 200;
const people = Array.from({ length: PAGES * PAGE_SIZE - 1 }, (_unused, index) => ({
  id: `E${index + 1}`,
  email: `e${index + 1}@example.com`,
  first: 'Ada',
  last: `Person${index + 1}`,
}));

interface HrServer {
  origin: string;
  requests: string[];
  abandoned: string[];
  close(): Promise<void>;
}

/** 25 pages of offset pagination, each answered after PAGE_DELAY_MS (page 4 after `page4DelayMs`). */
async function startHrServer(page4DelayMs = PAGE_DELAY_MS): Promise<HrServer> {
  const requests: string[] = [];
  const abandoned: string[] = [];
  const server = http.createServer((incoming, response) => {
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    requests.push(url.search);
    response.on('close', () => {
      if (!response.writableFinished) abandoned.push(url.search);
    });
    const offset = Number(url.searchParams.get('offset'));
    const limit = Number(url.searchParams.get('limit'));
    const timer = setTimeout(() => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(people.slice(offset, offset + limit)));
    }, offset === 3 * PAGE_SIZE ? page4DelayMs : PAGE_DELAY_MS);
    response.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    abandoned,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let sandbox: RunningSandbox;
let hr: HrServer;
beforeAll(async () => {
  sandbox = await startSandbox({ token: 'plan-read-token' });
});
afterAll(async () => {
  await sandbox.close();
});
afterEach(async () => {
  await hr.close();
});

function planInput(): PlanInput {
  const config = ConnectorConfigSchema.parse({
    tenant: 'acme',
    peakon: { baseUrl: sandbox.baseUrl, token: { env: 'UNUSED' }, timeoutMs: 2000, operationsPerHour: 1_000_000 },
    source: { type: 'rest', url: `${hr.origin}/api/employees`, pagination: { type: 'offset', pageSize: PAGE_SIZE }, timeoutMs: 1000, totalTimeoutMs: 1500 },
    mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last' },
  });
  return { run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-28T10:00:00Z' }, config };
}

const deps: ActivityDeps = {
  reportDirectory: mkdtempSync(path.join(tmpdir(), 'plan-read-')),
  resolveSecret: () => sandbox.token,
  createSource: (config) => createSourceForConfig(config, { resolveSecret: () => sandbox.token }),
};

async function eventually(condition: () => boolean, withinMs = 1000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Heartbeat {
  stage: string;
  /** Page requests the HR server had received when the heartbeat was sent. */
  pagesRequested: number;
}

function environmentRecordingHeartbeats(): { environment: MockActivityEnvironment; heartbeats: Heartbeat[] } {
  const environment = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 1000 }, { logger: new DefaultLogger('ERROR') });
  const heartbeats: Heartbeat[] = [];
  environment.on('heartbeat', (details: { stage: string }) => heartbeats.push({ stage: details.stage, pagesRequested: hr.requests.length }));
  return { environment, heartbeats };
}

const readingStages = (heartbeats: Heartbeat[]) => heartbeats.filter((heartbeat) => heartbeat.stage.startsWith('reading the HR system'));

describe('plan activity reading the HR system', () => {
  it('heartbeats after every page, so a slow 25-page read never goes a heartbeat timeout without one', async () => {
    hr = await startHrServer();
    const { environment, heartbeats } = environmentRecordingHeartbeats();
    const result: PlanResult = await environment.run(planSyncActivity(deps), planInput());
    expect(result.counts).toMatchObject({ create: people.length });
    const reading = readingStages(heartbeats);
    expect(reading.map((heartbeat) => heartbeat.stage)).toEqual([
      'reading the HR system',
      ...Array.from({ length: PAGES }, (_unused, index) => `reading the HR system (${Math.min((index + 1) * PAGE_SIZE, people.length)} records)`),
    ]);
    // The read takes 26 × 200 ms (25 pages, then the empty one), over five times the 1 s heartbeat timeout: each page's
    // heartbeat goes out before the next page is asked for, never all at the end (by order, not by a timing bound that
    // a busy machine's stall could break).
    expect(reading.map((heartbeat) => heartbeat.pagesRequested)).toEqual([0, ...Array.from({ length: PAGES }, (_unused, index) => index + 1)]);
    // The short 25th page does not end an offset read; the empty page after it does.
    expect(hr.requests).toHaveLength(PAGES + 1);
  });

  it.each([
    ['cancelled by the workflow', 'CANCELLED' as const, new ActivityCancellationDetails({ cancelRequested: true })],
    ['timed out (heartbeat timeout)', 'TIMED_OUT' as const, new ActivityCancellationDetails({ timedOut: true })],
  ])('stops reading when the attempt is %s: the page in flight is abandoned and no further page is requested', async (_what, reason, details) => {
    // Page 4 takes 5 s, so it is surely in flight when the attempt is cancelled.
    hr = await startHrServer(5000);
    const { environment, heartbeats } = environmentRecordingHeartbeats();
    environment.on('heartbeat', (beat: { stage: string }) => {
      // The worker learns of the cancellation in answer to a heartbeat, while page 4 is in flight.
      if (beat.stage === 'reading the HR system (12 records)') setTimeout(() => environment.cancel(reason, details), PAGE_DELAY_MS / 2);
    });
    const startedAt = Date.now();
    const failure = await environment.run(planSyncActivity(deps), planInput()).then(
      () => new Error('expected the plan to stop'),
      (error: unknown) => error,
    );
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(String(failure)).toMatch(/Cancel/);
    expect(environment.context.cancellationSignal.aborted).toBe(true);
    expect(readingStages(heartbeats).map((heartbeat) => heartbeat.stage).at(-1)).toBe('reading the HR system (12 records)');
    // Well past when pages 5, 6… would have been requested: none was.
    await eventually(() => hr.abandoned.length === 1);
    expect(hr.abandoned).toEqual([hr.requests[3]]);
    await new Promise((resolve) => setTimeout(resolve, 3 * PAGE_DELAY_MS));
    expect(hr.requests).toHaveLength(4);
  });
});

describe('plan activity counting its Peakon requests', () => {
  it('heartbeats each request as it goes out, so an attempt that times out while the request hangs has counted it', async () => {
    hr = await startHrServer(0);
    // Every Peakon request takes 1.5 s: the first one is in flight long enough to look.
    sandbox.setFaults({ latencyMs: 1500 });
    const environment = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') });
    const beats: Array<{ stage: string; operations: number }> = [];
    environment.on('heartbeat', (details: { stage: string; operations: number }) => beats.push(details));
    const opsBefore = sandbox.ops().length;
    const running: Promise<PlanResult> = environment.run(planSyncActivity(deps), planInput());
    // Whatever the assertions say, the plan ends before the sandbox's faults are reset and the HR server closes.
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    try {
      // The first request (a mapping without attributes needs no preflight read: the tenant's first listing page).
      await eventually(() => beats.some((beat) => beat.operations === 1), 15_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Mid-request: the last heartbeat (what the next attempt would start from) already counts the request.
      expect(beats.at(-1)).toEqual({ stage: expect.any(String), operations: 1 });
      const result = await running;
      expect(result.operations).toBe(sandbox.ops().length - opsBefore);
      expect(Math.max(...beats.map((beat) => beat.operations))).toBe(result.operations);
    } finally {
      await settled;
      sandbox.setFaults({});
    }
  }, 60_000);
});

describe('plan activity result: stored only for a parent that asks', () => {
  // A real page store: the local payload-store driver in a temporary folder, the connector's AES-GCM codec.
  const pagesEnv = { [ENCRYPTION_KEY_VARIABLE]: generateEncryptionKey() };
  const withPages: ActivityDeps = { ...deps, planPages: planPageStoreFromEnv(pagesEnv, mkdtempSync(path.join(tmpdir(), 'plan-pages-'))) };
  const environment = () => new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 10_000 }, { logger: new DefaultLogger('ERROR') });

  it('stores the plan in pages and returns light entries when the parent can run a stored plan', async () => {
    hr = await startHrServer(0);
    const result: PlanResult = await environment().run(planSyncActivity(withPages), { ...planInput(), storedPlan: true });
    expect(result.stored?.pages.length).toBeGreaterThan(0);
    expect(result.entries).toHaveLength(people.length);
    expect(result.entries.every((entry) => entry.create !== undefined && !('createBody' in entry.create))).toBe(true);
  });

  it('returns whole entries to a parent of an earlier release (no storedPlan): a rolling deploy never hands it light ones', async () => {
    hr = await startHrServer(0);
    const result: PlanResult = await environment().run(planSyncActivity(withPages), planInput());
    expect(result.stored).toBeUndefined();
    expect(result.entries).toHaveLength(people.length);
    // What an old parent builds its creates from: every body is there.
    expect(result.entries.every((entry) => entry.create !== undefined && 'createBody' in entry.create)).toBe(true);
  });
});
