import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { GeneratedEmployee } from '../fixtures/org';

/** The state a finished sync must leave, whatever happened on the way: one user per employee, every attribute set. */
export function expectConverged(users: ScimUser[], employees: GeneratedEmployee[]): void {
  const userNames = users.map((user) => user.userName);
  expect(new Set(userNames).size).toBe(userNames.length);
  expect(users).toHaveLength(employees.length);
  const emailById = new Map(employees.map((employee) => [employee.employee_id, employee.work_email]));
  for (const employee of employees) {
    const user = users.find((candidate) => candidate.userName === employee.work_email);
    expect(user?.[ENTERPRISE_USER_SCHEMA]?.employeeNumber).toBe(employee.employee_number);
    expect(user?.[PEAKON_USER_SCHEMA]?.Team).toBe(employee.team);
    expect(user?.[PEAKON_USER_SCHEMA]?.Manager ?? '').toBe(employee.manager_id ? emailById.get(employee.manager_id) : '');
  }
}
