/**
 * A worker runs at most PEAKON_SYNC_PLAN_CONCURRENCY plans at once (plans have a task queue of their own): tenants
 * scheduled at the same hour take turns instead of holding all their records in one heap. Real Temporal dev server,
 * real workers and sandbox; the HR system is a real REST server whose pages are slow, and it counts the reads in
 * flight: a plan reads its pages one after another, so more than one read at a time means plans overlapped.
 */
import http from 'node:http';
import { SourceConfigSchema } from '../../hris/config';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

const PAGE_SIZE = 10;
// Slow enough that three plans started together overlap even when a busy machine starts them a second apart.
const PAGE_DELAY_MS = 400;

interface SlowHr {
  origin: string;
  /** The most page reads that were in flight at one moment. */
  maxInFlight(): number;
  close(): Promise<void>;
}

async function startSlowHr(records: object[]): Promise<SlowHr> {
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((incoming, response) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    const offset = Number(url.searchParams.get('offset'));
    const limit = Number(url.searchParams.get('limit'));
    setTimeout(() => {
      inFlight -= 1;
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(records.slice(offset, offset + limit)));
    }, PAGE_DELAY_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('plans per worker', () => {
  const pipeline = usePipelineTests();

  it.each([
    [1, 'take turns: never two reads in flight', (max: number) => expect(max).toBe(1)],
    [3, 'overlap up to the limit (the control: the test sees overlapping plans)', (max: number) => expect(max).toBeGreaterThanOrEqual(2)],
  ])('with maxConcurrentPlans %i, three runs planning at once %s, and all complete', async (maxConcurrentPlans, _what, expectMaxInFlight) => {
    const fixture = await pipeline.fixture();
    const hr = await startSlowHr(generateOrg(40, 3)); // 5 pages (the last one empty): about 2 s per plan
    try {
      fixture.config.source = SourceConfigSchema.parse({ type: 'rest', url: `${hr.origin}/employees`, pagination: { type: 'offset', pageSize: PAGE_SIZE }, timeoutMs: 5_000 });
      const workers = await fixture.startWorkers({ maxConcurrentPlans });
      await workers.runUntil(
        (async () => {
          // Dry runs take no tenant lock, so three runs of one tenant plan at once, as three tenants' runs would.
          const runs = await Promise.all([0, 1, 2].map(() => fixture.startSync({ dryRun: true })));
          const reports = (await Promise.all(runs.map((run) => run.result()))) as SyncReport[];
          for (const report of reports) {
            expect(report.status).toBe('completed');
            expect(report.employees).toBe(40);
            expect(report.planned).toMatchObject({ create: 40 });
          }
        })(),
      );
      expectMaxInFlight(hr.maxInFlight());
    } finally {
      await hr.close();
    }
  }, 120_000);
});
