import { z } from 'zod';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, ScimSchemaResourceSchema, ServiceProviderConfigSchema } from '../../scim/resources';
import { asError, asRecord, scim, useSandbox } from './helpers';

const SchemaListSchema = z.object({ totalResults: z.number(), Resources: z.array(ScimSchemaResourceSchema) });

describe('sandbox discovery endpoints', () => {
  const sandbox = useSandbox();

  it('lists the core User, enterprise and Peakon schemas', async () => {
    const result = await scim(sandbox(), 'GET', '/Schemas');
    expect(result.status).toBe(200);
    expect(SchemaListSchema.parse(result.body).Resources.map((schema) => schema.id)).toEqual([CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA]);
  });

  it('describes the tenant\'s Peakon attributes with their exact names and types', async () => {
    const schema = ScimSchemaResourceSchema.parse((await scim(sandbox(), 'GET', `/Schemas/${PEAKON_USER_SCHEMA}`)).body);
    expect(schema.attributes.map((attribute) => [attribute.name, attribute.type, /^Peakon type: (\w+)\./.exec(attribute.description ?? '')?.[1]])).toEqual([
      ['Gender', 'string', 'option'],
      ['Team', 'string', 'option'],
      ['Manager', 'string', 'employee'],
      ['Date of Birth', 'string', 'date'],
      ['Department', 'string', 'option'],
      ['Tenure', 'string', 'date'],
      ['Separation date', 'string', 'date'],
      ['Separation reason', 'string', 'option'],
    ]);
  });

  it('serves the core User schema with userName, name and emails required', async () => {
    const schema = ScimSchemaResourceSchema.parse((await scim(sandbox(), 'GET', `/Schemas/${CORE_USER_SCHEMA}`)).body);
    expect(schema.attributes.filter((attribute) => attribute.required).map((attribute) => attribute.name)).toEqual(['userName', 'name', 'emails']);
    // Peakon's employee record has a mandatory first and last name (CONFORMANCE.md).
    const name = schema.attributes.find((attribute) => attribute.name === 'name');
    expect((name?.subAttributes ?? []).filter((attribute) => attribute.required).map((attribute) => attribute.name)).toEqual(['givenName', 'familyName']);
  });

  it('answers /Bulk with a 404 SCIM error: not served (ServiceProviderConfig says bulk.supported: false)', async () => {
    const result = await scim(sandbox(), 'POST', '/Bulk', { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] } });
    expect(result.status).toBe(404);
    expect(asError(result).status).toBe('404');
  });

  it('answers 404 for an unknown schema', async () => {
    expect((await scim(sandbox(), 'GET', '/Schemas/urn:nope')).status).toBe(404);
  });

  it('advertises PATCH and filtering, no bulk, no sort, no etag, bearer auth', async () => {
    const config = ServiceProviderConfigSchema.parse((await scim(sandbox(), 'GET', '/ServiceProviderConfig')).body);
    expect(config).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 100 }, bulk: { supported: false }, sort: { supported: false }, etag: { supported: false } });
    expect(config.authenticationSchemes?.[0]?.type).toBe('oauthbearertoken');
  });

  it('lists User as the only resource type, with both extensions', async () => {
    const list = asRecord(await scim(sandbox(), 'GET', '/ResourceTypes'));
    expect(list.totalResults).toBe(1);
    const single = asRecord(await scim(sandbox(), 'GET', '/ResourceTypes/User'));
    expect(single).toMatchObject({ id: 'User', endpoint: '/Users', schema: CORE_USER_SCHEMA, schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA }, { schema: PEAKON_USER_SCHEMA }] });
    expect((await scim(sandbox(), 'GET', '/ResourceTypes/Group')).status).toBe(404);
  });

  it.each(['POST /Schemas', 'PUT /ServiceProviderConfig', 'DELETE /ResourceTypes/User', 'PATCH /Schemas/urn:x'])('answers %s with 405: discovery is read-only', async (request) => {
    const [method = '', path = ''] = request.split(' ');
    const result = await scim(sandbox(), method, path, { body: {} });
    expect(result.status).toBe(405);
    expect(asError(result).status).toBe('405');
  });

  it('answers Groups requests with a 404 SCIM error: Peakon has no groups', async () => {
    for (const method of ['GET', 'POST']) {
      const result = await scim(sandbox(), method, '/Groups', method === 'POST' ? { body: { displayName: 'x' } } : {});
      expect(result.status).toBe(404);
      expect(asError(result).detail).toMatch(/does not support Groups/);
    }
  });
});

describe('sandbox with a custom tenant schema', () => {
  const sandbox = useSandbox({ schema: [{ name: 'Business Unit', type: 'option' }, { name: 'Salary Band', type: 'number' }] });

  it('builds the Peakon extension schema from it', async () => {
    const schema = ScimSchemaResourceSchema.parse((await scim(sandbox(), 'GET', `/Schemas/${PEAKON_USER_SCHEMA}`)).body);
    expect(schema.attributes.map((attribute) => [attribute.name, attribute.type])).toEqual([
      ['Business Unit', 'string'],
      ['Salary Band', 'integer'],
    ]);
  });
});
