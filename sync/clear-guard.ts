import type { DesiredEmployee } from '../mapping/employee';
import type { ScimUser } from '../scim/resources';
import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../scim/urns';

/** sync.clearGuard: how many clears of one attribute a run writes before it withholds them all. */
export interface ClearGuardSettings {
  maxCount: number;
  maxShare: number;
}

/** An attribute the desired state may set to null (clear it): where it lives in a user, read and left out. */
interface Clearable {
  name: string;
  held: (user: ScimUser) => unknown;
  wantsClear: (employee: DesiredEmployee) => boolean;
  keep: (employee: DesiredEmployee) => DesiredEmployee;
}

const enterprise = (field: 'department' | 'employeeNumber'): Clearable => ({
  name: field,
  held: (user) => user[ENTERPRISE_USER_SCHEMA]?.[field],
  wantsClear: (employee) => employee.user[ENTERPRISE_USER_SCHEMA]?.[field] === null,
  keep: (employee) => {
    const { [field]: _cleared, ...rest } = employee.user[ENTERPRISE_USER_SCHEMA] ?? {};
    return { ...employee, user: { ...employee.user, [ENTERPRISE_USER_SCHEMA]: rest } };
  },
});

const peakonAttribute = (name: string): Clearable => ({
  name,
  held: (user) => (user[PEAKON_USER_SCHEMA] as Record<string, unknown> | undefined)?.[name],
  wantsClear: (employee) => employee.user[PEAKON_USER_SCHEMA]?.[name] === null,
  keep: (employee) => {
    const { [name]: _cleared, ...rest } = employee.user[PEAKON_USER_SCHEMA] ?? {};
    return { ...employee, user: { ...employee.user, [PEAKON_USER_SCHEMA]: rest } };
  },
});

const holdsValue = (value: unknown) => value !== undefined && value !== null && value !== '';

/**
 * Withholds mass clears (sync.clearGuard). An HR value the export empties is cleared in Peakon (mapping/record.ts), so a
 * column that comes back blank for everyone (a report filter, a lost permission, `null` from an API) would clear that
 * attribute across the tenant in one run: a department, or a Manager, which decides who sees whose results. Per
 * attribute, when the clears exceed both `maxCount` people and `maxShare` of the people Peakon holds a value for, none
 * of them is written this run (Peakon keeps its values) and a warning says why; smaller clears go ahead. Needs Peakon's
 * state, so only runs that list the tenant count them. `exempt`: attributes the leaver rules clear on purpose (a rehire's
 * old separation date: kept, Peakon would switch the person off again), never withheld.
 */
export function withoutMassClears(employees: DesiredEmployee[], currentOf: (employee: DesiredEmployee) => ScimUser | null | undefined, settings: ClearGuardSettings, exempt: readonly string[] = []): { employees: DesiredEmployee[]; warnings: string[] } {
  const names = new Set<string>();
  for (const employee of employees) for (const [name, value] of Object.entries(employee.user[PEAKON_USER_SCHEMA] ?? {})) if (value === null && !exempt.includes(name)) names.add(name);
  const clearables = [enterprise('department'), enterprise('employeeNumber'), ...[...names].sort().map(peakonAttribute)];
  const withheld: Clearable[] = [];
  const warnings: string[] = [];
  for (const clearable of clearables) {
    let holders = 0;
    let clears = 0;
    for (const employee of employees) {
      const user = currentOf(employee);
      if (!user || !holdsValue(clearable.held(user))) continue;
      holders += 1;
      if (clearable.wantsClear(employee)) clears += 1;
    }
    if (clears > settings.maxCount && clears > settings.maxShare * holders) {
      withheld.push(clearable);
      warnings.push(`${clearable.name}: the HR read is empty for ${clears} of the ${holders} people who have a value in Peakon, more than sync.clearGuard allows (${settings.maxCount} people and ${Math.round(settings.maxShare * 100)}%): not cleared this run, Peakon keeps their values. A column the export lost? If the clear is intended, set sync.clearGuard.maxShare: 1 for a run`);
    }
  }
  if (withheld.length === 0) return { employees, warnings };
  return { employees: employees.map((employee) => withheld.reduce((kept, clearable) => (clearable.wantsClear(kept) ? clearable.keep(kept) : kept), employee)), warnings };
}
