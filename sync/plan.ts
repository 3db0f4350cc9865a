import type { DesiredEmployee, RecordProblem } from '../mapping/employee';
import { ENTERPRISE_USER_SCHEMA, type ScimUser } from '../scim/resources';
import { buildCreateBody, composeUpdate } from './payloads';
import type { CreateWork, FieldChange, MatchingKeyKind, UpdateWork } from './types';

/**
 * What the run will do for one employee, decided before any write:
 * - `create`: not in Peakon → POST basic fields in phase 1, PUT everything in phase 2;
 * - `update`: in Peakon with differing attributes → PUT in phase 2 only;
 * - `unchanged`: nothing to write (zero operations);
 * - `discover`: Peakon state unknown (filter discovery) → phase 1 discovers, then creates or compares;
 * - `skip`: deliberately not written (`reason` says why).
 */
export type PlannedAction = 'create' | 'update' | 'unchanged' | 'discover' | 'skip';

export interface PlanEntry {
  employeeKey: string;
  recordRef: string;
  action: PlannedAction;
  peakonUserId?: string;
  reason?: string;
  changes: FieldChange[];
  warnings: string[];
  create?: CreateWork;
  update?: Omit<UpdateWork, 'peakonUserId' | 'createdThisRun'>;
}

export interface Plan {
  entries: PlanEntry[];
  /** Peakon users carrying an externalId (so created by a connector) that the HRIS read no longer contains. Reported, never touched. */
  ownedUsersNotInSource: number;
}

/** The key a Peakon user is matched on: the userName lower-cased (SCIM compares it case-insensitively), or the employee number. */
export function peakonUserKey(user: ScimUser, matchingKey: MatchingKeyKind): string | undefined {
  if (matchingKey === 'email') return user.userName.toLowerCase();
  return user[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
}

/**
 * Plans a run. With `current` (one paginated read of the tenant) every action is decided here and only employees that
 * need a write get a child workflow. Without it (filter discovery) every employee is `discover`.
 * Entries are ordered managers before their reports, so creates (and later, reference writes) follow the org tree.
 */
export function buildPlan(
  desired: DesiredEmployee[],
  current: ScimUser[] | undefined,
  matchingKey: MatchingKeyKind,
  /** False when `current` holds only some users (a single-employee lookup): references cannot be checked against it. */
  currentIsWholeTenant = true,
): Plan {
  const currentByKey = new Map<string, ScimUser>();
  for (const user of current ?? []) {
    const key = peakonUserKey(user, matchingKey);
    if (key !== undefined) currentByKey.set(key, user);
  }
  const currentOf = (employee: DesiredEmployee) => (current ? (currentByKey.get(employee.employeeKey) ?? null) : undefined);
  const referable = current && currentIsWholeTenant ? referableEmails(desired, current, currentOf) : undefined;
  const entries = orderManagersFirst(desired).map((employee) =>
    planEmployee(referable ? withoutUnreachableReferences(employee, referable) : employee, currentOf(employee), matchingKey),
  );
  const desiredKeys = new Set(desired.map((employee) => employee.employeeKey));
  const ownedUsersNotInSource = (current ?? []).filter((user) => {
    const key = peakonUserKey(user, matchingKey);
    return user.externalId !== undefined && key !== undefined && !desiredKeys.has(key);
  }).length;
  return { entries, ownedUsersNotInSource };
}

/** Emails an employee attribute may name after phase 1: everyone already in Peakon, plus everyone this run creates. */
function referableEmails(desired: DesiredEmployee[], current: ScimUser[], currentOf: (employee: DesiredEmployee) => ScimUser | null | undefined): Set<string> {
  const emails = new Set<string>();
  for (const user of current) {
    emails.add(user.userName.toLowerCase());
    for (const email of user.emails ?? []) emails.add(email.value.toLowerCase());
  }
  for (const employee of desired) {
    if (currentOf(employee) === null && employee.user.active !== false) emails.add(employee.user.userName.toLowerCase());
  }
  return emails;
}

/**
 * Peakon rejects a reference to someone who does not exist. A reference to a person neither in Peakon nor created by
 * this run (typically an inactive manager who never reached Peakon) is left out with a warning, instead of a PUT that
 * fails and repeats on every run.
 */
function withoutUnreachableReferences(employee: DesiredEmployee, referable: Set<string>): DesiredEmployee {
  const unreachable = Object.entries(employee.references).filter(([, email]) => !referable.has(email.toLowerCase()));
  if (unreachable.length === 0) return employee;
  const references = Object.fromEntries(Object.entries(employee.references).filter(([, email]) => referable.has(email.toLowerCase())));
  const warnings = unreachable.map(([attribute, email]) => `${attribute} (${email}) left out: not in Peakon and not created by this run`);
  return { ...employee, references, warnings: [...employee.warnings, ...warnings] };
}

/** `current`: the Peakon user, null when the listing shows none, undefined when Peakon's state is unknown. */
function planEmployee(employee: DesiredEmployee, current: ScimUser | null | undefined, matchingKey: MatchingKeyKind): PlanEntry {
  const base = { employeeKey: employee.employeeKey, recordRef: employee.recordRef, warnings: employee.warnings };
  const createWork = (knownAbsent: boolean): CreateWork => ({
    employeeKey: employee.employeeKey,
    matchingKey,
    createBody: buildCreateBody(employee),
    knownAbsent,
    desired: employee,
  });
  if (current === null && employee.user.active === false) {
    // Creating someone the HRIS already marks inactive would only add a person Peakon never surveys.
    return { ...base, action: 'skip', reason: 'inactive in the HR system and not in Peakon: not created', changes: [] };
  }
  if (current === undefined) {
    return { ...base, action: 'discover', changes: [], create: createWork(false) };
  }
  if (current === null) {
    const update = composeUpdate(employee, undefined);
    return { ...base, action: 'create', changes: update.changes, create: createWork(true), update: { employeeKey: employee.employeeKey, ...update } };
  }
  const update = composeUpdate(employee, current);
  if (update.changes.length === 0) {
    return { ...base, action: 'unchanged', peakonUserId: current.id, changes: [] };
  }
  return { ...base, action: 'update', peakonUserId: current.id, changes: update.changes, update: { employeeKey: employee.employeeKey, ...update } };
}

/** Orders employees so that everyone comes after the people they reference (e.g. their manager); cycles keep source order. */
export function orderManagersFirst(employees: DesiredEmployee[]): DesiredEmployee[] {
  const byEmail = new Map(employees.map((employee) => [String(employee.user.userName).toLowerCase(), employee]));
  const depth = new Map<DesiredEmployee, number>();
  const depthOf = (employee: DesiredEmployee, seen: Set<DesiredEmployee>): number => {
    const known = depth.get(employee);
    if (known !== undefined) return known;
    if (seen.has(employee)) return 0;
    seen.add(employee);
    let deepest = 0;
    for (const email of Object.values(employee.references)) {
      const referenced = byEmail.get(email.toLowerCase());
      if (referenced && referenced !== employee) deepest = Math.max(deepest, depthOf(referenced, seen) + 1);
    }
    depth.set(employee, deepest);
    return deepest;
  };
  const indexed = employees.map((employee, index) => ({ employee, index, depth: depthOf(employee, new Set()) }));
  indexed.sort((a, b) => a.depth - b.depth || a.index - b.index);
  return indexed.map((entry) => entry.employee);
}

export interface PlanCounts {
  employees: number;
  create: number;
  update: number;
  unchanged: number;
  discover: number;
  skip: number;
  invalid: number;
}

export function countPlan(plan: Plan, problems: RecordProblem[]): PlanCounts {
  const counts: PlanCounts = { employees: plan.entries.length, create: 0, update: 0, unchanged: 0, discover: 0, skip: 0, invalid: new Set(problems.map((problem) => problem.recordRef)).size };
  for (const entry of plan.entries) counts[entry.action] += 1;
  return counts;
}
