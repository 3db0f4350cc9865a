import { EMPLOYEE_NUMBER_PATH } from '../../scim/resources';
import { asError, asList, createEmployee, scim, useSandbox } from './helpers';

describe('sandbox GET /Users?filter=', () => {
  const sandbox = useSandbox();
  const search = async (filter: string) => scim(sandbox(), 'GET', `/Users?filter=${encodeURIComponent(filter)}`);
  const userNamesFor = async (filter: string): Promise<string[]> => asList(await search(filter)).Resources.map((user) => user.userName);

  beforeEach(async () => {
    await createEmployee(sandbox(), 'Ada.Lovelace@Example.com', { externalId: 'hr-1', employeeNumber: 'E-001' });
    await createEmployee(sandbox(), 'grace@example.com', { externalId: 'hr-2', employeeNumber: 'e-001' });
  });

  it('matches userName eq case-insensitively', async () => {
    expect(await userNamesFor('userName eq "ada.lovelace@example.com"')).toEqual(['Ada.Lovelace@Example.com']);
    expect(await userNamesFor('USERNAME eq "GRACE@EXAMPLE.COM"')).toEqual(['grace@example.com']);
  });

  it.each(['emails eq "ADA.LOVELACE@example.com"', 'emails.value eq "ada.lovelace@EXAMPLE.com"'])(
    'matches emails case-insensitively with %s',
    async (filter) => {
      expect(await userNamesFor(filter)).toEqual(['Ada.Lovelace@Example.com']);
    },
  );

  it('matches externalId exactly (case-sensitive)', async () => {
    expect(await userNamesFor('externalId eq "hr-2"')).toEqual(['grace@example.com']);
    expect(await userNamesFor('externalId eq "HR-2"')).toEqual([]);
  });

  it('matches id', async () => {
    const grace = sandbox().users().find((user) => user.userName === 'grace@example.com');
    expect(await userNamesFor(`id eq "${grace?.id ?? 'missing'}"`)).toEqual(['grace@example.com']);
  });

  it('matches the enterprise employeeNumber by its URN path, exactly', async () => {
    expect(await userNamesFor(`${EMPLOYEE_NUMBER_PATH} eq "E-001"`)).toEqual(['Ada.Lovelace@Example.com']);
    expect(await userNamesFor(`${EMPLOYEE_NUMBER_PATH} eq "e-001"`)).toEqual(['grace@example.com']);
  });

  it('answers 200 with totalResults 0 and no Resources when nothing matches', async () => {
    const result = await search('userName eq "nobody@example.com"');
    expect(result.status).toBe(200);
    expect(asList(result)).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('round-trips a value containing a double quote and a backslash (JSON string escaping)', async () => {
    await createEmployee(sandbox(), 'odd@example.com', { externalId: 'a"b\\c' });
    await createEmployee(sandbox(), 'trailing@example.com', { externalId: 'ends\\' });
    const escape = (value: string) => JSON.stringify(value);
    expect(await userNamesFor(`externalId eq ${escape('a"b\\c')}`)).toEqual(['odd@example.com']);
    expect(await userNamesFor(`externalId eq ${escape('ends\\')}`)).toEqual(['trailing@example.com']);
    expect(await userNamesFor(`externalId eq ${escape('a"b\\\\c')}`)).toEqual([]);
  });

  // Peakon documents only `eq` on these attributes (../shared/peakon-scim.md); a filter the sandbox answered beyond
  // that would let the connector pass here and fail against Peakon.
  it.each([
    'name.givenName eq "grace"',
    'active eq true',
    'userName co "example"',
    'userName sw "grace"',
    'externalId ne "hr-1"',
    'userName pr',
    'externalId eq "hr-1" or externalId eq "hr-2"',
    'externalId eq "hr-1" and userName eq "grace@example.com"',
    'not (userName eq "grace@example.com")',
    'emails[value eq "grace@example.com"]',
    'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "grace@example.com"',
    'employeeNumber eq "E-001"',
  ])('answers 400 invalidFilter by default for %s, which Peakon does not document', async (filter) => {
    const result = await search(filter);
    expect(result.status).toBe(400);
    expect(asError(result)).toMatchObject({ scimType: 'invalidFilter', detail: expect.stringContaining('anyFilter') });
  });

  it('answers 400 invalidFilter for a filter it cannot parse', async () => {
    const result = await search('userName eq');
    expect(result.status).toBe(400);
    expect(asError(result).scimType).toBe('invalidFilter');
  });

  it('answers 400 invalidFilter for a quoted value with an invalid escape', async () => {
    const result = await search('externalId eq "bad\\x"');
    expect(result.status).toBe(400);
    expect(asError(result).scimType).toBe('invalidFilter');
  });

  it.each(['/Users/.search', '/.search'])('runs the same filter from a POST %s body (RFC 7644 §3.4.3)', async (path) => {
    const result = await scim(sandbox(), 'POST', path, { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "GRACE@example.com"', attributes: ['userName'] } });
    expect(result.status).toBe(200);
    const list = asList(result);
    expect(list.totalResults).toBe(1);
    expect(list.Resources[0]).toEqual({ schemas: expect.any(Array), id: expect.any(String), userName: 'grace@example.com' });
    expect(sandbox().users()).toHaveLength(2);
  });
});

describe('sandbox GET /Users?filter= with anyFilter (NOT Peakon behaviour, for generic SCIM checkers)', () => {
  const sandbox = useSandbox({ anyFilter: true });
  const userNamesFor = async (filter: string): Promise<string[]> =>
    asList(await scim(sandbox(), 'GET', `/Users?filter=${encodeURIComponent(filter)}`)).Resources.map((user) => user.userName);

  beforeEach(async () => {
    await createEmployee(sandbox(), 'Ada.Lovelace@Example.com', { externalId: 'hr-1', employeeNumber: 'E-001', givenName: 'Ada' });
    await createEmployee(sandbox(), 'grace@example.com', { externalId: 'hr-2', employeeNumber: 'e-001', givenName: 'Grace' });
  });

  it('combines expressions with and / or / not', async () => {
    expect(await userNamesFor('externalId eq "hr-1" or externalId eq "hr-2"')).toHaveLength(2);
    expect(await userNamesFor('externalId eq "hr-1" and userName eq "grace@example.com"')).toEqual([]);
    expect(await userNamesFor('not (userName eq "grace@example.com")')).toEqual(['Ada.Lovelace@Example.com']);
  });

  it('answers other operators and attributes, and value filters', async () => {
    expect(await userNamesFor('userName sw "grace"')).toEqual(['grace@example.com']);
    expect(await userNamesFor('userName co "LOVELACE"')).toEqual(['Ada.Lovelace@Example.com']);
    expect(await userNamesFor('name.givenName eq "Grace"')).toEqual(['grace@example.com']);
    expect(await userNamesFor('emails[value eq "Ada.Lovelace@example.com"]')).toEqual(['Ada.Lovelace@Example.com']);
  });
});
