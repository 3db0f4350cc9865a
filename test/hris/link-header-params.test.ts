import { nextLink } from '../../hris/rest';
import { useTestServers } from './http-server';
import { ids, readFailure, readRestWith } from './rest-read';

/**
 * RFC 8288 Link headers whose parameters hold quoted strings with `,` or `;` (`title="Page 2, of 9"`): a parser that
 * cuts parameters at the first `,` or `;` loses the rel after such a title, so a link read ends after page 1 as if
 * complete (everyone past it planned as a leaver) and a `pagination: none` read misses that there are more pages.
 */

const { serve } = useTestServers();
const staff = Array.from({ length: 6 }, (_unused, index) => ({ id: `E${index + 1}` }));

describe('nextLink: the rel="next" target of a Link header', () => {
  it.each([
    ['a title with a comma before rel', '<https://a/x?page=2>; title="Page 2, of 9"; rel="next"', 'https://a/x?page=2'],
    ['a title with a semicolon before rel', '<https://a/x?page=2>; title="a; b"; rel="next"', 'https://a/x?page=2'],
    ['a title with an escaped quote and a comma', '<https://a/x?page=2>; title="say \\"hi\\", then"; rel="next"', 'https://a/x?page=2'],
    ['a title with rel="next" inside it on another link', '<https://a/x?page=1>; rel="prev"; title="not rel=\\"next\\", really", <https://a/x?page=3>; rel="next"', 'https://a/x?page=3'],
    ['space-separated relation types', '<https://a/x?page=2>; rel="prefetch next"', 'https://a/x?page=2'],
    ['an unquoted upper-case rel', '<https://a/x?page=2>; REL=NEXT', 'https://a/x?page=2'],
    ['spaces around =', '<https://a/x?page=2> ; rel = "next"', 'https://a/x?page=2'],
    ['a comma inside the target', '<https://a/x?ids=1,2&page=2>; rel="next"', 'https://a/x?ids=1,2&page=2'],
    ['the next link second, after a quoted title', '</x?page=1>; rel="first"; title="First, page", </x?page=2>; title="Next; page"; rel="next"', '/x?page=2'],
  ])('finds it with %s', (_, header, target) => {
    expect(nextLink(header)).toBe(target);
  });

  it.each([
    ['no next relation', '<https://a/x?page=1>; rel="first", <https://a/x?page=9>; rel="last"'],
    ['"next" only inside a quoted title', '<https://a/x?page=1>; title="next, please"; rel="self"'],
    ['"next" only in a second rel of the link (the first counts)', '<https://a/x?page=1>; rel="self"; rel="next"'],
    ['a relation that merely contains next', '<https://a/x?page=2>; rel="nextish"'],
    ['nothing', ''],
  ])('finds none with %s', (_, header) => {
    expect(nextLink(header)).toBeUndefined();
  });
});

describe('REST source: Link pagination with quoted parameters', () => {
  const linkApi = () =>
    serve(({ url }) => {
      const page = Number(url.searchParams.get('page') ?? 1);
      const headers: Record<string, string> =
        page < 3 ? { Link: `</api/employees?page=${page + 1}>; title="Page ${page + 1}, of 3"; rel="next", </api/employees?page=1>; title="First; page"; rel="first"` } : {};
      return { body: staff.slice((page - 1) * 2, page * 2), headers };
    });

  it('follows a rel="next" that comes after a title holding a comma, reading every page', async () => {
    const api = await linkApi();
    expect(ids(await readRestWith(api.origin, { pagination: { type: 'link' } }))).toEqual(['E1', 'E2', 'E3', 'E4', 'E5', 'E6']);
    expect(api.requests.map((request) => request.url.searchParams.get('page'))).toEqual([null, '2', '3']);
  });

  it('fails a pagination: none read whose answer links a next page so', async () => {
    const api = await linkApi();
    const error = await readFailure(readRestWith(api.origin, {}));
    expect(error.message).toContain('the answer has a Link rel="next" header, so the API has more pages than this one, but source.pagination is none');
    expect(api.requests).toHaveLength(1);
  });
});
