/**
 * A 5xx's Retry-After may lengthen Temporal's retry backoff of an employee step, never shorten it. Temporal takes an
 * ApplicationFailure's nextRetryDelay instead of the policy's backoff, so a 503 with `Retry-After: 0` (or a tiny
 * number) passed through as the delay sent the step's remaining attempts back to back, each one an operation against
 * the tenant's hourly budget. A real Temporal dev server, the connector's workflows and activities, and real HTTP: a
 * gateway in front of the sandbox answers the first creates 503 with the Retry-After under test (the sandbox's own
 * injected 503s carry none).
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { TEST_TUNING, usePipelineTests } from '../harness/pipeline';

/** Forwards everything to `target` but the first `failing` POST /Users, answered 503 with `retryAfter` (not applied). */
async function startGateway(target: string, failing: number, retryAfter: string): Promise<{ origin: string; failedAt: number[]; server: Server }> {
  const failedAt: number[] = [];
  const upstream = new URL(target);
  const server = createServer((incoming, response) => {
    if (incoming.method === 'POST' && (incoming.url ?? '').endsWith('/Users') && failedAt.length < failing) {
      failedAt.push(Date.now());
      incoming.resume();
      response.writeHead(503, { 'Content-Type': 'application/scim+json', 'Retry-After': retryAfter });
      response.end(JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '503', detail: 'overloaded' }));
      return;
    }
    const forwarded = httpRequest({ host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host } }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    forwarded.on('error', () => response.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, failedAt, server };
}

describe('an employee step answered 503 with a Retry-After shorter than its backoff', () => {
  const pipeline = usePipelineTests();

  it.each(['0', '0.001', '1'])('Retry-After: %s — the attempts stay the retry policy\'s backoff apart, not back to back', async (retryAfter) => {
    const fixture = await pipeline.fixture();
    const gateway = await startGateway(fixture.sandbox.baseUrl, 3, retryAfter);
    try {
      fixture.config.peakon = { ...fixture.config.peakon, baseUrl: `${gateway.origin}/scim/v2` };
      fixture.config.sync = { ...fixture.config.sync, maxConcurrentPartitions: 1, maxConcurrentEmployees: 1 };
      fixture.writeEmployees(generateOrg(1, 1));
      const workers = await fixture.startWorkers();
      const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, scimRetry: { initialIntervalMs: 2_000, maximumIntervalMs: 2_000, maximumAttempts: 6 } } });
      const report = (await workers.runUntil(handle.result())) as SyncReport;
      expect(report.counts.created).toBe(1);
      expect(gateway.failedAt).toHaveLength(3);
      const gaps = gateway.failedAt.slice(1).map((at, index) => at - (gateway.failedAt[index] ?? at));
      // Each retry waits the policy's 2 s (the production default's first wait), not the server's "now" or 1 s. (A
      // nextRetryDelay of 0 even failed the step at its first attempt on the dev server; 1 ms was sent a second later.)
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1_900);
    } finally {
      await new Promise((resolve) => gateway.server.close(resolve));
    }
  });
});
