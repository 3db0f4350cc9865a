import {
  CORE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  LIST_RESPONSE_SCHEMA,
  PEAKON_USER_SCHEMA,
  type SchemaAttribute,
} from '../scim/resources';
import type { TenantAttribute, TenantAttributeType } from './tenant-schema';

const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

function attribute(name: string, type: string, extra: Partial<SchemaAttribute> = {}): SchemaAttribute {
  return { name, type, multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...extra };
}

export const CORE_USER_ATTRIBUTES: readonly SchemaAttribute[] = [
  attribute('userName', 'string', { required: true, uniqueness: 'server', description: 'The work email; Peakon requires it to equal the work entry of emails.' }),
  attribute('name', 'complex', {
    required: true,
    subAttributes: [attribute('givenName', 'string', { required: true }), attribute('familyName', 'string', { required: true }), attribute('formatted', 'string')],
  }),
  attribute('displayName', 'string'),
  attribute('emails', 'complex', {
    multiValued: true,
    required: true,
    subAttributes: [
      attribute('value', 'string', { required: true }),
      attribute('type', 'string', { canonicalValues: ['work', 'home', 'other'] }),
      attribute('primary', 'boolean'),
    ],
  }),
  attribute('active', 'boolean'),
  attribute('locale', 'string', { description: 'e.g. en, da, en-GB' }),
  attribute('timezone', 'string', { description: 'IANA time zone, e.g. Europe/Copenhagen' }),
];

export const ENTERPRISE_USER_ATTRIBUTES: readonly SchemaAttribute[] = [
  attribute('employeeNumber', 'string', { caseExact: true, uniqueness: 'server' }),
  attribute('department', 'string'),
  attribute('manager', 'complex', {
    subAttributes: [
      attribute('value', 'string', { caseExact: true }),
      attribute('$ref', 'reference', { referenceTypes: ['User'] }),
      attribute('displayName', 'string', { mutability: 'readOnly' }),
    ],
  }),
];

/**
 * date stays a SCIM string: Peakon wants YYYY-MM-DD, which is not an xsd:dateTime. RFC 7643 schema attributes take no
 * extra keys (strict checkers reject them), so the exact Peakon kind leads the description: "Peakon type: date. …".
 */
const SCIM_TYPE_OF: Record<TenantAttributeType, string> = { option: 'string', date: 'string', number: 'integer', employee: 'string' };
const DESCRIPTION_OF: Record<TenantAttributeType, string> = {
  option: 'Peakon type: option. A string of at most 256 characters.',
  date: 'Peakon type: date. An ISO 8601 date (YYYY-MM-DD).',
  number: 'Peakon type: number. An integer.',
  employee: 'Peakon type: employee. The email of another employee who already exists in Peakon.',
};

function peakonAttributes(tenantSchema: readonly TenantAttribute[]): SchemaAttribute[] {
  return tenantSchema.map((tenantAttribute) =>
    attribute(tenantAttribute.name, SCIM_TYPE_OF[tenantAttribute.type], { caseExact: true, description: DESCRIPTION_OF[tenantAttribute.type] }),
  );
}

export function schemaResources(tenantSchema: readonly TenantAttribute[], baseUrl: string): Record<string, unknown>[] {
  const schema = (id: string, name: string, description: string, attributes: readonly SchemaAttribute[]) => ({
    schemas: [SCHEMA_SCHEMA],
    id,
    name,
    description,
    attributes,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` },
  });
  return [
    schema(CORE_USER_SCHEMA, 'User', 'User Account', CORE_USER_ATTRIBUTES),
    schema(ENTERPRISE_USER_SCHEMA, 'EnterpriseUser', 'Enterprise User', ENTERPRISE_USER_ATTRIBUTES),
    schema(PEAKON_USER_SCHEMA, 'PeakonUser', "The tenant's Peakon attributes, named exactly as in Peakon", peakonAttributes(tenantSchema)),
  ];
}

export function userResourceType(baseUrl: string): Record<string, unknown> {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'Peakon employee',
    schema: CORE_USER_SCHEMA,
    schemaExtensions: [
      { schema: ENTERPRISE_USER_SCHEMA, required: false },
      { schema: PEAKON_USER_SCHEMA, required: false },
    ],
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
  };
}

export function serviceProviderConfig(pageSizeCap: number, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    documentationUri: 'https://developer.peakon.com/',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: pageSizeCap },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: 'Static token created in Peakon under Integrations → Employee Provisioning', primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function listResponse(resources: unknown[], totalResults = resources.length, startIndex = 1): Record<string, unknown> {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}
