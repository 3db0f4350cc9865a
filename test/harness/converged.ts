import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { GeneratedEmployee } from '../fixtures/org';

/** The state a finished sync must leave, whatever happened on the way: one user per employee, every attribute set. */
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
    expect(user?.externalId).toBe(employee.employee_id);
    expect(user?.[ENTERPRISE_USER_SCHEMA]?.employeeNumber).toBe(employee.employee_number);
    expect(user?.[PEAKON_USER_SCHEMA]?.Team).toBe(employee.team);
    expect(user?.[PEAKON_USER_SCHEMA]?.Manager ?? '').toBe(employee.manager_id ? emailById.get(employee.manager_id) : '');
  }
}
