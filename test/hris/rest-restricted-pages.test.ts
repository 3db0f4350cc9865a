import type { RecordProblem } from '../../mapping/employee';
import { useTestServers } from './http-server';
import { ids, readFailure, readRestWith } from './rest-read';

/**
 * An API that answers null for each record the token may not read (a restricted department): a run of such people
 * longer than a page makes two consecutive full pages of nothing but nulls, alike entry for entry. That is no page
 * served again (the checks that stop a repeating API must not fail the read on it): each null is a problem of its own
 * record, as a single one is, and the read goes on. A real loop of such pages still ends in a clear error. Against a
 * real HTTP server on 127.0.0.1.
 */

const { serve } = useTestServers();

const person = (id: string) => ({ id, email: `${id.toLowerCase()}@example.com` });
/** Page size 3: page 1 readable, pages 2 and 3 full of nulls (six restricted people), page 4 one more readable person. */
const entries = [person('E1'), person('E2'), person('E3'), null, null, null, null, null, null, person('E4')];
const PAGE = 3;

/** What the read gives, the problems the source reported beside. */
async function readReporting(origin: string, options: Record<string, unknown>): Promise<{ records: Awaited<ReturnType<typeof readRestWith>>; problems: RecordProblem[] }> {
  const problems: RecordProblem[] = [];
  const records = await readRestWith(origin, options, (problem) => problems.push(problem));
  return { records, problems };
}

/** Each null a problem of its own record, as for a single null entry (test/hris/rest.test.ts): page, entry and kind. */
const nullProblems = [4, 5, 6, 7, 8, 9].map((record) => ({
  recordRef: `record ${record}`,
  field: 'record',
  message: `page ${record <= 6 ? 2 : 3}, entry ${((record - 1) % PAGE) + 1} of the list at "data": not an employee object (null); left out of this run`,
}));

const readIds = ['E1', 'E2', 'E3', undefined, undefined, undefined, undefined, undefined, undefined, 'E4'];

describe('REST source: two consecutive full pages of entries that are not employee objects', () => {
  it('an offset read reads on past them, each null a problem of its record', async () => {
    const api = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('offset'));
      return { body: { data: entries.slice(offset, offset + Number(url.searchParams.get('limit'))) } };
    });
    const { records, problems } = await readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'offset', pageSize: PAGE } });
    expect(ids(records)).toEqual(readIds);
    expect(problems).toEqual(nullProblems);
    expect(api.requests.map((request) => request.url.searchParams.get('offset'))).toEqual(['0', '3', '6', '9', '10']);
  });

  it('a page read too', async () => {
    const api = await serve(({ url }) => {
      const page = Number(url.searchParams.get('page'));
      return { body: { data: entries.slice((page - 1) * PAGE, page * PAGE) } };
    });
    const { records, problems } = await readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'page', sizeParam: 'size', pageSize: PAGE } });
    expect(ids(records)).toEqual(readIds);
    expect(problems).toEqual(nullProblems);
    expect(api.requests).toHaveLength(5);
  });

  it('a cursor read too, though the API announces more after each', async () => {
    const api = await serve(({ url }) => {
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const end = start + PAGE;
      return { body: { data: entries.slice(start, end), next: end < entries.length ? String(end) : null } };
    });
    const { records, problems } = await readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'cursor', cursorPath: 'next' } });
    expect(ids(records)).toEqual(readIds);
    expect(problems).toEqual(nullProblems);
  });

  it('a Link read too', async () => {
    const api = await serve(({ url }) => {
      const start = Number(url.searchParams.get('start') ?? 0);
      const end = start + PAGE;
      const headers: Record<string, string> = end < entries.length ? { Link: `</api/employees?start=${end}>; rel="next"` } : {};
      return { body: { data: entries.slice(start, end) }, headers };
    });
    const { records, problems } = await readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'link' } });
    expect(ids(records)).toEqual(readIds);
    expect(problems).toEqual(nullProblems);
  });

  it('without a caller that takes problems, fails on the first null entry (as for one), not as a page served again', async () => {
    const api = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('offset'));
      return { body: { data: entries.slice(offset, offset + Number(url.searchParams.get('limit'))) } };
    });
    const error = await readFailure(readRestWith(api.origin, { recordsPath: 'data', pagination: { type: 'offset', pageSize: PAGE } }));
    expect(error.message).toContain('record 4: page 2, entry 1 of the list at "data": not an employee object (null)');
    expect(error.message).not.toContain('repeats page');
  });
});

describe('REST source: a loop of pages of entries that are not employee objects still ends', () => {
  it('an offset API that serves its last, full page of nulls for every offset past it fails at maxPages, saying the pages were alike', async () => {
    const api = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('offset'));
      return { body: { data: offset === 0 ? entries.slice(0, PAGE) : [null, null, null] } };
    });
    const error = await readFailure(readReporting(api.origin, { recordsPath: 'data', maxPages: 6, pagination: { type: 'offset', pageSize: PAGE } }));
    expect(error.message).toContain('more than maxPages (6) pages; is the pagination setting right?');
    expect(error.message).toContain('The last 5 pages were alike, each only 3 entries that are not employee objects');
    expect(error.message).toContain('set source.totalPath');
    expect(api.requests).toHaveLength(6);
  });

  it('with totalPath, the total ends such a read', async () => {
    const api = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('offset'));
      return { body: { total: 9, data: offset === 0 ? entries.slice(0, PAGE) : [null, null, null] } };
    });
    const { records, problems } = await readReporting(api.origin, { recordsPath: 'data', totalPath: 'total', pagination: { type: 'offset', pageSize: PAGE } });
    expect(ids(records)).toEqual(readIds.slice(0, 9));
    expect(problems).toEqual(nullProblems);
    expect(api.requests).toHaveLength(3);
  });

  it('a page API that serves its last, short page of nulls again past its end: the repeat is the end, as for any short last page', async () => {
    const pages = [entries.slice(0, PAGE), [null]];
    const api = await serve(({ url }) => ({ body: { data: pages[Math.min(Number(url.searchParams.get('page')), pages.length) - 1] } }));
    const { records, problems } = await readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'page', sizeParam: 'size', pageSize: PAGE } });
    expect(ids(records)).toEqual(['E1', 'E2', 'E3', undefined]);
    expect(problems.map((problem) => problem.recordRef)).toEqual(['record 4']);
    expect(api.requests).toHaveLength(3);
  });

  it('a cursor API that hands back the same cursor with a page of nulls fails on the cursor', async () => {
    const api = await serve(({ url }) => ({ body: { data: url.searchParams.get('cursor') === null ? entries.slice(0, PAGE) : [null, null, null], next: 'c' } }));
    const error = await readFailure(readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'cursor', cursorPath: 'next' } }));
    expect(error.message).toContain('came back twice');
    expect(api.requests).toHaveLength(2);
  });

  it('a Link API that links the same page of nulls again fails on the repeated request', async () => {
    const api = await serve(({ url }) => ({ body: { data: url.searchParams.get('start') === null ? entries.slice(0, PAGE) : [null, null, null] }, headers: { Link: '</api/employees?start=3>; rel="next"' } }));
    const error = await readFailure(readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'link' } }));
    expect(error.message).toContain('would request a page already read');
    expect(api.requests).toHaveLength(2);
  });
});

describe('REST source: a loop of pages of entries that are not employee objects ends early, not at maxPages', () => {
  /** MAX_STAND_INS_IN_A_ROW in hris/rest.ts (not imported: these tests also run against the source without it). */
  const MAX_STAND_INS_IN_A_ROW = 10_000;
  /** Pages of 500 nulls: the bound passes on the page that brings the alike pages in a row past it. */
  const LOOP_PAGE = 500;
  const nulls = Array.from({ length: LOOP_PAGE }, () => null);
  const pagesToPassTheBound = Math.floor(MAX_STAND_INS_IN_A_ROW / LOOP_PAGE) + 1;

  it('an offset API that ignores its position, page 1 all nulls, fails once the nulls in a row pass the bound, suggesting totalPath and the token', async () => {
    const api = await serve(() => ({ body: { data: nulls } }));
    const error = await readFailure(readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'offset', pageSize: LOOP_PAGE } }));
    expect(error.message).toContain(`the last ${pagesToPassTheBound} pages (to page ${pagesToPassTheBound} (offset=${(pagesToPassTheBound - 1) * LOOP_PAGE})) were alike, each only ${LOOP_PAGE} entries that are not employee objects`);
    expect(error.message).toContain(`${pagesToPassTheBound * LOOP_PAGE} such entries in a row, more than the ${MAX_STAND_INS_IN_A_ROW} the read takes`);
    expect(error.message).toContain('Either the API serves one page again and again, or the token cannot read that many people in a row');
    expect(error.message).toContain('set source.totalPath');
    expect(error.message).toContain('check that the token may read every employee');
    expect(api.requests).toHaveLength(pagesToPassTheBound);
  });

  it('a cursor API that hands out a fresh cursor with every page of nulls fails so too, without suggesting totalPath (it would not end the read)', async () => {
    const api = await serve(({ url }) => {
      const at = Number(url.searchParams.get('cursor') ?? 0);
      return { body: { data: at === 0 ? entries.slice(0, PAGE) : nulls, next: String(at + 1) } };
    });
    const error = await readFailure(readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'cursor', cursorPath: 'next' } }));
    expect(error.message).toContain(`the last ${pagesToPassTheBound} pages (to page ${pagesToPassTheBound + 1}) were alike`);
    expect(error.message).toContain(`(${PAGE} entries read before these pages)`);
    expect(error.message).toContain('the API hands out a new cursor with the same page again and again');
    expect(error.message).not.toContain('totalPath');
    expect(api.requests).toHaveLength(pagesToPassTheBound + 1);
  });

  it('with totalPath, a cursor API that hands out a fresh cursor with every page of nulls fails once more than the total is read', async () => {
    const api = await serve(({ url }) => {
      const at = Number(url.searchParams.get('cursor') ?? 0);
      return { body: { total: 9, data: at === 0 ? entries.slice(0, PAGE) : [null, null, null], next: String(at + 1) } };
    });
    const error = await readFailure(readReporting(api.origin, { recordsPath: 'data', totalPath: 'total', maxPages: 50, pagination: { type: 'cursor', cursorPath: 'next' } }));
    expect(error.message).toContain('the HR list changed while it was read (9 record(s) announced at "total", 12 read;');
    expect(api.requests).toHaveLength(4);
  });

  it('with totalPath, an offset API that announces the total on page 1 only and then serves pages of nulls for every offset fails once more than the total is read', async () => {
    const api = await serve(({ url }) => (url.searchParams.get('offset') === '0' ? { body: { total: 9, data: entries.slice(0, PAGE) } } : { body: { data: [null, null, null] } }));
    const error = await readFailure(readReporting(api.origin, { recordsPath: 'data', totalPath: 'total', maxPages: 50, pagination: { type: 'offset', pageSize: PAGE } }));
    expect(error.message).toContain('9 record(s) announced at "total", 12 read');
    expect(api.requests).toHaveLength(4);
  });

  it('with totalPath, a Link API that links a fresh URL with every page of nulls too', async () => {
    const api = await serve(({ url }) => {
      const at = Number(url.searchParams.get('at') ?? 0);
      return { body: { total: 9, data: at === 0 ? entries.slice(0, PAGE) : [null, null, null] }, headers: { Link: `</api/employees?at=${at + 1}>; rel="next"` } };
    });
    const error = await readFailure(readReporting(api.origin, { recordsPath: 'data', totalPath: 'total', maxPages: 50, pagination: { type: 'link' } }));
    expect(error.message).toContain('9 record(s) announced at "total", 12 read');
    expect(api.requests).toHaveLength(4);
  });
});

describe('REST source: an offset API that caps its page size, its first two pages all nulls', () => {
  /** Six restricted people first, then four readable; the API serves at most 3 of the 10 asked for. */
  const restrictedFirst = [null, null, null, null, null, null, person('E1'), person('E2'), person('E3'), person('E4')];
  const capped = (withTotal: boolean) =>
    serve(({ url }) => {
      const offset = Number(url.searchParams.get('offset'));
      return { body: { ...(withTotal ? { total: restrictedFirst.length } : {}), data: restrictedFirst.slice(offset, offset + 3) } };
    });

  it('with totalPath, reads on past the second page of nulls to the records after it (page 1 short is no end: the total is)', async () => {
    const api = await capped(true);
    const { records, problems } = await readReporting(api.origin, { recordsPath: 'data', totalPath: 'total', pagination: { type: 'offset', pageSize: 10 } });
    expect(ids(records)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, 'E1', 'E2', 'E3', 'E4']);
    expect(problems.map((problem) => problem.recordRef)).toEqual([1, 2, 3, 4, 5, 6].map((record) => `record ${record}`));
    expect(api.requests.map((request) => request.url.searchParams.get('offset'))).toEqual(['0', '3', '6', '9']);
  });

  it('without it, fails on page 2 as page 1 served again, suggesting totalPath (as for any short page 1 served again)', async () => {
    const api = await capped(false);
    const error = await readFailure(readReporting(api.origin, { recordsPath: 'data', pagination: { type: 'offset', pageSize: 10 } }));
    expect(error.message).toContain('page 2 (offset=3) served page 1 again, record for record');
    expect(error.message).toContain('Set totalPath');
    expect(api.requests).toHaveLength(2);
  });
});
