/**
 * Leavers, returners and the guard, decided with the plan (pure: no I/O, no clock — "today" is given).
 * - A leaver is an owned, active Peakon user that a complete HR read no longer has in scope, or whose termination date
 *   has come. Owned: in the ownership ledger (ownership/ledger.ts) or matched to an HR record. Nobody else is touched.
 * - A returner is an inactive Peakon user back in scope: its update sets `active: true` (and clears the separation
 *   attributes `separate` wrote, unless the mapping sets them).
 * - The guard holds every leaver write for a person's approval when there are many, like Okta's import safeguard and
 *   Entra's accidental-deletion threshold, or when the HR read shrank suspiciously since the last completed run.
 */
import type { LeaversConfig } from '../config/schema';
import type { DesiredEmployee } from '../mapping/employee';
import type { PatchOperation, ScimUser } from '../scim/resources';
import { PEAKON_USER_SCHEMA } from '../scim/urns';
import { peakonAttributePatch } from './payloads';
import type { EmployeeWrite, FieldChange, LeaverWrite } from './types';

/** What deciding leavers needs beyond the settings (PlanOptions.leaverSettings): the facts of a whole-tenant run. */
export interface LeaverContext {
  /** YYYY-MM-DD in `settings.timeZone`: termination dates on or before it have come. */
  today: string;
  /** Peakon user ids in the ownership ledger before this run. */
  owned: ReadonlySet<string>;
  /** Matching keys of HR records that were read but rejected (invalid): still employed, so never leavers. */
  retainedKeys: ReadonlySet<string>;
  /** HRIS ids of rejected records: their Peakon user (`externalId`) is still employed too, whatever its key. */
  retainedSourceIds: ReadonlySet<string>;
  /**
   * Under `matching.key: employeeNumber`, the emails (emailMatchKey) of rejected records (RecordProblem.emailKey): the
   * Peakon user holding one is very likely that person (a valid record's create skipped on it keeps it, sync/plan.ts
   * collisionHolders), so never a leaver while the record is invalid. Every whole-tenant run fills it
   * (activities/plan.ts); absent: none.
   */
  retainedEmailKeys?: ReadonlySet<string>;
  /** Rejected records with neither a valid matching key nor a valid id: nobody can tell whose Peakon user they are. */
  unidentifiedRecords: number;
  /** Employees in scope of this read (valid or not), and of the last completed run's read. */
  readCount: number;
  lastCompleteRead?: { records: number } | undefined;
}

/**
 * The write that switches a leaver off, and what it changes. Always a PATCH (one operation), whatever `updateMethod` says.
 * Under `separate` the separation date is the HR system's termination date, else the one Peakon already holds (an
 * earlier run wrote it from the HR record, which has since left the read), else the run's day; the reason likewise:
 * the mapped one, else Peakon's, else `separation.reason`. The person's real last day and reason are never replaced by
 * the day the connector noticed or a default.
 */
export function leaverWrite(settings: LeaversConfig, user: ScimUser, separation: { date: string | undefined; reason: string | undefined; today: string }): { kind: LeaverWrite; write: EmployeeWrite; changes: FieldChange[] } {
  if (settings.action === 'delete') return { kind: 'delete', write: { method: 'delete' }, changes: [{ field: 'user', from: 'exists', to: null }] };
  const operations: PatchOperation[] = [{ op: 'replace', path: 'active', value: false }];
  const changes: FieldChange[] = [{ field: 'active', from: true, to: false }];
  if (settings.action === 'separate') {
    const peakon = (user[PEAKON_USER_SCHEMA] ?? {}) as Record<string, unknown>;
    for (const [attribute, value] of Object.entries(separationValues(settings, user, separation, separation.today))) {
      if (value === undefined || value === nonEmptyText(peakon[attribute])) continue;
      operations.push(peakonAttributePatch(attribute, value));
      const from = peakon[attribute];
      changes.push({ field: attribute, from: typeof from === 'string' || typeof from === 'number' ? from : null, to: value, peakon: true });
    }
  }
  return { kind: 'deactivate', write: { method: 'patch', operations }, changes };
}

/** A string with something besides whitespace, as given; else undefined. */
export const nonEmptyText = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

/**
 * What `separate` writes to the separation attributes: the given date and reason (the HR record's), else what Peakon
 * holds, else, on `today` (a write that switches the user off), that day and `separation.reason` (none when unset).
 */
function separationValues(settings: LeaversConfig, user: ScimUser, given: { date: string | undefined; reason: string | undefined }, today: string | undefined): Record<string, string | undefined> {
  const peakon = (user[PEAKON_USER_SCHEMA] ?? {}) as Record<string, unknown>;
  const { dateAttribute, reasonAttribute } = settings.separation;
  const date = given.date ?? nonEmptyText(peakon[dateAttribute]) ?? today;
  const reason = given.reason ?? nonEmptyText(peakon[reasonAttribute]) ?? (today !== undefined ? settings.separation.reason : undefined);
  return { [dateAttribute]: date, [reasonAttribute]: reason };
}

/**
 * Under `separate`, the separation of someone the HR record marks inactive (a status of Terminated, often before any
 * termination date: a date that has come makes a leaver, leaverWrite; one ahead keeps them active until then). Each
 * attribute is the mapped value, else what Peakon holds (a blank HR cell maps to null, which would remove the separation
 * an earlier run wrote, run after run), else, when this write switches the user off (`switchingOffOn`, the run's day),
 * the run's day and `separation.reason`: without them the person would be switched off with no separation, and no
 * later run adds one (they are inactive then).
 */
export function withSeparation(settings: LeaversConfig, employee: DesiredEmployee, user: ScimUser, switchingOffOn: string | undefined): DesiredEmployee {
  if (settings.action !== 'separate') return employee;
  const mapped = employee.user[PEAKON_USER_SCHEMA] ?? {};
  const { dateAttribute, reasonAttribute } = settings.separation;
  const values = separationValues(settings, user, { date: nonEmptyText(mapped[dateAttribute]), reason: nonEmptyText(mapped[reasonAttribute]) }, switchingOffOn);
  const known = Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return known.length ? { ...employee, user: { ...employee.user, [PEAKON_USER_SCHEMA]: { ...mapped, ...Object.fromEntries(known) } } } : employee;
}

/** True when the person's termination date has come (on or before today). */
export function hasLeft(terminationDate: string | undefined, today: string): boolean {
  return terminationDate !== undefined && terminationDate <= today;
}

/**
 * A rehire: HR systems keep the last termination date when someone is hired again (BambooHR's `terminationDate`, many
 * exports' "Termination Date"), with a new start date (the mapped `Tenure`) after it and the status back to active.
 * Once that start date has come, the termination ended an earlier employment: it makes no leaver, and a separation date
 * attribute holding a date before the start is written empty, because Peakon itself switches off anyone whose
 * separation date has passed. The HR status must say so (`hrStatus`: the mapping maps `active` and the record is
 * active; without a mapped status the person is told why they stay a leaver): a termination date before the start
 * date is also what a withdrawn offer looks like (hired for June 1, withdrawn on May 15), and only the status tells
 * the two apart. Between the two dates the person is between
 * employments, and the termination date decides as for anyone (a seasonal worker is a leaver from their last day until
 * the next season starts). A termination on or after the start date is the current employment's; without a mapped
 * start date or status nothing can tell, and the date decides.
 */
export function currentEmployment(employee: DesiredEmployee, today: string, separationDateAttribute: string | undefined, hrStatus: 'active' | 'inactive' | 'unmapped'): DesiredEmployee {
  const { terminationDate, startDate } = employee;
  if (terminationDate === undefined || startDate === undefined || terminationDate >= startDate || startDate > today) return employee;
  if (hrStatus === 'inactive') return employee;
  if (hrStatus === 'unmapped') {
    // Actionable, so said every run until someone maps the status (or the HR system clears the old date).
    const warning = `termination date ${terminationDate} is before their start date ${startDate}: a rehire or a withdrawn offer, which only an HR status tells apart; the mapping maps none (mapping.active), so the termination date decides`;
    return { ...employee, warnings: [...employee.warnings, warning] };
  }
  const { terminationDate: _earlier, ...rehired } = employee;
  const peakon = employee.user[PEAKON_USER_SCHEMA];
  const separation = separationDateAttribute === undefined ? undefined : peakon?.[separationDateAttribute];
  if (separationDateAttribute === undefined || typeof separation !== 'string' || separation >= startDate) return rehired;
  return { ...rehired, user: { ...employee.user, [PEAKON_USER_SCHEMA]: { ...peakon, [separationDateAttribute]: null } } };
}

/** Leavers are on: settings given, and `action` is not `off` (which only counts them). */
export function leaversOn(settings: LeaversConfig | undefined): boolean {
  return settings !== undefined && settings.action !== 'off';
}

/**
 * The separation attributes a returner's update clears: those `leavers.action: separate` writes (its date and reason
 * attributes), none under any other action. Every run knows them from the settings, not only a whole-tenant one.
 */
export function separationAttributes(settings: LeaversConfig): string[] {
  return settings.action === 'separate' ? [settings.separation.dateAttribute, settings.separation.reasonAttribute] : [];
}

/**
 * A returner's intended Peakon extension: the separation attributes `separate` wrote (`attributes`, see
 * separationAttributes) are cleared unless the mapping sets them itself (a past separation date would keep Peakon
 * treating the person as gone).
 */
export function returnerClears(attributes: readonly string[], user: ScimUser, mapped: Record<string, unknown> | undefined): Record<string, null> {
  const peakon = (user[PEAKON_USER_SCHEMA] ?? {}) as Record<string, unknown>;
  const clears: Record<string, null> = {};
  for (const attribute of attributes) {
    if (peakon[attribute] !== undefined && peakon[attribute] !== null && peakon[attribute] !== '' && !(mapped && attribute in mapped)) clears[attribute] = null;
  }
  return clears;
}

/**
 * A read with records nobody can identify cannot say who left: any of the people it no longer has may be one of them
 * (an email typo and a broken id in one row). Their deactivations wait for a person, like the guard's; the message
 * counts the records (the report names them) and never quotes them, because it travels in the run's memo.
 */
export function unidentifiedVerdict(settings: LeaversConfig, context: LeaverContext, notInRead: number): { held: true; reason: string } | undefined {
  if (notInRead === 0 || context.unidentifiedRecords === 0 || settings.action === 'off') return undefined;
  const problems = context.unidentifiedRecords === 1 ? '1 HR record or read problem names' : `${context.unidentifiedRecords} HR records or read problems name`;
  return { held: true, reason: `${problems} no employee (a record rejected with neither a valid matching key nor a valid id, or a page that served a record again, so that another may be missing: see the report's invalid records): any of them may be one of the ${notInRead} people no longer in the HR read; fix them, or approve if none is` };
}

/**
 * The guard's verdict on a run's leavers. `ownedActive` is the share's base: the owned active users, and under `delete`
 * also the owned inactive ones the run deletes (sync/plan.ts planLeavers), so the share never passes 100%.
 */
export function guardVerdict(settings: LeaversConfig, context: LeaverContext, leavers: number, ownedActive: number): { held: boolean; reason?: string } {
  const { maxCount, maxShare } = settings.guard;
  if (leavers === 0 || settings.action === 'off') return { held: false };
  const last = context.lastCompleteRead?.records;
  if (last !== undefined && last > 0 && context.readCount < last * (1 - maxShare)) {
    return { held: true, reason: `the HR read has ${context.readCount} employees in scope, ${Math.round((1 - context.readCount / last) * 100)}% fewer than the ${last} of the last completed run (guard: more than ${Math.round(maxShare * 100)}%)` };
  }
  if (leavers > maxCount) return { held: true, reason: `${leavers} leavers is more than leavers.guard.maxCount (${maxCount})` };
  if (leavers > maxShare * ownedActive) {
    return { held: true, reason: `${leavers} leavers is ${Math.round((leavers / Math.max(1, ownedActive)) * 100)}% of the ${ownedActive} owned active users${settings.action === 'delete' ? ' (with the inactive ones it deletes)' : ''}, more than leavers.guard.maxShare (${Math.round(maxShare * 100)}%)` };
  }
  return { held: false };
}

/** "Today" in a time zone, as YYYY-MM-DD. */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
