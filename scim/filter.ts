import { EMPLOYEE_NUMBER_PATH } from './resources';

/**
 * SCIM filter expressions (RFC 7644 §3.4.2.2). Values are JSON string literals, so JSON.stringify gives exactly the
 * escaping SCIM expects (`"` → `\"`, `\` → `\\`, control characters → `\uXXXX`). URL encoding is a separate, later
 * step done by the client when it builds the query string.
 */

export type FilterValue = string | number | boolean | null;

/**
 * An attribute path: optional schema URN prefix, attribute, optional sub-attribute. Checked so that a caller-supplied
 * path can never smuggle in operators (`userName pr or …`).
 */
const ATTRIBUTE_PATH = /^(?:urn:[A-Za-z0-9.:_-]+:)?[A-Za-z][A-Za-z0-9_$-]*(?:\.[A-Za-z][A-Za-z0-9_$-]*)?$/;

export function eqFilter(attributePath: string, value: FilterValue): string {
  if (!ATTRIBUTE_PATH.test(attributePath)) {
    throw new Error(`Not a SCIM attribute path usable in a filter: ${JSON.stringify(attributePath)}`);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new Error(`A SCIM filter value must be a finite number, got ${String(value)} for ${attributePath}`);
  }
  return `${attributePath} eq ${JSON.stringify(value)}`;
}

/** Peakon's default matching key: userName, which Peakon requires to equal the work email. */
export function userNameFilter(email: string): string {
  return eqFilter('userName', email);
}

/** The optional matching key. Peakon stores employee numbers as strings, so numbers are sent quoted. */
export function employeeNumberFilter(employeeNumber: string | number): string {
  return eqFilter(EMPLOYEE_NUMBER_PATH, String(employeeNumber));
}

/** The HRIS id the connector writes on every user it creates (ownership marker). */
export function externalIdFilter(externalId: string): string {
  return eqFilter('externalId', externalId);
}
