import type { RecordProblem } from '../../mapping/employee';
import { toActivityFailure } from '../../activities/failures';
import { useTestServers } from './http-server';
import { ids, readFailure, readRestWith, TIED_STAFF as staff } from './rest-read';

/**
 * Reads the REST source must not take for complete whatever the pagination: a `cursor` or `link` read whose cursor or
 * next link is an offset underneath, over an order that is not stable (one record served twice, another never); more
 * records than the total announced; a cursor read whose page 1 has no key at cursorPath at all (a misspelt path) when
 * neither sizeParam nor totalPath can tell the end; and a `pagination: none` read whose body says there are more pages.
 */

const { serve } = useTestServers();

const PRIVATE = ['E3', 'E4', 'e3@example.com', 'e4@example.com', 'Ops'];

/**
 * ORDER BY department with LIMIT/OFFSET under the cursor or link: page 1 (offset 0) sorts the Ops ties E1 E2 E3 E4, every
 * later request E1 E2 E4 E3, so offset 3 starts at E3 again. The read gets E1 E2 E3 / E3 E5 E6: E4 never.
 */
const unstable = (offset: number) => (offset === 0 ? staff : [staff[0], staff[1], staff[3], staff[2], staff[4], staff[5]]).slice(offset, offset + 3);

describe('REST source: a cursor or link read over an order that is not stable across pages', () => {
  const cursorApi = () =>
    serve(({ url }) => {
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      return { body: { items: unstable(offset), next: offset + 3 < staff.length ? String(offset + 3) : null } };
    });

  it('fails a cursor read that served one record on two pages (another was skipped), naming the pages, not the record', async () => {
    const api = await cursorApi();
    const error = await readFailure(readRestWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'next' } }));
    expect(error.message).toContain('page 2 served 1 record(s) that an earlier page already served (the first of them on page 1; records are not quoted)');
    expect(error.message).toContain('some other record may have been skipped');
    expect(error.message).toContain('a unique key in source.query');
    expect(error.message).not.toContain('use cursor pagination');
    for (const value of PRIVATE) expect(error.message).not.toContain(value);
    expect(toActivityFailure(error).nonRetryable).toBe(false);
  });

  it('where the caller takes problems, reads on and reports the repeat as a problem of the read naming no employee', async () => {
    const api = await cursorApi();
    const problems: RecordProblem[] = [];
    const records = await readRestWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'next' } }, (problem) => problems.push(problem));
    expect(ids(records)).toEqual(['E1', 'E2', 'E3', undefined, 'E5', 'E6']);
    expect(problems).toEqual([{ recordRef: 'page 2 of the read', field: 'pagination', message: expect.stringContaining('page 2 served 1 record(s) that an earlier page already served') }]);
  });

  it('fails a Link read the same way', async () => {
    const api = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('start') ?? 0);
      const headers: Record<string, string> = offset + 3 < staff.length ? { Link: `</api/employees?start=${offset + 3}>; rel="next"` } : {};
      return { body: unstable(offset), headers };
    });
    const error = await readFailure(readRestWith(api.origin, { pagination: { type: 'link' } }));
    expect(error.message).toContain('page 2 served 1 record(s) that an earlier page already served (the first of them on page 1; records are not quoted)');
    for (const value of PRIVATE) expect(error.message).not.toContain(value);
  });

  it('fails a cursor read that read more records than the total it announced', async () => {
    // Total 5 announced on page 1, six different people served: the list changed during the read.
    const api = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      return { body: { total: 5, items: staff.slice(offset, offset + 3), next: offset + 3 < staff.length ? String(offset + 3) : null } };
    });
    const error = await readFailure(readRestWith(api.origin, { recordsPath: 'items', totalPath: 'total', pagination: { type: 'cursor', cursorPath: 'next' } }));
    expect(error.message).toContain('the HR list changed while it was read (5 record(s) announced at "total", 6 read; if every read says so, "total" counts fewer records than the list returns (active people only, say): correct or remove source.totalPath); read again');
    expect(toActivityFailure(error).nonRetryable).toBe(false);
  });

  it('control: a stable cursor read and a stable Link read are read completely', async () => {
    const cursor = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      return { body: { total: 6, items: staff.slice(offset, offset + 3), next: offset + 3 < staff.length ? String(offset + 3) : null } };
    });
    expect(ids(await readRestWith(cursor.origin, { recordsPath: 'items', totalPath: 'total', pagination: { type: 'cursor', cursorPath: 'next' } }))).toEqual(staff.map((person) => person.id));
    const link = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('start') ?? 0);
      const headers: Record<string, string> = offset + 3 < staff.length ? { Link: `</api/employees?start=${offset + 3}>; rel="next"` } : {};
      return { body: staff.slice(offset, offset + 3), headers };
    });
    expect(ids(await readRestWith(link.origin, { pagination: { type: 'link' } }))).toEqual(staff.map((person) => person.id));
  });
});

describe('REST source: a cursor read whose page 1 has no key at cursorPath, without sizeParam or totalPath', () => {
  // The API sends meta.next_cursor; the config says meta.nextCursor.
  const api = () =>
    serve(({ url }) => {
      const offset = Number((url.searchParams.get('cursor') ?? 'c-0').slice(2));
      return { body: { items: staff.slice(offset, offset + 3), meta: { next_cursor: offset + 3 < staff.length ? `c-${offset + 3}` : null } } };
    });

  it('fails the read naming cursorPath and the keys found there (not their values), and suggesting sizeParam or totalPath', async () => {
    const server = await api();
    const error = await readFailure(readRestWith(server.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.nextCursor' } }));
    expect(error.message).toContain('page 1 has no key at "meta.nextCursor" (source.pagination.cursorPath), neither a next cursor nor null, but has a non-empty "meta.next_cursor"');
    expect(error.message).toContain('"meta" has the key(s) "next_cursor" (values not shown)');
    expect(error.message).toContain('correct source.pagination.cursorPath');
    expect(error.message).toContain('source.pagination.sizeParam');
    expect(error.message).toContain('source.totalPath');
    expect(error.message).not.toContain('c-3');
    expect(server.requests).toHaveLength(1);
  });

  it('fails the same when the next cursor is beside the records instead (a cursorPath under the wrong object)', async () => {
    const server = await serve(() => ({ body: { items: staff.slice(0, 3), nextPageToken: 'c-secret-3' } }));
    const error = await readFailure(readRestWith(server.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.nextPageToken' } }));
    expect(error.message).toContain('but has a non-empty "nextPageToken"');
    expect(error.message).not.toContain('c-secret-3');
  });

  it('control: an only page without the key and without any other next cursor is the end (nextPageToken left out, a null paging object)', async () => {
    for (const body of [{ items: staff.slice(0, 2) }, { items: staff.slice(0, 2), paging: null }, { items: staff.slice(0, 2), meta: { count: 2 } }]) {
      const server = await serve(() => ({ body }));
      expect(ids(await readRestWith(server.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'paging.next' } }))).toEqual(['E1', 'E2']);
    }
  });

  it('control: with the right cursorPath the read follows the cursor to its null', async () => {
    const server = await api();
    expect(ids(await readRestWith(server.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.next_cursor' } }))).toEqual(staff.map((person) => person.id));
  });

  it('control: a key present with null on page 1 is the API saying there is no more', async () => {
    const server = await serve(() => ({ body: { items: staff.slice(0, 2), meta: { next_cursor: null } } }));
    expect(ids(await readRestWith(server.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.next_cursor' } }))).toEqual(['E1', 'E2']);
  });

  it('control: a key absent only from a later page, after pages that had it, ends the read', async () => {
    const server = await serve(({ url }) =>
      url.searchParams.get('cursor') === null ? { body: { items: staff.slice(0, 3), meta: { next_cursor: 'c-3' } } } : { body: { items: staff.slice(3), meta: {} } },
    );
    expect(ids(await readRestWith(server.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.next_cursor' } }))).toEqual(staff.map((person) => person.id));
  });

  it('control: with totalPath the announced total decides, as before', async () => {
    const server = await serve(() => ({ body: { total: 2, items: staff.slice(0, 2) } }));
    expect(ids(await readRestWith(server.origin, { recordsPath: 'items', totalPath: 'total', pagination: { type: 'cursor', cursorPath: 'next' } }))).toEqual(['E1', 'E2']);
    const short = await serve(() => ({ body: { total: 6, items: staff.slice(0, 3) } }));
    expect((await readFailure(readRestWith(short.origin, { recordsPath: 'items', totalPath: 'total', pagination: { type: 'cursor', cursorPath: 'next' } }))).message).toContain('announced 6 records at "total" but returned only 3');
  });
});

describe('REST source: pagination none (the default) whose body says there are more pages', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['next', { next: 'https://hr.example.com/api/employees?page=2' }, 'a non-empty "next"'],
    ['next_cursor', { next_cursor: 'c-secret-2' }, 'a non-empty "next_cursor"'],
    ['nextCursor', { nextCursor: 'c-secret-2' }, 'a non-empty "nextCursor"'],
    ['nextPageToken', { nextPageToken: 'c-secret-2' }, 'a non-empty "nextPageToken"'],
    ['next_page', { next_page: 2 }, 'a non-empty "next_page"'],
    ['links.next', { links: { self: '/api/employees', next: '/api/employees?page=2' } }, 'a non-empty "links.next"'],
    ['has_more', { has_more: true }, '"has_more": true'],
    ['hasMore', { hasMore: true }, '"hasMore": true'],
  ];

  it.each(cases)('fails on %s beside the records at the top level, naming the key, not its value, and the setting', async (_key, extra, named) => {
    const server = await serve(() => ({ body: { data: staff.slice(0, 3), ...extra } }));
    const error = await readFailure(readRestWith(server.origin, { recordsPath: 'data' }));
    expect(error.message).toContain(`the answer has ${named} beside the records (value not shown)`);
    expect(error.message).toContain('set source.pagination');
    for (const value of ['c-secret-2', 'page=2', 'E1', 'e1@example.com']) expect(error.message).not.toContain(value);
  });

  it('looks beside a nested records path (its parent object)', async () => {
    const server = await serve(() => ({ body: { result: { employees: staff.slice(0, 3), nextPageToken: 'c-secret-2' } } }));
    const error = await readFailure(readRestWith(server.origin, { recordsPath: 'result.employees' }));
    expect(error.message).toContain('the answer has a non-empty "result.nextPageToken" beside the records');
  });

  it('control: the API saying there is no next page (null, "", false, 0) is read as the whole list', async () => {
    const server = await serve(() => ({
      body: { data: staff, next: null, next_cursor: '', nextCursor: null, nextPageToken: '', next_page: 0, links: { self: '/api/employees', next: null }, has_more: false, hasMore: false },
    }));
    expect(ids(await readRestWith(server.origin, { recordsPath: 'data' }))).toEqual(staff.map((person) => person.id));
  });
});
