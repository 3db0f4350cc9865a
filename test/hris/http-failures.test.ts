import http from 'node:http';
import { toActivityFailure } from '../../activities/failures';
import { BambooHrSourceConfigSchema, RestSourceConfigSchema } from '../../hris/config';
import { createSource } from '../../hris';
import { HrisStatusError, realSleep, requestJson, type HrisHttpSettings } from '../../hris/http';
import { SourceReadError, readAllRecords, type HrisReadOptions } from '../../hris/source';

/**
 * How an HR request fails: a 2xx answer that is not JSON is never quoted (it is employee records), blips (408, 500)
 * are retried within the request while deterministic answers (400/401/403, a 404 of the first page) are not retried by Temporal either,
 * and a slow request or a long retry wait keeps telling the caller it is alive (the plan activity heartbeats).
 * Real HTTP on 127.0.0.1.
 */

interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer after this long (a slow page). */
  delayMs?: number;
}

interface Server {
  origin: string;
  requests: number;
  close(): Promise<void>;
}

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function serve(answer: (call: number) => Answer): Promise<Server> {
  const state: Server = { origin: '', requests: 0, close: async () => undefined };
  const server = http.createServer((incoming, response) => {
    incoming.resume();
    incoming.on('end', () => {
      state.requests += 1;
      const { status = 200, headers = {}, body = '', delayMs = 0 } = answer(state.requests);
      setTimeout(() => {
        response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        response.end(body);
      }, delayMs);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  state.origin = `http://127.0.0.1:${address.port}`;
  return state;
}

const settings = (overrides: Partial<HrisHttpSettings> = {}): HrisHttpSettings => ({
  timeoutMs: 5000,
  totalTimeoutMs: 5000,
  retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 10_000 },
  sleep: async () => undefined,
  source: 'rest:test',
  ...overrides,
});

const get = (server: Server, options: Partial<HrisHttpSettings> = {}) => requestJson({ method: 'GET', url: `${server.origin}/employees`, headers: {}, secrets: [] }, settings(options));

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error,
  );
}

const ADA = { id: 'E1', name: 'Ada Lovelace', email: 'ada.lovelace@example.com', salary: 123456 };
const ALAN = { id: 'E2', name: 'Alan Turing', email: 'alan.turing@example.com', salary: 654321 };

describe('a 2xx answer that is not JSON', () => {
  it.each([
    ['NDJSON', 'application/x-ndjson', `${JSON.stringify(ADA)}\n${JSON.stringify(ALAN)}\n`, /not valid JSON at position \d+ \(line 2, column 1\) after a complete JSON value/],
    ['CSV', 'text/csv', 'id,name,email,salary\nE1,Ada Lovelace,ada.lovelace@example.com,123456\n', /\d+ bytes, not valid JSON;/],
    ['JSON with one bad token', 'application/json', `[${JSON.stringify(ADA)},{"id":"E2","name":'Alan Turing',"email":"alan.turing@example.com"}]`, /\d+ bytes, not valid JSON;/],
    ['JSON cut short', 'application/json', `[${JSON.stringify(ADA)},{"id":"E2","name":"Alan Turing"`, /the JSON ends early/],
  ])('(%s) names its type, size and where it breaks, never a word of it', async (_label, contentType, body, where) => {
    const api = await serve(() => ({ headers: { 'Content-Type': contentType }, body }));
    const error = await caught(get(api));
    expect(error).toBeInstanceOf(SourceReadError);
    const { message } = error as Error;
    expect(message).toContain(`did not answer JSON (content-type ${contentType}): ${Buffer.byteLength(body)} bytes`);
    expect(message).toMatch(where);
    for (const secret of ['Ada', 'Lovelace', 'ada.lovelace@example.com', 'Alan', 'Turing', 'alan.turing@example.com', '123456', '654321']) expect(message).not.toContain(secret);
    // Not retried: the same request gets the same answer.
    expect(api.requests).toBe(1);
  });

  it('keeps the short, redacted start of a non-2xx answer (an API error message)', async () => {
    const api = await serve(() => ({ status: 400, headers: { 'Content-Type': 'text/plain' }, body: `unknown field 'salry' for key s3cr3t ${'x'.repeat(400)}` }));
    const error = await caught(requestJson({ method: 'GET', url: `${api.origin}/employees`, headers: { Authorization: 's3cr3t' }, secrets: ['s3cr3t'] }, settings()));
    const { message } = error as Error;
    expect(message).toContain("answered 400: unknown field 'salry' for key [redacted]");
    expect(message).not.toContain('s3cr3t');
    expect(message.length).toBeLessThan(300);
  });
});

describe('which HR answers are retried', () => {
  it.each([408, 500])('retries a %i within the request, then reads the page', async (status) => {
    const api = await serve((call) => (call === 1 ? { status, body: 'blip' } : { body: JSON.stringify([ADA]) }));
    const sleeps: number[] = [];
    const response = await get(api, { sleep: async (ms) => void sleeps.push(ms) });
    expect(response.body).toEqual([ADA]);
    expect(api.requests).toBe(2);
    expect(sleeps).toEqual([1]);
  });

  it.each([400, 401, 403, 404])('does not let Temporal repeat a read the HR system answered %i', async (status) => {
    const api = await serve(() => ({ status, body: 'no' }));
    const error = await caught(get(api));
    expect(error).toBeInstanceOf(HrisStatusError);
    expect(api.requests).toBe(1);
    const failure = toActivityFailure(error);
    // Still an HR read failure: AuthenticationFailed or NotFound would name Peakon (and quarantine the run).
    expect(failure.type).toBe('SourceReadFailed');
    expect(failure.nonRetryable).toBe(true);
  });

  // Page 1 found, a later page 404: the list changed or the cursor expired during the read, and a fresh read from page 1
  // usually succeeds. Only a 404 of the first page (the configured URL not found) is final.
  it('lets Temporal repeat a cursor read whose announced page 2 answers 404, not one whose page 1 does', async () => {
    const readCursor = (origin: string) =>
      readAllRecords(createSource(RestSourceConfigSchema.parse({ type: 'rest', url: `${origin}/employees`, recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'next' } }), { resolveSecret: () => 'unused', sleep: realSleep }));
    const expired = await serve((call) => (call === 1 ? { body: JSON.stringify({ items: [ADA], next: 'c2' }) } : { status: 404, body: 'cursor expired' }));
    const later = toActivityFailure(await caught(readCursor(expired.origin)));
    expect(later.type).toBe('SourceReadFailed');
    expect(later.nonRetryable).toBe(false);
    expect(later.message).toMatch(/answered 404.*page 2 was announced by the next cursor at "next" of page 1, so the read is incomplete/);
    // Page 1 was found at that URL: no advice to check it.
    expect(later.message).not.toContain('check the URL');
    expect(expired.requests).toBe(2);

    const missing = await serve(() => ({ status: 404, body: 'no such path' }));
    const first = toActivityFailure(await caught(readCursor(missing.origin)));
    expect(first.type).toBe('SourceReadFailed');
    expect(first.nonRetryable).toBe(true);
    expect(first.message).toContain('answered 404 (check the URL)');
  });

  it.each([
    ['503s until the attempts run out', { status: 503, body: 'busy' }],
    ['500s until the attempts run out', { status: 500, body: 'boom' }],
  ])('lets Temporal retry %s', async (_label, answer) => {
    const api = await serve(() => answer);
    const failure = toActivityFailure(await caught(get(api)));
    expect(api.requests).toBe(3);
    expect(failure.type).toBe('SourceReadFailed');
    expect(failure.nonRetryable).toBe(false);
  });

  it('lets Temporal retry a connection refused', async () => {
    const api = await serve(() => ({}));
    await new Promise<void>((resolve) => {
      const server = servers.pop();
      server?.close(() => resolve());
    });
    const failure = toActivityFailure(await caught(get(api)));
    expect(failure.nonRetryable).toBe(false);
  });

  it('passes a Retry-After longer than retry.maxDelayMs on as the next attempt\'s delay', async () => {
    const api = await serve(() => ({ status: 429, headers: { 'Retry-After': '600' }, body: '{}' }));
    const error = await caught(get(api));
    expect((error as Error).message).toContain('asking to wait 600 s');
    const failure = toActivityFailure(error);
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(600_000);
  });
});

describe('a Retry-After lengthens the backoff, never shortens it', () => {
  const retry = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 10_000 };

  it.each([
    ['0', '0'],
    ['a date already past', 'Sun, 06 Nov 1994 08:49:37 GMT'],
  ])('backs off as without a hint when a 5xx says Retry-After %s, instead of retrying back to back', async (_label, retryAfter) => {
    const api = await serve((call) => (call <= 2 ? { status: 503, headers: { 'Retry-After': retryAfter }, body: '{}' } : { body: JSON.stringify([ADA]) }));
    const sleeps: number[] = [];
    const response = await get(api, { retry, sleep: async (ms) => void sleeps.push(ms) });
    expect(response.body).toEqual([ADA]);
    expect(sleeps).toEqual([200, 400]);
  });

  it('backs off so on a 429 with Retry-After 0 too', async () => {
    const api = await serve((call) => (call === 1 ? { status: 429, headers: { 'Retry-After': '0' }, body: '{}' } : { body: JSON.stringify([ADA]) }));
    const sleeps: number[] = [];
    await get(api, { retry, sleep: async (ms) => void sleeps.push(ms) });
    expect(sleeps).toEqual([200]);
  });

  it('waits a Retry-After longer than the backoff, and the backoff where it is the longer', async () => {
    const api = await serve((call) => (call <= 3 ? { status: 503, headers: { 'Retry-After': '0.3' }, body: '{}' } : { body: JSON.stringify([ADA]) }));
    const sleeps: number[] = [];
    await get(api, { retry, sleep: async (ms) => void sleeps.push(ms) });
    // Backoff 200, 400, 800 against the 300 asked for.
    expect(sleeps).toEqual([300, 400, 800]);
  });

  it('passes no retry delay on when the last attempt\'s Retry-After was 0 (no hint)', async () => {
    const api = await serve(() => ({ status: 503, headers: { 'Retry-After': '0' }, body: '{}' }));
    const error = await caught(get(api, { retry: { ...retry, maxAttempts: 1 } }));
    expect(error).toBeInstanceOf(HrisStatusError);
    expect((error as HrisStatusError).retryAfterMs).toBeUndefined();
  });
});

describe('heartbeats while a request is in flight or waits to retry', () => {
  it('tells onWait every tick while a slow answer arrives', async () => {
    const api = await serve(() => ({ body: JSON.stringify([ADA]), delayMs: 600 }));
    let ticks = 0;
    await get(api, { onWait: () => (ticks += 1), waitTickMs: 50 });
    expect(ticks).toBeGreaterThanOrEqual(5);
    // And stops once the answer is in.
    const after = ticks;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ticks).toBe(after);
  });

  it('tells onWait every tick during a retry wait, after telling onRetry once', async () => {
    const api = await serve((call) => (call === 1 ? { status: 503, headers: { 'Retry-After': '1' }, body: '{}' } : { body: JSON.stringify([ADA]) }));
    const retries: string[] = [];
    let ticks = 0;
    await get(api, { sleep: realSleep, onRetry: (message) => retries.push(message), onWait: () => (ticks += 1), waitTickMs: 50 });
    expect(retries).toEqual([expect.stringMatching(/answered 503 on attempt 1; retrying in 1000 ms/)]);
    expect(ticks).toBeGreaterThanOrEqual(10);
  });

  it('repeats onRetry every tick of a retry wait when there is no onWait', async () => {
    const api = await serve((call) => (call === 1 ? { status: 503, headers: { 'Retry-After': '0.6' }, body: '{}' } : { body: JSON.stringify([ADA]) }));
    const retries: string[] = [];
    const controller = new AbortController();
    await get(api, { sleep: realSleep, signal: controller.signal, onRetry: (message) => retries.push(message), waitTickMs: 50 });
    expect(retries.length).toBeGreaterThanOrEqual(5);
    expect(new Set(retries).size).toBe(1);
  });

  it('reaches the requests of a REST and a BambooHR read from readAllRecords\' options (how the plan activity heartbeats)', async () => {
    const api = await serve(() => ({ body: JSON.stringify({ employees: [ADA] }), delayMs: 400 }));
    let ticks = 0;
    const options: HrisReadOptions = { onWait: () => (ticks += 1), waitTickMs: 50 };
    const rest = createSource(RestSourceConfigSchema.parse({ type: 'rest', url: `${api.origin}/employees`, recordsPath: 'employees' }), { resolveSecret: () => 'unused', sleep: realSleep });
    expect(await readAllRecords(rest, options)).toHaveLength(1);
    expect(ticks).toBeGreaterThanOrEqual(4);
    ticks = 0;
    const bamboo = createSource(BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOOHR_API_KEY' }, baseUrl: `${api.origin}/api/gateway.php/acme` }), {
      resolveSecret: () => 'bamboo-key',
      sleep: realSleep,
    });
    await readAllRecords(bamboo, options).catch(() => undefined);
    expect(ticks).toBeGreaterThanOrEqual(4);
  });
});
