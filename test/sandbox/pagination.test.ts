import type { RunningSandbox } from '../../sandbox';
import { asError, asList, employee, scim, useSandbox } from './helpers';

function seed(sandbox: RunningSandbox, count: number): void {
  sandbox.seedUsers(Array.from({ length: count }, (_, index) => employee(`person${String(index).padStart(3, '0')}@example.com`)));
}

describe('sandbox list pagination', () => {
  const sandbox = useSandbox();

  it('pages 250 users as 100 + 100 + 50 (1-based startIndex), each user exactly once, in a stable order', async () => {
    seed(sandbox(), 250);
    const pages = [];
    for (const startIndex of [1, 101, 201]) pages.push(asList(await scim(sandbox(), 'GET', `/Users?startIndex=${startIndex}&count=100`)));
    expect(pages.map((page) => [page.totalResults, page.startIndex, page.itemsPerPage, page.Resources.length])).toEqual([
      [250, 1, 100, 100],
      [250, 101, 100, 100],
      [250, 201, 50, 50],
    ]);
    const listed = pages.flatMap((page) => page.Resources.map((user) => user.id));
    expect(new Set(listed).size).toBe(250);
    expect(listed).toEqual(sandbox().users().map((user) => user.id));
    const again = asList(await scim(sandbox(), 'GET', '/Users?startIndex=101&count=100'));
    expect(again.Resources.map((user) => user.id)).toEqual(listed.slice(100, 200));
  });

  it('caps the page size at 100 when asked for more or when count is omitted', async () => {
    seed(sandbox(), 150);
    expect(asList(await scim(sandbox(), 'GET', '/Users?count=500')).Resources).toHaveLength(100);
    expect(asList(await scim(sandbox(), 'GET', '/Users')).Resources).toHaveLength(100);
  });

  it('reads startIndex below 1 as 1 and a negative count as 0 (RFC 7644 §3.4.2.4)', async () => {
    seed(sandbox(), 3);
    expect(asList(await scim(sandbox(), 'GET', '/Users?startIndex=0&count=2'))).toMatchObject({ startIndex: 1, itemsPerPage: 2 });
    expect(asList(await scim(sandbox(), 'GET', '/Users?count=-1'))).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
  });

  it('answers an empty page past the end with the real totalResults', async () => {
    seed(sandbox(), 3);
    expect(asList(await scim(sandbox(), 'GET', '/Users?startIndex=10'))).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
  });

  it('rejects a non-numeric startIndex with 400', async () => {
    const result = await scim(sandbox(), 'GET', '/Users?startIndex=abc');
    expect(result.status).toBe(400);
    expect(asError(result).detail).toMatch(/startIndex/);
  });

  it('does not count seeded users as operations', () => {
    seed(sandbox(), 5);
    expect(sandbox().ops()).toEqual([]);
  });
});

describe('sandbox with pageSizeCap 10', () => {
  const sandbox = useSandbox({ pageSizeCap: 10 });

  it('caps pages at the configured size and advertises it in ServiceProviderConfig', async () => {
    seed(sandbox(), 25);
    expect(asList(await scim(sandbox(), 'GET', '/Users?count=100')).Resources).toHaveLength(10);
    const config = await scim(sandbox(), 'GET', '/ServiceProviderConfig');
    expect(config.body).toMatchObject({ filter: { supported: true, maxResults: 10 } });
  });
});

describe('sandbox attributes projection', () => {
  const sandbox = useSandbox();

  it('returns only the requested attributes (plus id and schemas) and drops excluded ones', async () => {
    seed(sandbox(), 1);
    const picked = asList(await scim(sandbox(), 'GET', '/Users?attributes=userName,emails.value'));
    expect(Object.keys(picked.Resources[0] ?? {}).sort()).toEqual(['emails', 'id', 'schemas', 'userName']);
    expect(picked.Resources[0]?.emails).toEqual([{ value: 'person000@example.com' }]);
    const trimmed = asList(await scim(sandbox(), 'GET', '/Users?excludedAttributes=name,emails'));
    expect(trimmed.Resources[0]).not.toHaveProperty('name');
    expect(trimmed.Resources[0]).not.toHaveProperty('emails');
    expect(trimmed.Resources[0]).toHaveProperty('userName');
  });
});
