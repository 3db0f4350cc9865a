import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/resources';
import { asError, asList, asUser, createEmployee, employee, scim, useSandbox } from './helpers';

describe('sandbox /Users CRUD', () => {
  const sandbox = useSandbox();

  it('creates a user with 201, a server id, meta and a Location header, in application/scim+json', async () => {
    const result = await scim(sandbox(), 'POST', '/Users', { body: employee('ada@example.com', { externalId: 'hr-1' }) });
    expect(result.status).toBe(201);
    expect(result.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    const created = asUser(result);
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.userName).toBe('ada@example.com');
    expect(created.externalId).toBe('hr-1');
    expect(created.meta).toMatchObject({ resourceType: 'User', location: `${sandbox().baseUrl}/Users/${created.id}` });
    expect(result.headers.get('location')).toBe(`${sandbox().baseUrl}/Users/${created.id}`);
  });

  it('accepts a body sent as plain application/json', async () => {
    const result = await scim(sandbox(), 'POST', '/Users', { body: employee('json@example.com'), contentType: 'application/json' });
    expect(result.status).toBe(201);
  });

  it('answers 400 invalidSyntax for a body that is not JSON', async () => {
    const result = await scim(sandbox(), 'POST', '/Users', { rawBody: '{"userName": ', contentType: 'application/scim+json' });
    expect(result.status).toBe(400);
    expect(asError(result).scimType).toBe('invalidSyntax');
  });

  it('ignores a client-supplied id on create', async () => {
    const result = await scim(sandbox(), 'POST', '/Users', { body: { ...employee('id@example.com'), id: 'chosen-by-client' } });
    expect(asUser(result).id).not.toBe('chosen-by-client');
  });

  it('returns a stored user by id and 404 with a SCIM error for an unknown id', async () => {
    const created = await createEmployee(sandbox(), 'bob@example.com');
    const found = await scim(sandbox(), 'GET', `/Users/${created.id}`);
    expect(found.status).toBe(200);
    expect(asUser(found)).toEqual(created);
    const missing = await scim(sandbox(), 'GET', '/Users/does-not-exist');
    expect(missing.status).toBe(404);
    expect(asError(missing)).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
  });

  it('deletes with 204, after which the user is gone (GET and DELETE answer 404)', async () => {
    const created = await createEmployee(sandbox(), 'gone@example.com');
    expect((await scim(sandbox(), 'DELETE', `/Users/${created.id}`)).status).toBe(204);
    expect((await scim(sandbox(), 'GET', `/Users/${created.id}`)).status).toBe(404);
    expect((await scim(sandbox(), 'DELETE', `/Users/${created.id}`)).status).toBe(404);
    expect(sandbox().users()).toHaveLength(0);
  });

  it('frees a deleted user\'s email for a new employee', async () => {
    const created = await createEmployee(sandbox(), 'reuse@example.com');
    await scim(sandbox(), 'DELETE', `/Users/${created.id}`);
    expect((await scim(sandbox(), 'POST', '/Users', { body: employee('reuse@example.com') })).status).toBe(201);
  });

  it('lists inactive users too', async () => {
    await scim(sandbox(), 'POST', '/Users', { body: { ...employee('inactive@example.com'), active: false } });
    expect(asList(await scim(sandbox(), 'GET', '/Users')).totalResults).toBe(1);
  });

  it('answers 404 for PUT and PATCH on an unknown user', async () => {
    expect((await scim(sandbox(), 'PUT', '/Users/nope', { body: employee('x@example.com') })).status).toBe(404);
    expect((await scim(sandbox(), 'PATCH', '/Users/nope', { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] } })).status).toBe(404);
  });
});

describe('sandbox PUT semantics', () => {
  describe('with the default putClearsOmitted: true', () => {
    const sandbox = useSandbox();

    it('replaces the whole user: attributes the body omits are cleared, id and meta.created are kept', async () => {
      const created = await createEmployee(sandbox(), 'put@example.com', { externalId: 'hr-9', employeeNumber: 'E9', peakon: { Team: 'Core', Gender: 'Female' } });
      const body = { ...employee('put@example.com', { peakon: { Team: 'Platform' } }), locale: 'da' };
      const result = await scim(sandbox(), 'PUT', `/Users/${created.id}`, { body });
      expect(result.status).toBe(200);
      const replaced = asUser(result);
      expect(replaced.id).toBe(created.id);
      expect(replaced.meta?.created).toBe(created.meta?.created);
      expect(replaced.locale).toBe('da');
      expect(replaced.externalId).toBeUndefined();
      expect(replaced[ENTERPRISE_USER_SCHEMA]).toBeUndefined();
      expect(replaced[PEAKON_USER_SCHEMA]).toEqual({ Team: 'Platform' });
      expect(replaced.schemas).toEqual([CORE_USER_SCHEMA, PEAKON_USER_SCHEMA]);
    });

    it('keeps the user in place in the stable listing order after a replace', async () => {
      const first = await createEmployee(sandbox(), 'first@example.com');
      await createEmployee(sandbox(), 'second@example.com');
      await scim(sandbox(), 'PUT', `/Users/${first.id}`, { body: { ...employee('first@example.com'), locale: 'en' } });
      expect(asList(await scim(sandbox(), 'GET', '/Users')).Resources.map((user) => user.userName)).toEqual(['first@example.com', 'second@example.com']);
    });
  });

  describe('with putClearsOmitted: false', () => {
    const sandbox = useSandbox({ putClearsOmitted: false });

    it('keeps attributes the body omits, including Peakon attributes, while null still clears one', async () => {
      const created = await createEmployee(sandbox(), 'keep@example.com', { externalId: 'hr-7', employeeNumber: 'E7', peakon: { Team: 'Core', Gender: 'Male' } });
      const body = employee('keep@example.com', { peakon: { Team: 'Platform', Gender: null } });
      const replaced = asUser(await scim(sandbox(), 'PUT', `/Users/${created.id}`, { body }));
      expect(replaced.externalId).toBe('hr-7');
      expect(replaced[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: 'E7' });
      expect(replaced[PEAKON_USER_SCHEMA]).toEqual({ Team: 'Platform' });
    });
  });
});
