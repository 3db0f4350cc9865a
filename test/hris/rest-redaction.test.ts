import { RestSourceConfigSchema } from '../../hris/config';
import { createSource } from '../../hris';
import { describeRequest, describeUrl } from '../../hris/http';
import { SourceReadError, readAllRecords, type HrisRecord } from '../../hris/source';
import type { SecretRef } from '../../config/secret';
import { useTestServers, type RecordedRequest } from './http-server';

/** What REST source messages may say: no personal data, no query values from the config or a server, no user info. */

const people = Array.from({ length: 7 }, (_unused, index) => ({ id: `E${index + 1}`, work: { email: `person${index + 1}@example.com` } }));
const resolveSecret = (ref: SecretRef): string => {
  throw new Error(`no secret ${JSON.stringify(ref)}`);
};

const { serve } = useTestServers();

function read(url: string, options: Record<string, unknown>): Promise<HrisRecord[]> {
  const config = RestSourceConfigSchema.parse({ type: 'rest', url, ...options });
  return readAllRecords(createSource(config, { resolveSecret, sleep: async () => undefined }));
}

async function failure(reading: Promise<unknown>): Promise<string> {
  const error = await reading.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SourceReadError);
  return (error as Error).message;
}

describe('REST source: a totalPath at something other than a number', () => {
  it('names the kind of value it found, never the value: pointed at the records, no employee is quoted', async () => {
    const api = await serve(() => ({ body: { total: 7, rows: people } }));
    const message = await failure(read(`${api.origin}/api/employees`, { recordsPath: 'rows', totalPath: 'rows' }));
    expect(message).toContain('expected the total as a whole number at "rows", found an array of 7 item(s)');
    expect(message).not.toContain('person1@example.com');
    expect(message).not.toContain('E1');
  });

  it.each([
    [{ count: 'Ada Lovelace' }, 'a string that is not a whole number', 'Ada'],
    [{ count: { name: 'Ada Lovelace' } }, 'an object', 'Ada'],
    [{ count: -3 }, 'a negative number', '-3'],
    [{ count: 2.5 }, 'a number that is not whole', '2.5'],
    [{ count: true }, 'a boolean', 'true'],
    [{ count: null }, 'null', 'Ada'],
    [{}, 'nothing', 'Ada'],
  ])('says %j holds %s', async (meta, kind, value) => {
    const api = await serve(() => ({ body: { meta, rows: people } }));
    const message = await failure(read(`${api.origin}/api/employees`, { recordsPath: 'rows', totalPath: 'meta.count' }));
    expect(message).toContain(`at "meta.count", found ${kind}`);
    expect(message.slice(message.indexOf('found'))).not.toContain(value);
  });
});

describe('REST source: query values and user info in messages', () => {
  it('hides the values of source.query (an api_key) but shows the page parameters the read sets', async () => {
    const api = await serve(({ url }) => (url.searchParams.get('page') === '2' ? { status: 500, body: 'boom' } : { body: people.slice(0, 3) }));
    const message = await failure(read(`${api.origin}/api/employees`, { query: { api_key: 'q-s3cr3t-key', team: 'all' }, pagination: { type: 'page', sizeParam: 'size', pageSize: 3 } }));
    expect(message).toContain(`GET ${api.origin}/api/employees?api_key=…&team=…&page=2&size=3 answered 500`);
    expect(message).not.toContain('q-s3cr3t-key');
    // The key was sent all the same.
    expect(api.requests[1]?.url.searchParams.get('api_key')).toBe('q-s3cr3t-key');
  });

  it('hides the query values of source.url, in the request and in the source it names', async () => {
    const api = await serve(() => ({ status: 500, body: 'boom' }));
    const message = await failure(read(`${api.origin}/api/employees?token=url-t0ken#frag`, {}));
    // A 500 is retried (the default 5 attempts), then fails naming how often it was tried.
    expect(message).toBe(`rest:${api.origin}/api/employees?token=…: GET ${api.origin}/api/employees?token=… answered 500: boom after 5 attempts`);
  });

  it('hides the query values and user info of a Link target (a server may put a key there)', async () => {
    const api = await serve(({ url }) =>
      url.searchParams.get('p') === null
        ? { body: people.slice(0, 3), headers: { Link: `<${api.origin.replace('http://', 'http://sync:l1nk-pa55@')}/api/employees?p=2&sig=l1nk-s3cr3t>; rel="next"` } }
        : { status: 500, body: 'boom' },
    );
    const message = await failure(read(`${api.origin}/api/employees`, { pagination: { type: 'link' } }));
    expect(message).toContain(`GET ${api.origin}/api/employees?p=…&sig=… answered 500`);
    expect(message).not.toContain('l1nk-s3cr3t');
    expect(message).not.toContain('l1nk-pa55');
    expect(message).not.toContain('sync:');
  });

  it('describes a URL: names kept, values hidden unless visible, empty values and paths kept, user info and fragment dropped', () => {
    expect(describeUrl('https://u:p@hr.example.com:8443/api/v1/people?api_key=k&page=3&flag=#top', ['page'])).toBe('https://hr.example.com:8443/api/v1/people?api_key=…&page=3&flag=');
    expect(describeUrl('https://hr.example.com/api')).toBe('https://hr.example.com/api');
    expect(describeRequest({ method: 'GET', url: 'https://hr.example.com/api?key=k', params: { cursor: 'abc', limit: '10' }, headers: {}, secrets: [], visibleParams: ['cursor'] })).toBe(
      'GET https://hr.example.com/api?key=…&cursor=abc&limit=…',
    );
  });
});

describe('REST source: extra headers only to the origin of source.url', () => {
  const headers = { 'X-Client': 'peakon-sync', 'X-Tenant-Scope': 'acme-hr' };

  it('sends source.headers with each page of its own origin, but not to another host a Link header names', async () => {
    const other = await serve(() => ({ body: people.slice(3) }));
    const api = await serve(() => ({ body: people.slice(0, 3), headers: { Link: `<${other.origin}/api/employees?page=2>; rel="next"` } }));
    expect(await read(`${api.origin}/api/employees`, { headers, pagination: { type: 'link' } })).toHaveLength(7);
    expect(api.requests[0]?.headers['x-client']).toBe('peakon-sync');
    expect(api.requests[0]?.headers['x-tenant-scope']).toBe('acme-hr');
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]?.headers['x-client']).toBeUndefined();
    expect(other.requests[0]?.headers['x-tenant-scope']).toBeUndefined();
    expect(other.requests[0]?.headers['accept']).toBe('application/json');
  });

  it('keeps them on a redirect within the origin, and drops them from a redirect to another origin and any hop after it', async () => {
    let home = '';
    const other = await serve(({ url }) => (url.pathname === '/hop' ? { status: 302, headers: { Location: `${home}/api/employees` } } : { body: people }));
    const api = await serve(({ url }) => {
      if (url.pathname === '/old') return { status: 301, headers: { Location: '/moved' } };
      if (url.pathname === '/moved') return { status: 302, headers: { Location: `${other.origin}/hop` } };
      return { body: people };
    });
    home = api.origin;
    expect(await read(`${api.origin}/old`, { headers })).toHaveLength(7);
    // Same origin: /old and /moved get them; /hop on another origin does not, nor /api/employees after it (back home).
    expect(api.requests.map((request) => [request.url.pathname, request.headers['x-client'] ?? null])).toEqual([
      ['/old', 'peakon-sync'],
      ['/moved', 'peakon-sync'],
      ['/api/employees', null],
    ]);
    expect(other.requests.map((request) => [request.url.pathname, request.headers['x-client'] ?? null, request.headers['x-tenant-scope'] ?? null])).toEqual([['/hop', null, null]]);
  });
});

describe('REST source: secrets an error body echoes in another spelling', () => {
  const echo = (body: (request: RecordedRequest) => string) => serve((request) => ({ status: 401, headers: { 'Content-Type': 'text/plain' }, body: body(request) }));
  const token = 'tok/en+with=slash"é';
  const resolveToken = (ref: SecretRef): string => {
    if ('env' in ref && ref.env === 'HR_TOKEN') return token;
    throw new Error(`no secret ${JSON.stringify(ref)}`);
  };
  const readToken = (url: string, options: Record<string, unknown>): Promise<HrisRecord[]> => {
    const config = RestSourceConfigSchema.parse({ type: 'rest', url, auth: { type: 'bearer', token: { env: 'HR_TOKEN' } }, ...options });
    return readAllRecords(createSource(config, { resolveSecret: resolveToken, sleep: async () => undefined }));
  };

  it.each([
    ['JSON-escaped with \\/ (PHP)', JSON.stringify({ error: `bad token ${token}` }).replace(/\//g, '\\/')],
    ['JSON-escaped with \\u escapes (ensure_ascii)', JSON.stringify({ error: `bad token ${token}` }).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)],
    ['percent-encoded', `bad token ${encodeURIComponent(token)}`],
    ['percent-encoded in lower-case hex', `bad token ${encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, (s) => s.toLowerCase())}`],
  ])('redacts the token %s', async (_how, body) => {
    const api = await echo(() => body);
    const message = await failure(readToken(`${api.origin}/api/employees`, {}));
    expect(message).toContain('bad token [redacted]');
    for (const part of ['slash', 'with', 'en+']) expect(message).not.toContain(part);
  });

  it('redacts every value of source.query long enough to be a key (an api_key) an error body echoes, raw or encoded, keeping the rest', async () => {
    const api = await echo((request) => `invalid key ${request.url.searchParams.get('api_key') ?? ''} (sent as ${request.url.search}) for team ${request.url.searchParams.get('team') ?? ''}, active=${request.url.searchParams.get('active') ?? ''}`);
    const config = RestSourceConfigSchema.parse({ type: 'rest', url: `${api.origin}/api/employees`, query: { api_key: 'q-s3cr3t/key', team: 'north-east', active: '1' } });
    const message = await failure(readAllRecords(createSource(config, { resolveSecret, sleep: async () => undefined })));
    expect(message).toContain('answered 401 (check the source credentials): invalid key [redacted] (sent as ?api_key=[redacted]&team=[redacted]&active=1');
    expect(message).not.toContain('s3cr3t');
    expect(message).not.toContain('north');
    // A value as short as `1` is no credential: redacting it would turn every 1 of the body into [redacted].
    expect(message).toContain('active=1');
  });
});

describe('REST source: the values a request description hides, in a quoted error body', () => {
  // base64 of an email: APIs often encode the last record's sort key as the cursor.
  const cursor = 'amFuZUB4LmNvbQ==';

  it('redacts the cursor a later page refuses (400 quoting it), raw or encoded, and keeps the rest of the answer', async () => {
    const api = await serve(({ url }) =>
      url.searchParams.get('cursor') === null
        ? { body: { rows: people.slice(0, 3), next: cursor } }
        : { status: 400, body: { error: `invalid cursor '${cursor}'`, sent: url.search, encoded: encodeURIComponent(cursor) } },
    );
    const message = await failure(read(`${api.origin}/api/employees`, { recordsPath: 'rows', pagination: { type: 'cursor', cursorPath: 'next' } }));
    expect(api.requests[1]?.url.searchParams.get('cursor')).toBe(cursor);
    expect(message).toContain(`GET ${api.origin}/api/employees?cursor=… answered 400`);
    expect(message).toContain("invalid cursor '[redacted]'");
    expect(message).not.toContain('amFuZUB4LmNvbQ');
    expect(message).not.toContain(Buffer.from(cursor, 'base64').toString());
  });

  it('redacts the query values and password of a Link target an error body echoes', async () => {
    const api = await serve(({ url }) =>
      url.searchParams.get('after') === null
        ? { body: people.slice(0, 3), headers: { Link: `<${api.origin.replace('http://', 'http://sync:l1nk-pa55word@')}/api/employees?after=${cursor}&p=2>; rel="next"` } }
        : { status: 400, body: `bad request ${url.search} for ${String(url.searchParams.get('after'))}; user sync:l1nk-pa55word` },
    );
    const message = await failure(read(`${api.origin}/api/employees`, { pagination: { type: 'link' } }));
    expect(message).toContain(`GET ${api.origin}/api/employees?after=…&p=… answered 400`);
    expect(message).not.toContain('amFuZUB4LmNvbQ');
    expect(message).not.toContain('l1nk-pa55word');
    // A value as short as `2` is no encoded record: the rest of the answer stays readable.
    expect(message).toContain('&p=2 for [redacted]');
  });
});
