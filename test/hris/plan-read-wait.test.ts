import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { planSyncActivity, type PlanInput, type PlanResult } from '../../activities/plan';
import type { ActivityDeps } from '../../activities/deps';
import { ConnectorConfigSchema } from '../../config/schema';
import { createSourceForConfig } from '../../hris';
import { HR_WAIT_TICK_MS } from '../../hris/http';
import { startSandbox, type RunningSandbox } from '../../sandbox';

/**
 * The plan activity heartbeats while an HR request is in flight, not only per page: a page that takes longer than a
 * heartbeat tick (up to totalTimeoutMs, 90 s by default, after a Retry-After of up to a minute) must not leave the
 * attempt silent past its heartbeat timeout. Real HR server, Peakon the sandbox; one page answered after a tick and a half.
 */

const SLOW_PAGE_MS = HR_WAIT_TICK_MS + HR_WAIT_TICK_MS / 2;

let sandbox: RunningSandbox;
let hr: http.Server | undefined;
beforeAll(async () => {
  sandbox = await startSandbox({ token: 'plan-wait-token' });
});
afterAll(async () => {
  await sandbox.close();
});
afterEach(async () => {
  const server = hr;
  hr = undefined;
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function startSlowHr(): Promise<string> {
  const server = http.createServer((incoming, response) => {
    incoming.resume();
    const timer = setTimeout(() => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify([{ id: 'E1', email: 'e1@example.com', first: 'Ada', last: 'Person' }]));
    }, SLOW_PAGE_MS);
    response.on('close', () => clearTimeout(timer));
  });
  hr = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

it(
  'heartbeats while a slow HR page is in flight',
  async () => {
    const origin = await startSlowHr();
    const config = ConnectorConfigSchema.parse({
      tenant: 'acme',
      peakon: { baseUrl: sandbox.baseUrl, token: { env: 'UNUSED' }, timeoutMs: 2000, operationsPerHour: 1_000_000 },
      source: { type: 'rest', url: `${origin}/api/employees`, pagination: { type: 'none' }, timeoutMs: 30_000, totalTimeoutMs: 30_000 },
      mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last' },
    });
    const input: PlanInput = { run: { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-28T10:00:00Z' }, config };
    const deps: ActivityDeps = {
      reportDirectory: mkdtempSync(path.join(tmpdir(), 'plan-wait-')),
      resolveSecret: () => sandbox.token,
      createSource: (sourceConfig) => createSourceForConfig(sourceConfig, { resolveSecret: () => sandbox.token }),
    };
    const environment = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 60_000 }, { logger: new DefaultLogger('ERROR') });
    const beats: { stage: string; at: number }[] = [];
    environment.on('heartbeat', (details: { stage: string }) => beats.push({ stage: details.stage, at: Date.now() }));
    const result: PlanResult = await environment.run(planSyncActivity(deps), input);
    expect(result.counts).toMatchObject({ create: 1 });
    const reading = beats.filter((beat) => beat.stage === 'reading the HR system');
    // The one as the read starts, and one a tick into the slow page: the gap stays a tick, not the page's whole time.
    expect(reading.length).toBeGreaterThanOrEqual(2);
    const mapping = beats.find((beat) => beat.stage === 'mapping');
    const gaps = [...reading, ...(mapping ? [mapping] : [])].slice(1).map((beat, index) => beat.at - reading[index]!.at);
    expect(Math.max(...gaps)).toBeLessThan(HR_WAIT_TICK_MS + 1000);
  },
  SLOW_PAGE_MS + 20_000,
);
