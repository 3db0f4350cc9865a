import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../scim/resources';

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
