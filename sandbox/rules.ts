import { z } from 'zod';
import {
  CORE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  PEAKON_USER_SCHEMA,
  ScimUserWriteSchema,
  withoutNulls,
  type ScimUser,
  type ScimUserWrite,
} from '../scim/resources';
import { workEmailOf } from '../scim/emails';
import { invalidValue, ScimHttpError } from './errors';
import { emailsOf, employeeNumberOf, type EmployeeDirectory, type StoredAttributes } from './store';
import { characterCount, MAX_EMAIL_BYTES, utf8Bytes } from '../mapping/limits';
import type { TenantAttribute } from './tenant-schema';

export interface ValidationContext {
  tenantSchema: readonly TenantAttribute[];
  directory: EmployeeDirectory;
  /** Peakon's docs only promise email references for employee attributes; some tenants also take a Peakon user id. */
  acceptPeakonIdAsManager: boolean;
  /**
   * Not Peakon behaviour: drops "userName is the work email" so generic SCIM checkers, which send random strings
   * as userName, can exercise the protocol. Only the conformance run sets it.
   */
  relaxUserNameRules?: boolean;
}

/** Deliberately simple: Peakon rejects what is obviously not an address, it does not implement RFC 5322. */
const EMAIL_PATTERN = /^[^\s@"<>()[\],;:]+@[^\s@"<>()[\],;:]+\.[^\s@"<>()[\],;:]+$/;
const ISO_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
export const OPTION_MAX_LENGTH = 256;

/**
 * Never runs the pattern on more than an address may hold (RFC 5321: 254 octets, the connector's limit too): its
 * overlapping classes backtrack quadratically on a long run of dots, seconds for a 20,000-character value.
 */
export const isEmail = (value: string): boolean => !tooLongForEmail(value) && EMAIL_PATTERN.test(value);

// A UTF-16 length over the limit is over it in UTF-8 too, so a huge value is refused before it is even encoded.
const tooLongForEmail = (value: string): boolean => value.length > MAX_EMAIL_BYTES || utf8Bytes(value) > MAX_EMAIL_BYTES;

/** 400 unless `value` is an email address; a value longer than any address says so instead of echoing itself. */
function requireEmail(label: string, value: string): void {
  if (tooLongForEmail(value)) throw invalidValue(`${label} must be an email address of at most ${MAX_EMAIL_BYTES} bytes (RFC 5321), got ${utf8Bytes(value)} bytes`);
  if (!EMAIL_PATTERN.test(value)) throw invalidValue(`${label} must be an email address, got "${value}"`);
}

export function isIsoDate(value: string): boolean {
  const match = ISO_DATE_PATTERN.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Checks a full user representation (after PUT merging or PATCH application) the way Peakon does, and returns it
 * normalised: null attributes removed (null clears: RFC 7643 §2.5, in the core, the enterprise and the Peakon
 * extension alike), extension URNs listed in `schemas`.
 * `previous` is the stored user on updates: it excludes the user from uniqueness checks. Every employee reference is
 * checked on every write, unchanged or not: the store holds a reference to the employee, and serves their current
 * userName (or nothing once they are deleted), so a user read back and written again always passes.
 */
export function validateUser(candidate: unknown, context: ValidationContext, previous?: ScimUser): StoredAttributes {
  const body = requireObject(candidate);
  requireFields(body);
  // RFC 7643 §2.5: null is unassigned, the same state as absent, for every attribute (`"employeeNumber": null` in a PUT
  // clears it); Peakon attributes keep theirs until normalise, which drops them after the checks.
  const parsed = ScimUserWriteSchema.safeParse(withoutNulls(withoutServerAttributes(body)));
  if (!parsed.success) throw invalidValue(describeZodIssue(parsed.error));
  const user = parsed.data;

  if (!user.schemas.includes(CORE_USER_SCHEMA)) throw invalidValue(`schemas must include "${CORE_USER_SCHEMA}"`);
  if (!context.relaxUserNameRules) checkEmails(user);
  checkName(user);
  const peakonAttributes = checkPeakonAttributes(user, context);
  checkEnterpriseManager(user, context.directory, previous);
  if (previous) checkOneUniqueChange(user, previous);
  checkUniqueness(user, context.directory, previous?.id);
  return normalise(user, peakonAttributes);
}

function requireObject(candidate: unknown): Record<string, unknown> {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw new ScimHttpError(400, 'the request body must be a JSON object (Content-Type application/scim+json or application/json)', 'invalidSyntax');
  }
  return { ...candidate };
}

function requireFields(body: Record<string, unknown>): void {
  for (const field of ['schemas', 'userName', 'emails', 'name'] as const) {
    if (body[field] === undefined || body[field] === null) throw invalidValue(`${field} is required`);
  }
}

/** id and meta are server-owned (mutability readOnly): a client echoing them back must not change them. */
function withoutServerAttributes(body: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, meta: _meta, ...rest } = body;
  return rest;
}

function describeZodIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid user';
  const path = issue.path.map(String).join('.');
  return `${path || 'user'}: ${issue.message}`;
}

/** Peakon identifies people by work email, so userName must be that address. */
function checkEmails(user: ScimUserWrite): void {
  requireEmail('userName', user.userName);
  const emails = user.emails ?? [];
  if (emails.length === 0) throw invalidValue('emails must contain the work email');
  emails.forEach((email, index) => requireEmail(`emails[${index}].value`, email.value));
  const workEmail = workEmailOf(emails);
  if (workEmail && workEmail.value.toLowerCase() !== user.userName.toLowerCase()) {
    throw invalidValue(`userName "${user.userName}" must equal the work email "${workEmail.value}"`);
  }
}

/** Peakon's employee record has a mandatory first and last name. */
function checkName(user: ScimUserWrite): void {
  if (!user.name?.givenName?.trim()) throw invalidValue('name.givenName is required');
  if (!user.name?.familyName?.trim()) throw invalidValue('name.familyName is required');
}

type PeakonAttributes = Record<string, string | number | null>;

/** The answer to a write, or any PATCH op, naming a Peakon attribute the tenant does not define. */
export function unknownPeakonAttribute(name: string, tenantSchema: readonly TenantAttribute[]): ScimHttpError {
  const known = tenantSchema.map((attribute) => `"${attribute.name}"`).join(', ');
  return invalidValue(`${PEAKON_USER_SCHEMA}:${name} is not an attribute of this tenant (known: ${known})`);
}

function checkPeakonAttributes(user: ScimUserWrite, context: ValidationContext): PeakonAttributes {
  const attributes = user[PEAKON_USER_SCHEMA] ?? {};
  for (const [name, value] of Object.entries(attributes)) {
    const definition = context.tenantSchema.find((attribute) => attribute.name === name);
    const label = `${PEAKON_USER_SCHEMA}:${name}`;
    if (!definition) throw unknownPeakonAttribute(name, context.tenantSchema);
    if (value === null) continue;
    switch (definition.type) {
      case 'option':
        if (typeof value !== 'string') throw invalidValue(`${label} is an option attribute and must be a string`);
        // Characters as Peakon counts them (code points: an emoji is one), not UTF-16 units; mapping/checks.ts agrees.
        if (characterCount(value) > OPTION_MAX_LENGTH) throw invalidValue(`${label} must be at most ${OPTION_MAX_LENGTH} characters, got ${characterCount(value)}`);
        break;
      case 'date':
        if (typeof value !== 'string' || !isIsoDate(value)) throw invalidValue(`${label} must be an ISO 8601 date (YYYY-MM-DD), got ${JSON.stringify(value)}`);
        break;
      case 'number':
        if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidValue(`${label} must be an integer, got ${JSON.stringify(value)}`);
        break;
      case 'employee':
        checkEmployeeReference(label, value, context);
        break;
    }
  }
  return attributes;
}

function checkEmployeeReference(label: string, value: string | number, context: ValidationContext): void {
  if (typeof value !== 'string') throw invalidValue(`${label} must be the email of an existing employee`);
  if (context.directory.findByEmail(value)) return;
  if (context.acceptPeakonIdAsManager && context.directory.get(value)) return;
  const accepted = context.acceptPeakonIdAsManager ? 'the email or Peakon id' : 'the email';
  throw invalidValue(`${label} must be ${accepted} of an existing employee; no employee "${value}" exists`);
}

/**
 * The enterprise extension's `manager` (RFC 7643 §4.3): `value` is the id of the manager's User. Peakon's doc lists 400
 * for an unknown manager and says nothing more, so a manager is accepted only when `value` is an existing user's id
 * (a manager without a value, or naming nobody, is 400). A value the user already had is not checked again: a user read
 * back and written again passes even after their manager was deleted.
 */
function checkEnterpriseManager(user: ScimUserWrite, directory: EmployeeDirectory, previous?: ScimUser): void {
  const manager = user[ENTERPRISE_USER_SCHEMA]?.manager;
  if (manager === undefined || Object.keys(manager).length === 0) return;
  const value = manager.value;
  if (value !== undefined && value === previous?.[ENTERPRISE_USER_SCHEMA]?.manager?.value) return;
  const label = `${ENTERPRISE_USER_SCHEMA}:manager.value`;
  if (value === undefined || value === '') throw invalidValue(`${label} is required with a manager: the id of an existing user`);
  if (!directory.get(value)) throw invalidValue(`${label} must be the id of an existing user; no user "${value}" exists`);
}

/** Peakon changes a user's email and employee number one at a time, never both in one write (../shared/peakon-scim.md). */
function checkOneUniqueChange(user: ScimUserWrite, previous: ScimUser): void {
  // Compared as Peakon compares emails everywhere (store.ts emailsOf): case-insensitively, nothing more. Peakon knows
  // nothing of IDNA or Unicode normalisation, so `anna@exämple.com` → `anna@xn--exmple-cua.com` is a change of email.
  const emailChanged = user.userName.toLowerCase() !== previous.userName.toLowerCase();
  // A number given to a user who had none is not counted: whether Peakon counts it is not documented, so the connector
  // defers that too (sync/plan.ts oneUniqueFieldAtATime), and a generic SCIM client's replace may do it.
  const numberChanged = employeeNumberOf(previous) !== undefined && employeeNumberOf(user) !== employeeNumberOf(previous);
  if (emailChanged && numberChanged) throw invalidValue('userName and employeeNumber cannot change in one request: change one of them at a time');
}

function checkUniqueness(user: ScimUserWrite, directory: EmployeeDirectory, selfId?: string): void {
  for (const email of new Set(emailsOf(user))) {
    const holder = directory.findByEmail(email);
    if (holder && holder.id !== selfId) throw new ScimHttpError(409, `email "${email}" is already used by user ${holder.id}`, 'uniqueness');
  }
  const employeeNumber = employeeNumberOf(user);
  if (employeeNumber !== undefined) {
    const holder = directory.findByEmployeeNumber(employeeNumber);
    if (holder && holder.id !== selfId) throw new ScimHttpError(409, `employeeNumber "${employeeNumber}" is already used by user ${holder.id}`, 'uniqueness');
  }
}

function normalise(user: ScimUserWrite, peakonAttributes: PeakonAttributes): StoredAttributes {
  const kept = Object.fromEntries(Object.entries(peakonAttributes).filter(([, value]) => value !== null));
  const { [PEAKON_USER_SCHEMA]: _peakon, ...rest } = user;
  const normalised = (Object.keys(kept).length > 0 ? { ...rest, [PEAKON_USER_SCHEMA]: kept } : rest) as StoredAttributes;
  // An enterprise extension whose every attribute was null (cleared) is no extension.
  const enterprise = normalised[ENTERPRISE_USER_SCHEMA];
  if (enterprise && Object.keys(enterprise).length === 0) delete normalised[ENTERPRISE_USER_SCHEMA];
  const extensionsPresent = [ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA].filter((urn) => normalised[urn] !== undefined);
  const knownSchemas: string[] = [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA];
  normalised.schemas = [CORE_USER_SCHEMA, ...extensionsPresent, ...user.schemas.filter((urn) => !knownSchemas.includes(urn))];
  return normalised;
}
