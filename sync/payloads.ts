import type { DesiredEmployee } from '../mapping/employee';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser, type ScimUserWrite } from '../scim/resources';
import { getAttribute, setAttribute } from './paths';
import type { FieldChange } from './types';

type Scalar = string | number | boolean | null;

/**
 * The POST body: only what Peakon requires plus the identity attributes. Everything else, employee references above
 * all, is written by the PUT of phase 2, after every create of the run (Peakon rejects references to unknown people).
 */
export function buildCreateBody(desired: DesiredEmployee): ScimUserWrite {
  const { user } = desired;
  const body: ScimUserWrite = {
    schemas: [CORE_USER_SCHEMA],
    userName: user.userName,
    ...(user.name ? { name: user.name } : {}),
    ...(user.emails ? { emails: user.emails } : {}),
    externalId: desired.sourceId,
    ...(user.active === undefined ? {} : { active: user.active }),
  };
  const employeeNumber = user[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
  if (employeeNumber !== undefined) {
    body.schemas.push(ENTERPRISE_USER_SCHEMA);
    body[ENTERPRISE_USER_SCHEMA] = { employeeNumber };
  }
  return body;
}

export interface ComposedUpdate {
  body: ScimUserWrite;
  references: Record<string, string>;
  changes: FieldChange[];
}

/**
 * The PUT body for `desired` given what Peakon holds now (`current`, absent for a user created in this run).
 * Peakon does not document whether PUT clears omitted attributes, so the body is the full intended state: mapped
 * attributes from the HRIS, `createOnly` attributes kept as Peakon has them, and Peakon attributes this connector does
 * not map carried over unchanged (never wipe data someone else manages).
 */
export function composeUpdate(desired: DesiredEmployee, current: ScimUser | undefined): ComposedUpdate {
  const body = structuredClone(desired.user) as ScimUserWrite;
  body.externalId = desired.sourceId;
  if (current) {
    for (const path of desired.createOnly) setAttribute(body, path, getAttribute(current, path));
  }
  const peakon: Record<string, string | number | null> = { ...(body[PEAKON_USER_SCHEMA] ?? {}) };
  for (const [attribute, value] of Object.entries(current?.[PEAKON_USER_SCHEMA] ?? {})) {
    if (!(attribute in peakon) && !(attribute in desired.references)) peakon[attribute] = value;
  }
  Object.assign(peakon, desired.references);
  if (Object.keys(peakon).length > 0) body[PEAKON_USER_SCHEMA] = peakon;
  else delete body[PEAKON_USER_SCHEMA];
  body.schemas = schemasFor(body);
  return { body, references: { ...desired.references }, changes: diffUser(body, current, Object.keys(desired.references)) };
}

function schemasFor(body: ScimUserWrite): string[] {
  const schemas = [CORE_USER_SCHEMA];
  if (body[ENTERPRISE_USER_SCHEMA]) schemas.push(ENTERPRISE_USER_SCHEMA);
  if (body[PEAKON_USER_SCHEMA]) schemas.push(PEAKON_USER_SCHEMA);
  return schemas;
}

/** Attributes SCIM compares case-insensitively (RFC 7643: userName and email values are caseExact=false). */
const CASE_INSENSITIVE_FIELDS = new Set(['userName', 'email']);

function comparableFields(user: ScimUserWrite | undefined): Map<string, Scalar | undefined> {
  const fields = new Map<string, Scalar | undefined>();
  if (!user) return fields;
  const scalar = (value: unknown): Scalar | undefined =>
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
  fields.set('userName', user.userName);
  fields.set('email', (user.emails?.find((email) => email.primary) ?? user.emails?.[0])?.value);
  fields.set('name.givenName', user.name?.givenName);
  fields.set('name.familyName', user.name?.familyName);
  fields.set('externalId', user.externalId);
  fields.set('active', user.active);
  fields.set('locale', scalar(getAttribute(user, 'locale')));
  fields.set('timezone', scalar(getAttribute(user, 'timezone')));
  fields.set('employeeNumber', user[ENTERPRISE_USER_SCHEMA]?.employeeNumber);
  fields.set('department', user[ENTERPRISE_USER_SCHEMA]?.department);
  for (const [attribute, value] of Object.entries(user[PEAKON_USER_SCHEMA] ?? {})) fields.set(attribute, value);
  return fields;
}

function sameValue(field: string, a: Scalar | undefined, b: Scalar | undefined): boolean {
  const normalise = (value: Scalar | undefined): Scalar => {
    if (value === undefined || value === '') return null;
    if (typeof value === 'string' && CASE_INSENSITIVE_FIELDS.has(field)) return value.toLowerCase();
    return value;
  };
  // Peakon treats a missing `active` as active.
  if (field === 'active') return (a ?? true) === (b ?? true);
  return String(normalise(a)) === String(normalise(b)) && (normalise(a) === null) === (normalise(b) === null);
}

/** Every attribute the intended state sets that differs from Peakon's current state (employee references compared case-insensitively). */
export function diffUser(intended: ScimUserWrite, current: ScimUserWrite | undefined, referenceAttributes: readonly string[] = []): FieldChange[] {
  const wanted = comparableFields(intended);
  const existing = comparableFields(current);
  const references = new Set(referenceAttributes);
  const changes: FieldChange[] = [];
  for (const [field, to] of wanted) {
    if (to === undefined) continue;
    const from = existing.get(field);
    const equal = references.has(field)
      ? String(from ?? '').toLowerCase() === String(to ?? '').toLowerCase()
      : sameValue(field, from, to);
    if (!equal) changes.push({ field, from: from ?? null, to });
  }
  return changes;
}
