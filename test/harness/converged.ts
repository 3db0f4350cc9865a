import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { GeneratedEmployee } from '../fixtures/org';

// examples/sample-config.yaml's mapping (the one every pipeline fixture syncs with), restated as bench/chaos.ts's
// expectedUsers restates it; mirrored here rather than imported, so the tests do not load the benchmark's worker pool.
const ACTIVE: Record<string, boolean> = { Active: true, Terminated: false };
const GENDERS: Record<string, string> = { M: 'Male', F: 'Female', X: 'Other' };
/** The mapping's `date: DD/MM/YYYY`, written to Peakon as YYYY-MM-DD; a blank cell is no value. */
const isoDate = (text: string): string | null => {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  return match ? `${match[3]}-${match[2]}-${match[1]}` : null;
};
/** Absent, null and '' are the same "no value" (Peakon clears an attribute with null; a read drops nulls). */
const orNull = (value: unknown): unknown => (value === undefined || value === null || value === '' ? null : value);

/** Every attribute the sample mapping writes for `employee`, as Peakon should hold it; blanks as null. */
function expectedFields(employee: GeneratedEmployee, emailById: ReadonlyMap<string, string>): Record<string, unknown> {
  return {
    userName: employee.work_email,
    externalId: employee.employee_id,
    active: ACTIVE[employee.status] ?? true,
    'name.givenName': orNull(employee.first_name),
    'name.familyName': orNull(employee.last_name),
    'emails[primary].value': employee.work_email,
    locale: orNull(employee.locale),
    timezone: orNull(employee.timezone),
    'enterprise.employeeNumber': orNull(employee.employee_number),
    'enterprise.department': orNull(employee.department),
    peakon: {
      Department: orNull(employee.department),
      Team: orNull(employee.team),
      Gender: GENDERS[employee.gender] ?? null,
      'Date of Birth': isoDate(employee.date_of_birth),
      // The manager's email; a manager who is not among the employees is not in Peakon, so no reference.
      Manager: orNull(emailById.get(employee.manager_id)),
      'Separation date': isoDate(employee.termination_date),
      'Separation reason': orNull(employee.termination_reason),
    },
  };
}

/** The same fields read from `user`; its Peakon extension whole (blanks as null), so an attribute the mapping does not write shows up too. */
function actualFields(user: ScimUser, mappedPeakon: readonly string[]): Record<string, unknown> {
  const enterprise = user[ENTERPRISE_USER_SCHEMA] as Record<string, unknown> | undefined;
  const peakon: Record<string, unknown> = Object.fromEntries(mappedPeakon.map((name) => [name, null]));
  for (const [name, value] of Object.entries(user[PEAKON_USER_SCHEMA] ?? {})) if (mappedPeakon.includes(name) || orNull(value) !== null) peakon[name] = orNull(value);
  return {
    userName: user.userName,
    externalId: orNull(user.externalId),
    active: user.active,
    'name.givenName': orNull(user.name?.givenName),
    'name.familyName': orNull(user.name?.familyName),
    'emails[primary].value': orNull((user.emails?.find((email) => email.primary) ?? user.emails?.[0])?.value),
    locale: orNull(user.locale),
    timezone: orNull(user.timezone),
    'enterprise.employeeNumber': orNull(enterprise?.employeeNumber),
    'enterprise.department': orNull(enterprise?.department),
    peakon,
  };
}

/**
 * The state a finished sync must leave, whatever happened on the way: one user per employee, and on each every
 * attribute the sample mapping writes (active, names, primary email, locale, timezone, employee number, department,
 * every Peakon attribute, Manager as the manager's email) exactly as the HR data gives it, and no other Peakon attribute.
 */
export function expectConverged(users: ScimUser[], employees: GeneratedEmployee[]): void {
  expect(users).toHaveLength(employees.length);
  // The sandbox refuses a second user with a userName already taken, but not one with an externalId already taken:
  // a duplicate create under another userName shows here as one HR id on two users.
  const externalIds = users.map((user) => user.externalId);
  expect(new Set(externalIds).size).toBe(users.length);
  expect(new Set(externalIds)).toEqual(new Set(employees.map((employee) => employee.employee_id)));
  const employeeNumbers = users.map((user) => user[ENTERPRISE_USER_SCHEMA]?.employeeNumber).filter((number) => number !== undefined && number !== null && number !== '');
  expect(new Set(employeeNumbers).size).toBe(employeeNumbers.length);
  const emailById = new Map(employees.map((employee) => [employee.employee_id, employee.work_email]));
  for (const employee of employees) {
    const user = users.find((candidate) => candidate.userName === employee.work_email);
    const expected = expectedFields(employee, emailById);
    // Keyed by HR id, so a failure names the employee.
    expect({ [employee.employee_id]: user && actualFields(user, Object.keys(expected.peakon as object)) }).toEqual({ [employee.employee_id]: expected });
  }
}
