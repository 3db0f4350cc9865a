import http from 'node:http';
import { BambooHrSourceConfigSchema, RestSourceConfigSchema } from '../../hris/config';
import { createSource } from '../../hris';
import { realSleep } from '../../hris/http';
import { SourceReadError, readAllRecords, type HrisReadOptions, type HrisSource } from '../../hris/source';

/**
 * Reads report progress per page and stop when told to; every request has a total deadline besides the idle timeout.
 * Real HTTP servers on 127.0.0.1 with short timings.
 */

interface ScriptedServer {
  origin: string;
  host: string;
  /** Request paths with query, in arrival order. */
  requests: string[];
  /** Requests whose connection closed before the answer was complete (torn down by the client). */
  abandoned: string[];
  close(): Promise<void>;
}

type Handler = (url: URL, response: http.ServerResponse) => void;

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handle: Handler): Promise<ScriptedServer> {
  const requests: string[] = [];
  const abandoned: string[] = [];
  const httpServer = http.createServer((incoming, response) => {
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    requests.push(`${url.pathname}${url.search}`);
    response.on('close', () => {
      if (!response.writableFinished) abandoned.push(`${url.pathname}${url.search}`);
    });
    incoming.resume();
    incoming.on('end', () => handle(url, response));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const address = httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  server = {
    origin: `http://127.0.0.1:${address.port}`,
    host: `127.0.0.1:${address.port}`,
    requests,
    abandoned,
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }),
  };
  return server;
}

const PAGES = 25;
const PAGE_SIZE = 4;
const people = Array.from({ length: PAGES * PAGE_SIZE - 1 }, (_unused, index) => ({ id: `E${index + 1}`, email: `e${index + 1}@example.com` }));

/** 25 pages (offset pagination, the last one short; then an empty one), each answered after `delayMs` (page 4 after `page4DelayMs`). */
function slowPages(delayMs: number, page4DelayMs = delayMs): Handler {
  return (url, response) => {
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? PAGE_SIZE);
    const timer = setTimeout(() => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(people.slice(offset, offset + limit)));
    }, offset === 3 * PAGE_SIZE ? page4DelayMs : delayMs);
    response.on('close', () => clearTimeout(timer));
  };
}

/** Answers 200 at once, then one byte every `everyMs`, never finishing: never silent long enough for an idle timeout. */
function trickle(everyMs: number): Handler {
  return (_url, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.write('[');
    const timer = setInterval(() => response.write(' '), everyMs);
    response.on('close', () => clearInterval(timer));
  };
}

const noSleep = async () => undefined;

function restSource(origin: string, options: Record<string, unknown> = {}, sleep: (ms: number) => Promise<void> = noSleep): HrisSource {
  const config = RestSourceConfigSchema.parse({
    type: 'rest',
    url: `${origin}/api/employees`,
    pagination: { type: 'offset', pageSize: PAGE_SIZE },
    ...options,
  });
  return createSource(config, { resolveSecret: () => 'unused', sleep });
}

async function eventually(condition: () => boolean, withinMs = 1000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the read to fail');
}

describe('HR read progress', () => {
  it('reports every page with the records read so far', async () => {
    const api = await serve(slowPages(5));
    const progress: number[] = [];
    const records = await readAllRecords(restSource(api.origin), { onPage: (read) => progress.push(read) });
    expect(records).toHaveLength(people.length);
    expect(progress).toEqual(Array.from({ length: PAGES }, (_unused, index) => Math.min((index + 1) * PAGE_SIZE, people.length)));
    // The short 25th page does not end an offset read; the empty page after it does.
    expect(api.requests).toHaveLength(PAGES + 1);
  });

  it('stops when the signal is aborted mid-read: the request in flight is torn down and no further page is requested', async () => {
    // Page 4 takes 5 s, so it is surely in flight when the read is cancelled.
    const api = await serve(slowPages(200, 5000));
    const controller = new AbortController();
    const reason = new Error('attempt cancelled');
    const progress: number[] = [];
    const options: HrisReadOptions = {
      signal: controller.signal,
      onPage: (read) => {
        progress.push(read);
        // Cancel while page 4 is in flight.
        if (progress.length === 3) setTimeout(() => controller.abort(reason), 100);
      },
    };
    const startedAt = Date.now();
    const error = await caught(readAllRecords(restSource(api.origin), options));
    expect(error).toBe(reason);
    // Well under the 5 s page 4 takes (the read of pages 1-3 and the cancel take about 0.7 s).
    expect(Date.now() - startedAt).toBeLessThan(3000);
    expect(progress).toEqual([4, 8, 12]);
    await eventually(() => api.abandoned.length === 1);
    expect(api.abandoned).toEqual([api.requests[3]]);
    // Well past when pages 5, 6… would have been requested: none was.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(api.requests).toHaveLength(4);
  });

  it('stops between pages when the signal is aborted while the caller holds a page', async () => {
    const api = await serve(slowPages(0));
    const controller = new AbortController();
    const error = await caught(readAllRecords(restSource(api.origin), { signal: controller.signal, onPage: () => controller.abort(new Error('stop')) }));
    expect(String(error)).toContain('stop');
    expect(api.requests).toHaveLength(1);
  });

  it('ends a retry wait when the signal is aborted, and tells onRetry before waiting', async () => {
    const api = await serve((_url, response) => {
      response.writeHead(503, { 'Content-Type': 'application/json' });
      response.end('{}');
    });
    const controller = new AbortController();
    const retries: string[] = [];
    const startedAt = Date.now();
    // The real sleep: the wait (60 s) must end when the read is stopped, not when it runs out.
    const reading = readAllRecords(restSource(api.origin, { retry: { maxAttempts: 5, baseDelayMs: 60_000 } }, realSleep), {
      signal: controller.signal,
      onRetry: (message) => {
        retries.push(message);
        setTimeout(() => controller.abort(new Error('cancelled during the wait')), 100);
      },
    });
    const error = await caught(reading);
    expect(String(error)).toContain('cancelled during the wait');
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(retries).toEqual([expect.stringMatching(/answered 503 on attempt 1; retrying in 60000 ms/)]);
    expect(api.requests).toHaveLength(1);
  });
});

describe('HR request deadline', () => {
  it('aborts a REST page that trickles a byte every 300 ms at the total deadline, naming the host and the deadline', async () => {
    const api = await serve(trickle(300));
    const startedAt = Date.now();
    const error = await caught(readAllRecords(restSource(api.origin, { timeoutMs: 1000, totalTimeoutMs: 1500, retry: { maxAttempts: 1 } })));
    const elapsed = Date.now() - startedAt;
    expect(error).toBeInstanceOf(SourceReadError);
    expect((error as Error).message).toContain(`failed after 1 attempt(s): no complete answer from ${api.host} within the total deadline of 1500 ms (totalTimeoutMs)`);
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(3000);
    // The client tore the connection down rather than leaving it open (the server notices a moment later).
    await eventually(() => api.abandoned.length === 1);
  });

  it('retries a request that ran out of its deadline, each attempt with a fresh deadline', async () => {
    let calls = 0;
    const api = await serve((url, response) => (++calls === 1 ? trickle(100)(url, response) : slowPages(0)(url, response)));
    const records = await readAllRecords(restSource(api.origin, { pagination: { type: 'none' }, timeoutMs: 1000, totalTimeoutMs: 500 }));
    expect(records).toHaveLength(PAGE_SIZE);
    expect(api.requests).toHaveLength(2);
  });

  it('aborts a BambooHR report that trickles at the total deadline', async () => {
    const api = await serve(trickle(300));
    const config = BambooHrSourceConfigSchema.parse({
      type: 'bamboohr',
      companyDomain: 'acme',
      apiKey: { env: 'BAMBOOHR_API_KEY' },
      baseUrl: `${api.origin}/api/gateway.php/acme`,
      timeoutMs: 1000,
      totalTimeoutMs: 1500,
      retry: { maxAttempts: 1 },
    });
    const source = createSource(config, { resolveSecret: () => 'bamboo-key', sleep: noSleep });
    const startedAt = Date.now();
    const error = await caught(readAllRecords(source));
    expect(error).toBeInstanceOf(SourceReadError);
    expect((error as Error).message).toMatch(new RegExp(`^bamboohr:acme: POST .* failed after 1 attempt\\(s\\): no complete answer from ${api.host} within the total deadline of 1500 ms`));
    expect((error as Error).message).not.toContain('bamboo-key');
    expect(Date.now() - startedAt).toBeLessThan(3000);
  });

  it('names the host and the idle timeout when a server goes silent', async () => {
    const api = await serve(() => undefined);
    const error = await caught(readAllRecords(restSource(api.origin, { timeoutMs: 300, retry: { maxAttempts: 1 } })));
    expect((error as Error).message).toContain(`failed after 1 attempt(s): ECONNABORTED: no data from ${api.host} for 300 ms (timeoutMs)`);
  });
});
