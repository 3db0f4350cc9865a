import { useTestServers } from './http-server';
import { ids, readFailure, readRestWith } from './rest-read';

/**
 * Two ways a `cursor` or `link` read could end wrongly, each against a real HTTP server on 127.0.0.1: a misspelt
 * cursorPath against an API that caps its page size (page 1 short of the size asked for, so it looked like the last
 * page, and everyone after it a leaver), and a Link API that links one more empty page past its end forever (read to
 * maxPages, 10,000 requests).
 */

const { serve } = useTestServers();

const staff = Array.from({ length: 250 }, (_unused, index) => ({ id: `E${index + 1}`, email: `e${index + 1}@example.com` }));

describe('REST source: a cursor read of an API that caps its page size below pageSize', () => {
  /** Serves at most 100 records whatever `limit` asks for; the next cursor is at meta.next_cursor, null on the last page. */
  const cappedApi = () =>
    serve(({ url }) => {
      const start = Number((url.searchParams.get('cursor') ?? 'c-0').slice(2));
      const end = start + Math.min(Number(url.searchParams.get('limit')), 100);
      return { body: { items: staff.slice(start, end), meta: { next_cursor: end < staff.length ? `c-${end}` : null } } };
    });
  const pagination = (cursorPath: string) => ({ recordsPath: 'items', pagination: { type: 'cursor', cursorPath, sizeParam: 'limit', pageSize: 200 } });

  it('fails a read whose cursorPath is misspelt, naming the path and the key found (not its value), instead of ending after page 1', async () => {
    const api = await cappedApi();
    const error = await readFailure(readRestWith(api.origin, pagination('meta.nextCursor')));
    expect(error.message).toContain('page 1 has no key at "meta.nextCursor" (source.pagination.cursorPath), neither a next cursor nor null, but has a non-empty "meta.next_cursor"');
    expect(error.message).toContain('correct source.pagination.cursorPath');
    expect(error.message).toContain('set source.totalPath');
    expect(error.message).toContain('page 1 is short (100 record(s), pageSize 200)');
    expect(error.message).not.toContain('c-100');
    expect(api.requests).toHaveLength(1);
  });

  it('control: with the right cursorPath every page is read', async () => {
    const api = await cappedApi();
    expect(ids(await readRestWith(api.origin, pagination('meta.next_cursor')))).toEqual(ids(staff));
    expect(api.requests.map((request) => request.url.searchParams.get('cursor'))).toEqual([null, 'c-100', 'c-200']);
  });

  it('control: a genuinely short only page ends the read: no cursor anywhere, or a null or "" one (at cursorPath or beside it)', async () => {
    const few = staff.slice(0, 40);
    const cases: Array<[string, Record<string, unknown>]> = [
      ['meta.next_cursor', { items: few }],
      ['meta.next_cursor', { items: few, meta: { count: 40 } }],
      ['meta.next_cursor', { items: few, meta: { next_cursor: null } }],
      ['meta.next_cursor', { items: few, meta: { next_cursor: '' } }],
      // A cursorPath that finds nothing, but the API says at its own key that there is no more.
      ['meta.nextCursor', { items: few, meta: { next_cursor: null } }],
      ['meta.nextCursor', { items: few, meta: { next_cursor: '' } }],
      // Beside a cursorPath that finds nothing, tokens that name no next page: a sync token, the current page's cursor.
      ['meta.nextCursor', { items: few, meta: { nextSyncToken: 'sync-1', prev_cursor: 'c-0', current_cursor: 'c-0' } }],
    ];
    for (const [cursorPath, body] of cases) {
      const api = await serve(() => ({ body }));
      expect(ids(await readRestWith(api.origin, pagination(cursorPath)))).toEqual(ids(few));
      expect(api.requests).toHaveLength(1);
    }
  });
});

describe('REST source: a Link read whose API links one more empty page past its end, forever', () => {
  /** Page 1 has three people; every page links page N+1, and every page past 1 is empty. `total` at "total" if given. */
  const endlessApi = (total?: number) =>
    serve(({ url }) => {
      const page = Number(url.searchParams.get('page') ?? 1);
      return {
        body: { items: page === 1 ? staff.slice(0, 3) : [], ...(total === undefined ? {} : { total }) },
        headers: { Link: `</api/employees?page=${page + 1}>; rel="next"` },
      };
    });
  const pages = (requests: Array<{ url: URL }>) => requests.map((request) => request.url.searchParams.get('page'));

  it('stops after 3 empty pages in a row, complete when the announced total is read', async () => {
    const api = await endlessApi(3);
    expect(ids(await readRestWith(api.origin, { recordsPath: 'items', totalPath: 'total', maxPages: 50, pagination: { type: 'link' } }))).toEqual(['E1', 'E2', 'E3']);
    expect(pages(api.requests)).toEqual([null, '2', '3', '4']);
  });

  it('stops after 3 empty pages in a row and fails when nothing says the read is complete (more may follow)', async () => {
    const api = await endlessApi();
    const error = await readFailure(readRestWith(api.origin, { recordsPath: 'items', maxPages: 50, pagination: { type: 'link' } }));
    expect(error.message).toContain('3 empty pages in a row, each with a new next link, after 3 record(s)');
    expect(error.message).toContain('set totalPath');
    expect(pages(api.requests)).toEqual([null, '2', '3', '4']);
  });

  it('ends, complete, at an empty page that links nothing, however many empty pages came before it (link and cursor)', async () => {
    const link = await serve(({ url }) => {
      const page = Number(url.searchParams.get('page') ?? 1);
      const headers: Record<string, string> = page < 4 ? { Link: `</api/employees?page=${page + 1}>; rel="next"` } : {};
      return { body: { items: page === 1 ? staff.slice(0, 3) : [] }, headers };
    });
    expect(ids(await readRestWith(link.origin, { recordsPath: 'items', pagination: { type: 'link' } }))).toEqual(['E1', 'E2', 'E3']);
    expect(pages(link.requests)).toEqual([null, '2', '3', '4']);
    const cursor = await serve(({ url }) => {
      const page = Number((url.searchParams.get('cursor') ?? 'p-1').slice(2));
      return { body: { items: page === 1 ? staff.slice(0, 3) : [], next: page < 4 ? `p-${page + 1}` : null } };
    });
    expect(ids(await readRestWith(cursor.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'next' } }))).toEqual(['E1', 'E2', 'E3']);
    expect(cursor.requests).toHaveLength(4);
  });

  it('control: reads on past 2 empty pages in a row that link a next page', async () => {
    const api = await serve(({ url }) => {
      const page = Number(url.searchParams.get('page') ?? 1);
      const items = page === 1 ? staff.slice(0, 3) : page === 4 ? staff.slice(3, 5) : [];
      const headers: Record<string, string> = page < 4 ? { Link: `</api/employees?page=${page + 1}>; rel="next"` } : {};
      return { body: { items }, headers };
    });
    expect(ids(await readRestWith(api.origin, { recordsPath: 'items', pagination: { type: 'link' } }))).toEqual(ids(staff.slice(0, 5)));
  });
});
