import { resolveSecret } from '../config/secret';
import { leaversSettings, type ConnectorConfig } from '../config/schema';
import { createSourceForConfig } from '../hris';
import { readAllRecords } from '../hris/source';
import type { DesiredEmployee } from '../mapping/employee';
import { mapEmployees } from '../mapping/map';
import type { ScimUser } from '../scim/resources';
import { dayIn, hasLeft } from '../sync/leavers';
import { buildPlan, configPlanOptions, employedOn, type PlanEntry, type PlanOptions, type PlannedAction } from '../sync/plan';

/**
 * Whether a benchmark run left Peakon (the sandbox) as the HR read says it should be: the connector's own plan, made
 * again from the CSV the run read against the users the sandbox holds now, must have nothing left to write. Pure
 * functions and a file read, no HTTP: cheap at 50,000 employees. A run that wrote wrong values, or to the wrong user,
 * completes with every user in place and the expected number of requests; only its end state tells.
 */

/**
 * The plan activity's options for a whole-tenant listing (the config's, from configPlanOptions), but for two:
 * - no `leavers` context (the ownership ledger's): leavers are checked by the active users instead (activeStrays);
 * - no `clearGuard`: a withheld mass clear is a difference the run left, not one to be withheld from this check.
 */
export function endStatePlanOptions(config: ConnectorConfig, refOf: (employeeKey: string) => string, at: Date = new Date()): PlanOptions {
  return { ...configPlanOptions(config, { refOf, today: dayIn(leaversSettings(config).timeZone, at) }), currentIsWholeTenant: true };
}

/** Plan actions that write: any left means the run did not converge. */
const WRITES: readonly PlannedAction[] = ['create', 'update', 'deactivate', 'delete'];

/**
 * Why the users are not the end state `desired` asks for (none: they are). Counts and actions only: no employee is
 * named (their data is personal, even generated).
 */
export function endStateProblems(desired: DesiredEmployee[], users: ScimUser[], options: PlanOptions): string[] {
  const plan = buildPlan(desired, users, options);
  const left = new Map<string, number>();
  for (const entry of plan.entries) if (WRITES.includes(entry.action)) left.set(entry.action, (left.get(entry.action) ?? 0) + 1);
  const problems: string[] = [];
  if (left.size) problems.push(`end state: the plan made again against the sandbox still has ${[...left].map(([action, count]) => `${count} ${action}`).join(', ')} (values not written, or written wrong or to the wrong user)`);
  // Every active user must be one an employee of the read matches (their writes left are counted above): a leaver
  // created, or a stray user, is not. Without the leavers context the plan leaves a leaver's active user alone, as a
  // `skip` that still names the user: matched by a record, yet a user the run should never have created.
  const leftKeys = leftEmployeeKeys(desired, options);
  const userIdsOf = (entries: PlanEntry[]) => new Set(entries.flatMap((entry) => (entry.peakonUserId !== undefined ? [entry.peakonUserId] : [])));
  const matched = userIdsOf(plan.entries.filter((entry) => !leftKeys.has(entry.employeeKey)));
  const leavers = userIdsOf(plan.entries.filter((entry) => leftKeys.has(entry.employeeKey)));
  const active = users.filter((user) => user.active !== false && !matched.has(user.id));
  const leaverUsers = active.filter((user) => leavers.has(user.id)).length;
  const strays = active.length - leaverUsers;
  if (strays) problems.push(`end state: ${strays} active user(s) in the sandbox that no employee of the HR read matches`);
  if (leaverUsers) problems.push(`end state: ${leaverUsers} active user(s) in the sandbox of HR record(s) whose termination date has come (leavers are never created)`);
  const inactive = users.filter((user) => user.active === false).length;
  if (inactive) problems.push(`end state: ${inactive} inactive user(s) in the sandbox, expected none (leavers are never created)`);
  return problems;
}

/** Employee keys of the records whose termination date has come: the leavers buildPlan sets apart (employedOn, hasLeft). */
function leftEmployeeKeys(desired: DesiredEmployee[], options: PlanOptions): Set<string> {
  const { today } = options;
  if (today === undefined) return new Set();
  return new Set(employedOn(desired, today, options).filter((employee) => hasLeft(employee.terminationDate, today)).map((employee) => employee.employeeKey));
}

/** Reads and maps `config`'s source as the connector does, and checks `users` against it (endStateProblems). */
export async function endStateProblemsOf(config: ConnectorConfig, users: ScimUser[], refOf: (employeeKey: string) => string): Promise<string[]> {
  const records = await readAllRecords(createSourceForConfig(config, { resolveSecret }));
  const mapping = mapEmployees(records, config);
  const problems = mapping.problems.length ? [`end state: ${mapping.problems.length} HR record(s) the mapping rejected`] : [];
  return [...problems, ...endStateProblems(mapping.employees, users, endStatePlanOptions(config, refOf))];
}
