import { MAX_RESPONSE_BYTES, requestJson, type HrisHttpSettings } from '../../hris/http';
import { SourceReadError } from '../../hris/source';
import { startTestServer, type TestServer } from './http-server';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const settings = (maxResponseBytes?: number): HrisHttpSettings => ({
  timeoutMs: 5000,
  totalTimeoutMs: 5000,
  retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 10 },
  sleep: async () => undefined,
  source: 'rest:test',
  ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}),
});

/** A JSON array of exactly `bytes` bytes. */
function jsonOfSize(bytes: number): string {
  return `["${'x'.repeat(bytes - 4)}"]`;
}

describe('HR answer size limit', () => {
  it('is 256 MiB by default', () => {
    expect(MAX_RESPONSE_BYTES).toBe(256 * 1024 * 1024);
  });

  it('accepts an answer of exactly the limit', async () => {
    server = await startTestServer(() => ({ body: jsonOfSize(1000) }));
    const response = await requestJson({ method: 'GET', url: `${server.origin}/e`, headers: {}, secrets: [] }, settings(1000));
    expect(Array.isArray(response.body)).toBe(true);
  });

  it('fails without retrying on an answer one byte over the limit, naming the limit', async () => {
    server = await startTestServer(() => ({ body: jsonOfSize(1001) }));
    const reading = requestJson({ method: 'GET', url: `${server.origin}/e`, headers: {}, secrets: [] }, settings(1000));
    await expect(reading).rejects.toThrow(SourceReadError);
    await expect(reading).rejects.toThrow('more than 1000 bytes');
    expect(server.requests).toHaveLength(1);
  });
});
