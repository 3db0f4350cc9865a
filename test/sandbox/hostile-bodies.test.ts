import { MAX_BODY_DEPTH } from '../../sandbox/server';
import { asError, asUser, createEmployee, employee, patchOp, scim, useSandbox } from './helpers';

/** Bodies that cost the sandbox far more than their size: each is the client's mistake, answered 400, never 500. */
describe('sandbox against hostile bodies', () => {
  const sandbox = useSandbox();

  it('refuses a 200 KB userName (a run of dots the email pattern backtracks on) with 400 naming the 254-byte limit', async () => {
    const huge = `a@${'.'.repeat(200_000)}@`;
    const result = await scim(sandbox(), 'POST', '/Users', { body: { ...employee('huge@example.com'), userName: huge, emails: [{ value: huge, type: 'work' }] } });
    expect(result.status).toBe(400);
    expect(asError(result)).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidValue' });
    expect(asError(result).detail).toMatch(/^userName must be an email address of at most 254 bytes \(RFC 5321\), got 200003 bytes$/);
    const secondary = await scim(sandbox(), 'POST', '/Users', { body: { ...employee('ok@example.com'), emails: [{ value: 'ok@example.com', type: 'work' }, { value: huge, type: 'home' }] } });
    expect(secondary.status).toBe(400);
    expect(asError(secondary).detail).toMatch(/^emails\[1\]\.value must be an email address of at most 254 bytes/);
    expect(sandbox().users()).toEqual([]);
  });

  it('takes an address of exactly 254 bytes and refuses one of 255, counting UTF-8 bytes as RFC 5321 does', async () => {
    const address = (length: number) => `${'a'.repeat(64)}@${'b'.repeat(length - 64 - 1 - 4)}.com`;
    expect((await scim(sandbox(), 'POST', '/Users', { body: employee(address(254)) })).status).toBe(201);
    expect((await scim(sandbox(), 'POST', '/Users', { body: employee(address(255)) })).status).toBe(400);
    // 250 characters, 255 bytes: "ø" is two bytes in UTF-8.
    const wide = `${'ø'.repeat(5)}${address(245)}`;
    const refused = await scim(sandbox(), 'POST', '/Users', { body: employee(wide) });
    expect(refused.status).toBe(400);
    expect(asError(refused).detail).toMatch(/got 255 bytes/);
  });

  it.each([
    ['POST', '/Users'],
    ['PUT', '/Users/{id}'],
    ['PATCH', '/Users/{id}'],
  ])('answers %s %s with a body nested 200,000 deep 400 invalidSyntax, not 500', async (method, path) => {
    const user = await createEmployee(sandbox(), 'deep@example.com');
    const rawBody = `{"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const result = await scim(sandbox(), method, path.replace('{id}', user.id), { rawBody });
    expect(result.status).toBe(400);
    expect(asError(result)).toMatchObject({ status: '400', scimType: 'invalidSyntax', detail: `the request body is nested more than ${MAX_BODY_DEPTH} levels deep` });
    expect(asUser(await scim(sandbox(), 'GET', `/Users/${user.id}`)).userName).toBe('deep@example.com');
  });

  it(`still takes a body nested ${MAX_BODY_DEPTH} levels deep (an unknown attribute is kept as sent)`, async () => {
    let nested: unknown = 'bottom';
    // The body itself is the first level.
    for (let level = 1; level < MAX_BODY_DEPTH; level += 1) nested = [nested];
    const created = await scim(sandbox(), 'POST', '/Users', { body: { ...employee('nested@example.com'), x: nested } });
    expect(created.status).toBe(201);
    const deeper = await scim(sandbox(), 'POST', '/Users', { body: { ...employee('deeper@example.com'), x: [nested] } });
    expect(deeper.status).toBe(400);
    expect(asError(deeper).scimType).toBe('invalidSyntax');
    const patched = await scim(sandbox(), 'PATCH', `/Users/${asUser(created).id}`, { body: patchOp({ op: 'replace', path: 'active', value: false }) });
    expect(patched.status).toBe(200);
  });
});
