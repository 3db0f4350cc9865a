import type { ConnectorConfig } from '../config/schema';
import type { HrisRecord } from '../hris/source';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUserWrite } from '../scim/resources';
import {
  checkBoolean,
  checkEmail,
  checkInteger,
  checkIsoDate,
  checkLocale,
  checkOption,
  checkText,
  checkTimezone,
  type Checked,
} from './checks';
import type { CoreAttributeName, PeakonAttributeSpec, PeakonValueType, ValueSpec } from './config';
import type { RecordProblem } from './employee';
import { evaluateSpec, type Scalar } from './evaluate';
import { fieldText } from './record-fields';

/** An employee-type attribute of one record, still holding the HRIS's raw pointer (e.g. the manager's HRIS id). */
export interface PendingReference {
  attribute: string;
  matchOn: PeakonAttributeSpec['matchOn'];
  /** The raw value of the employeeRef field, trimmed; empty means "no manager". */
  target: string;
}

/** A record that mapped cleanly on its own; duplicates and references are judged across the whole read afterwards. */
export interface MappedRecord {
  recordRef: string;
  sourceId: string;
  employeeKey: string;
  email: string;
  employeeNumber: string | undefined;
  user: ScimUserWrite;
  createOnly: string[];
  references: PendingReference[];
}

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

  /** Evaluates and checks one core attribute; a problem is recorded and undefined returned when it fails. */
  function core<T>(name: CoreAttributeName, spec: ValueSpec | undefined, check: (value: Scalar) => Checked<T>, required: boolean): T | undefined {
    if (!spec) return undefined;
    const evaluated = evaluateSpec(spec, record);
    if (!evaluated.ok) {
      problems.push({ field: name, message: evaluated.message });
      return undefined;
    }
    if (evaluated.value === undefined) {
      if (required) problems.push({ field: name, message: `is empty (mapped from ${describeSource(spec)})` });
      return undefined;
    }
    const checked = check(evaluated.value);
    if (!checked.ok) {
      problems.push({ field: name, message: checked.message });
      return undefined;
    }
    if (spec.onlyOnCreate && name !== 'id' && name !== 'email') createOnly.push(CORE_PATHS[name]);
    return checked.value;
  }

  const sourceId = core('id', mapping.id, checkText, true);
  const email = core('email', mapping.email, checkEmail, true);
  const givenName = core('givenName', mapping.givenName, checkText, true);
  const familyName = core('familyName', mapping.familyName, checkText, true);
  const byNumber = config.matching.key === 'employeeNumber';
  const employeeNumber = core('employeeNumber', mapping.employeeNumber, checkText, byNumber);
  const department = core('department', mapping.department, checkText, false);
  const locale = core('locale', mapping.locale, checkLocale, false);
  const timezone = core('timezone', mapping.timezone, checkTimezone, false);
  const active = core('active', mapping.active, checkBoolean, false) ?? true;

  const peakon: Record<string, string | number | null> = {};
  const references: PendingReference[] = [];
  for (const [attribute, spec] of Object.entries(mapping.attributes)) {
    if (spec.employeeRef !== undefined) {
      const target = fieldText(record, spec.employeeRef);
      if (!target.ok) problems.push({ field: attribute, message: target.message });
      else references.push({ attribute, matchOn: spec.matchOn, target: target.text.trim() });
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

  const employeeKey = byNumber ? employeeNumber : email?.toLowerCase();
  if (problems.length > 0 || sourceId === undefined || email === undefined || employeeKey === undefined) {
    return { ok: false, problems: problems.map((problem) => ({ recordRef, ...(employeeKey ? { employeeKey } : {}), ...problem })) };
  }

  const enterprise = {
    ...(employeeNumber !== undefined ? { employeeNumber } : {}),
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
  return { ok: true, mapped: { recordRef, sourceId, employeeKey, email, employeeNumber, user, createOnly, references } };
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

function describeSource(spec: ValueSpec): string {
  if (spec.field !== undefined) return `"${spec.field}"`;
  if (spec.template !== undefined) return `template "${spec.template}"`;
  return 'a constant';
}
