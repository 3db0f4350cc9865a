import { RestSourceConfigSchema } from '../../hris/config';
import { createSource } from '../../hris';
import { SourceReadError, readAllRecords, type HrisRecord } from '../../hris/source';
import type { RecordProblem } from '../../mapping/employee';
import { mapEmployees } from '../../mapping/map';
import { configWith } from '../mapping/helpers';
import { useTestServers } from './http-server';

/**
 * A REST read that ends early without failing makes the people it did not read look like leavers, and the leaver
 * guard holds writes only above its thresholds: a small tenant read short deactivates real employees. Each case here
 * is one way a read could end early and succeed. Real HTTP on 127.0.0.1.
 */

const { serve } = useTestServers();

const people = Array.from({ length: 7 }, (_unused, index) => ({ id: `E${index + 1}`, email: `e${index + 1}@example.com` }));
const ids = (records: HrisRecord[]) => records.map((record) => record['id']);

function readWith(origin: string, options: Record<string, unknown>): Promise<HrisRecord[]> {
  const config = RestSourceConfigSchema.parse({ type: 'rest', url: `${origin}/api/employees`, ...options });
  return readAllRecords(createSource(config, { resolveSecret: () => 'unused', sleep: async () => undefined }));
}

describe('a cursor path that finds nothing', () => {
  /** Pages of `limit`, the next cursor at meta.next_cursor; `omitAtEnd` leaves the key out of the last page. */
  const cursorApi = (omitAtEnd: boolean) =>
    serve(({ url }) => {
      const start = Number((url.searchParams.get('cursor') ?? 'c-0').slice(2));
      const end = start + Number(url.searchParams.get('limit'));
      const more = end < people.length;
      return { body: { items: people.slice(start, end), meta: { total: people.length, ...(more || !omitAtEnd ? { next_cursor: more ? `c-${end}` : null } : {}) } } };
    });

  it('fails a read whose full page has no key at cursorPath, naming the setting and the keys found, not their values', async () => {
    const api = await serve(({ url }) => {
      const start = Number((url.searchParams.get('cursor') ?? 'c-0').slice(2));
      return { body: { items: people.slice(start, start + 3), meta: { next_cursor: start + 3 < people.length ? `c-${start + 3}` : null } } };
    });
    const reading = readWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.nextCursor', sizeParam: 'limit', pageSize: 3 } });
    await expect(reading).rejects.toThrow(SourceReadError);
    await expect(reading).rejects.toThrow(/a full page \(3 record\(s\), pageSize 3\) has no next cursor at "meta\.nextCursor" \(source\.pagination\.cursorPath\): "meta" has the key\(s\) "next_cursor" \(values not shown\)/);
    await expect(reading).rejects.not.toThrow(/c-3/);
    // Page 1 only: the read stops there, rather than ending there as complete.
    expect(api.requests).toHaveLength(1);
  });

  it('names the nearest part of the body that exists when the whole path is missing', async () => {
    const api = await serve(() => ({ body: { items: people.slice(0, 3), paging: { after: 'x' } } }));
    await expect(readWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.next', sizeParam: 'limit', pageSize: 3 } })).rejects.toThrow(
      /the response body has the key\(s\) "items", "paging" \(values not shown\)/,
    );
  });

  it('still ends at a short last page that leaves the cursor out', async () => {
    const api = await cursorApi(true);
    expect(ids(await readWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.next_cursor', sizeParam: 'limit', pageSize: 3 } }))).toEqual(ids(people));
  });

  it('still ends at an explicit null cursor after a full page', async () => {
    const api = await cursorApi(false);
    expect(ids(await readWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.next_cursor', sizeParam: 'limit', pageSize: 7 } }))).toEqual(ids(people));
  });

  it('ends at a last page without the cursor that is as long as pageSize but shorter than the pages the API serves of its own', async () => {
    // The API ignores limit=3 and serves pages of 4 (4, then 3): its last page is short of its own pages, not full.
    const api = await serve(({ url }) => {
      const start = Number((url.searchParams.get('cursor') ?? 'c-0').slice(2));
      const end = start + 4;
      return { body: { items: people.slice(start, end), meta: end < people.length ? { next_cursor: `c-${end}` } : {} } };
    });
    expect(ids(await readWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.next_cursor', sizeParam: 'limit', pageSize: 3 } }))).toEqual(ids(people));
    expect(api.requests).toHaveLength(2);
    // A wrong cursorPath still fails at page 1, however long that page is.
    await expect(readWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.nextCursor', sizeParam: 'limit', pageSize: 3 } })).rejects.toThrow(
      /a full page \(4 record\(s\), pageSize 3\) has no next cursor at "meta\.nextCursor"/,
    );
  });

  it('fails at a later full page that is the first without the cursor, saying it cannot tell a last page from a dropped cursor and what makes them distinguishable', async () => {
    // 6 people in pages of 3: the last page is exactly full, and the API leaves the key out of it.
    const api = await serve(({ url }) => {
      const start = Number((url.searchParams.get('cursor') ?? 'c-0').slice(2));
      const end = start + Number(url.searchParams.get('limit'));
      return { body: { items: people.slice(0, 6).slice(start, end), meta: { total: 6, ...(end < 6 ? { next_cursor: `c-${end}` } : {}) } } };
    });
    const reading = readWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.next_cursor', sizeParam: 'limit', pageSize: 3 } });
    await expect(reading).rejects.toThrow(SourceReadError);
    await expect(reading).rejects.toThrow(
      /page 2 is full \(3 record\(s\), pageSize 3\) and is the first without a next cursor at "meta\.next_cursor" \(source\.pagination\.cursorPath\), which the 1 page\(s\) before it had: "meta" has the key\(s\) "total" \(values not shown\)\. It may be the last page, or a page with more after it whose cursor the API left out; the read cannot tell which/,
    );
    await expect(reading).rejects.toThrow(/set totalPath to the total the API announces, or change pageSize so that the last page is not exactly full/);
    // Told apart either way: by the total, or by a page size that leaves the last page short.
    expect(ids(await readWith(api.origin, { recordsPath: 'items', totalPath: 'meta.total', pagination: { type: 'cursor', cursorPath: 'meta.next_cursor', sizeParam: 'limit', pageSize: 3 } }))).toEqual(ids(people.slice(0, 6)));
    expect(ids(await readWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'meta.next_cursor', sizeParam: 'limit', pageSize: 4 } }))).toEqual(ids(people.slice(0, 6)));
  });

  it('ends at a full last page without the cursor once the announced total is read', async () => {
    const api = await cursorApi(true);
    expect(ids(await readWith(api.origin, { recordsPath: 'items', totalPath: 'meta.total', pagination: { type: 'cursor', cursorPath: 'meta.next_cursor', sizeParam: 'limit', pageSize: 7 } }))).toEqual(
      ids(people),
    );
  });
});

describe('a read without pagination whose answer links a next page', () => {
  const linkedApi = () =>
    serve(({ url }) => {
      const page = Number(url.searchParams.get('page') ?? 1);
      const rows = people.slice((page - 1) * 4, page * 4);
      return page === 1 ? { body: rows, headers: { Link: `</api/employees?page=2&token=t0ps3cret>; rel="next"` } } : { body: rows };
    });

  it('fails, saying to set source.pagination (type link), instead of reading page 1 as the whole list', async () => {
    const api = await linkedApi();
    const reading = readWith(api.origin, {});
    await expect(reading).rejects.toThrow(SourceReadError);
    await expect(reading).rejects.toThrow(/has a Link rel="next" header.*source\.pagination is none.*set source\.pagination to \{ type: link \}/);
    await expect(reading).rejects.not.toThrow(/t0ps3cret/);
    expect(api.requests).toHaveLength(1);
  });

  it('reads every page once pagination is link', async () => {
    const api = await linkedApi();
    expect(ids(await readWith(api.origin, { pagination: { type: 'link' } }))).toEqual(ids(people));
  });

  it('still reads a single answer without a next link', async () => {
    const api = await serve(() => ({ body: people, headers: { Link: '</api/employees?page=1>; rel="first"' } }));
    expect(ids(await readWith(api.origin, {}))).toEqual(ids(people));
  });
});

describe('a 404 past a short page', () => {
  /** Page 1 short of the 100 asked for (a capped API), page 2 answers 404 `blips` time(s), then its records. */
  const blippingApi = (blips: number) => {
    let notFound = 0;
    return serve(({ url }) => {
      const page = Number(url.searchParams.get('page'));
      if (page === 2 && notFound < blips) {
        notFound += 1;
        return { status: 404, body: { detail: 'Not found.' } };
      }
      return { body: people.slice((page - 1) * 4, page * 4) };
    });
  };
  const paged = { pagination: { type: 'page', sizeParam: 'size', pageSize: 100 } };

  it('fails the read, to be read again, when page 2 answers 404 once and then its records', async () => {
    const api = await blippingApi(1);
    const reading = readWith(api.origin, paged);
    await expect(reading).rejects.toThrow(SourceReadError);
    await expect(reading).rejects.toThrow(/answered 404.*page 2 follows a short page, but asked once more it did not answer 404 again.*the read is incomplete \(read again\)/);
    // A plain SourceReadError, which Temporal retries: not the HrisStatusError of a 404 (final, activities/failures.ts).
    await expect(reading).rejects.not.toHaveProperty('status');
    expect(api.requests.map((request) => request.url.searchParams.get('page'))).toEqual(['1', '2', '2']);
  });

  it('ends the read when page 2 answers 404 twice', async () => {
    const api = await blippingApi(Infinity);
    expect(ids(await readWith(api.origin, paged))).toEqual(ids(people.slice(0, 4)));
    expect(api.requests.map((request) => request.url.searchParams.get('page'))).toEqual(['1', '2', '2']);
  });
});

describe('a list entry without a single value', () => {
  const person = (id: string) => ({ id, email: `${id.toLowerCase()}@example.com`, first: 'Ada', last: 'L' });

  async function readReporting(origin: string, options: Record<string, unknown>): Promise<{ records: HrisRecord[]; problems: RecordProblem[] }> {
    const config = RestSourceConfigSchema.parse({ type: 'rest', url: `${origin}/api/employees`, ...options });
    const problems: RecordProblem[] = [];
    const records = await readAllRecords(createSource(config, { resolveSecret: () => 'unused', sleep: async () => undefined }), { onProblem: (problem) => problems.push(problem) });
    return { records, problems };
  }

  it('is a problem naming its place, as a null entry is, so the mapping reports it (which holds leaver writes) instead of skipping a blank line', async () => {
    // A GraphQL-backed list whose resolver failed for two people: one left {}, one with every field null or blank.
    const pages = [[person('E1'), {}, person('E2')], [{ id: null, email: null, first: '  ', last: null }, null, person('E3')], []];
    const api = await serve(({ url }) => ({ body: { data: pages[Number(url.searchParams.get('page')) - 1] ?? [] } }));
    const { records, problems } = await readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'page', sizeParam: 'size', pageSize: 3 } });
    expect(problems).toEqual([
      { recordRef: 'record 2', field: 'record', message: 'page 1, entry 2 of the list at "data": not an employee object (an empty object); left out of this run' },
      { recordRef: 'record 4', field: 'record', message: 'page 2, entry 1 of the list at "data": not an employee object (an object whose every value is empty); left out of this run' },
      { recordRef: 'record 5', field: 'record', message: 'page 2, entry 2 of the list at "data": not an employee object (null); left out of this run' },
    ]);
    const config = configWith({}, { source: { type: 'rest', url: `${api.origin}/api/employees` } });
    const report = mapEmployees(records, config, problems);
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['record 1 (id E1)', 'record 3 (id E2)', 'record 6 (id E3)']);
    // Reported, not skipped as blank lines: problems that name no employee hold the run's leaver writes (sync/leavers.ts).
    expect(report.problems).toEqual(problems);
    expect(report.recordsRead).toBe(6);
  });

  it('fails the read when no caller takes the problems', async () => {
    const api = await serve(() => ({ body: [person('E1'), { id: null, email: null }] }));
    await expect(readWith(api.origin, {})).rejects.toThrow(/record 2: page 1, entry 2 of the list at the response body: not an employee object \(an object whose every value is empty\)/);
  });
});
