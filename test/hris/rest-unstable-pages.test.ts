import { HrisStatusError } from '../../hris/http';
import type { RecordProblem } from '../../mapping/employee';
import { toActivityFailure } from '../../activities/failures';
import { useTestServers } from './http-server';
import { ids, readFailure, readRestWith, TIED_STAFF as staff } from './rest-read';

/**
 * Reads the REST source must not take for complete: an API whose order is not stable across pages (one record on two
 * pages, another on none: a problem of the read that holds the leavers, or a failed read for a caller that takes no
 * problems), a cursor or Link read that serves its previous page again while announcing more, and a 400 for a later
 * page (a cursor that expired). Those fail as a SourceReadError Temporal retries.
 */

const { serve } = useTestServers();

/** A failure Temporal retries: the plan activity reads again from page 1. */
function expectRetryable(error: unknown): void {
  expect(toActivityFailure(error).nonRetryable).toBe(false);
}

describe('REST source: an API whose order is not stable across pages', () => {
  // Page 1 (offset 0) sorts Ops as E1 E2 E3 E4; the next request sorts the ties as E1 E3 E4 E2, so offset 3 starts at
  // E2: E2 comes twice, E4 never. Every page is full and the total is right: only the repeat shows it.
  const unstable = (offset: number, limit: number) => {
    const order = offset === 0 ? staff : [staff[0], staff[2], staff[3], staff[1], staff[4], staff[5]];
    return order.slice(offset, offset + limit);
  };

  it('without a caller that takes problems, fails an offset read that served one record on two pages (another was skipped), naming the pages, not the record', async () => {
    const api = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('offset'));
      return { body: { total: staff.length, rows: unstable(offset, Number(url.searchParams.get('limit'))) } };
    });
    const error = await readFailure(readRestWith(api.origin, { recordsPath: 'rows', totalPath: 'total', pagination: { type: 'offset', pageSize: 3 } }));
    expect(error.message).toContain('page 2 (offset=3) served 1 record(s) that an earlier page already served (the first of them on page 1 (offset=0); records are not quoted)');
    expect(error.message).toContain("the API's order may not be stable across pages");
    expect(error.message).toContain('some other record may have been skipped');
    expect(error.message).toContain('a unique key in source.query');
    for (const value of ['E2', 'e2@example.com', 'Ops']) expect(error.message).not.toContain(value);
    expectRetryable(error);
  });

  it('fails a page read the same way, at any later page (not only the next one)', async () => {
    // Pages of 2: page 1 E1 E2 (stable), page 2 E3 E4, page 3 served after E1 moved behind the Sales ties: E1 again, E6.
    const pages = [
      [staff[0], staff[1]],
      [staff[2], staff[3]],
      [staff[0], staff[5]],
    ];
    const api = await serve(({ url }) => ({ body: pages[Number(url.searchParams.get('page')) - 1] ?? [] }));
    const error = await readFailure(readRestWith(api.origin, { pagination: { type: 'page', sizeParam: 'size', pageSize: 2 } }));
    expect(error.message).toContain('page 3 (page=3) served 1 record(s) that an earlier page already served (the first of them on page 1 (page=1)');
    expectRetryable(error);
  });

  it('where the caller takes problems (the plan does), reads on and reports the repeat as a problem naming no employee, which holds the leavers', async () => {
    const api = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('offset'));
      return { body: { total: staff.length, rows: unstable(offset, Number(url.searchParams.get('limit'))) } };
    });
    const problems: RecordProblem[] = [];
    const records = await readRestWith(api.origin, { recordsPath: 'rows', totalPath: 'total', pagination: { type: 'offset', pageSize: 3 } }, (problem) => problems.push(problem));
    // Every record served is kept, E2 once: its copy on page 2 is a blank stand-in (the mapping skips it), so the records
    // after it keep their positions. E4 was never served.
    expect(ids(records)).toEqual(['E1', 'E2', 'E3', undefined, 'E5', 'E6']);
    expect(records[3]).toEqual({});
    // One problem of the read, with neither key nor id: sync/leavers.ts holds the run's leaver writes for approval on it.
    expect(problems).toEqual([{ recordRef: 'page 2 of the read', field: 'pagination', message: expect.stringContaining('page 2 (offset=3) served 1 record(s) that an earlier page already served') }]);
    expect(problems[0]?.message).toContain('some other record may have been skipped');
    for (const value of ['E2', 'e2@example.com', 'Ops']) expect(problems[0]?.message).not.toContain(value);
  });

  it('still reads a stable API completely, and a record twice within one page is the mapping\'s to reject', async () => {
    const rows = [staff[0], staff[0], staff[1], staff[2], staff[3], staff[4], staff[5]];
    const api = await serve(({ url }) => {
      const offset = Number(url.searchParams.get('offset'));
      return { body: rows.slice(offset, offset + Number(url.searchParams.get('limit'))) };
    });
    expect(ids(await readRestWith(api.origin, { pagination: { type: 'offset', pageSize: 3 } }))).toEqual(['E1', 'E1', 'E2', 'E3', 'E4', 'E5', 'E6']);
  });
});

describe('REST source: a cursor or Link read that serves its previous page again while announcing more', () => {
  it('fails a cursor read instead of ending it as complete', async () => {
    // 3 records, then 2 (a shorter page), then those 2 again with a fresh cursor: records after them may be unread.
    const pages: Record<string, { items: unknown[]; next: string }> = {
      '': { items: staff.slice(0, 3), next: 'a' },
      a: { items: staff.slice(3, 5), next: 'b' },
      b: { items: staff.slice(3, 5), next: 'c' },
      c: { items: staff.slice(5), next: '' },
    };
    const api = await serve(({ url }) => ({ body: pages[url.searchParams.get('cursor') ?? ''] }));
    const error = await readFailure(readRestWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'next' } }));
    expect(error.message).toContain('the API served page 2 again (as page 3, record for record) while announcing more (a next cursor at "next")');
    expectRetryable(error);
  });

  it('fails a Link read the same way', async () => {
    const api = await serve(({ url }) => {
      const page = Number(url.searchParams.get('p') ?? 1);
      if (page === 1) return { body: staff.slice(0, 3), headers: { Link: '</api/employees?p=2>; rel="next"' } };
      return { body: staff.slice(3, 5), headers: { Link: `</api/employees?p=${page + 1}>; rel="next"` } };
    });
    const error = await readFailure(readRestWith(api.origin, { pagination: { type: 'link' } }));
    expect(error.message).toContain('the API served page 2 again (as page 3, record for record) while announcing more (a Link rel="next" header)');
    expectRetryable(error);
  });
});

describe('REST source: a 400 for a page after the first', () => {
  it('fails a cursor read whose cursor the API refuses (expired) as a read to retry, not a bad config', async () => {
    const api = await serve(({ url }) => (url.searchParams.get('cursor') === null ? { body: { items: staff.slice(0, 3), next: 'a' } } : { status: 400, body: { error: 'cursor expired' } }));
    const error = await readFailure(readRestWith(api.origin, { recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'next' } }));
    expect(error).not.toBeInstanceOf(HrisStatusError);
    expect(error.message).toMatch(/answered 400: \{"error":"cursor expired"\}; the API refused a later page \(page 2\) of a read whose page 1 it accepted/);
    expectRetryable(error);
  });

  it('still fails a 400 on page 1 for good (the request itself is wrong)', async () => {
    const api = await serve(() => ({ status: 400, body: { error: 'unknown parameter' } }));
    const error = await readFailure(readRestWith(api.origin, { pagination: { type: 'offset', pageSize: 3 } }));
    expect(error).toBeInstanceOf(HrisStatusError);
    expect(toActivityFailure(error).nonRetryable).toBe(true);
  });
});
