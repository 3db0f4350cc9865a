import type { PatchOperation, ScimUser, ScimUserWrite } from '../scim/resources';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../scim/urns';
import { getAttribute, setAttribute } from './paths';
import type { DesiredState, EmployeeChange, EmployeeWrite, FieldChange, UpdateMethod } from './types';

type Scalar = string | number | boolean | null;

/** Workflow code runs these functions too, and its sandbox has no structuredClone: the data is plain JSON anyway. */
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * The POST body: every mapped attribute plus the employee references whose target already exists (`carried`).
 * Peakon's guide creates with basic fields and writes the rest in a second pass; carrying what already resolves
 * saves that second operation for almost everyone (a manager is created in an earlier wave than their reports).
 */
export function buildCreateBody(desired: DesiredState, carried: Record<string, string>): ScimUserWrite {
  return withReferences({ ...desired.user, externalId: desired.sourceId }, carried);
}

/** A copy of `body` with employee references (attribute → email) set in the Peakon extension. */
function withReferences(body: ScimUserWrite, references: Record<string, string>): ScimUserWrite {
  const copy = clone(body);
  const peakon = { ...(copy[PEAKON_USER_SCHEMA] ?? {}), ...references };
  if (Object.keys(peakon).length > 0) copy[PEAKON_USER_SCHEMA] = peakon;
  copy.schemas = schemasFor(copy);
  return copy;
}

/**
 * What phase 2 writes to an existing user (`current`, as listed or discovered) so that it matches `desired`.
 * PATCH (default) sends exactly the changed mapped attributes, so attributes the mapping does not mention — title,
 * phone numbers, cost center, Peakon attributes someone else manages — are never touched, however old the listing.
 * PUT sends the full state: Peakon's current user with the mapped attributes laid over it, so a replace does not
 * clear what the mapping leaves out (RFC 7644 §3.5.1 lets a server clear omitted attributes).
 */
export function composeUpdate(desired: DesiredState, current: ScimUser, method: UpdateMethod): EmployeeChange {
  const intended = intendedState(desired, current);
  const changes = diffUser(intended, current, Object.keys(desired.references));
  const write: EmployeeWrite = method === 'patch' ? { method, operations: patchOperations(intended, changes) } : { method, body: replacementBody(intended, current) };
  const changed = new Set(changes.map((change) => change.field));
  const references = Object.fromEntries(Object.entries(desired.references).filter(([attribute]) => method === 'put' || changed.has(attribute)));
  return { write, references, changes };
}

/** Phase 2 for a user this run created: only the references its create could not carry (same or later wave). */
export function deferredReferencesWrite(references: Record<string, string>, createBody: ScimUserWrite, method: UpdateMethod): EmployeeWrite {
  if (method === 'put') return { method, body: withReferences(createBody, references) };
  return { method, operations: Object.entries(references).map(([attribute, email]) => ({ op: 'replace', path: `${PEAKON_USER_SCHEMA}:${attribute}`, value: email })) };
}

/**
 * The same write without some employee references (Peakon rejected one: its target does not exist). A PATCH leaves
 * them out. A PUT replaces the whole user, so leaving one out would clear it: each changed reference goes back to what
 * Peakon had (`changes`' `from`, absent when it had none), and an unchanged one is Peakon's value already.
 */
export function withoutReferences(write: EmployeeWrite, attributes: readonly string[], changes: readonly FieldChange[]): EmployeeWrite {
  const dropped = new Set(attributes.map((attribute) => `${PEAKON_USER_SCHEMA}:${attribute}`));
  if (write.method === 'patch') return { method: 'patch', operations: write.operations.filter((operation) => operation.path === undefined || !dropped.has(operation.path)) };
  if (write.method === 'delete') return write;
  const body = clone(write.body);
  const peakon = body[PEAKON_USER_SCHEMA];
  if (peakon) {
    for (const attribute of attributes) {
      const change = changes.find((candidate) => candidate.field === attribute);
      if (!change) continue;
      // A reference is an email: anything else in `from` is not one to restore.
      if (typeof change.from === 'string') peakon[attribute] = change.from;
      else delete peakon[attribute];
    }
  }
  return { method: 'put', body };
}

/** A create body without some employee references. */
export function createBodyWithout(body: ScimUserWrite, attributes: readonly string[]): ScimUserWrite {
  const copy = clone(body);
  const peakon = copy[PEAKON_USER_SCHEMA];
  if (peakon) {
    for (const attribute of attributes) delete peakon[attribute];
    if (Object.keys(peakon).length === 0) delete copy[PEAKON_USER_SCHEMA];
  }
  copy.schemas = schemasFor(copy);
  return copy;
}

/** The mapped state for an existing user: HRIS values, references, `createOnly` attributes kept as Peakon has them. */
function intendedState(desired: DesiredState, current: ScimUser): ScimUserWrite {
  const body = buildCreateBody(desired, desired.references);
  for (const path of desired.createOnly) setAttribute(body, path, getAttribute(current, path));
  return body;
}

/** Peakon's current user with every mapped attribute of `intended` laid over it. */
function replacementBody(intended: ScimUserWrite, current: ScimUser): ScimUserWrite {
  const { id: _id, meta: _meta, ...kept } = clone(current);
  const body: ScimUserWrite = { ...kept, ...intended } as ScimUserWrite;
  if (current.name || intended.name) body.name = { ...current.name, ...intended.name };
  for (const urn of [ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA] as const) {
    const merged = { ...(current[urn] ?? {}), ...(intended[urn] ?? {}) };
    if (Object.keys(merged).length > 0) (body as Record<string, unknown>)[urn] = merged;
  }
  body.schemas = [...new Set([...(current.schemas ?? []), ...schemasFor(body)])];
  return body;
}

/** SCIM paths of the fields `diffUser` compares (Peakon attribute names are paths inside the Peakon extension). */
const FIELD_PATHS: Record<string, string> = {
  userName: 'userName',
  email: 'emails',
  'name.givenName': 'name.givenName',
  'name.familyName': 'name.familyName',
  externalId: 'externalId',
  active: 'active',
  locale: 'locale',
  timezone: 'timezone',
  employeeNumber: `${ENTERPRISE_USER_SCHEMA}:employeeNumber`,
  department: `${ENTERPRISE_USER_SCHEMA}:department`,
};

/** One operation per changed attribute, in Peakon's PATCH shape (`replace` with a path; `remove` to clear). */
export function patchOperations(intended: ScimUserWrite, changes: readonly FieldChange[]): PatchOperation[] {
  const peakon = intended[PEAKON_USER_SCHEMA] ?? {};
  return changes.map((change): PatchOperation => {
    const corePath = FIELD_PATHS[change.field];
    if (corePath === 'emails') return { op: 'replace', path: 'emails', value: intended.emails ?? [] };
    if (corePath !== undefined && !(change.field in peakon)) return change.to === null ? { op: 'remove', path: corePath } : { op: 'replace', path: corePath, value: change.to };
    const path = `${PEAKON_USER_SCHEMA}:${change.field}`;
    return change.to === null ? { op: 'remove', path } : { op: 'replace', path, value: change.to };
  });
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

/** A date (YYYY-MM-DD) at exactly UTC midnight, as an ISO 8601 DateTime: `T00:00:00`, any all-zero fraction, `Z`, `+00:00` or no offset. */
const UTC_MIDNIGHT = /^(\d{4}-\d{2}-\d{2})T00:00:00(?:\.0+)?(?:Z|\+00:00)?$/;
const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Peakon documents date attributes as ISO 8601 DateTime strings: a day the mapping writes as `1990-04-02` may come back
 * as `1990-04-02T00:00:00.000Z`. Those two are one value (else every user with a date is written at every run); any
 * other time or offset is not.
 */
function sameDay(a: Scalar, b: Scalar): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const [date, dateTime] = PLAIN_DATE.test(a) ? [a, b] : [b, a];
  return PLAIN_DATE.test(date) && UTC_MIDNIGHT.exec(dateTime)?.[1] === date;
}

function sameValue(field: string, a: Scalar | undefined, b: Scalar | undefined): boolean {
  const normalise = (value: Scalar | undefined): Scalar => {
    if (value === undefined || value === '') return null;
    if (typeof value === 'string' && CASE_INSENSITIVE_FIELDS.has(field)) return value.toLowerCase();
    return value;
  };
  // Peakon treats a missing `active` as active.
  if (field === 'active') return (a ?? true) === (b ?? true);
  if (sameDay(normalise(a), normalise(b))) return true;
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
