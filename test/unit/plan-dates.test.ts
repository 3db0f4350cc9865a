import path from 'node:path';
import { loadConfigFile } from '../../config/load';
import { mapEmployees } from '../../mapping/map';
import type { DesiredEmployee } from '../../mapping/employee';
import { PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { employeeRefFor } from '../../sync/employee-ref';
import { buildPlan } from '../../sync/plan';
import { generateOrg } from '../fixtures/org';

/**
 * Date attributes as Peakon returns them (sync/payloads.ts sameValue): Peakon documents them as ISO 8601 DateTime
 * strings, so the day the mapping writes as YYYY-MM-DD may come back at UTC midnight. That is the same value, or every
 * user with a date would be written at every run; any other time or offset is a different value.
 */
describe('plan: date attributes Peakon returns as DateTime strings', () => {
  const config = loadConfigFile(path.resolve('examples/sample-config.yaml'));
  const employees = mapEmployees(generateOrg(3, 2) as unknown as Record<string, unknown>[], config).employees;
  const person = employees.find((employee) => employee.references.Manager === undefined) as DesiredEmployee;
  const birthday = person.user[PEAKON_USER_SCHEMA]?.['Date of Birth'] as string;
  /** The person as Peakon returns them, with `Date of Birth` as given. */
  const peakonWith = (dateOfBirth: string): ScimUser => ({ ...person.user, id: 'u-1', [PEAKON_USER_SCHEMA]: { ...person.user[PEAKON_USER_SCHEMA], 'Date of Birth': dateOfBirth } }) as ScimUser;
  const planFor = (dateOfBirth: string) => buildPlan([person], [peakonWith(dateOfBirth)], { matchingKey: 'email', updateMethod: 'patch', refOf: employeeRefFor(undefined, 'acme'), currentIsWholeTenant: false, today: '2026-12-01' }).entries[0];

  it('the mapping writes the date as YYYY-MM-DD', () => {
    expect(birthday).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(planFor(birthday)?.action).toBe('unchanged');
  });

  it.each(['T00:00:00.000Z', 'T00:00:00Z', 'T00:00:00+00:00', 'T00:00:00', 'T00:00:00.000000Z'])('the same day at UTC midnight (%s) is the same value: nothing to write', (time) => {
    expect(planFor(`${birthday}${time}`)).toMatchObject({ action: 'unchanged', changes: [] });
  });

  it.each(['T00:00:01Z', 'T00:00:00.001Z', 'T12:00:00Z', 'T00:00:00+01:00', 'T00:00:00-00:00', 'T00:00Z', ' '])('another time or offset (%s) is another value: written', (time) => {
    expect(planFor(`${birthday}${time}`)).toMatchObject({ action: 'update', changes: [{ field: 'Date of Birth', from: `${birthday}${time}`, to: birthday }] });
  });

  it('another day at UTC midnight is another value', () => {
    const other = birthday.endsWith('-01') ? `${birthday.slice(0, 8)}02` : `${birthday.slice(0, 8)}01`;
    expect(planFor(`${other}T00:00:00.000Z`)).toMatchObject({ action: 'update', changes: [{ field: 'Date of Birth', from: `${other}T00:00:00.000Z`, to: birthday }] });
  });
});
