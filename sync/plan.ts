import { leaversSettings, type ConnectorConfig, type LeaversConfig } from '../config/schema';
import { emailMatchKey } from '../mapping/email';
import { PEAKON_START_DATE_ATTRIBUTE } from '../mapping/record';
import type { DesiredEmployee, RecordProblem } from '../mapping/employee';
import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser, type ScimUserWrite, type UnreadableScimUser } from '../scim/resources';
import { withoutMassClears, type ClearGuardSettings } from './clear-guard';
import { currentEmployment, guardVerdict, hasLeft, leaversOn, leaverWrite, returnerClears, separationAttributes, nonEmptyText, unidentifiedVerdict, withSeparation, type LeaverContext } from './leavers';
import { buildCreateBody, composeUpdate, createChanges } from './payloads';
import { RENAMED_BY_THIS_RUN } from './phases';
import type { LeaversSummary } from './report';
import type { CreateWork, DesiredState, EmployeeIdentity, EmployeeWrite, FieldChange, MatchingKeyKind, UpdateMethod, UpdateWork } from './types';

/**
 * What the run will do for one employee, decided before any write:
 * - `create`: not in Peakon → POST every attribute that resolves at its wave; phase 2 writes only what could not;
 * - `update`: in Peakon with differing attributes → one write in phase 2 (PATCH of the changes, or PUT);
 * - `unchanged`: nothing to write (zero operations);
 * - `discover`: Peakon state unknown (filter discovery) → phase 1 discovers, then creates or compares;
 * - `skip`: deliberately not written (`reason` says why);
 * - `deactivate` / `delete`: a leaver (`reason` says why), written after phase 2 unless the guard holds it.
 */
export type PlannedAction = 'create' | 'update' | 'unchanged' | 'discover' | 'skip' | 'deactivate' | 'delete';

/** The record reference of a leaver no HR record names (they left the read). */
export const NOT_IN_HR_READ = 'not in the HR read';

/** The Peakon users a plan matched to an HR record: the connector owns them from this run on (the ownership ledger). */
export function usersOwnedByPlan(entries: readonly PlanEntry[]): string[] {
  return entries.filter((entry) => entry.peakonUserId !== undefined && entry.recordRef !== NOT_IN_HR_READ).map((entry) => entry.peakonUserId as string);
}

/** Creates are ordered by the org tree in at most this many waves; deeper chains write their reference in phase 2. */
export const MAX_CREATE_WAVES = 16;

/**
 * What the parent workflow needs of a plan entry to order the run: who, which wave, which references, what kind of
 * write, but no bodies or changes. A stored plan (sync/stored-plan.ts) hands the parent only these; partitions and the
 * report load the full entries from the payload store.
 */
export interface LightPlanEntry extends EmployeeIdentity {
  recordRef: string;
  action: PlannedAction;
  peakonUserId?: string;
  reason?: string;
  warnings: string[];
  /** Phase-1 wave (creates and discoveries): wave w starts after every create of waves < w has finished. */
  wave: number;
  create?: Omit<CreateWork, 'createBody' | 'desiredIfFound'>;
  /** Creates: employee references whose target is created in the same or a later wave, written by phase 2. */
  deferredReferences?: Record<string, string>;
  update?: Omit<UpdateWork, 'createdThisRun' | 'write' | 'changes'>;
  /** An inactive Peakon user back in the HR read: the update reactivates them. */
  returner?: boolean;
  /** Matched to a Peakon user the connector did not own before this run (e.g. created by hand): it owns it now. */
  adopted?: boolean;
  /** A stored plan's entries: this entry's position in the stored pages. */
  slot?: number;
}

export interface PlanEntry extends LightPlanEntry {
  /** Planned changes, old → new (a create lists every attribute it sets). */
  changes: FieldChange[];
  create?: CreateWork;
  update?: Omit<UpdateWork, 'createdThisRun'>;
}

export interface Plan {
  entries: PlanEntry[];
  /** Number of create waves (0 when nobody is created or discovered). */
  waves: number;
  /** Owned Peakon users (ownership ledger) that the HR read no longer contains. */
  ownedUsersNotInSource: number;
  /** Leavers, returners and the guard's verdict (only with a whole-tenant listing and `leavers` settings). */
  leavers?: LeaversSummary;
  /** The run's own findings, not one employee's (mass clears withheld: sync/clear-guard.ts). */
  warnings?: string[];
}

export interface PlanOptions {
  matchingKey: MatchingKeyKind;
  updateMethod: UpdateMethod;
  /** The privacy-safe name of an employee in workflow IDs and logs (sync/employee-ref.ts). */
  refOf: (employeeKey: string) => string;
  /** False when `current` holds only some users (a single-employee lookup): references cannot be checked against it. */
  currentIsWholeTenant?: boolean;
  /** Leavers are decided only with a whole-tenant listing, a complete HR read, this context and `leaverSettings`. */
  leavers?: LeaverContext;
  /**
   * Today (YYYY-MM-DD in the leaver settings' time zone), for runs without `leavers`: a person whose termination date
   * has come is never created or reactivated by them either (a single-employee sync, filter discovery).
   */
  today?: string;
  /**
   * The tenant's `leavers` settings (absent: leavers off). Every run applies their date rules, not only one that
   * decides leavers:
   * - with leavers on, an HR record marked inactive whose termination date is still ahead keeps Peakon's state until
   *   that day (`activeUntilTheirDate`), in every run that knows Peakon's state (not filter discovery, which would have
   *   to guess it);
   * - with leavers on, filter discovery leaves people the HR read marks inactive as they are: the tenant is never
   *   listed, so the guard cannot count them, and an export marking everyone inactive would switch everyone off;
   * - a rehire who started has their old separation date (`separation.dateAttribute`) cleared (currentEmployment);
   * - a returner's update clears the separation attributes `separate` wrote (sync/leavers.ts separationAttributes).
   * Whole-tenant runs with `leavers` also decide leavers and the guard by them.
   */
  leaverSettings?: LeaversConfig;
  /** The mapping maps `active` (the HR status): only an active status tells a rehire from a withdrawn offer (currentEmployment). */
  hrStatusMapped?: boolean;
  /** sync.clearGuard: clears of one attribute beyond it are withheld (sync/clear-guard.ts); whole-tenant listings only. */
  clearGuard?: ClearGuardSettings;
  /**
   * Users the listing returned that do not fit the SCIM User schema (scim/resources.ts parseUserListPage). They are
   * in Peakon, so an employee matching one is neither created (a duplicate) nor written from a state this run could
   * not read: they are skipped this run. Absent from `current`, they are never leavers either.
   */
  unreadable?: UnreadableScimUser[];
  /**
   * A single-employee sync whose lookup by matching key found nobody, a user not carrying the record's HR id, or one
   * carrying it that the ledger does not hold (activities/plan.ts needsHrIdLookup): what the one lookup by HR id
   * (`externalId eq`) found. It tells a rename (the key changed in the HR system) from a new hire, and the person's own
   * user from a stale one or another person's holding their key, by the rules of a whole-tenant run (renamedUsers,
   * hrIdHolders); what those rules cannot tell from it is skipped (singleRename).
   */
  hrIdLookup?: HrIdLookup;
  /**
   * A single-employee sync that found anyone by key: the ownership ledger's users, so of several (an address's two IDN
   * spellings) the record matches the one the connector owns first, and a user the ledger does not hold is reported
   * `adopted`, as a whole-tenant run's would.
   */
  owned?: ReadonlySet<string>;
  /**
   * A single-employee sync whose lookups found the person: who holds the record's other unique value (under email
   * matching its employee number, under employee-number matching its email), looked up when no user found holds it
   * (activities/plan.ts holdersOfOtherUniqueValue). Peakon refuses a whole update giving a user a value another holds
   * (409): the update goes without it, as a whole-tenant run's does (uniqueValuesTaken).
   */
  uniqueValueHolders?: { users: ScimUser[]; unreadable: UnreadableScimUser[] };
}

/** What a single-employee sync's lookup by HR id found, and what judging it needs (PlanOptions.hrIdLookup). */
export interface HrIdLookup {
  /** The Peakon users the lookup returned whose externalId is the employee's HR id. */
  users: ScimUser[];
  /** How many Peakon users carry that externalId (the answer's totalResults: more than `users` when cut). */
  total: number;
  /** The answer held users with another externalId: Peakon did not apply the filter, and nothing can be told. */
  filterIgnored?: boolean;
  /** Peakon user ids in the ownership ledger, when the worker has one (without one, ownership is not checked). */
  owned?: ReadonlySet<string>;
  /** Matching keys of every record of the HR read: a user one of them matches by key is that record's person. */
  readKeys: ReadonlySet<string>;
  /** How many records of the HR read carry the employee's HR id. */
  recordsWithHrId: number;
  /**
   * The externalIds of the users found by key that another record of the HR read carries as its HR id (only these, not
   * the read's every id): such a user, owned and active, is that person's, whose key this record now has.
   */
  otherRecordsHrIds?: ReadonlySet<string>;
}

/** The matching key as reasons and warnings name it. */
function keyFieldName(matchingKey: MatchingKeyKind): string {
  return matchingKey === 'email' ? 'email' : 'employee number';
}

/** The key a Peakon user is matched on: the userName lower-cased (SCIM compares it case-insensitively), or the employee number. */
export function peakonUserKey(user: ScimUser, matchingKey: MatchingKeyKind): string | undefined {
  if (matchingKey === 'email') return emailMatchKey(user.userName);
  return user[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
}

const desiredState = (employee: DesiredEmployee): DesiredState => ({ user: employee.user, references: employee.references, createOnly: employee.createOnly, sourceId: employee.sourceId });

/**
 * The plan options a tenant's config decides, the same for every plan made of it: the plan activity's and the
 * benchmark's end-state check (bench/convergence.ts). One place, so an option the config gains reaches both.
 */
export function configPlanOptions(
  config: ConnectorConfig,
  context: { refOf: PlanOptions['refOf']; today: string },
): Pick<PlanOptions, 'matchingKey' | 'updateMethod' | 'refOf' | 'today' | 'leaverSettings' | 'hrStatusMapped'> {
  return {
    matchingKey: config.matching.key,
    updateMethod: config.sync.updateMethod,
    refOf: context.refOf,
    today: context.today,
    leaverSettings: leaversSettings(config),
    hrStatusMapped: config.mapping.active !== undefined,
  };
}

/**
 * The employees as they stand on `today` (currentEmployment: a rehire who has started is no longer the leaver their
 * earlier termination made them); as mapped without a day. Who of them has left is `hasLeft(terminationDate, today)`.
 */
export function employedOn(employees: DesiredEmployee[], today: string | undefined, options: Pick<PlanOptions, 'leaverSettings' | 'hrStatusMapped'>): DesiredEmployee[] {
  if (today === undefined) return employees;
  const dateAttribute = options.leaverSettings?.separation.dateAttribute;
  return employees.map((employee) => currentEmployment(employee, today, dateAttribute, options.hrStatusMapped !== true ? 'unmapped' : employee.user.active !== false ? 'active' : 'inactive'));
}

/**
 * Plans a run. With `current` (one paginated read of the tenant) every action is decided here and only employees that
 * need a write get a child workflow. Without it (filter discovery) every employee is `discover`.
 */
export function buildPlan(allDesired: DesiredEmployee[], current: ScimUser[] | undefined, options: PlanOptions): Plan {
  const { matchingKey } = options;
  const wholeTenantListing = current !== undefined && options.currentIsWholeTenant !== false;
  const leaverContext = wholeTenantListing ? options.leavers : undefined;
  const settings = options.leaverSettings;
  if (options.leavers && !settings) throw new Error('buildPlan: deciding leavers needs leaverSettings');
  // People whose termination date has come are leavers, not employees to create or update.
  const unreadableOf = unreadableMatcher(options.unreadable ?? [], matchingKey);
  /** Employees an unreadable Peakon user may be: skipped this run, yet still employed (never leavers: planLeavers). */
  const leftAloneEmployees = allDesired.filter((employee) => unreadableOf(employee) !== undefined);
  const leftAlone = leftAloneEmployees.map((employee) => unreadableEntry(employee, unreadableOf(employee) as UnreadableScimUser, options));
  const today = leaverContext?.today ?? options.today;
  const readableAsMapped = leftAlone.length ? allDesired.filter((employee) => unreadableOf(employee) === undefined) : allDesired;
  const readable = employedOn(readableAsMapped, today, options);
  const desired = today !== undefined ? readable.filter((employee) => !hasLeft(employee.terminationDate, today)) : readable;
  const terminated = today !== undefined ? readable.filter((employee) => hasLeft(employee.terminationDate, today)) : [];
  /** Every listed user by matching key: several share one when Peakon holds two spellings of an address (IDNA). */
  const currentByKey = new Map<string, ScimUser[]>();
  for (const user of current ?? []) {
    const key = peakonUserKey(user, matchingKey);
    if (key === undefined) continue;
    const users = currentByKey.get(key);
    if (users) users.push(user);
    else currentByKey.set(key, [user]);
  }
  // Ownership is known to a whole-tenant run with a ledger, and to a single-employee sync that found anyone (by key,
  // options.owned, or by HR id).
  const ownedBefore = leaverContext?.owned ?? options.hrIdLookup?.owned ?? options.owned;
  /** The one owned, active user carrying each HR id exactly one record of the read carries: that record's person. */
  const holders = leaverContext && current ? hrIdHolders(readable, current, leaverContext.owned) : new Map<string, ScimUser>();
  /** A user another record of the read holds by HR id: never this record's, whatever key it carries (an address reused). */
  const heldByOther = (user: ScimUser, employee: DesiredEmployee) => user.externalId !== undefined && user.externalId !== employee.sourceId && holders.get(user.externalId) === user;
  const byKey = (employee: DesiredEmployee): ScimUser | undefined => {
    const users = (currentByKey.get(employee.employeeKey) ?? []).filter((user) => !heldByOther(user, employee));
    return users.length === 0 ? undefined : users.length === 1 ? users[0] : preferredUser(users, employee.sourceId, ownedBefore);
  };
  // By HR id, not by the record object: withoutUnreachableReferences copies a record it drops a reference from (a
  // domain move renames a report and their manager at once), and the copy must still be the renamed person.
  const single = current !== undefined && !wholeTenantListing && options.hrIdLookup ? singleRename(readable, currentByKey, byKey, options.hrIdLookup, matchingKey) : undefined;
  /** HR ids of records whose HR id and key name different users (conflictingRecords): neither record is written. */
  const conflicted = leaverContext && current ? conflictingRecords(readable, holders, matchingKey) : new Map<string, string>();
  const renamed = leaverContext && current ? renamedUsers(readable.filter((employee) => !conflicted.has(employee.sourceId)), holders, byKey, leaverContext.owned) : (single?.renamed ?? new Map<string, ScimUser>());
  /**
   * HR ids of records not written because their person's user is unclear: a single-employee sync's (singleRename), or
   * a whole-tenant run's conflicting records.
   */
  const renameUnclear = new Map([...(single?.unclear ?? []), ...conflicted]);
  const isRenamed = (employee: DesiredEmployee) => renamed.has(employee.sourceId);
  // The rename first: a user matched by key that the record does not own (a stale one holding the new address) must
  // not take the place of the person's own user (renamedUsers).
  const currentOf = (employee: DesiredEmployee) => (current ? (renamed.get(employee.sourceId) ?? byKey(employee) ?? null) : undefined);
  /** A user holding the record's key that another record holds by HR id (that person's key changed): this create waits. */
  const keyHeldByOther = (employee: DesiredEmployee) => currentByKey.get(employee.employeeKey)?.find((user) => heldByOther(user, employee));
  const wholeTenant = wholeTenantListing;
  const datesDecide = (employee: DesiredEmployee) => {
    const user = currentOf(employee);
    const employedUntil = leaversOn(settings) ? activeUntilTheirDate(employee, user) : employee;
    return today !== undefined ? inactiveUntilTheirStart(employedUntil, user, today) : employedUntil;
  };
  const employed = current !== undefined ? desired.map(datesDecide) : desired;
  const clearedOnReturn = settings ? separationAttributes(settings) : [];
  const inPeakon = wholeTenant ? peakonEmails(current, options.unreadable ?? []) : new Map<string, PeakonHolder>();
  // The users a single-employee sync's lookups found: by key (both IDN spellings), by HR id, and holding the record's
  // other unique value (uniqueValueHolders). Of those, who holds each email spelling and employee number.
  const seen = wholeTenant ? (current ?? []) : [...(current ?? []), ...(options.hrIdLookup?.users ?? []), ...(options.uniqueValueHolders?.users ?? [])];
  const seenUnreadable = wholeTenant ? [] : (options.uniqueValueHolders?.unreadable ?? []);
  // Peakon's uniqueness tells an address's two IDN spellings apart: who holds each spelling, of the users this plan
  // sees (the whole tenant, or a single-employee sync's lookups).
  const spellingsInPeakon = peakonSpellings(seen, seenUnreadable);
  const numbersInPeakon = wholeTenant ? peakonEmployeeNumbers(current, options.unreadable ?? []) : peakonEmployeeNumbers(seen, seenUnreadable);
  /** A create Peakon would refuse on its other unique field, held by another user (createCollision); undefined: none. */
  const collisionOf = (employee: DesiredEmployee) => (wholeTenant && currentOf(employee) === null && employee.user.active !== false ? (keyCollision(keyHeldByOther(employee), matchingKey) ?? createCollision(employee, matchingKey, inPeakon, numbersInPeakon)) : undefined);
  const references = wholeTenant ? referableEmails(employed, (employee) => currentOf(employee) === null && employee.user.active !== false && collisionOf(employee) === undefined && !renameUnclear.has(employee.sourceId), currentOf, inPeakon, matchingKey) : undefined;
  const renamedTo = new Set(readable.filter(isRenamed).map((employee) => emailMatchKey(employee.user.userName)));
  const reachable = references ? employed.map((employee) => withoutUnreachableReferences(employee, references, renamedTo, currentOf(employee) ? createOnlyAttributes(employee) : new Set())) : employed;
  // Mass clears (an export column come back blank) are withheld; needs the tenant's state, so a listing's runs only.
  const { employees: checked, warnings } = wholeTenant && options.clearGuard ? withoutMassClears(reachable, currentOf, options.clearGuard, settings ? [settings.separation.dateAttribute, settings.separation.reasonAttribute] : []) : { employees: reachable, warnings: [] };

  const phaseOne = new Map<string, DesiredEmployee>();
  for (const employee of checked) {
    const state = currentOf(employee);
    if (renameUnclear.has(employee.sourceId)) continue;
    if (state === undefined || (state === null && employee.user.active !== false && collisionOf(employee) === undefined)) phaseOne.set(emailMatchKey(employee.user.userName), employee);
  }
  const waves = createWaves(phaseOne);
  /** Users holding the email of a create skipped under employee-number matching: very likely that person, no leaver. */
  const collisionHolders = new Set<string>();
  const decided = checked.map((checkedEmployee) => {
    const state = currentOf(checkedEmployee);
    const unclear = renameUnclear.get(checkedEmployee.sourceId);
    if (unclear !== undefined) return skipEntry(options.refOf(checkedEmployee.employeeKey), checkedEmployee, unclear);
    const collision = collisionOf(checkedEmployee);
    if (collision) {
      if (matchingKey === 'employeeNumber') collisionHolders.add(collision.holder);
      return skipEntry(options.refOf(checkedEmployee.employeeKey), checkedEmployee, collision.reason);
    }
    const employee = state && (isRenamed(checkedEmployee) || changesBothUniqueFields(checkedEmployee, state)) ? oneUniqueFieldAtATime(checkedEmployee, state, matchingKey) : checkedEmployee;
    const context = { waves, phaseOne, inPeakon, peakonListed: wholeTenant, clearedOnReturn, today };
    if (!state) return planEmployee(employee, state, options, context);
    const returner = state.active === false && employee.user.active !== false;
    // Any run that reactivates someone (a single-employee sync too) clears the separation `separate` wrote: Peakon
    // switches off anyone whose separation date has passed, so the reactivation would not last. Someone the HR record
    // marks inactive keeps theirs, and is given one when this write switches them off (any run: withSeparation).
    const hrDeactivation = isHrDeactivation(state, employee, leaversOn(settings));
    const separated = settings && employee.user.active === false ? withSeparation(settings, employee, state, hrDeactivation ? today : undefined) : employee;
    const toWrite = returner ? withReturnerClears(employee, state, clearedOnReturn) : separated;
    const planned = planEmployee(toWrite, state, options, context);
    const taken = planned.update ? uniqueValuesTaken(planned.update.changes, state, inPeakon, spellingsInPeakon, numbersInPeakon) : [];
    // Peakon refuses a whole write that gives the user a taken value: the update goes without the taken values, or
    // nothing else would ever be written (two people swapping a number never free it), nor active=false apply to a
    // user switched off (an HR deactivation, or leavers.action: off's ordinary update). A taken value that is the
    // user's own address in the other IDN spelling (a duplicate of the person holds it) just keeps the spelling it has.
    // A returner's write keeps its separation clears without the taken values too, or Peakon switches them off again.
    const blocking = taken.find((value) => !value.respelling);
    const writtenEmployee = taken.length ? withoutTakenValues(toWrite, state, taken, switchesOff(planned.changes)) : toWrite;
    const written = taken.length ? planEmployee(writtenEmployee, state, options, context) : planned;
    // Matched to a user the ledger does not hold: this run owns it from now on (usersOwnedByPlan), whatever it writes,
    // so every line naming the user says so, a skip that keeps its id too. Only a run that knows the ledger tells.
    // A single-employee sync knows it by the ledger its activity read for the users it found (options.owned, hrIdLookup).
    const ledger = leaverContext ? leaverContext.owned : wholeTenantListing ? undefined : ownedBefore;
    const adopted = ledger && !ledger.has(state.id) ? { adopted: true as const } : {};
    // Nothing left to write without them: the update waits whole, saying why.
    if (blocking && written.action !== 'update') return { ...skipEntry(planned.ref, planned, `not updated: ${takenValueText(blocking)}; written by a later run once it is free (a value another user gives up in this run is free the run after)`, state.id), ...adopted };
    const rename = isRenamed(checkedEmployee) && written.action === 'update' && !blocking ? { reason: `matched by HR id (externalId) after its ${keyFieldName(matchingKey)} changed in the HR system: updated in place, not created again` } : {};
    const back = returner ? { returner: true as const, reason: 'returner: back in the HR read, reactivated by this update' } : {};
    // A single-employee sync's returner is named as one in its line too (no leaver summary counts it there).
    if (!leaverContext) return { ...written, ...rename, ...back, ...adopted };
    if (written.update && hrDeactivation) {
      // The HR system marks an active Peakon user inactive: a deactivation like any leaver's, so it runs after phase 2
      // and the guard counts and holds it with the others (an export that marks everyone inactive is held, not run).
      // Under PUT it reads the user first (one GET more): a held write may go out days after the listing, and a replace
      // built from the listing would put back whatever was changed in Peakon meanwhile.
      const readFirst = options.updateMethod === 'put' ? { write: composeUpdate(desiredState(writtenEmployee), state, 'put', { readFirst: true }).write } : {};
      return { ...written, action: 'deactivate' as const, reason: 'inactive in the HR system', update: { ...written.update, ...readFirst, leaver: 'deactivate' as const }, ...adopted };
    }
    return { ...written, ...rename, ...back, ...adopted };
  });
  // A single-employee sync that passed over a key match for the person's own user (singleRename) says why in the
  // person's line, whatever the line says first (an update, a rename waiting for the key that match holds).
  const firstPass = decided.map((entry, index) => {
    const note = single?.passedOver.get((checked[index] as DesiredEmployee).sourceId);
    return note === undefined ? entry : { ...entry, reason: entry.reason ? `${entry.reason}; ${note}` : note };
  });
  // Under PUT a write carries the listed attributes, references included: one naming the old email of anyone whose
  // userName this run changes (a rename, or an ordinary update under employee-number matching) waits a run.
  const usersById = new Map((current ?? []).map((user) => [user.id, user] as const));
  const emailChanged = firstPass.flatMap((entry) => {
    const user = entry.peakonUserId !== undefined && entry.update?.changes.some((change) => !change.peakon && change.field === 'userName') ? usersById.get(entry.peakonUserId) : undefined;
    return user ? [user] : [];
  });
  const renamedAway = options.updateMethod === 'put' ? oldEmailsOf(emailChanged) : new Set<string>();
  const entries = firstPass.map((entry) => {
    const stale = renamedAway.size && entry.update ? staleReferenceIn(entry.update.write, renamedAway) : undefined;
    // The skip keeps the user (owned from this run on), so it keeps the update's `adopted` too.
    return stale ? { ...skipEntry(entry.ref, entry, `not updated this run: its Peakon attribute ${stale.attribute} names ${stale.email}, whom this run renames; a full PUT would send that old email back, which Peakon no longer knows once the rename ran (phase 2 does not order updates), so it waits for the next run`, entry.peakonUserId), ...(entry.adopted ? { adopted: true as const } : {}) } : entry;
  });
  // Loops and reduce, not push(...list) or Math.max(...list): spreading passes every element as an argument, and a
  // tenant of some 150,000 people overflows the call stack (RangeError) on every run.
  for (const entry of leftAlone) entries.push(entry);
  // Without leavers (no whole-tenant listing) a leaver is neither switched off nor brought back: left as they are. One
  // whose user is unclear (a single-employee sync's singleRename) is skipped with that reason and names no user, so
  // nobody is owned through them, as a whole-tenant run skips a terminated record among its conflicting ones.
  if (!leaverContext) {
    for (const employee of terminated) {
      const unclear = renameUnclear.get(employee.sourceId);
      // The reason says first that they left: they are never created, whatever the unclear user's reason warns of.
      const left = `termination date ${employee.terminationDate ?? '?'} has come`;
      if (unclear !== undefined) {
        entries.push(skipEntry(options.refOf(employee.employeeKey), employee, `${left}: ${unclear}`));
        continue;
      }
      // A line naming a user the ledger does not hold owns it from now on (usersOwnedByPlan): it says so, as above.
      const entry = terminatedLeftAlone(employee, currentOf(employee), options);
      const ledger = wholeTenantListing ? undefined : ownedBefore;
      entries.push(entry.peakonUserId !== undefined && ledger && !ledger.has(entry.peakonUserId) ? { ...entry, adopted: true } : entry);
    }
  }
  entries.sort((a, b) => a.wave - b.wave);
  const waveCount = entries.reduce((count, entry) => (entry.create ? Math.max(count, entry.wave + 1) : count), 0);
  if (!leaverContext || !current) {
    const desiredKeys = new Set(desired.map((employee) => employee.employeeKey));
    // Without a whole-tenant listing nobody can be judged a leaver; an externalId is only a hint of ownership.
    const ownedUsersNotInSource = (current ?? []).filter((user) => {
      const key = peakonUserKey(user, matchingKey);
      return user.externalId !== undefined && key !== undefined && !desiredKeys.has(key);
    }).length;
    return { entries: withUniqueRefs(entries, options.refOf), waves: waveCount, ownedUsersNotInSource, ...(warnings.length ? { warnings } : {}) };
  }
  const hrDeactivations = entries.filter((entry) => entry.update?.leaver !== undefined).length;
  const renamedOnto = new Set(readable.filter((employee) => isRenamed(employee) && currentByKey.has(employee.employeeKey)).map((employee) => employee.employeeKey));
  const contested = new Set([...conflicted.keys()].flatMap((sourceId) => holders.get(sourceId)?.id ?? []));
  const leavers = planLeavers(current, desired, terminated, leftAloneEmployees, collisionHolders, { renamedOnto, contested, conflicted }, currentOf, options, leaverContext, settings as LeaversConfig, hrDeactivations);
  for (const entry of leavers.entries) entries.push(entry);
  return { entries: withUniqueRefs(entries, options.refOf), waves: waveCount, ownedUsersNotInSource: leavers.ownedNotInSource, leavers: { ...leavers.summary, returners: entries.filter((entry) => entry.returner).length }, ...(warnings.length ? { warnings } : {}) };
}

/**
 * The user a record matches among several Peakon users with its matching key: the one the connector owns (when the run
 * knows the ledger), then the one holding the record's HR id as externalId, then an active one; among equals the
 * lowest id, so the order Peakon lists them in never decides. The others are reported as duplicates (planLeavers).
 * Matching a stale leftover instead (inactive, hand-made) would adopt and reactivate it, rename it onto the other's
 * address (which Peakon refuses, every run) and leave the person's real user frozen.
 */
function preferredUser(users: readonly ScimUser[], sourceId: string, owned: ReadonlySet<string> | undefined): ScimUser | undefined {
  const rank = (user: ScimUser) => (owned?.has(user.id) ? 0 : 4) + (user.externalId === sourceId ? 0 : 2) + (user.active !== false ? 0 : 1);
  let best: ScimUser | undefined;
  for (const user of users) {
    if (!best || rank(user) < rank(best) || (rank(user) === rank(best) && user.id < best.id)) best = user;
  }
  return best;
}

/**
 * A ref names one employee's workflows (their IDs) and their lines in the report. Entries that would share one get a
 * ref of their own, by their Peakon user: two Peakon users with one key (both leavers, or one left alone beside the one
 * a record matched), or an `E100` leaver beside a record `e100` (refs fold case). The first keeps its ref, so a person
 * matched by a record always has the ref their key gives; otherwise the second workflow ID would collide with the
 * first's and fail the run, at every run.
 * A ref still shared after that (a regression here or in refOf) fails the plan, before anything is written or owned,
 * rather than the run halfway through its writes (the second child workflow's start refused) or two people's report
 * lines merged. Not retried: the same read plans the same refs again.
 */
function withUniqueRefs(entries: PlanEntry[], refOf: (employeeKey: string) => string): PlanEntry[] {
  /** Each ref taken, and the position of the entry holding it (for the error only). */
  const seen = new Map<string, number>();
  return entries.map((entry, index) => {
    if (!seen.has(entry.ref)) {
      seen.set(entry.ref, index);
      return entry;
    }
    const ref = refOf(`${entry.employeeKey}\u0000${entry.peakonUserId ?? entry.recordRef}`);
    const holder = seen.get(ref);
    if (holder !== undefined) throw sharedRefError(ref, entries[holder] as PlanEntry, holder, entry, index);
    seen.set(ref, index);
    return { ...entry, ref, ...(entry.update ? { update: { ...entry.update, ref } } : {}), ...(entry.create ? { create: { ...entry.create, ref } } : {}) };
  });
}

/**
 * The plan's refs are not unique (an internal error): names the ref (privacy-safe), positions and actions, never a key,
 * record or user id. Not retried (activities/failures.ts): the same read plans the same refs again.
 */
export class PlanRefsNotUniqueError extends Error {
  override readonly name = 'PlanRefsNotUniqueError';
}

function sharedRefError(ref: string, first: PlanEntry, firstIndex: number, second: PlanEntry, secondIndex: number): PlanRefsNotUniqueError {
  return new PlanRefsNotUniqueError(`internal error: plan entries ${firstIndex} (${first.action}) and ${secondIndex} (${second.action}) share the employee ref ${ref}; one ref is one workflow ID and one report line, so the run stops before writing anything (please report this)`);
}

/**
 * The leavers of a whole-tenant listing: owned active users no record of the read matches (in scope or rejected), and
 * matched people whose termination date has come; under `leavers.action: delete` owned or matched users Peakon already
 * holds inactive as well (deleting removes their personal data). Users the connector never owned are counted and left
 * alone.
 * `leftAlone`: employees skipped because an unreadable Peakon user may be them (unreadableMatcher). They are still
 * employed, like a rejected record: a user with their matching key or their HR id as externalId is no leaver (their
 * ordinary user, matched by no record this run, would otherwise be switched off as "no longer in scope").
 * `kept`: Peakon user ids no leaver this run (the holders of a skipped create's email: createCollision). Under
 * employee-number matching, a user holding a rejected record's email (LeaverContext.retainedEmailKeys) is no leaver
 * either: the same person a valid record's skipped create would keep.
 * `renamedOnto`: keys of records matched by HR id to their own user while another user holds their new key.
 * `contested`: users carrying one record's HR id and another's key (conflictingRecords); `conflicted`: those records'
 * HR ids, with the reason they are not written. A terminated record among them is not written either: skipped with
 * that reason, and the user its key matches stays matched (no leaver, not counted unowned) but is neither switched off
 * nor owned by this run, as for a conflicting record still employed.
 * A matched user the ledger does not hold is owned from this run on (usersOwnedByPlan): its line says `adopted`.
 */
function planLeavers(current: ScimUser[], desired: DesiredEmployee[], terminated: DesiredEmployee[], leftAlone: DesiredEmployee[], kept: ReadonlySet<string>, heldKeys: { renamedOnto: ReadonlySet<string>; contested: ReadonlySet<string>; conflicted: ReadonlyMap<string, string> }, currentOf: (employee: DesiredEmployee) => ScimUser | null | undefined, options: PlanOptions, context: LeaverContext, settings: LeaversConfig, hrDeactivations: number): { entries: PlanEntry[]; summary: LeaversSummary; ownedNotInSource: number } {
  const entries: PlanEntry[] = [];
  const matchedIds = new Set<string>();
  for (const employee of [...desired, ...terminated]) {
    const user = currentOf(employee);
    if (user) matchedIds.add(user.id);
  }
  const leaverEntry = (user: ScimUser, employeeKey: string, recordRef: string, reason: string, separation: { date: string | undefined; reason: string | undefined }, warnings: string[] = []): PlanEntry => {
    const { kind, write, changes } = leaverWrite(settings, user, { ...separation, today: context.today });
    const ref = options.refOf(employeeKey);
    const off = settings.action === 'off';
    return {
      ref,
      employeeKey,
      recordRef,
      action: off ? 'skip' : kind,
      peakonUserId: user.id,
      reason: off ? `${reason} (leavers.action: off, left active)` : reason,
      changes: off ? [] : changes,
      warnings,
      wave: 0,
      ...(off ? {} : { update: { ref, employeeKey, peakonUserId: user.id, write, references: {}, changes, leaver: kind } }),
    };
  };
  /**
   * `delete` removes a leaver's personal data, so a leaver Peakon already holds inactive is deleted too (an HR-inactive
   * record the run switched off that later left the export, someone Peakon switched off at their separation date, a
   * tenant moved from `deactivate`); under the other actions such a user has nothing left to change. Still only an
   * owned or matched user. Counted in the guard's base as well as among its leavers (guardVerdict's share).
   */
  const deleting = settings.action === 'delete';
  let inactiveDeletes = 0;
  for (const employee of terminated) {
    const conflict = heldKeys.conflicted.get(employee.sourceId);
    if (conflict !== undefined) {
      entries.push(skipEntry(options.refOf(employee.employeeKey), employee, conflict));
      continue;
    }
    const user = currentOf(employee);
    const base = { ref: options.refOf(employee.employeeKey), employeeKey: employee.employeeKey, recordRef: employee.recordRef, warnings: employee.warnings, wave: 0, changes: [] };
    const left = `termination date ${employee.terminationDate ?? '?'} has come`;
    const adopted = user && !context.owned.has(user.id) ? { adopted: true as const } : {};
    if (!user) entries.push({ ...base, action: 'skip', reason: `${left}: not created` });
    // A user the terminated record matches is that person's, adopted whether active or not (as an `already inactive`
    // line adopts it under the other actions): under `delete` it is deleted like an active one.
    else if (user.active === false && !deleting) entries.push({ ...base, action: 'unchanged', peakonUserId: user.id, reason: `${left}: already inactive`, ...adopted });
    else {
      if (user.active === false) inactiveDeletes += 1;
      const mappedReason = employee.user[PEAKON_USER_SCHEMA]?.[settings.separation.reasonAttribute];
      entries.push({ ...leaverEntry(user, employee.employeeKey, employee.recordRef, user.active === false ? `${left} (already inactive in Peakon)` : left, { date: employee.terminationDate, reason: nonEmptyText(mappedReason) }, employee.warnings), ...adopted });
    }
  }
  let unowned = 0;
  let ownedNotInSource = 0;
  const readKeys = new Set([...desired, ...terminated].map((employee) => employee.employeeKey));
  const readSourceIds = new Set([...desired, ...terminated].map((employee) => employee.sourceId));
  /** HR ids of records still employed (a terminated record's person left: their old user is a leaver like any other). */
  const employedSourceIds = new Set(desired.map((employee) => employee.sourceId));
  const { renamedOnto, contested } = heldKeys;
  /**
   * An owned user holding a renamed person's new key whose own HR id no record carries any more: that person left, and
   * their user is a leaver like any other (deactivated, or deleted, which frees the key for the rename).
   */
  const ownedLeaverOnRenamedKey = (user: ScimUser, key: string) => renamedOnto.has(key) && context.owned.has(user.id) && user.externalId !== undefined && !readSourceIds.has(user.externalId) && !context.retainedSourceIds.has(user.externalId);
  const leftAloneKeys = new Set(leftAlone.map((employee) => employee.employeeKey));
  const leftAloneSourceIds = new Set(leftAlone.map((employee) => employee.sourceId));
  /** Peakon users that share their key with the user a record matched: reported, never counted as leavers. */
  const duplicates: PlanEntry[] = [];
  for (const user of current) {
    if (matchedIds.has(user.id) || kept.has(user.id)) continue;
    const key = peakonUserKey(user, options.matchingKey);
    if (key !== undefined && (context.retainedKeys.has(key) || leftAloneKeys.has(key))) continue;
    if (user.externalId !== undefined && leftAloneSourceIds.has(user.externalId)) continue;
    if (key !== undefined && readKeys.has(key) && !ownedLeaverOnRenamedKey(user, key)) {
      // Two Peakon users share the key (`anna@exämple.com` and `anna@xn--exmple-cua.com` are one mailbox): the record
      // matched the other one. This one is not a leaver but a duplicate a person must resolve; switching it off would
      // hit whichever of the two the listing happened to put first.
      // Not the record's entry (NOT_IN_HR_READ): the run neither owns this user (usersOwnedByPlan) nor counts it read.
      const field = keyFieldName(options.matchingKey);
      const reason = contested.has(user.id)
        ? `carries one HR record's id as externalId and another HR record's ${field}: left alone, not a leaver, and neither record is written until a person settles which is this user's (see those records' lines)`
        : renamedOnto.has(key)
          ? `holds the ${field} an HR record changed to, whose person this run matched by HR id (externalId) to their own Peakon user: left alone, not a leaver; their change waits until this user gives the ${field} up (change or remove it in Peakon)`
          : `another Peakon user has the same ${field}, and the HR record matched that one: left alone, not a leaver (merge or remove the duplicate in Peakon)`;
      duplicates.push({ ref: options.refOf(key), employeeKey: key, recordRef: NOT_IN_HR_READ, action: 'skip', peakonUserId: user.id, reason, changes: [], warnings: [], wave: 0 });
      continue;
    }
    if (user.externalId !== undefined && context.retainedSourceIds.has(user.externalId)) continue;
    // A rejected record's email under employee-number matching: its holder is very likely that person (the user a
    // valid record's skipped create keeps, `kept`, whether the address is its userName or another of its emails), still
    // employed whatever its number and externalId.
    if (options.matchingKey === 'employeeNumber' && [user.userName, ...(user.emails ?? []).map((email) => email.value)].some((address) => context.retainedEmailKeys?.has(emailMatchKey(address)))) continue;
    if (!context.owned.has(user.id)) {
      unowned += 1;
      continue;
    }
    ownedNotInSource += 1;
    // An inactive user still carrying the HR id of a record of the read is that person (their key changed while they
    // were inactive, so no rename reached them: hrIdHolders renames active users only), still employed: not deleted.
    if (user.active === false && (!deleting || (user.externalId !== undefined && employedSourceIds.has(user.externalId)))) continue;
    if (user.active === false) inactiveDeletes += 1;
    entries.push(leaverEntry(user, key ?? emailMatchKey(user.userName), NOT_IN_HR_READ, user.active === false ? 'no longer in scope of the HR read (already inactive in Peakon)' : 'no longer in scope of the HR read', { date: undefined, reason: undefined }));
  }
  const leavers = entries.filter((entry) => entry.update?.leaver !== undefined).length + hrDeactivations;
  const planned = settings.action === 'off' ? entries.filter((entry) => entry.action === 'skip' && entry.peakonUserId !== undefined).length : leavers;
  // The guard's base: owned active users, and the inactive ones this run deletes (leavers of that base, so the share
  // stays at most 100%; a tenant moved to `delete` with many old inactive leavers is still held by maxCount).
  const ownedActive = current.filter((user) => user.active !== false && (context.owned.has(user.id) || matchedIds.has(user.id))).length + inactiveDeletes;
  const notInRead = entries.filter((entry) => entry.recordRef === NOT_IN_HR_READ && entry.update?.leaver !== undefined).length;
  const verdict = unidentifiedVerdict(settings, context, notInRead) ?? guardVerdict(settings, context, leavers, ownedActive);
  return {
    entries: [...entries, ...duplicates],
    ownedNotInSource,
    summary: { action: settings.action, planned, returners: 0, held: verdict.held, ...(verdict.reason ? { heldReason: verdict.reason } : {}), unowned },
  };
}

/**
 * A person whose termination date has come, in a run that cannot decide leavers (a single-employee sync, filter
 * discovery): never created, never reactivated by an update that would send `active: true`, never switched off either.
 */
function terminatedLeftAlone(employee: DesiredEmployee, user: ScimUser | null | undefined, options: PlanOptions): PlanEntry {
  const base = { ref: options.refOf(employee.employeeKey), employeeKey: employee.employeeKey, recordRef: employee.recordRef, warnings: employee.warnings, wave: 0, changes: [] };
  const left = `termination date ${employee.terminationDate ?? '?'} has come`;
  if (user === null) return { ...base, action: 'skip', reason: `${left}: not created` };
  if (user?.active === false) return { ...base, action: 'unchanged', peakonUserId: user.id, reason: `${left}: already inactive` };
  return { ...base, action: 'skip', ...(user ? { peakonUserId: user.id } : {}), reason: `${left}: left as it is (only a whole-tenant run with sync.discovery: list switches leavers off)` };
}

/**
 * A person the HR record marks inactive but whose termination date is still ahead (HR systems often set the status as
 * soon as the termination is entered): the date decides, as it does for everyone. Until it comes they keep the state
 * Peakon has (an active user stays active, an inactive one stays inactive, someone not yet in Peakon is created active);
 * from that day on they are a leaver. `desired` holds only people whose date, if any, is still ahead.
 */
function activeUntilTheirDate(employee: DesiredEmployee, user: ScimUser | null | undefined): DesiredEmployee {
  if (employee.user.active !== false || employee.terminationDate === undefined) return employee;
  const active = user?.active ?? true;
  const warning = `inactive in the HR system, but leaving on ${employee.terminationDate}: ${active ? 'active' : 'left inactive'} in Peakon until then (a leaver from that day)`;
  return { ...employee, user: { ...employee.user, active }, warnings: [...employee.warnings, warning] };
}


/**
 * A future hire Peakon holds inactive because their start date (`Tenure`) is still ahead, as Peakon does by itself:
 * not a returner to switch on. Reactivating them would be undone by Peakon and sent again by every run until they
 * start (one wasted operation a run each, a returner in every report, under `separate` their separation attributes
 * cleared). From their start date on they are reactivated like any returner.
 */
function inactiveUntilTheirStart(employee: DesiredEmployee, user: ScimUser | null | undefined, today: string): DesiredEmployee {
  const start = startAhead(employee, user, today);
  if (start === undefined) return employee;
  const warning = `starts on ${start}: inactive in Peakon until then, not reactivated before`;
  return { ...employee, user: { ...employee.user, active: false }, warnings: [...employee.warnings, warning] };
}

/** The start date (YYYY-MM-DD) that keeps an inactive Peakon user inactive today, if any (inactiveUntilTheirStart). */
function startAhead(employee: Pick<DesiredState, 'user' | 'createOnly'>, user: ScimUser | null | undefined, today: string): string | undefined {
  if (!user || user.active !== false || employee.user.active === false) return undefined;
  // The start date Peakon goes by: its own when the mapping writes Tenure only at creation (a rehire keeps theirs).
  const createOnly = employee.createOnly.includes(`${PEAKON_USER_SCHEMA}:${PEAKON_START_DATE_ATTRIBUTE}`);
  const value = (createOnly ? user : employee.user)[PEAKON_USER_SCHEMA]?.[PEAKON_START_DATE_ATTRIBUTE];
  // A date, or an ISO date-time (Peakon documents its dates as ISO 8601); anything else decides nothing.
  const start = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}(T|$)/.test(value) ? value.slice(0, 10) : undefined;
  return start !== undefined && start > today ? start : undefined;
}

/**
 * An active Peakon user whose HR record says inactive (e.g. status Terminated without a termination date yet). With
 * `leavers.action: off` nothing is a leaver, and the change stays an ordinary update.
 */
function isHrDeactivation(user: ScimUser, employee: DesiredEmployee, leaversAreOn: boolean): boolean {
  return leaversAreOn && user.active !== false && employee.user.active === false;
}

/** A Peakon user holding a unique value: its id, and what a skip's reason may say of it (never its values). */
interface PeakonHolder {
  id: string;
  state: 'active' | 'inactive' | 'unreadable';
}

const holderOf = (user: ScimUser): PeakonHolder => ({ id: user.id, state: user.active === false ? 'inactive' : 'active' });
const unreadableHolder = (user: UnreadableScimUser): PeakonHolder => ({ id: user.id, state: 'unreadable' });

/** Every email in Peakon (match keys), with a user holding it: the one whose userName it is before one listing it among its emails. */
function peakonEmails(current: readonly ScimUser[], unreadable: readonly UnreadableScimUser[]): Map<string, PeakonHolder> {
  return emailHolders(current, unreadable, emailMatchKey);
}

/**
 * Who holds each email spelling in Peakon, letter case aside: Peakon's uniqueness tells an address's two IDN spellings
 * apart, which peakonEmails' match keys fold together.
 */
function peakonSpellings(current: readonly ScimUser[], unreadable: readonly UnreadableScimUser[]): Map<string, PeakonHolder> {
  return emailHolders(current, unreadable, (email) => email.toLowerCase());
}

/** Every email in Peakon under `keyOf`, with a user holding it: userNames before listed emails, readable users first. */
function emailHolders(current: readonly ScimUser[], unreadable: readonly UnreadableScimUser[], keyOf: (email: string) => string): Map<string, PeakonHolder> {
  const emails = new Map<string, PeakonHolder>();
  for (const user of current) emails.set(keyOf(user.userName), holderOf(user));
  for (const user of current) {
    for (const email of user.emails ?? []) if (!emails.has(keyOf(email.value))) emails.set(keyOf(email.value), holderOf(user));
  }
  // Unreadable users are in Peakon too: a reference to one must not be dropped as unreachable.
  for (const user of unreadable) for (const email of unreadableAddresses(user).map(keyOf)) if (!emails.has(email)) emails.set(email, unreadableHolder(user));
  return emails;
}

/** Every employee number in Peakon, with the user holding it (unreadable users' too: they are in Peakon). */
function peakonEmployeeNumbers(current: readonly ScimUser[], unreadable: readonly UnreadableScimUser[]): Map<string, PeakonHolder> {
  const numbers = new Map<string, PeakonHolder>();
  for (const user of current) {
    const number = user[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
    if (number !== undefined && !numbers.has(number)) numbers.set(number, holderOf(user));
  }
  for (const user of unreadable) if (user.employeeNumber !== undefined && !numbers.has(user.employeeNumber)) numbers.set(user.employeeNumber, unreadableHolder(user));
  return numbers;
}

/**
 * Peakon allows each email and each employee number once per tenant and refuses a create that repeats either (409). A
 * create matches nobody by the matching key, but its other unique field may be held: under employee-number matching
 * its email (a contractor made an employee gets a new number and HR id but keeps the address), under email matching
 * its employee number (a former employee's user still holds the number given to a new hire), or its address among
 * another user's other emails (a secondary address). The POST would fail,
 * and its discovery by the matching key would find nobody, in every run: the create is skipped instead, naming the
 * field and the user. Under employee-number matching the user holding the email is very likely the same person, so it
 * is no leaver in that run either (planLeavers `kept`). Needs the whole tenant listed; a rename matched by HR id is no
 * create, so it is never judged here.
 */
function createCollision(employee: DesiredEmployee, matchingKey: MatchingKeyKind, emails: ReadonlyMap<string, PeakonHolder>, numbers: ReadonlyMap<string, PeakonHolder>): { holder: string; reason: string } | undefined {
  const state = (holder: PeakonHolder) => (holder.state === 'unreadable' ? 'which this run could not read' : holder.state);
  if (matchingKey === 'employeeNumber') {
    const holder = emails.get(emailMatchKey(employee.user.userName));
    if (!holder) return undefined;
    return { holder: holder.id, reason: `not created: the email is held by Peakon user ${holder.id} (${state(holder)}; Peakon allows each email once, so it would refuse the create), very likely this person under an earlier employee number, so that user is not switched off by this run either; free the email or match that user first (give it this employee number in Peakon)` };
  }
  // Nobody has the address as userName (that would be a match), but a user may list it among its other emails.
  const emailHolder = emails.get(emailMatchKey(employee.user.userName));
  if (emailHolder) return { holder: emailHolder.id, reason: `not created: the email is one of the addresses of Peakon user ${emailHolder.id} (${state(emailHolder)}; Peakon allows each email once, so it would refuse the create); remove it from that user or free it first` };
  // A cleared number (null) is no number to collide on.
  const number = employee.user[ENTERPRISE_USER_SCHEMA]?.employeeNumber ?? undefined;
  const holder = number !== undefined ? numbers.get(number) : undefined;
  if (!holder) return undefined;
  return { holder: holder.id, reason: `not created: the employee number is held by Peakon user ${holder.id} (${state(holder)}; Peakon allows each employee number once, so it would refuse the create); free it or match that user first` };
}

/** A unique value an update would give a user that another Peakon user holds (uniqueValuesTaken). */
interface TakenValue {
  what: 'email' | 'employee number';
  holder: PeakonHolder;
  /** The value is the user's own address in its other IDN spelling (mapping/email.ts emailSpellings), not a new one. */
  respelling?: true;
}

/**
 * Peakon refuses (409) a write that gives a user an email (its userName or work address) or an employee number another
 * user holds, on every run. Such an update waits, with a reason naming the field and the holder, until the value is
 * free (another user's value changed by the same run is free the run after); a write that switches the user off goes
 * without those values instead (withoutTakenValues). Empty when the update's unique values are free.
 */
function uniqueValuesTaken(changes: readonly FieldChange[], user: ScimUser, emails: ReadonlyMap<string, PeakonHolder>, spellings: ReadonlyMap<string, PeakonHolder>, numbers: ReadonlyMap<string, PeakonHolder>): TakenValue[] {
  const taken: TakenValue[] = [];
  for (const change of changes) {
    // A Peakon attribute called `email` or `employeeNumber` is not unique in Peakon: only the core fields are.
    if (typeof change.to !== 'string' || change.peakon) continue;
    const isEmail = change.field === 'userName' || change.field === 'email';
    // By the exact spelling first: two users may share an address's match key, one per IDN spelling.
    const holder = isEmail ? (spellings.get(change.to.toLowerCase()) ?? emails.get(emailMatchKey(change.to))) : change.field === 'employeeNumber' ? numbers.get(change.to) : undefined;
    if (!holder || holder.id === user.id) continue;
    const what = isEmail ? 'email' : 'employee number';
    const respelling = isEmail && emailMatchKey(change.to) === emailMatchKey(user.userName) ? { respelling: true as const } : {};
    // userName and the work address are usually one value: one finding per field and holder.
    if (!taken.some((found) => found.what === what && found.holder.id === holder.id)) taken.push({ what, holder, ...respelling });
  }
  return taken;
}

/** What a skip's reason or a warning says of a taken value: the field and the holder's Peakon id, never the value. */
function takenValueText({ what, holder }: TakenValue): string {
  return `the new ${what} is held by Peakon user ${holder.id} (${holder.state === 'unreadable' ? 'which this run could not read' : holder.state}; Peakon allows each ${what} once, so it would refuse the update)`;
}

/** The update sets `active: false`: an HR deactivation, or an HR-inactive person under leavers.action: off. */
function switchesOff(changes: readonly FieldChange[]): boolean {
  return changes.some((change) => !change.peakon && change.field === 'active' && change.to === false);
}

/**
 * A write without the unique values another user holds (uniqueValuesTaken): Peakon refuses the whole write, so nothing
 * else would ever apply (a switch-off's active=false: the person would go on being surveyed, run after run). The user
 * keeps Peakon's email (userName and emails) or employee number this run, with a warning naming the holder; a later
 * run writes the value as an ordinary update once it is free.
 */
function withoutTakenValues(employee: DesiredEmployee, state: ScimUser, taken: readonly TakenValue[], switchOff: boolean): DesiredEmployee {
  let kept = employee;
  if (taken.some((value) => value.what === 'email')) {
    const { emails: _mapped, ...user } = kept.user;
    kept = { ...kept, user: { ...user, userName: state.userName, ...(state.emails ? { emails: state.emails.map((email) => ({ ...email })) } : {}) } };
  }
  if (taken.some((value) => value.what === 'employee number')) kept = withPeakonsEmployeeNumber(kept, state);
  const warnings = taken.map((value) =>
    value.respelling
      ? `the address's other spelling is held by Peakon user ${value.holder.id} (${value.holder.state}; Peakon tells an internationalised domain's two spellings apart): this user keeps its own spelling; remove or merge the other user in Peakon`
      : switchOff
        ? `${takenValueText(value)}: left out of this write, which switches the user off without it; written by a later run once it is free`
        : `${takenValueText(value)}: left out of this write, whose other changes go without it; written by a later run once it is free (never, while two users swap it: change one of them in Peakon)`,
  );
  return { ...kept, warnings: [...kept.warnings, ...warnings] };
}

function unreadableEmails(user: UnreadableScimUser): string[] {
  return unreadableAddresses(user).map(emailMatchKey);
}

/** The addresses an unreadable user holds, as Peakon stores them. */
function unreadableAddresses(user: UnreadableScimUser): string[] {
  return [...(user.userName !== undefined ? [user.userName] : []), ...user.emails];
}

/**
 * The unreadable user an employee may be, by any key still readable: the matching key, any of their emails, or the
 * HR id as externalId. Broader than ordinary matching on purpose: a false match only postpones one person's sync,
 * a missed one creates a duplicate.
 */
function unreadableMatcher(unreadable: UnreadableScimUser[], matchingKey: MatchingKeyKind): (employee: DesiredEmployee) => UnreadableScimUser | undefined {
  if (unreadable.length === 0) return () => undefined;
  const byKey = new Map<string, UnreadableScimUser>();
  for (const user of unreadable) {
    for (const email of unreadableEmails(user)) byKey.set(`email:${email}`, user);
    if (matchingKey === 'employeeNumber' && user.employeeNumber !== undefined) byKey.set(`number:${user.employeeNumber}`, user);
    if (user.externalId !== undefined) byKey.set(`source:${user.externalId}`, user);
  }
  return (employee) =>
    byKey.get(`email:${emailMatchKey(employee.user.userName)}`) ??
    (matchingKey === 'employeeNumber' ? byKey.get(`number:${employee.employeeKey}`) : undefined) ??
    (employee.sourceId !== undefined ? byKey.get(`source:${employee.sourceId}`) : undefined);
}

/**
 * An employee whose Peakon user could not be read: skipped, naming the user and the fields (never values). No
 * peakonUserId, so recording ownership and every later phase pass them by as if this run never matched them.
 */
function unreadableEntry(employee: DesiredEmployee, user: UnreadableScimUser, options: PlanOptions): PlanEntry {
  return {
    ref: options.refOf(employee.employeeKey),
    employeeKey: employee.employeeKey,
    recordRef: employee.recordRef,
    warnings: employee.warnings,
    wave: 0,
    action: 'skip',
    reason: `Peakon user ${user.id} could not be read (${user.fields.join(', ')} do not fit the SCIM User schema): left alone this run`,
    changes: [],
  };
}

/**
 * The Peakon user each HR id names, by the `externalId` the connector wrote: only active users the connector owns
 * (another system's externalId means nothing here; an inactive user may be a leaver whose HR id the HR system has
 * given to a new hire), and only ids exactly one user and one record of the read carry (an id on two users, or two
 * records, names nobody). That user is the record's person whatever key it holds: another record with its key (an
 * address or number reused for a new hire) never takes it over.
 */
function hrIdHolders(records: readonly DesiredEmployee[], current: readonly ScimUser[], owned: ReadonlySet<string>): Map<string, ScimUser> {
  const bySourceId = new Map<string, ScimUser | null>();
  for (const user of current) {
    if (user.externalId === undefined || !owned.has(user.id) || user.active === false) continue;
    bySourceId.set(user.externalId, bySourceId.has(user.externalId) ? null : user);
  }
  const recordsBySourceId = new Map<string, number>();
  for (const employee of records) recordsBySourceId.set(employee.sourceId, (recordsBySourceId.get(employee.sourceId) ?? 0) + 1);
  const holders = new Map<string, ScimUser>();
  for (const [sourceId, user] of bySourceId) if (user && recordsBySourceId.get(sourceId) === 1) holders.set(sourceId, user);
  return holders;
}

/**
 * Owned Peakon users whose person's matching key changed in the HR system (a new email after a marriage or a domain
 * move, a new employee number), by their HR id (hrIdHolders). Matched by key alone, the person would be created a
 * second time, or would take over a stale user holding the new key (adopted, reactivated), and their own user would be
 * deactivated as a leaver: their survey history split, or gone with `leavers.action: delete`. A key match stands only
 * when it is the record's own user (owned, with its HR id); past a user holding the new key, the rename meets the
 * taken-value check and waits, naming that user.
 */
function renamedUsers(records: readonly DesiredEmployee[], holders: ReadonlyMap<string, ScimUser>, byKey: (employee: DesiredEmployee) => ScimUser | undefined, owned: ReadonlySet<string>): Map<string, ScimUser> {
  const renamed = new Map<string, ScimUser>();
  for (const employee of records) {
    const holder = holders.get(employee.sourceId);
    if (!holder) continue;
    const matched = byKey(employee);
    if (matched === holder || (matched && matched.externalId === employee.sourceId && owned.has(matched.id))) continue;
    renamed.set(employee.sourceId, holder);
  }
  return renamed;
}

/**
 * Records whose HR id and matching key name different people. The owned, active user carrying record X's HR id
 * (hrIdHolders) holds record Y's key, and either Y has no user of its own, or following whose key each next user holds
 * leads back to X. Both look like a key given to someone else (an address reused for a new hire as its holder was
 * renamed) as much as an HR id given to someone else (a rehire under a new id whose old id went to another person, ids
 * swapped or rotated by an HR correction), and either guess would write one person's data onto another's user. So
 * those records are not written, each with a reason naming the user, and the users are no leavers (planLeavers
 * `contested`), until a person corrects the HR system or Peakon. A chain that ends at a key nobody's user holds is a
 * series of renames (A takes B's old address as B moves on): each person keeps their own user, and the renames free
 * the keys one run after another.
 */
function conflictingRecords(records: readonly DesiredEmployee[], holders: ReadonlyMap<string, ScimUser>, matchingKey: MatchingKeyKind): Map<string, string> {
  const field = keyFieldName(matchingKey);
  const byKey = new Map(records.map((employee) => [employee.employeeKey, employee] as const));
  const bySourceId = new Map(records.map((employee) => [employee.sourceId, employee] as const));
  /** The record whose key the user carrying `sourceId` holds, when that is another record. */
  const next = (sourceId: string): DesiredEmployee | undefined => {
    const holder = holders.get(sourceId);
    const key = holder ? peakonUserKey(holder, matchingKey) : undefined;
    const other = key === undefined ? undefined : byKey.get(key);
    return other && other.sourceId !== sourceId ? other : undefined;
  };
  /** Whether following the users' keys from `from` comes back to `to` (a swap or a rotation). */
  const leadsBack = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    for (let current: string | undefined = from; current !== undefined && !seen.has(current); current = next(current)?.sourceId) {
      if (current === to) return true;
      seen.add(current);
    }
    return false;
  };
  const settle = `the HR id and the ${field} disagree (one of them given to someone else), so it is not written: correct the HR system, or that user in Peakon`;
  const conflicts = new Map<string, string>();
  for (const [sourceId, holder] of holders) {
    const person = bySourceId.get(sourceId);
    const other = next(sourceId);
    if (!person || !other) continue;
    const ownerless = !holders.has(other.sourceId);
    if (!ownerless && !leadsBack(other.sourceId, sourceId)) continue;
    conflicts.set(sourceId, `not written: Peakon user ${holder.id} carries this person's HR id as externalId but holds the ${field} of another HR record (${other.recordRef})${ownerless ? '' : ', whose own user holds another record\'s in turn'}; ${settle}`);
    if (ownerless) conflicts.set(other.sourceId, `not written: Peakon user ${holder.id} holds this ${field} but carries the HR id of another HR record (${person.recordRef}) as externalId; ${settle}`);
  }
  return conflicts;
}

/**
 * A create whose key another record's user holds (hrIdHolders: that person's key changed, and this record got their
 * old one): Peakon would refuse it (409) until that user's rename has run, so it waits, naming the holder. Filter
 * discovery skips such a record in the same words (activities/employee.ts heldByOtherRecord), rather than take the user over.
 */
export function keyCollision(holder: Pick<ScimUser, 'id'> | undefined, matchingKey: MatchingKeyKind): { holder: string; reason: string } | undefined {
  if (!holder) return undefined;
  const field = keyFieldName(matchingKey);
  return { holder: holder.id, reason: `not created: the ${field} is held by Peakon user ${holder.id}, which carries another HR record's id as externalId and is that person's user (their ${field} changed in the HR system); created by a later run once that user has given it up` };
}

/** What a single-employee sync's lookup by HR id says of the person's own user (singleRename). */
type HrIdVerdict =
  /** Nobody carries the HR id. */
  | { kind: 'none' }
  /** The one user a whole-tenant run would rename (hrIdHolders' rules). */
  | { kind: 'own'; user: ScimUser }
  /**
   * Users carry the HR id that those rules do not allow to rename (`why`). `undecided`: a whole-tenant run could still
   * find the person's own user among them, so not even a key match stands (nobody can tell from one lookup).
   */
  | { kind: 'unclear'; why: string; undecided: boolean };

function hrIdVerdict(employee: DesiredEmployee, lookup: HrIdLookup, matchingKey: MatchingKeyKind): HrIdVerdict {
  const users = lookup.users.filter((user) => user.externalId === employee.sourceId);
  if (!lookup.filterIgnored && users.length === 0 && lookup.total === 0) return { kind: 'none' };
  const [user] = users;
  const key = keyFieldName(matchingKey);
  const named = users.length ? `Peakon user ${users.map((candidate) => candidate.id).join(', ')}${lookup.total > users.length ? ', …' : ''}` : 'a Peakon user';
  const userKey = user ? peakonUserKey(user, matchingKey) : undefined;
  const unclear = (why: string, undecided: boolean): HrIdVerdict => ({ kind: 'unclear', why, undecided });
  if (lookup.filterIgnored) return unclear('Peakon did not apply the externalId filter, so whether a user holds this HR id is unknown', true);
  // An id on several users, or on several records, names nobody in a whole-tenant run either (hrIdHolders).
  if (Math.max(lookup.total, users.length) > 1) return unclear(`${named} hold this person's HR id as externalId`, false);
  if (lookup.recordsWithHrId !== 1) return unclear(`${named} holds this person's HR id as externalId, which ${lookup.recordsWithHrId} records of the HR read carry`, false);
  if (!user) return unclear(`${named} holds this person's HR id as externalId but was not returned`, true);
  if (lookup.owned !== undefined && !lookup.owned.has(user.id)) return unclear(`${named} holds this person's HR id as externalId but the connector does not own it`, false);
  if (user.active === false) return unclear(`${named} holds this person's HR id as externalId but is inactive (a leaver's id may have been given to a new hire)`, false);
  if (userKey !== undefined && userKey !== employee.employeeKey && lookup.readKeys.has(userKey)) return unclear(`${named} holds this person's HR id as externalId but another HR record has its ${key}`, true);
  return { kind: 'own', user };
}

/**
 * What a single-employee sync's lookup by HR id says when its key match carries the HR id but the ledger does not hold
 * it (singleRename): a whole-tenant run keeps such a match unless one owned, active user carries the id and exactly one
 * record of the read carries it (hrIdHolders), and then renames that user (renamedUsers). `none`: no such user, so the
 * key match stands (and is adopted), as it would in a whole-tenant run.
 */
function ownedHolderVerdict(employee: DesiredEmployee, lookup: HrIdLookup, matchingKey: MatchingKeyKind): HrIdVerdict {
  if (lookup.filterIgnored) return { kind: 'unclear', why: 'Peakon did not apply the externalId filter, so whether a user the connector owns holds this HR id is unknown', undecided: true };
  // An id on several records names nobody in a whole-tenant run (hrIdHolders).
  if (lookup.recordsWithHrId !== 1) return { kind: 'none' };
  const holders = lookup.users.filter((user) => user.externalId === employee.sourceId && lookup.owned?.has(user.id) === true && user.active !== false);
  // Two owned, active users with the id name nobody either; fewer among more than the lookup returned may be one.
  if (holders.length > 1) return { kind: 'none' };
  if (lookup.total > lookup.users.length) return { kind: 'unclear', why: `${lookup.total} Peakon users hold this person's HR id as externalId, more than one lookup returns, so whether exactly one of them is the connector's own is unknown`, undecided: true };
  const [holder] = holders;
  if (!holder) return { kind: 'none' };
  const holderKey = peakonUserKey(holder, matchingKey);
  if (holderKey !== undefined && holderKey !== employee.employeeKey && lookup.readKeys.has(holderKey)) return { kind: 'unclear', why: `the connector's Peakon user ${holder.id} holds this person's HR id as externalId but another HR record has its ${keyFieldName(matchingKey)}`, undecided: true };
  return { kind: 'own', user: holder };
}

/**
 * A single-employee sync's match, by the rules of renamedUsers and hrIdHolders applied to what its lookups found (by
 * key, and by HR id when the key found nobody, a user without the record's HR id, or one carrying it that the
 * connector does not own):
 * - a user by key carrying the record's HR id: matched, when the connector owns it (or the worker keeps no ledger).
 *   One it does not own (another system that writes HR ids as externalId made it) is not the person's own while the
 *   connector owns one active user carrying the id: that user is renamed (`passedOver` says why the key match was not
 *   taken), as a whole-tenant run renames it; adopting the key match would make both owned, and the next whole-tenant
 *   run would switch the person's real user off as a leaver. What one lookup cannot tell is skipped. With no such user
 *   the key match stands (adopted), as in a whole-tenant run;
 * - nobody by key: the one user carrying the id, active, owned (when there is a ledger), matched by key by no record
 *   of the read, and exactly one record with that id, is renamed. A user found that these rules do not allow to rename
 *   may still be this person under their old key: creating them again would make a second Peakon user, and the next
 *   whole-tenant run would switch off (or delete) the first. Such an employee is skipped;
 * - a user by key that does not carry the record's HR id: the person's own user found by HR id wins (a stale user
 *   holding the new key is not adopted, reactivated or overwritten; the taken key waits, as in a whole-tenant run); a
 *   key-matched user owned, active and carrying the HR id of another record of the read is that person's (their key
 *   was given to this one) and is not taken over. Either skip tells the operator to run a whole-tenant sync, which
 *   decides. Otherwise the key match stands (a rehire under a new HR id whose old id no record carries).
 */
function singleRename(records: DesiredEmployee[], currentByKey: ReadonlyMap<string, readonly ScimUser[]>, byKey: (employee: DesiredEmployee) => ScimUser | undefined, lookup: HrIdLookup, matchingKey: MatchingKeyKind): { renamed: Map<string, ScimUser>; unclear: Map<string, string>; passedOver: Map<string, string> } {
  const renamed = new Map<string, ScimUser>();
  const unclear = new Map<string, string>();
  const passedOver = new Map<string, string>();
  const key = keyFieldName(matchingKey);
  const wholeTenantDecides = 'run a whole-tenant sync, which matches renames by HR id and decides';
  for (const employee of records) {
    const matched = currentByKey.has(employee.employeeKey) ? byKey(employee) : undefined;
    if (matched?.externalId === employee.sourceId) {
      // Their own user by key (owned, or no ledger to tell by): matched as before, whatever the lookup by HR id found.
      if (lookup.owned === undefined || lookup.owned.has(matched.id)) continue;
      const verdict = ownedHolderVerdict(employee, lookup, matchingKey);
      const notOwned = `Peakon user ${matched.id} has this ${key} and this person's HR id as externalId but the connector does not own it`;
      if (verdict.kind === 'own') {
        renamed.set(employee.sourceId, verdict.user);
        passedOver.set(employee.sourceId, `${notOwned}, so it is not adopted: the connector's own Peakon user ${verdict.user.id}, carrying the HR id, is this person's (their ${key} changed in the HR system), as a whole-tenant run matches`);
      } else if (verdict.kind === 'unclear') {
        unclear.set(employee.sourceId, `${notOwned}, and ${verdict.why}: not written, as this person's own Peakon user may be another one, under an earlier ${key}; ${wholeTenantDecides}`);
      }
      continue;
    }
    const verdict = hrIdVerdict(employee, lookup, matchingKey);
    if (verdict.kind === 'own') {
      renamed.set(employee.sourceId, verdict.user);
      continue;
    }
    if (!matched) {
      if (verdict.kind === 'unclear') unclear.set(employee.sourceId, `${verdict.why}: not created, as it may be this person under an earlier ${key} (a second Peakon user for them would follow); ${wholeTenantDecides}`);
      continue;
    }
    if (verdict.kind === 'unclear' && verdict.undecided) {
      unclear.set(employee.sourceId, `Peakon user ${matched.id} has this ${key} but not this person's HR id, and ${verdict.why}: not written, as this person's own Peakon user may be another one, under an earlier ${key}; ${wholeTenantDecides}`);
      continue;
    }
    const owned = lookup.owned === undefined || lookup.owned.has(matched.id);
    if (matched.externalId !== undefined && owned && matched.active !== false && lookup.otherRecordsHrIds?.has(matched.externalId)) {
      unclear.set(employee.sourceId, `not written: the ${key} is held by Peakon user ${matched.id}, which carries another HR record's id as externalId and is that person's user (their ${key} changed in the HR system), so it is not taken over; ${wholeTenantDecides} (it renames that user and creates this person once the ${key} is free)`);
    }
  }
  return { renamed, unclear, passedOver };
}

/**
 * Peakon changes a user's unique fields (email, employee number) one at a time, never both in one write. A rename
 * changes the matching key; when the other unique field changed in the HR system too, this run keeps it as Peakon has
 * it, and the next run, which matches the user by the new key, writes it as an ordinary update.
 */
export function oneUniqueFieldAtATime(employee: DesiredEmployee, state: ScimUser, matchingKey: MatchingKeyKind): DesiredEmployee {
  const waits = (what: string) => [...employee.warnings, `${what} waits for the next run: Peakon changes a user's email and employee number one at a time, and this run changes the ${keyFieldName(matchingKey)}`];
  if (matchingKey === 'email') {
    const wanted = employee.user[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
    const held = state[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
    // null: the HR field is empty, a clear; nothing to clear when Peakon holds no number.
    if (wanted === undefined || (wanted ?? undefined) === held) return employee;
    const what = wanted === null ? 'clearing the employee number' : `the new employee number (${wanted})`;
    return { ...withPeakonsEmployeeNumber(employee, state), warnings: waits(what) };
  }
  const wanted = employee.user.userName;
  if (!emailChangesInPeakon(wanted, state.userName)) return employee;
  const emails = employee.user.emails?.map((email) => (emailMatchKey(email.value) === emailMatchKey(wanted) ? { ...email, value: state.userName } : email));
  return { ...employee, user: { ...employee.user, userName: state.userName, ...(emails ? { emails } : {}) }, warnings: waits(`the new email (${wanted})`) };
}

/** The employee with the employee number Peakon holds (none when it holds none): the HR one is not written this run. */
function withPeakonsEmployeeNumber(employee: DesiredEmployee, state: ScimUser): DesiredEmployee {
  const held = state[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
  const { employeeNumber: _new, ...enterprise } = employee.user[ENTERPRISE_USER_SCHEMA] ?? {};
  return { ...employee, user: { ...employee.user, [ENTERPRISE_USER_SCHEMA]: { ...enterprise, ...(held !== undefined ? { employeeNumber: held } : {}) } } };
}

/**
 * Whether Peakon sees a new email: it compares emails case-insensitively and knows nothing of IDNA or Unicode
 * normalisation, so a respelling the connector matches as the same person (emailMatchKey: `exämple.com` and its
 * `xn--` form) is still a change of email there.
 */
function emailChangesInPeakon(wanted: string, held: string): boolean {
  return wanted.toLowerCase() !== held.toLowerCase();
}

/**
 * A write that would change both the email (as Peakon compares it) and the employee number, outside a rename: a
 * person matched by email whose address is respelled (sync/payloads writes the mapping's form) and whose number
 * changed. Peakon refuses both in one request, so oneUniqueFieldAtATime defers one, as for a rename. A number given
 * to a user who had none counts as a change, as oneUniqueFieldAtATime counts it.
 */
export function changesBothUniqueFields(employee: DesiredEmployee, state: ScimUser): boolean {
  const wanted = employee.user[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
  // null clears the number: a change when Peakon holds one.
  return emailChangesInPeakon(employee.user.userName, state.userName) && wanted !== undefined && (wanted ?? undefined) !== state[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
}

/** An entry that writes nothing this run, saying why (for a Peakon user, naming it). */
function skipEntry(ref: string, employee: Pick<PlanEntry, 'employeeKey' | 'recordRef' | 'warnings'>, reason: string, peakonUserId?: string): PlanEntry {
  return { ref, employeeKey: employee.employeeKey, recordRef: employee.recordRef, warnings: employee.warnings, wave: 0, action: 'skip', ...(peakonUserId !== undefined ? { peakonUserId } : {}), reason, changes: [] };
}

/** The emails (match keys) of the users whose userName this run changes, gone from Peakon once their update ran. */
function oldEmailsOf(renamed: Iterable<ScimUser>): Set<string> {
  const emails = new Set<string>();
  for (const user of renamed) {
    emails.add(emailMatchKey(user.userName));
    for (const email of user.emails ?? []) emails.add(emailMatchKey(email.value));
  }
  return emails;
}

/**
 * A PUT replaces the whole user, so it carries Peakon's own attributes as listed, references to others included (a
 * PATCH sends only what changed). One naming the old email of someone this run renames is refused (400: a reference to
 * nobody) whenever the rename ran first: the first such attribute, else undefined.
 */
function staleReferenceIn(write: EmployeeWrite, renamedAway: ReadonlySet<string>): { attribute: string; email: string } | undefined {
  if (write.method !== 'put') return undefined;
  for (const [attribute, value] of Object.entries(write.body[PEAKON_USER_SCHEMA] ?? {})) {
    if (typeof value === 'string' && renamedAway.has(emailMatchKey(value))) return { attribute, email: value };
  }
  return undefined;
}

/** The emails a reference may name (referableEmails), and those held by another user than their person's (heldBack). */
interface ReferableEmails {
  referable: Set<string>;
  heldBack: Set<string>;
}

/**
 * Emails an employee attribute may name after phase 1: everyone already in Peakon, plus everyone this run creates.
 * Peakon resolves a reference to whoever holds the email: a person of the read whose email another Peakon user holds
 * (their own change of email waits, or their create was skipped) is not referable, or the reference would be written
 * to that other user. It waits with a warning until the person's own user holds the email.
 */
function referableEmails(desired: DesiredEmployee[], createdByThisRun: (employee: DesiredEmployee) => boolean, currentOf: (employee: DesiredEmployee) => ScimUser | null | undefined, inPeakon: ReadonlyMap<string, unknown>, matchingKey: MatchingKeyKind): ReferableEmails {
  const referable = new Set(inPeakon.keys());
  const heldBack = new Set<string>();
  const created: string[] = [];
  for (const employee of desired) {
    const email = emailMatchKey(employee.user.userName);
    const user = currentOf(employee);
    if (createdByThisRun(employee)) created.push(email);
    // Under employee-number matching, a person nobody has by number whose email a user holds is very likely that user
    // under an earlier number (createCollision): a reference by that email reaches them, as it did before.
    else if (inPeakon.has(email) && !holdsEmail(user, email) && !(matchingKey === 'employeeNumber' && user === null)) heldBack.add(email);
  }
  for (const email of heldBack) referable.delete(email);
  for (const email of created) referable.add(email);
  return { referable, heldBack };
}

/** The user holds the email (a match key) as its userName or among its emails (an address's two IDN spellings are one). */
function holdsEmail(user: ScimUser | null | undefined, email: string): boolean {
  return user != null && [user.userName, ...(user.emails ?? []).map((address) => address.value)].some((value) => emailMatchKey(value) === email);
}

/**
 * Peakon rejects a reference to someone who does not exist. A reference to a person neither in Peakon nor created by
 * this run (typically an inactive manager who never reached Peakon) is left out with a warning, instead of a write that
 * fails and repeats on every run. `notWritten` names references this run would not write anyway (an existing user's
 * onlyOnCreate ones): left out without a warning, since nothing was lost.
 */
function withoutUnreachableReferences(employee: DesiredEmployee, { referable, heldBack }: ReferableEmails, renamedTo: Set<string>, notWritten: ReadonlySet<string>): DesiredEmployee {
  const unreachable = Object.entries(employee.references).filter(([, email]) => !referable.has(emailMatchKey(email)));
  if (unreachable.length === 0) return employee;
  const references = Object.fromEntries(Object.entries(employee.references).filter(([, email]) => referable.has(emailMatchKey(email))));
  // A person renamed by this run has the new email only once their own update ran, which phase 2 does not order.
  const why = (email: string) =>
    heldBack.has(emailMatchKey(email))
      ? "another Peakon user holds the person's email, so Peakon would give the reference to that user; written once the person's own user holds it"
      : renamedTo.has(emailMatchKey(email))
        ? RENAMED_BY_THIS_RUN
        : 'not in Peakon and not created by this run';
  const warnings = unreachable.filter(([attribute]) => !notWritten.has(attribute)).map(([attribute, email]) => `${attribute} (${email}) left out: ${why(email)}`);
  return { ...employee, references, warnings: [...employee.warnings, ...warnings] };
}

/** The Peakon attributes an employee's mapping sets only on create (onlyOnCreate), by attribute name. */
export function createOnlyAttributes(employee: DesiredEmployee): Set<string> {
  const prefix = `${PEAKON_USER_SCHEMA}:`;
  return new Set(employee.createOnly.filter((path) => path.startsWith(prefix)).map((path) => path.slice(prefix.length)));
}

/**
 * The wave of everyone phase 1 creates or discovers: 0 when they reference nobody else of phase 1, otherwise one more
 * than the deepest person they reference (their manager's chain). References that close a cycle do not count; they are
 * written in phase 2. Waves are capped at MAX_CREATE_WAVES.
 */
function createWaves(phaseOne: Map<string, DesiredEmployee>): Map<DesiredEmployee, number> {
  const wave = new Map<DesiredEmployee, number>();
  const onPath = new Set<DesiredEmployee>();
  // A depth-first walk with its own stack, not recursion: a chain of references thousands long (a mis-mapped column,
  // reports listed before their managers) would overflow the call stack and fail every plan. Same order and result as
  // the recursive walk: each reference looked at when its turn comes, one on the path (a cycle) skipped.
  interface Frame {
    employee: DesiredEmployee;
    emails: string[];
    next: number;
    deepest: number;
  }
  const enter = (employee: DesiredEmployee): Frame => {
    onPath.add(employee);
    return { employee, emails: Object.values(employee.references), next: 0, deepest: -1 };
  };
  for (const root of phaseOne.values()) {
    if (wave.has(root)) continue;
    const stack: Frame[] = [enter(root)];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      if (frame.next < frame.emails.length) {
        const email = frame.emails[frame.next] as string;
        frame.next += 1;
        const target = phaseOne.get(emailMatchKey(email));
        if (!target || target === frame.employee || onPath.has(target)) continue;
        const known = wave.get(target);
        if (known !== undefined) frame.deepest = Math.max(frame.deepest, known);
        else stack.push(enter(target));
        continue;
      }
      stack.pop();
      onPath.delete(frame.employee);
      const result = Math.min(frame.deepest + 1, MAX_CREATE_WAVES - 1);
      wave.set(frame.employee, result);
      const parent = stack[stack.length - 1];
      if (parent) parent.deepest = Math.max(parent.deepest, result);
    }
  }
  return wave;
}

interface PlanContext {
  waves: Map<DesiredEmployee, number>;
  phaseOne: Map<string, DesiredEmployee>;
  /** Every email in Peakon (match keys); empty when the plan did not list the whole tenant (peakonListed). */
  inPeakon: ReadonlyMap<string, unknown>;
  /** Whether the plan listed the whole tenant, so an email not in `inPeakon` is known to be nobody's. */
  peakonListed: boolean;
  /** The separation attributes a returner's update clears (separationAttributes of PlanOptions.leaverSettings). */
  clearedOnReturn: readonly string[];
  /** The run's day, when known (filter discovery decides a future hire's start by it). */
  today: string | undefined;
}

/** A returner's state with the separation attributes `separate` wrote cleared, unless the mapping sets them. */
function withReturnerClears<T extends { user: ScimUserWrite }>(employee: T, user: ScimUser, attributes: readonly string[]): T {
  const clears = returnerClears(attributes, user, employee.user[PEAKON_USER_SCHEMA]);
  if (Object.keys(clears).length === 0) return employee;
  return { ...employee, user: { ...employee.user, [PEAKON_USER_SCHEMA]: { ...(employee.user[PEAKON_USER_SCHEMA] ?? {}), ...clears } } };
}

/**
 * Filter discovery: the state phase 1 compares with the user it found (activities/employee.ts discoverEmployee), by the
 * rules a plan that knows Peakon's state applies. A future hire Peakon holds inactive until their start date (the
 * plan's `today`) stays inactive (inactiveUntilTheirStart); a returner (found inactive, reactivated by this state) has
 * the separation attributes `separate` wrote cleared.
 */
export function desiredForFound(desired: DesiredState, found: ScimUser): DesiredState {
  const { clearOnReturn, today, ...wanted } = desired;
  const held = today !== undefined && startAhead(wanted, found, today) !== undefined;
  const state = held ? { ...wanted, user: { ...wanted.user, active: false } } : wanted;
  const returner = found.active === false && state.user.active !== false;
  return returner && clearOnReturn ? withReturnerClears(state, found, clearOnReturn) : state;
}

/** `current`: the Peakon user, null when the listing shows none, undefined when Peakon's state is unknown. */
function planEmployee(employee: DesiredEmployee, current: ScimUser | null | undefined, options: PlanOptions, context: PlanContext): PlanEntry {
  const base = { ref: options.refOf(employee.employeeKey), employeeKey: employee.employeeKey, recordRef: employee.recordRef, warnings: employee.warnings, wave: 0 };
  if (current === undefined && employee.user.active === false && leaversOn(options.leaverSettings)) {
    return { ...base, action: 'skip', reason: 'inactive in the HR system: not deactivated, because with sync.discovery: filter the guard cannot count deactivations (use discovery: list, or leavers.action: off to deactivate as an ordinary update)', changes: [] };
  }
  if (current === null && employee.user.active === false) {
    // Creating someone the HRIS already marks inactive would only add a person Peakon never surveys.
    return { ...base, action: 'skip', reason: 'inactive in the HR system and not in Peakon: not created', changes: [] };
  }
  if (current === undefined || current === null) {
    const wave = context.waves.get(employee) ?? 0;
    // A reference resolves at creation when its target is already in Peakon or is created in an earlier wave. A
    // single-employee sync (`sync --employee`: this person looked up, the tenant not listed) cannot tell whether someone
    // else is in Peakon: its create carries the reference, as most are (a new hire's manager), rather than always
    // spending a second write on it; one to nobody is refused (400) and the create is sent again without its
    // references, which its deferred write, all of them in one PATCH, lost the same way. Not under filter discovery
    // (`current` undefined): there a 400 for an unknown reference would also drop one that resolves by wave.
    const unverifiable = current === null && !context.peakonListed;
    const carried: Record<string, string> = {};
    const deferred: Record<string, string> = {};
    for (const [attribute, email] of Object.entries(employee.references)) {
      const target = context.phaseOne.get(emailMatchKey(email));
      const resolves = target ? target !== employee && (context.waves.get(target) ?? 0) < wave : unverifiable || context.inPeakon.has(emailMatchKey(email));
      (resolves ? carried : deferred)[attribute] = email;
    }
    const state = desiredState(employee);
    const createBody = buildCreateBody(state, carried);
    // A cleared number (null) is no number to discover or create by.
    const employeeNumber = employee.user[ENTERPRISE_USER_SCHEMA]?.employeeNumber ?? undefined;
    const create: CreateWork = {
      ref: base.ref,
      employeeKey: employee.employeeKey,
      userName: employee.user.userName,
      matchingKey: options.matchingKey,
      ...(employeeNumber !== undefined ? { employeeNumber } : {}),
      createBody,
      createReferences: carried,
      knownAbsent: current === null,
      ...(current === undefined ? { desiredIfFound: { ...state, ...(context.clearedOnReturn.length ? { clearOnReturn: [...context.clearedOnReturn] } : {}), ...(context.today !== undefined ? { today: context.today } : {}) } } : {}),
    };
    const changes = createChanges(state);
    return { ...base, wave, action: current === null ? 'create' : 'discover', changes: current === null ? changes : [], create, ...(Object.keys(deferred).length ? { deferredReferences: deferred } : {}) };
  }
  const update = composeUpdate(desiredState(employee), current, options.updateMethod);
  if (update.changes.length === 0) {
    return { ...base, action: 'unchanged', peakonUserId: current.id, changes: [] };
  }
  return { ...base, action: 'update', peakonUserId: current.id, changes: update.changes, update: { ref: base.ref, employeeKey: employee.employeeKey, peakonUserId: current.id, ...update } };
}

export interface PlanCounts {
  employees: number;
  create: number;
  update: number;
  unchanged: number;
  discover: number;
  skip: number;
  deactivate: number;
  delete: number;
  invalid: number;
}

export function countPlan(plan: Plan, problems: RecordProblem[]): PlanCounts {
  const counts: PlanCounts = { employees: plan.entries.filter((entry) => entry.recordRef !== NOT_IN_HR_READ).length, create: 0, update: 0, unchanged: 0, discover: 0, skip: 0, deactivate: 0, delete: 0, invalid: new Set(problems.map((problem) => problem.recordRef)).size };
  for (const entry of plan.entries) counts[entry.action] += 1;
  return counts;
}
