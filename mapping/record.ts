import { leaversSettings, type ConnectorConfig } from '../config/schema';
import type { HrisRecord } from '../hris/source';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUserWrite } from '../scim/resources';
import {
  checkBoolean,
  checkEmail,
  checkIdentifier,
  checkInteger,
  checkIsoDate,
  checkLocale,
  checkName,
  checkOption,
  checkText,
  checkTimezone,
  type Checked,
} from './checks';
import type { CoreAttributeName, PeakonAttributeSpec, PeakonValueType, ValueSpec } from './config';
import { emailMatchKey } from './email';
import type { RecordProblem } from './employee';
import { describeSource, evaluateSpec, type Scalar } from './evaluate';
import { formatCount, MAX_IDENTIFIER_LENGTH, MAX_RECORD_BYTES, characterCount, utf8Bytes } from './limits';
import { fieldText } from './record-fields';

/** An employee-type attribute of one record, still holding the HRIS's raw pointer (e.g. the manager's HRIS id). */
export interface PendingReference {
  attribute: string;
  matchOn: PeakonAttributeSpec['matchOn'];
  /** The raw value of the employeeRef field, trimmed; never empty (an empty one is a null attribute: "no manager"). */
  target: string;
}

/** A record that mapped cleanly on its own; duplicates and references are judged across the whole read afterwards. */
export interface MappedRecord {
  recordRef: string;
  sourceId: string;
  employeeKey: string;
  /** As sent to Peakon: the domain in its ASCII form (mapping/email.ts). */
  email: string;
  /** What emails are matched and de-duplicated on: emailMatchKey(email). */
  emailKey: string;
  /** As the HR system wrote it, for messages. */
  emailAsWritten: string;
  employeeNumber: string | undefined;
  user: ScimUserWrite;
  createOnly: string[];
  references: PendingReference[];
  /** YYYY-MM-DD: on and after this day the person is a leaver (config `leavers`). */
  terminationDate: string | undefined;
  /** YYYY-MM-DD: the mapped start date (Peakon's `Tenure`), which tells a rehire's old termination date from a current one. */
  startDate: string | undefined;
}

/** Peakon's start-date attribute: a date still ahead in it makes Peakon treat the person as inactive. */
export const PEAKON_START_DATE_ATTRIBUTE = 'Tenure';

/** Why an empty mapped `active` is a problem, and the way out when an empty status does mean one of them. */
const EMPTY_STATUS_HINT = ': an empty status is neither active nor inactive (set `default: true` or `default: false` on mapping.active if it means one of them)';

/** evaluateCore: the mapped value is empty. */
const EMPTY = Symbol('empty');

export type RecordOutcome = { ok: true; mapped: MappedRecord } | { ok: false; problems: RecordProblem[] };

/** SCIM paths of the core attributes, as DesiredEmployee.createOnly names them. */
const CORE_PATHS: Record<Exclude<CoreAttributeName, 'id' | 'email'>, string> = {
  givenName: 'name.givenName',
  familyName: 'name.familyName',
  employeeNumber: `${ENTERPRISE_USER_SCHEMA}:employeeNumber`,
  department: `${ENTERPRISE_USER_SCHEMA}:department`,
  locale: 'locale',
  timezone: 'timezone',
  active: 'active',
};

/** Maps one HRIS record to the SCIM body Peakon should hold, collecting every problem rather than stopping at the first. */
export function mapRecord(record: HrisRecord, recordRef: string, config: ConnectorConfig): RecordOutcome {
  const { mapping } = config;
  const problems: Array<Omit<RecordProblem, 'recordRef' | 'employeeKey'>> = [];
  const createOnly: string[] = [];
  const written = new Map<CoreAttributeName, string>();

  /**
   * Evaluates and checks one core attribute; a problem is recorded and undefined returned when it fails. EMPTY: the
   * mapped HRIS value is empty (and has no default), which rejects the record when the attribute is required.
   */
  function evaluateCore<T>(name: CoreAttributeName, spec: ValueSpec, check: (value: Scalar) => Checked<T>, required: boolean): T | typeof EMPTY | undefined {
    const evaluated = evaluateSpec(spec, record);
    if (!evaluated.ok) {
      problems.push({ field: name, message: evaluated.message });
      return undefined;
    }
    if (evaluated.value === undefined) {
      if (required) problems.push({ field: name, message: `is empty (mapped from ${describeSource(spec)})${name === 'active' ? EMPTY_STATUS_HINT : ''}` });
      return EMPTY;
    }
    written.set(name, String(evaluated.value));
    const checked = check(evaluated.value);
    if (!checked.ok) {
      problems.push({ field: name, message: checked.message });
      return undefined;
    }
    if (spec.onlyOnCreate && name !== 'id' && name !== 'email') createOnly.push(CORE_PATHS[name]);
    return checked.value;
  }

  /** A required core attribute, or an optional one whose empty value is not sent. */
  function core<T>(name: CoreAttributeName, spec: ValueSpec | undefined, check: (value: Scalar) => Checked<T>, required: boolean): T | undefined {
    if (!spec) return undefined;
    const value = evaluateCore(name, spec, check, required);
    return value === EMPTY ? undefined : value;
  }

  /**
   * An optional core attribute that the HR system may empty: null then, the intended state "no value", so the update
   * clears what an earlier sync wrote (a person must not stay in the old department). Unless onlyOnCreate: that keeps
   * Peakon's value on an existing user, and a create leaves it out anyway.
   */
  function clearable<T>(name: CoreAttributeName, spec: ValueSpec | undefined, check: (value: Scalar) => Checked<T>): T | null | undefined {
    if (!spec) return undefined;
    const value = evaluateCore(name, spec, check, false);
    if (value !== EMPTY) return value;
    return spec.onlyOnCreate ? undefined : null;
  }

  const sourceId = core('id', mapping.id, checkIdentifier, true);
  const email = core('email', mapping.email, checkEmail, true);
  const givenName = core('givenName', mapping.givenName, checkName, true);
  const familyName = core('familyName', mapping.familyName, checkName, true);
  const byNumber = config.matching.key === 'employeeNumber';
  // As the matching key it is required (a record without it is rejected, never null); otherwise an emptied one clears.
  const employeeNumberValue = byNumber ? core('employeeNumber', mapping.employeeNumber, checkIdentifier, true) : clearable('employeeNumber', mapping.employeeNumber, checkIdentifier);
  /** What references and duplicates match on: a cleared number is none. */
  const employeeNumber = employeeNumberValue ?? undefined;
  const department = clearable('department', mapping.department, checkText);
  // Empty locale and time zone are not cleared: they are preferences Peakon may fill with the company's default, so a
  // clear could be refused (failing the person's whole update) or return as the default and be written every run.
  const locale = core('locale', mapping.locale, checkLocale, false);
  const timezone = core('timezone', mapping.timezone, checkTimezone, false);
  // Unmapped, everyone is active. Mapped, an empty status says neither: taken for active, it would reactivate a leaver
  // (a returner) and pass the rehire check, so the record is invalid (not written, never a leaver) unless `default` says.
  const active = core('active', mapping.active, checkBoolean, true) ?? true;

  const peakon: Record<string, string | number | null> = {};
  const references: PendingReference[] = [];
  for (const [attribute, spec] of Object.entries(mapping.attributes)) {
    if (spec.employeeRef !== undefined) {
      const target = fieldText(record, spec.employeeRef);
      if (!target.ok) problems.push({ field: attribute, message: target.message });
      else if (target.text.length > MAX_IDENTIFIER_LENGTH && characterCount(target.text.trim()) > MAX_IDENTIFIER_LENGTH) {
        problems.push({ field: attribute, message: `${formatCount(characterCount(target.text.trim()))} characters from "${spec.employeeRef}" is longer than the ${MAX_IDENTIFIER_LENGTH} allowed for an employee reference` });
      } else {
        if (spec.onlyOnCreate) createOnly.push(`${PEAKON_USER_SCHEMA}:${attribute}`);
        const pointer = target.text.trim();
        // Empty in the HR record: nobody (no manager), an ordinary attribute set to null, which clears what an earlier
        // sync wrote (the old manager must stop seeing the person's results). Never a reference to resolve. A pointer
        // that leads nowhere usable is another matter: resolveReferences leaves the attribute out, keeping Peakon's value.
        if (pointer === '') {
          if (!spec.onlyOnCreate) peakon[attribute] = null;
        } else references.push({ attribute, matchOn: spec.matchOn, target: pointer });
      }
      continue;
    }
    const evaluated = evaluateSpec(spec, record);
    if (!evaluated.ok) {
      problems.push({ field: attribute, message: evaluated.message });
      continue;
    }
    if (spec.onlyOnCreate) createOnly.push(`${PEAKON_USER_SCHEMA}:${attribute}`);
    if (evaluated.value === undefined) {
      // An explicit null: the intended state is "no value", so a PUT clears what an earlier sync wrote.
      if (!spec.onlyOnCreate) peakon[attribute] = null;
      continue;
    }
    const checked = checkPeakonValue(peakonType(spec), evaluated.value);
    if (checked.ok) peakon[attribute] = checked.value;
    else problems.push({ field: attribute, message: checked.message });
  }

  const terminationDate = terminationDateOf(record, config, peakon, problems);
  const started = peakon[PEAKON_START_DATE_ATTRIBUTE];
  const startDate = typeof started === 'string' && checkIsoDate(started).ok ? started : undefined;
  const emailKey = email === undefined ? undefined : emailMatchKey(email);
  const employeeKey = byNumber ? employeeNumber : emailKey;
  /** A rejected record's email under employee-number matching (RecordProblem.emailKey): its holder is no leaver. */
  const retainedEmail = byNumber && emailKey !== undefined ? { emailKey } : {};
  if (problems.length > 0 || sourceId === undefined || email === undefined || emailKey === undefined || employeeKey === undefined) {
    return { ok: false, problems: problems.map((problem) => ({ recordRef, ...(employeeKey ? { employeeKey } : {}), ...(sourceId !== undefined ? { sourceId } : {}), ...retainedEmail, ...problem })) };
  }

  // null (an emptied optional attribute) is kept: an update clears it in Peakon, a create leaves it out (sync/payloads.ts).
  const enterprise = {
    ...(employeeNumberValue !== undefined ? { employeeNumber: employeeNumberValue } : {}),
    ...(department !== undefined ? { department } : {}),
  };
  const usesPeakon = Object.keys(mapping.attributes).length > 0;
  const user: ScimUserWrite = {
    schemas: [
      CORE_USER_SCHEMA,
      ...(Object.keys(enterprise).length > 0 ? [ENTERPRISE_USER_SCHEMA] : []),
      ...(usesPeakon ? [PEAKON_USER_SCHEMA] : []),
    ],
    userName: email,
    externalId: sourceId,
    name: { givenName, familyName },
    emails: [{ value: email, type: 'work', primary: true }],
    active,
    ...(locale !== undefined ? { locale } : {}),
    ...(timezone !== undefined ? { timezone } : {}),
    ...(Object.keys(enterprise).length > 0 ? { [ENTERPRISE_USER_SCHEMA]: enterprise } : {}),
    ...(Object.keys(peakon).length > 0 ? { [PEAKON_USER_SCHEMA]: peakon } : {}),
  };
  // Each value is within its own limit; together they must still fit comfortably in one Temporal payload.
  const size = mayExceedRecordLimit(user, createOnly, references) ? utf8Bytes(JSON.stringify({ user, createOnly, references })) : 0;
  if (size > MAX_RECORD_BYTES) {
    return {
      ok: false,
      problems: [{ recordRef, employeeKey, sourceId, ...retainedEmail, field: 'record', message: `the mapped data is ${formatCount(size)} bytes, more than the ${formatCount(MAX_RECORD_BYTES)} allowed for one employee (largest: ${largestValues(user)})` }],
    };
  }
  const emailAsWritten = written.get('email') ?? email;
  return { ok: true, mapped: { recordRef, sourceId, employeeKey, email, emailKey, emailAsWritten, employeeNumber, user, createOnly, references, terminationDate, startDate } };
}

/**
 * The day the person leaves, as YYYY-MM-DD: `leavers.terminationDate` when configured, else the mapped separation
 * date attribute. A value that is not a date rejects the record: guessing could switch someone off. So does one of the
 * separation date attribute that is not ISO: mapped without `date` or `type: date` it is an option attribute, which
 * takes any text (31/12/2024), and would otherwise be sent to Peakon while nobody takes the person for a leaver.
 */
function terminationDateOf(record: HrisRecord, config: ConnectorConfig, peakon: Record<string, string | number | null>, problems: Array<{ field: string; message: string }>): string | undefined {
  const leavers = leaversSettings(config);
  if (!leavers.terminationDate) {
    const attribute = leavers.separation.dateAttribute;
    const mapped = peakon[attribute];
    if (typeof mapped !== 'string') return undefined;
    const checked = checkIsoDate(mapped);
    if (checked.ok) return checked.value;
    problems.push({ field: attribute, message: `${checked.message} (it is the termination date that makes the person a leaver)` });
    return undefined;
  }
  const evaluated = evaluateSpec(leavers.terminationDate, record);
  if (!evaluated.ok) {
    problems.push({ field: 'leavers.terminationDate', message: evaluated.message });
    return undefined;
  }
  if (evaluated.value === undefined) return undefined;
  const checked = checkIsoDate(evaluated.value);
  if (!checked.ok) {
    problems.push({ field: 'leavers.terminationDate', message: checked.message });
    return undefined;
  }
  return checked.value;
}

/**
 * A cheap upper bound on the record's JSON size, so that only records near the limit are serialised to measure them:
 * a UTF-16 code unit never takes more than 6 bytes in JSON (`\u001f`), and the structure around each value is bounded.
 */
function mayExceedRecordLimit(user: ScimUserWrite, createOnly: string[], references: PendingReference[]): boolean {
  let units = 0;
  let values = 0;
  const add = (...texts: Array<string | number | boolean | null | undefined>) => {
    for (const text of texts) {
      values += 1;
      if (typeof text === 'string') units += text.length;
    }
  };
  add(user.userName, user.externalId, user.name?.givenName, user.name?.familyName, user.locale, user.timezone);
  for (const [name, value] of Object.entries({ ...user[ENTERPRISE_USER_SCHEMA], ...user[PEAKON_USER_SCHEMA] })) add(name, typeof value === 'string' ? value : null);
  for (const reference of references) add(reference.attribute, reference.target, reference.matchOn);
  add(...createOnly);
  const schemasAndEmails = 1024 + 2 * user.userName.length * 6;
  return units * 6 + values * 32 + schemasAndEmails > MAX_RECORD_BYTES;
}

/** The three biggest mapped values, for the whole-record limit's message: `Notes 4,000 bytes, Bio 3,900 bytes, …`. */
function largestValues(user: ScimUserWrite): string {
  const sizes: Array<[string, number]> = [
    ['givenName', utf8Bytes(user.name?.givenName ?? '')],
    ['familyName', utf8Bytes(user.name?.familyName ?? '')],
    ...Object.entries(user[ENTERPRISE_USER_SCHEMA] ?? {}).map(([name, value]): [string, number] => [name, utf8Bytes(String(value ?? ''))]),
    ...Object.entries(user[PEAKON_USER_SCHEMA] ?? {}).map(([name, value]): [string, number] => [name, utf8Bytes(String(value ?? ''))]),
  ];
  return sizes
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, bytes]) => `${name} ${formatCount(bytes)} bytes`)
    .join(', ');
}

export function peakonType(spec: PeakonAttributeSpec): PeakonValueType {
  return spec.type ?? (spec.date !== undefined ? 'date' : 'option');
}

function checkPeakonValue(type: PeakonValueType, value: Scalar): Checked<string | number> {
  switch (type) {
    case 'date':
      return checkIsoDate(value);
    case 'number':
      return checkInteger(value);
    case 'option':
      return checkOption(value);
  }
}
