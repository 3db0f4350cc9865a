import type { PatchOperation, ScimEmail, ScimUser, ScimUserWrite } from '../scim/resources';
import { workEmailOf } from '../scim/emails';
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
  return withoutNulls(mappedBody(desired, carried));
}

/**
 * Every attribute a create sets, references included (those its create carries and those phase 2 writes): what a
 * create's plan entry lists (sync/plan.ts), and a filter-discovery employee's report line once created.
 */
export function createChanges(desired: DesiredState): FieldChange[] {
  return diffUser(buildCreateBody(desired, desired.references), undefined, Object.keys(desired.references));
}

/** The mapped state with references: a null core or enterprise attribute is "clear it in Peakon" (see diffUser). */
function mappedBody(desired: DesiredState, carried: Record<string, string>): ScimUserWrite {
  return withReferences({ ...desired.user, externalId: desired.sourceId }, carried);
}

/**
 * A new user has nothing to clear: a POST leaves out every attribute the mapping set to null (core, enterprise and
 * Peakon's: an empty manager field, an empty HR value), since Peakon documents no null on create.
 */
function withoutNulls(body: ScimUserWrite): ScimUserWrite {
  const copy = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null)) as ScimUserWrite;
  for (const extension of [ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA] as const) {
    const values = body[extension] as Record<string, unknown> | undefined;
    if (!values) continue;
    const kept = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null));
    if (Object.keys(kept).length > 0) (copy as Record<string, unknown>)[extension] = kept;
    else delete (copy as Record<string, unknown>)[extension];
  }
  copy.schemas = schemasFor(copy);
  return copy;
}

/** Characters that end an attribute name in a SCIM path: `.` (sub-attribute), `[` `]` (value filter), `"`, `:` (URN). */
const NOT_IN_PATH = /[.[\]":]/;

/**
 * The PATCH operation that sets (or, with null, clears) one Peakon attribute. A name a SCIM path can carry (spaces are
 * fine: `…:peakon:2.0:User:Date of Birth`) gets its own path: `replace`, or `remove` for null. Any other ("Dept. code"
 * would be read as attribute `Dept`, sub-attribute ` code`) is written by a pathless `replace` whose value holds the
 * extension, as Okta sends it: `{ "urn:…:peakon:2.0:User": { name: value } }`, which sets that sub-attribute and leaves
 * the others unchanged (RFC 7644 §3.5.2.3). A bare extension URN is no valid attrPath, so it is never sent as a path.
 * Null there is the attribute's "no value" (RFC 7643 §2.5, and Peakon's extension reads null as a clear), so a clear
 * is the same operation with value null.
 */
export function peakonAttributePatch(name: string, value: string | number | null): PatchOperation {
  if (NOT_IN_PATH.test(name)) return { op: 'replace', value: { [PEAKON_USER_SCHEMA]: { [name]: value } } };
  const path = `${PEAKON_USER_SCHEMA}:${name}`;
  return value === null ? { op: 'remove', path } : { op: 'replace', path, value };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isPeakonExtension = (name: string): boolean => name.toLowerCase() === PEAKON_USER_SCHEMA.toLowerCase();

/**
 * The Peakon attributes one PATCH operation writes (see peakonAttributePatch), by name: a path's attribute, or the
 * sub-attributes of a whole-extension value — pathless (keyed by the URN), or the URN as the path, the form of
 * operations planned before the pathless one (a stored plan or a replayed history may still hold them).
 */
function peakonAttributesOf(operation: PatchOperation): string[] {
  const value = operation.value;
  if (operation.path === undefined) {
    if (!isPlainObject(value)) return [];
    return Object.entries(value).flatMap(([key, inner]) => (isPeakonExtension(key) && isPlainObject(inner) ? Object.keys(inner) : []));
  }
  if (isPeakonExtension(operation.path)) return isPlainObject(value) ? Object.keys(value) : [];
  return operation.path.startsWith(`${PEAKON_USER_SCHEMA}:`) ? [operation.path.slice(PEAKON_USER_SCHEMA.length + 1)] : [];
}

/** A whole-extension operation (see peakonAttributesOf) without the `dropped` attributes, or undefined when nothing is left. */
function extensionOperationWithout(operation: PatchOperation, dropped: ReadonlySet<string>): PatchOperation | undefined {
  const keep = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).filter(([attribute]) => !dropped.has(attribute)));
  const value = operation.value;
  if (!isPlainObject(value)) return undefined;
  if (operation.path !== undefined) {
    const kept = keep(value);
    return Object.keys(kept).length > 0 ? { ...operation, value: kept } : undefined;
  }
  const reduced: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (!isPeakonExtension(key) || !isPlainObject(inner)) {
      reduced[key] = inner;
      continue;
    }
    const kept = keep(inner);
    if (Object.keys(kept).length > 0) reduced[key] = kept;
  }
  return Object.keys(reduced).length > 0 ? { ...operation, value: reduced } : undefined;
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
 * clear what the mapping leaves out (RFC 7644 §3.5.1 lets a server clear omitted attributes). That user is `current`,
 * as the plan read it; with `readFirst` it is the user as Peakon holds it when the write goes out (a PutOverCurrent:
 * one GET more), for a write that may go out long after the listing (an HR deactivation the guard may hold for days).
 */
export function composeUpdate(desired: DesiredState, current: ScimUser, method: UpdateMethod, options: { readFirst?: boolean } = {}): EmployeeChange {
  const intended = intendedState(desired, current);
  const changes = diffUser(intended, current, Object.keys(desired.references));
  const write: EmployeeWrite =
    method === 'patch'
      ? { method, operations: patchOperations(intended, changes, current) }
      : options.readFirst
        ? putOverCurrent(withoutCreateOnly(intended, desired.createOnly))
        : { method, body: replacementBody(intended, current) };
  // References are Peakon attributes: a core field of the same name (a Peakon attribute called `department`) is not one.
  const changed = new Set(changes.filter((change) => change.peakon).map((change) => change.field));
  // A reference set only on create (onlyOnCreate) is Peakon's to keep for an existing user: no write of it is ours, so
  // a rejected write is never blamed on it (withoutReferences).
  const createOnly = new Set(desired.createOnly);
  const references = Object.fromEntries(Object.entries(desired.references).filter(([attribute]) => !createOnly.has(`${PEAKON_USER_SCHEMA}:${attribute}`) && (method === 'put' || changed.has(attribute))));
  return { write, references, changes };
}

/**
 * Phase 2 for a user this run created: only the references its create could not carry (same or later wave). PATCH
 * writes just those references. PUT sends the create body with the references, laid over Peakon's user as it is when
 * the write goes out (overCurrent): what Peakon filled in at creation (a default locale or timezone) or another system
 * wrote since is not in the create body, and a PUT that clears omitted attributes would clear it.
 */
export function deferredReferencesWrite(references: Record<string, string>, createBody: ScimUserWrite, method: UpdateMethod): EmployeeWrite {
  if (method === 'put') return putOverCurrent(withReferences(createBody, references));
  return { method, operations: Object.entries(references).map(([attribute, email]) => peakonAttributePatch(attribute, email)) };
}

/**
 * A PUT whose body is only the intended state, not yet laid over Peakon's user: the writer reads the user first (one
 * more request) and sends overCurrentBody's result. Phase 2 builds it for a user created this run (deferredReferencesWrite);
 * an existing user's PUT is laid over the user the plan read (composeUpdate).
 */
export type PutOverCurrent = Extract<EmployeeWrite, { method: 'put' }> & { overCurrent: true };

const putOverCurrent = (body: ScimUserWrite): PutOverCurrent => ({ method: 'put', body, overCurrent: true });

export const isPutOverCurrent = (write: EmployeeWrite): write is PutOverCurrent => write.method === 'put' && (write as Partial<PutOverCurrent>).overCurrent === true;

/** The body a PutOverCurrent sends: its body laid over Peakon's user `current` (replacementBody, as for an existing user). */
export function overCurrentBody(write: PutOverCurrent, current: ScimUser): ScimUserWrite {
  return replacementBody(write.body, current);
}

/**
 * The same write without some employee references (Peakon rejected one: its target does not exist). A PATCH leaves
 * them out. A PUT replaces the whole user, so leaving one out would clear it: each changed reference goes back to what
 * Peakon had (`changes`' `from`, absent when it had none), and an unchanged one is Peakon's value already.
 */
export function withoutReferences(write: EmployeeWrite, attributes: readonly string[], changes: readonly FieldChange[]): EmployeeWrite {
  const dropped = new Set(attributes);
  if (write.method === 'patch') {
    const operations = write.operations.flatMap((operation): PatchOperation[] => {
      const written = peakonAttributesOf(operation);
      if (!written.some((attribute) => dropped.has(attribute))) return [operation];
      // An attribute's own path goes whole; a whole-extension operation (a name no path can carry) loses only the
      // dropped attributes.
      if (operation.path !== undefined && !isPeakonExtension(operation.path)) return [];
      const reduced = extensionOperationWithout(operation, dropped);
      return reduced ? [reduced] : [];
    });
    return { method: 'patch', operations };
  }
  if (write.method === 'delete') return write;
  const body = clone(write.body);
  const peakon = body[PEAKON_USER_SCHEMA];
  if (peakon) {
    for (const attribute of attributes) {
      // The reference's own change writes what the body holds: a change of a core field of the same name (a Peakon
      // attribute called `department`) does not, and its `from` is no reference to restore.
      const change = changes.find((candidate) => candidate.field === attribute && candidate.to === peakon[attribute]);
      if (!change) continue;
      // A reference is an email: anything else in `from` is not one to restore.
      if (typeof change.from === 'string') peakon[attribute] = change.from;
      else delete peakon[attribute];
    }
  }
  // Still laid over Peakon's user at write time: a reference left out keeps what Peakon holds.
  return isPutOverCurrent(write) ? putOverCurrent(body) : { method: 'put', body };
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

/**
 * The intended state without its `createOnly` attributes (intendedState copies them from the user as the plan read it):
 * a body laid over the user as Peakon holds it at write time (a PutOverCurrent) then keeps Peakon's values of them.
 */
function withoutCreateOnly(intended: ScimUserWrite, createOnly: readonly string[]): ScimUserWrite {
  const body = clone(intended);
  for (const path of createOnly) setAttribute(body, path, undefined);
  return body;
}

/** The mapped state for an existing user: HRIS values, references, `createOnly` attributes kept as Peakon has them. */
function intendedState(desired: DesiredState, current: ScimUser): ScimUserWrite {
  const body = mappedBody(desired, desired.references);
  for (const path of desired.createOnly) setAttribute(body, path, getAttribute(current, path));
  return body;
}

/**
 * Peakon's current user with every mapped attribute of `intended` laid over it: sub-attributes of `name` the mapping
 * does not set (middleName, honorificPrefix…) and Peakon's other emails are kept. A null (the mapping clears that
 * attribute) is sent as null, not left out: a server that keeps omitted attributes on PUT would keep the old value,
 * and RFC 7643 §2.5 makes null "unassigned" for every server.
 */
function replacementBody(intended: ScimUserWrite, current: ScimUser): ScimUserWrite {
  const { id: _id, meta: _meta, ...kept } = clone(current);
  const body: ScimUserWrite = { ...kept, ...intended } as ScimUserWrite;
  if (current.name || intended.name) body.name = { ...current.name, ...intended.name };
  const emails = emailsToWrite(intended, current);
  if (emails) body.emails = emails;
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

/**
 * One operation per changed attribute, in Peakon's PATCH shape (`replace` with a path; `remove` to clear: a null core or
 * enterprise attribute, e.g. `department`, is removed at its path). A changed email replaces `emails` with the mapped
 * work address first and Peakon's other addresses after it (emailsToWrite): `emails` has no filter Peakon documents
 * for a PATCH path, and replacing it with the mapped list alone would drop a home address. A Peakon attribute is written
 * in the Peakon extension whatever its name (one called `department` is not the enterprise department).
 */
function patchOperations(intended: ScimUserWrite, changes: readonly FieldChange[], current?: ScimUser): PatchOperation[] {
  return changes.map((change): PatchOperation => {
    if (change.peakon) return peakonAttributePatch(change.field, typeof change.to === 'boolean' ? String(change.to) : change.to);
    const corePath = FIELD_PATHS[change.field] ?? change.field;
    if (corePath === 'emails') return { op: 'replace', path: 'emails', value: (current ? emailsToWrite(intended, current) : intended.emails) ?? [] };
    return change.to === null ? { op: 'remove', path: corePath } : { op: 'replace', path: corePath, value: change.to };
  });
}

const sameEmail = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * The emails a write sends: Peakon's own when its work address (workEmailOf) already is the mapped one; otherwise the
 * mapped ones (work address first, primary) followed by Peakon's others with `primary: false`, less the old work
 * address (it is the one being replaced) and any copy of a mapped one. Undefined when the mapping sets no emails.
 */
function emailsToWrite(intended: ScimUserWrite, current: ScimUser): ScimEmail[] | undefined {
  const wanted = intended.emails;
  if (!wanted) return undefined;
  const wantedWork = workEmailOf(wanted);
  const currentEmails = current.emails ?? [];
  const currentWork = workEmailOf(currentEmails);
  if (wantedWork && currentWork && sameEmail(wantedWork.value, currentWork.value)) return clone(currentEmails);
  const others = currentEmails
    .filter((email) => email !== currentWork && !wanted.some((mapped) => sameEmail(mapped.value, email.value)))
    .map((email) => ({ ...clone(email), primary: false }));
  return [...clone(wanted), ...others];
}

function schemasFor(body: ScimUserWrite): string[] {
  const schemas = [CORE_USER_SCHEMA];
  if (body[ENTERPRISE_USER_SCHEMA]) schemas.push(ENTERPRISE_USER_SCHEMA);
  if (body[PEAKON_USER_SCHEMA]) schemas.push(PEAKON_USER_SCHEMA);
  return schemas;
}

/** Attributes SCIM compares case-insensitively (RFC 7643: userName and email values are caseExact=false). */
const CASE_INSENSITIVE_FIELDS = new Set(['userName', 'email']);

/**
 * Peakon attributes are keyed apart from the core and enterprise fields (`peakon:<name>`), so that a tenant's attribute
 * named `department`, `locale`, `active`, `email`… is compared on its own and does not stand in for the core field of
 * that name. The key is this file's alone: a FieldChange names the attribute as before (its `peakon` flag says which it is).
 */
const PEAKON_KEY = 'peakon:';

function comparableFields(user: ScimUserWrite | undefined): Map<string, Scalar | undefined> {
  const fields = new Map<string, Scalar | undefined>();
  if (!user) return fields;
  const scalar = (value: unknown): Scalar | undefined =>
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
  fields.set('userName', user.userName);
  // Peakon's work address, by the rule Peakon's userName check uses (workEmailOf): the `work` entry, else the primary,
  // else the first. Not "any of the user's emails": a home entry equal to the mapped address would leave Peakon's work
  // address (its login) the old one. Not userName either: that is its own field, compared on its own.
  fields.set('email', workEmailOf(user.emails)?.value);
  fields.set('name.givenName', user.name?.givenName);
  fields.set('name.familyName', user.name?.familyName);
  fields.set('externalId', user.externalId);
  fields.set('active', user.active);
  fields.set('locale', scalar(getAttribute(user, 'locale')));
  fields.set('timezone', scalar(getAttribute(user, 'timezone')));
  fields.set('employeeNumber', user[ENTERPRISE_USER_SCHEMA]?.employeeNumber);
  fields.set('department', user[ENTERPRISE_USER_SCHEMA]?.department);
  for (const [attribute, value] of Object.entries(user[PEAKON_USER_SCHEMA] ?? {})) fields.set(`${PEAKON_KEY}${attribute}`, value);
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

/** A number as text: digits, with an optional fraction (`3`, `-2`, `3.0`, `3.50`). */
const DECIMAL_TEXT = /^[+-]?\d+(?:\.\d+)?$/;

/**
 * A number and text that spells the same number are one value: Peakon may hold a number attribute as text another tool
 * wrote (`"3.0"`, `"3"`) where the mapping sends the number 3 (else that user is written at every run).
 */
function sameNumber(a: Scalar, b: Scalar): boolean {
  const [number, text] = typeof a === 'number' ? [a, b] : [b, a];
  return typeof number === 'number' && typeof text === 'string' && DECIMAL_TEXT.test(text.trim()) && Number(text) === number;
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
  if (sameNumber(normalise(a), normalise(b))) return true;
  return String(normalise(a)) === String(normalise(b)) && (normalise(a) === null) === (normalise(b) === null);
}

/**
 * Every attribute the intended state sets that differs from Peakon's current state (employee references compared
 * case-insensitively), core and enterprise fields first, then Peakon attributes, as before. A Peakon attribute with a
 * core field's name comes right before that field's change when both changed, so a lookup of a reference's change by
 * name finds the attribute's first (withoutReferences, run by workflows, also checks the value it restores).
 */
export function diffUser(intended: ScimUserWrite, current: ScimUserWrite | undefined, referenceAttributes: readonly string[] = []): FieldChange[] {
  const wanted = comparableFields(intended);
  const existing = comparableFields(current);
  const references = new Set(referenceAttributes);
  const core: FieldChange[] = [];
  const peakon: FieldChange[] = [];
  for (const [key, to] of wanted) {
    if (to === undefined) continue;
    const from = existing.get(key);
    const isPeakon = key.startsWith(PEAKON_KEY);
    const field = isPeakon ? key.slice(PEAKON_KEY.length) : key;
    const equal = isPeakon && references.has(field)
      ? String(from ?? '').toLowerCase() === String(to ?? '').toLowerCase()
      : sameValue(key, from, to);
    if (!equal) (isPeakon ? peakon : core).push({ field, from: from ?? null, to, ...(isPeakon ? { peakon: true as const } : {}) });
  }
  const sameNamed = new Map(peakon.map((change) => [change.field, change]));
  const ordered: FieldChange[] = [];
  for (const change of core) {
    const attribute = sameNamed.get(change.field);
    if (attribute) {
      ordered.push(attribute);
      sameNamed.delete(change.field);
    }
    ordered.push(change);
  }
  return [...ordered, ...peakon.filter((change) => sameNamed.get(change.field) === change)];
}
