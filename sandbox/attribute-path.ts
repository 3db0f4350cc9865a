import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type SchemaAttribute } from '../scim/resources';
import { CORE_USER_ATTRIBUTES, ENTERPRISE_USER_ATTRIBUTES } from './discovery';
import type { TenantAttribute } from './tenant-schema';

const EXTENSION_URNS = [ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA];

/**
 * Splits a SCIM attribute path into keys of the JSON representation:
 * `name.givenName` → [name, givenName]; `urn:…:enterprise:2.0:User:employeeNumber` → [urn, employeeNumber];
 * a bare extension URN → [urn]; the core URN prefix addresses the resource itself.
 */
export function splitAttributePath(attributePath: string): string[] {
  const extension = EXTENSION_URNS.find((urn) => urn.toLowerCase() === attributePath.toLowerCase());
  if (extension) return [extension];
  const lastColon = attributePath.lastIndexOf(':');
  if (lastColon === -1) return attributePath.split('.');
  const urn = attributePath.slice(0, lastColon);
  const rest = attributePath.slice(lastColon + 1).split('.');
  return urn.toLowerCase() === CORE_USER_SCHEMA.toLowerCase() ? rest : [urn, ...rest];
}

/** SCIM attribute names are case-insensitive (RFC 7643 §2.1). */
export function findKey(node: object, name: string): string | undefined {
  return Object.keys(node).find((key) => key.toLowerCase() === name.toLowerCase());
}

/** Attributes every resource has (RFC 7643 §3.1), beside the User schema's own. */
const COMMON_ATTRIBUTES: readonly SchemaAttribute[] = [
  { name: 'id', type: 'string' },
  { name: 'externalId', type: 'string' },
  { name: 'schemas', type: 'reference' },
  { name: 'meta', type: 'complex', subAttributes: ['resourceType', 'created', 'lastModified', 'location', 'version'].map((name) => ({ name, type: 'string' })) },
];
const CORE_ATTRIBUTES: readonly SchemaAttribute[] = [...COMMON_ATTRIBUTES, ...CORE_USER_ATTRIBUTES];

/**
 * The definition `name` spells, case-insensitively (RFC 7643 §2.1). An exact spelling wins: a tenant schema may hold
 * two Peakon names that differ only in case, and then only an exact spelling names one of them.
 */
function definitionOf(attributes: readonly SchemaAttribute[], name: string): SchemaAttribute | undefined {
  const exact = attributes.find((attribute) => attribute.name === name);
  if (exact) return exact;
  const matches = attributes.filter((attribute) => attribute.name.toLowerCase() === name.toLowerCase());
  return matches.length === 1 ? matches[0] : undefined;
}

/** The attributes of the schema `urn` names (core, enterprise or the tenant's Peakon attributes). */
function attributesOf(urn: string, tenantSchema: readonly TenantAttribute[]): readonly SchemaAttribute[] {
  if (urn === PEAKON_USER_SCHEMA) return tenantSchema.map(({ name }) => ({ name, type: 'string' }));
  if (urn === ENTERPRISE_USER_SCHEMA) return ENTERPRISE_USER_ATTRIBUTES;
  return CORE_ATTRIBUTES;
}

const canonicalUrn = (name: string): string | undefined => [CORE_USER_SCHEMA, ...EXTENSION_URNS].find((urn) => urn.toLowerCase() === name.toLowerCase());

/**
 * A PATCH path with its schema URN and attribute names spelled as the schema spells them (RFC 7643 §2.1: attribute
 * names are case-insensitive): `Active` → `active`, `…:enterprise:2.0:User:Department` → `…:department`,
 * `Emails[Type eq "work"].Value` → `emails[type eq "work"].value`, `…:peakon:2.0:User:team` → `…:Team`. Names no
 * schema knows are left as written (the caller decides what an unknown name means).
 */
export function canonicalPath(path: string, tenantSchema: readonly TenantAttribute[]): string {
  const extension = EXTENSION_URNS.find((urn) => urn.toLowerCase() === path.toLowerCase());
  if (extension) return extension;
  const urn = [CORE_USER_SCHEMA, ...EXTENSION_URNS].find((candidate) => path.toLowerCase().startsWith(`${candidate.toLowerCase()}:`));
  const rest = urn === undefined ? path : path.slice(urn.length + 1);
  const prefix = urn === undefined ? '' : `${urn}:`;
  const attributes = attributesOf(urn ?? CORE_USER_SCHEMA, tenantSchema);
  if (urn === PEAKON_USER_SCHEMA) {
    // A Peakon name may hold spaces; it ends where a sub-attribute or filter would start, as scim-patch reads it.
    const end = rest.search(/[.[]/);
    const name = end === -1 ? rest : rest.slice(0, end);
    return `${prefix}${definitionOf(attributes, name)?.name ?? name}${end === -1 ? '' : rest.slice(end)}`;
  }
  const match = /^([^.[]+)(\[.*\])?(?:\.(.+))?$/s.exec(rest);
  if (!match) return path;
  const [, name = '', filter, subAttribute] = match;
  const definition = definitionOf(attributes, name);
  if (!definition) return path;
  const subAttributes = definition.subAttributes ?? [];
  const canonicalSub = subAttribute === undefined ? '' : `.${definitionOf(subAttributes, subAttribute)?.name ?? subAttribute}`;
  return `${prefix}${definition.name}${filter === undefined ? '' : canonicalFilterNames(filter, subAttributes)}${canonicalSub}`;
}

const QUOTED = /"(?:[^"\\]|\\.)*"/g;

/** The sub-attribute names in a value filter (`[Type eq "work"]`), spelled canonically; quoted values untouched. */
function canonicalFilterNames(filter: string, subAttributes: readonly SchemaAttribute[]): string {
  const rename = (text: string) => text.replace(/[A-Za-z$][\w$-]*/g, (word) => definitionOf(subAttributes, word)?.name ?? word);
  let result = '';
  let last = 0;
  for (const quoted of filter.matchAll(QUOTED)) {
    result += rename(filter.slice(last, quoted.index)) + quoted[0];
    last = quoted.index + quoted[0].length;
  }
  return result + rename(filter.slice(last));
}

/**
 * A PATCH value with its keys spelled as the schema spells them, at every level the schema describes: `path` is the
 * operation's (canonical) path, or undefined for a pathless value, whose keys are attributes of the resource and
 * extension URNs. Unknown keys are left as written.
 */
export function canonicalValue(path: string | undefined, value: unknown, tenantSchema: readonly TenantAttribute[]): unknown {
  if (path === undefined) return canonicalKeys(value, CORE_ATTRIBUTES, tenantSchema, true);
  const extension = EXTENSION_URNS.find((urn) => urn === path);
  if (extension) return canonicalKeys(value, attributesOf(extension, tenantSchema), tenantSchema, false);
  const urn = [CORE_USER_SCHEMA, ...EXTENSION_URNS].find((candidate) => path.startsWith(`${candidate}:`));
  if (urn === PEAKON_USER_SCHEMA) return value;
  const rest = urn === undefined ? path : path.slice(urn.length + 1);
  const [name = '', subAttribute] = rest.replace(/\[.*\]/s, '').split('.');
  const definition = definitionOf(attributesOf(urn ?? CORE_USER_SCHEMA, tenantSchema), name);
  if (!definition?.subAttributes || subAttribute !== undefined) return value;
  return canonicalKeys(value, definition.subAttributes, tenantSchema, false);
}

function canonicalKeys(value: unknown, attributes: readonly SchemaAttribute[], tenantSchema: readonly TenantAttribute[], extensionsToo: boolean): unknown {
  if (Array.isArray(value)) return value.map((element) => canonicalKeys(element, attributes, tenantSchema, false));
  if (typeof value !== 'object' || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const urn = extensionsToo ? canonicalUrn(key) : undefined;
    if (urn !== undefined && urn !== CORE_USER_SCHEMA) {
      result[urn] = canonicalKeys(inner, attributesOf(urn, tenantSchema), tenantSchema, false);
      continue;
    }
    const definition = definitionOf(attributes, key);
    result[definition?.name ?? key] = definition?.subAttributes ? canonicalKeys(inner, definition.subAttributes, tenantSchema, false) : inner;
  }
  return result;
}
