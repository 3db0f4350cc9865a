import { Context, log } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { checkDeletionConfirmed, checkGuardTimeoutFitsRetention, checkListingFitsPlanTime, checkWritesFitRetention } from '../config/guard-retention';
import { leaversSettings, type ConnectorConfig } from '../config/schema';
import { readAllRecords, type HrisReadOptions } from '../hris/source';
import { whileTicking } from '../net/while-ticking';
import { RECORD_HEARTBEAT_MS } from '../ownership/store';
import { emailMatchKey, emailSpellings } from '../mapping/email';
import { mapEmployees, type MappingReport } from '../mapping/map';
import type { DesiredEmployee, MappingResult, RecordProblem } from '../mapping/employee';
import type { ListingProgress, ScimClient } from '../scim/client';
import { DEFAULT_PACER_BURST } from '../scim/pacer';
import { ENTERPRISE_USER_SCHEMA, type ScimUser, type UnreadableScimUser } from '../scim/resources';
import { ScimUnreadableUserError } from '../scim/errors';
import { traceAction, traceMap, traceMatch, traceRead } from '../sync/trace';
import { preflightMapping } from '../sync/preflight';
import { employeeRefFor } from '../sync/employee-ref';
import { dayIn, type LeaverContext } from '../sync/leavers';
import { buildPlan, configPlanOptions, countPlan, createOnlyAttributes, usersOwnedByPlan, type HrIdLookup, type LightPlanEntry, type PlanCounts, type PlanEntry, type PlanOptions } from '../sync/plan';
import { planPreview, type EmployeeReportLine } from '../sync/employee-report';
import { withHrIdIndex, type StoredPlan } from '../sync/stored-plan';
import { hrIdHash, storeHrIdIndex, storePlan, UNKEYED_HR_ID_INDEX, type PlanPageStore } from '../storage/plan-pages';
import { WARNING_CAP, type LeaversSummary } from '../sync/report';
import type { HrIdIndexRef, MatchingKeyKind, RunRef } from '../sync/types';
import { scimClientFor, type ActivityDeps } from './deps';
import { convertingFailures, FailureType } from './failures';

export interface PlanInput {
  run: RunRef;
  config: ConnectorConfig;
  /** Sync only this employee (matching-key value), discovering them with a filter instead of listing the tenant. */
  employeeKey?: string;
  /** A dry run reads the ownership ledger but never records in it. */
  dryRun?: boolean;
  /** When the run started (ISO): "today" for termination dates, in `leavers.timeZone`. */
  startedAt?: string;
  /** Overrides "today" (YYYY-MM-DD): tests and back-dated runs. */
  asOf?: string;
  /**
   * The parent can run a stored plan. Parents of releases before stored plans do not say so, and during a rolling
   * deploy such a parent may have its plan made by a newer worker: it gets the entries whole, which it knows how to run,
   * instead of light entries it would take for whole ones (their create bodies missing).
   */
  storedPlan?: boolean;
}

/**
 * The plan, carried through Temporal itself: encrypted by the codec and, being large, kept in the payload store with
 * only a reference in history. Every worker reads it from there; no folder is shared between workers. A whole-tenant
 * plan is stored (`stored`): its entries here are light (sync/plan.ts `LightPlanEntry`), and partitions and the report
 * load the full ones from the pages, so the parent workflow never holds every employee's bodies. Without a page store,
 * for one employee, or for a parent that cannot run a stored plan (`PlanInput.storedPlan`) the entries travel whole.
 */
export type PlanResult = PlanSummary & ({ entries: PlanEntry[]; stored?: undefined } | StoredPlanResult);

export interface StoredPlanResult {
  entries: LightPlanEntry[];
  stored: StoredPlan;
  /** A dry run's first plan lines (light entries have no changes to show). */
  preview?: EmployeeReportLine[];
}

export interface PlanSummary {
  counts: PlanCounts;
  /** Number of phase-1 waves (managers before their reports). */
  waves: number;
  /** Every record rejected by mapping and validation (the report file lists them; the summary shows a capped few). */
  problems: RecordProblem[];
  warnings: string[];
  /** SCIM requests the plan sent, those of failed earlier attempts included. */
  operations: number;
  ownedUsersNotInSource: number;
  /** Leavers, returners and the guard's verdict (whole-tenant runs with list discovery). */
  leavers?: LeaversSummary;
  /** Single-employee syncs: read → map → match → action. */
  trace?: string[];
}

/**
 * What a failed plan spent, carried as its failure's details: a run that stops on it (a token Peakon refuses) still
 * reports the records it read and every request it sent. Counts only: failure details enter history.
 */
export interface PlanFailureSpend {
  operations: number;
  recordsRead: number;
  /** Peakon's Retry-After when the plan was rate limited (429): the run waits it out before planning again. */
  retryAfterMs?: number;
}

/** A plan's failure with what it spent as its details; anything else (a cancellation) as it is. */
function withSpend(error: unknown, spend: PlanFailureSpend): unknown {
  if (!(error instanceof ApplicationFailure)) return error;
  // The workflow does not get nextRetryDelay back from a failure: the Retry-After goes in the details too.
  const retryAfterMs = error.type === FailureType.RateLimited && typeof error.nextRetryDelay === 'number' ? { retryAfterMs: error.nextRetryDelay } : {};
  return ApplicationFailure.create({ ...(error.type ? { type: error.type } : {}), message: error.message, nonRetryable: error.nonRetryable === true, ...(error.nextRetryDelay != null ? { nextRetryDelay: error.nextRetryDelay } : {}), details: [{ ...spend, ...retryAfterMs }] });
}

/** What a plan attempt leaves for the next one: the requests it spent, which the report must still count. */
interface PlanHeartbeat {
  stage: string;
  operations: number;
}

/**
 * Reads the HR system, maps and validates every record, reads the tenant once (list discovery) and decides each
 * employee's action.
 */
export function planSyncActivity(deps: ActivityDeps) {
  return async function planSync(input: PlanInput): Promise<PlanResult> {
    const context = Context.current();
    const earlier = context.info.heartbeatDetails as Partial<PlanHeartbeat> | undefined;
    const earlierOperations = typeof earlier?.operations === 'number' ? earlier.operations : 0;
    const { config, run } = input;
    let spent = () => 0;
    let recordsRead = 0;
    let currentStage = 'starting';
    const heartbeat = (stage: string) => {
      currentStage = stage;
      context.heartbeat({ stage, operations: earlierOperations + spent() } satisfies PlanHeartbeat);
    };
    try {
      return await convertingFailures(async () => {
        // A heartbeat as each request goes out, counting it: an attempt that times out while the request is in flight
        // (a hung page) has still reported it, and the next attempt adds it to the run's operations.
        // And while a request waits for the tenant's pacer, held by a Retry-After another plan of the tenant got (a dry
        // run beside the real one) or spaced by a small budget: a silent wait past the heartbeat timeout failed the attempt.
        const scim = scimClientFor(deps, config.peakon, { pacedFor: run.tenant, heldFor: run.tenant, signal: context.cancellationSignal, onSend: () => heartbeat(currentStage), onWait: () => heartbeat(currentStage) });
        spent = () => scim.totalOperations();
        // Before any read: deleting leavers needs its confirmation, and a guard that may wait past this worker's
        // retention would lose the run's stored plan.
        checkDeletionConfirmed(config);
        if (deps.retentionDays !== undefined && input.employeeKey === undefined) checkGuardTimeoutFitsRetention(config, deps.retentionDays);
        // Before the HR read, which it does not need: a tenant whose budget another integration spends answers 429 here,
        // and the plan retried after the durable wait (workflows/sync.ts) then costs one request, not another full read
        // of the HR system in a plan slot other tenants share; a mapping that cannot fit fails before any read too.
        heartbeat("preflight: reading the tenant's Peakon attributes");
        const preflightProblems = await preflightMapping(scim, config.mapping, leaversSettings(config));
        if (preflightProblems.length > 0) {
          throw ApplicationFailure.create({ type: FailureType.PreflightFailed, nonRetryable: true, message: `the mapping (or leavers.separation) does not fit the tenant's Peakon attributes:\n${preflightProblems.map((problem) => `  - ${problem}`).join('\n')}` });
        }
        heartbeat('reading the HR system');
        const source = deps.createSource(config);
        // Heartbeat per page (and per retry wait): the only way this attempt learns it was cancelled or timed out, and
        // then the signal stops the read, so an abandoned attempt does not keep reading the HR system.
        // Records the source could not read (a CSV row with a stray delimiter) are reported like invalid records, and,
        // holding neither a key nor an id, make the run's leaver writes wait for approval (sync/leavers.ts).
        const readProblems: RecordProblem[] = [];
        // And while an HTTP source's request is in flight or waits to retry (`onWait`, hris/http.ts): a long Retry-After
        // and then a slow page, each within its bounds, together outlasted the heartbeat timeout in silence.
        const readOptions: HrisReadOptions = {
          signal: context.cancellationSignal,
          onPage: (read) => heartbeat(`reading the HR system (${read} records)`),
          onRetry: () => heartbeat('reading the HR system (retrying a request)'),
          onWait: () => heartbeat(currentStage),
          onProblem: (problem) => readProblems.push(problem),
        };
        const records = await readAllRecords(source, readOptions);
        recordsRead = records.length + readProblems.length;
        heartbeat('mapping');
        const mapping = mapEmployees(records, config, readProblems);
        // As the report of a completed run counts: in scope, not a CSV's blank lines (stand-ins keeping row numbers).
        recordsRead = recordsInScope(mapping);
        const single = input.employeeKey === undefined ? undefined : selectEmployee(mapping, input.employeeKey);
        const desired = single ? [single] : mapping.employees;
        const trace = single ? [traceRead(mapping.recordsRead, source.description, single), traceMap(single)] : [];

        let current: ScimUser[] | undefined;
        const unreadable: UnreadableScimUser[] = [];
        let hrIdLookup: HrIdLookup | undefined;
        let uniqueValueHolders: PlanOptions['uniqueValueHolders'];
        let owned: ReadonlySet<string> | undefined;
        let matchLine: number | undefined;
        let checkedSingle: DesiredEmployee | undefined;
        if (single) {
          // One employee: a filtered lookup decides the action exactly (create, update or nothing). An address with an
          // internationalised domain is looked up in both spellings, even when the first finds someone: two users, one
          // per spelling, are chosen between as a whole-tenant plan chooses (buildPlan: owned, HR id, active), not by
          // which spelling was asked first.
          const lookups = config.matching.key === 'employeeNumber'
            ? [() => scim.findUserByEmployeeNumber(single.employeeKey)]
            : emailSpellings(single.user.userName).map((_, spelling) => () => scim.findUserByUserNameSpelling(single.user.userName, spelling));
          current = [];
          for (const lookup of lookups) {
            try {
              const user = await lookup();
              if (user && !current.some((known) => known.id === user.id)) current.push(user);
            } catch (error) {
              // The person is in Peakon but does not fit the SCIM User schema: left alone, as a whole-tenant run leaves
              // them (buildPlan's `unreadable`), never created beside or written from a state nobody could read.
              if (!(error instanceof ScimUnreadableUserError)) throw error;
              unreadable.push(error.user);
            }
          }
          const [found] = current;
          // Two users found are chosen between by the plan (below), which names the one it matched in this line then.
          matchLine = trace.push(traceMatch(config.matching.key, single.employeeKey, found ?? unreadable[0])) - 1;
          // Anyone found by key is read against the ledger: two are chosen between by it (owned first), and one this run
          // matches for the first time is owned from now on (usersOwnedByPlan), which its line says (`adopted`).
          if (current.length > 0 && deps.ownership) owned = new Set((await deps.ownership.read(run.tenant)).owned);
          // Nobody by key: a new hire, or a person whose key changed in the HR system (a rename). A user by key without
          // this record's HR id: a stale user holding the person's new key, or another person's user whose old key
          // this record was given. One more lookup, by the HR id the connector writes as externalId, tells them apart
          // (sync/plan.ts singleRename), as a whole-tenant run's listing would.
          // A user holding the id that does not fit the schema joins `unreadable`: the person is left alone, as above.
          // A user by key carrying the HR id that the ledger does not hold (another system that writes HR ids as
          // externalId made it) is not the person's own either while the connector owns another user carrying the id.
          if (needsHrIdLookup(current, single, owned) && unreadable.length === 0) hrIdLookup = await lookUpByHrId(scim, deps, input, mapping, single, current, owned, trace, unreadable);
          // An update may give the person an employee number (email matching) or email (employee-number matching) that
          // another Peakon user holds, who is not among the users found: one lookup of that value tells the plan, which
          // leaves it out of the update rather than have Peakon refuse the whole write (409), as a whole-tenant run does.
          const foundUsers = [...current, ...(hrIdLookup?.users ?? [])];
          if (foundUsers.length > 0 && unreadable.length === 0) uniqueValueHolders = await holdersOfOtherUniqueValue(scim, config.matching.key, single, foundUsers);
          checkedSingle = await withoutReferencesHeldByOthers(scim, mapping, single, current.length > 0 || (hrIdLookup?.users.length ?? 0) > 0);
        } else if (config.sync.discovery === 'list') {
          current = [];
          // Users that do not fit the schema are left alone by the plan (never created again, never leavers), not
          // allowed to fail the whole tenant's sync.
          // A budget too small to list the tenant inside the plan's time fails the run now, naming the budget it needs,
          // rather than after every attempt has timed out.
          const onPage = (listing: ListingProgress) =>
            checkListingFitsPlanTime(config, listing, { timeoutMs: context.info.startToCloseTimeoutMs, burst: DEFAULT_PACER_BURST });
          for await (const page of scim.iterateUserPages(undefined, { onUnreadable: (users) => unreadable.push(...users), retryPages: true, onPage })) {
            current.push(...page);
            heartbeat(`reading Peakon users (${current.length})`);
          }
        }
        const wholeTenant = single === undefined && current !== undefined;
        const leavers = wholeTenant ? await leaverContext(deps, input, mapping, config) : undefined;
        const plan = buildPlan(checkedSingle ? [checkedSingle] : desired, current, {
          ...configPlanOptions(config, { refOf: employeeRefFor(deps.employeeRefKey, run.tenant), today: runDay(input, config) }),
          currentIsWholeTenant: single === undefined,
          ...(leavers ? { leavers } : {}),
          clearGuard: config.sync.clearGuard,
          unreadable,
          ...(hrIdLookup ? { hrIdLookup } : {}),
          ...(owned ? { owned } : {}),
          ...(uniqueValueHolders ? { uniqueValueHolders } : {}),
        });
        if (single && matchLine !== undefined && current && current.length > 1) {
          const matched = plan.entries.find((entry) => entry.recordRef === single.recordRef)?.peakonUserId;
          // Keeping what the lookup by HR id added to the line.
          const byHrId = (trace[matchLine] ?? '').slice(traceMatch(config.matching.key, single.employeeKey, current[0]).length);
          trace[matchLine] = `${traceMatch(config.matching.key, single.employeeKey, current.find((user) => user.id === matched) ?? current[0])}${byHrId}`;
        }
        // A run that would outlast the worker's payload retention fails now, before it writes or owns anything.
        if (deps.retentionDays !== undefined && !input.dryRun && input.employeeKey === undefined) {
          checkWritesFitRetention(config, plan.entries.filter((entry) => entry.create !== undefined || entry.update !== undefined).length, deps.retentionDays);
        }
        if (single && plan.entries[0]) trace.push(traceAction(plan.entries[0]));
        // A single-employee run is about one valid record (selectEmployee refuses an invalid one): other people's bad HR
        // rows are not its failures, its exit code or its report's to list.
        const problems = single ? [] : mapping.problems;
        const counts = countPlan(plan, problems);
        // Filter discovery: the read's HR ids go along in pages of keyed hashes, so discovery tells a user found by key that
        // is another record's person (their key given to this one) from one it may adopt, as a listing plan does.
        const hrIdIndex = deps.planPages && !single && current === undefined && input.storedPlan === true && !input.dryRun ? await storeReadHrIdIndex(deps, deps.planPages, run.tenant, desired, { signal: context.cancellationSignal, heartbeat: (pages) => heartbeat(`storing the read's HR id index (${pages} pages)`) }) : undefined;
        const toStore = hrIdIndex ? withHrIdIndex(plan.entries, hrIdIndex) : plan.entries;
        const stored = deps.planPages && !single && input.storedPlan === true ? await storePlan(deps.planPages, toStore, { signal: context.cancellationSignal, heartbeat: (pages) => heartbeat(`storing the plan (${pages} pages)`) }) : undefined;
        // Last, once the plan is stored: an attempt that fails before this (its pages could not be stored) has not
        // changed the ledger, so its retry plans against the same ledger, and a user matched for the first time is
        // still `adopted` (judged against the ledger as read), not silently owned by the failed attempt's record.
        if (deps.ownership && !input.dryRun) {
          // Everyone matched to an HR record is synced by this run, so the connector owns them from now on.
          heartbeat('recording ownership');
          // A run that lost its tenant lock cancels this activity: once that is known here, the ledger is the other
          // run's to write (the heartbeats above are how it becomes known).
          if (context.cancellationSignal.aborted) throw new CancelledFailure('the run was cancelled before recording ownership');
          // Heartbeats while it waits (a folder's lock, S3 round trips), as the report's record does.
          await whileTicking(deps.ownership.record(run.tenant, { owned: usersOwnedByPlan(plan.entries), deleted: [] }), () => heartbeat('recording ownership'), RECORD_HEARTBEAT_MS);
        }
        const operations = earlierOperations + scim.totalOperations();
        log.info('plan ready', { syncRunId: run.runId, tenant: run.tenant, ...counts, waves: plan.waves, operations, ...(stored ? { pages: stored.stored.pages.length } : {}) });
        const summary: PlanSummary = {
          counts,
          waves: plan.waves,
          problems,
          // Entry warnings hold the mapping's findings and the plan's own (references left out).
          warnings: [...discoveryWarning(config, single === undefined), ...noCompleteRunWarning(deps, run.tenant, leavers, current), ...unreadableWarnings(unreadable), ...(plan.warnings ?? []), ...plan.entries.flatMap((entry) => entry.warnings.map((warning) => `${entry.employeeKey}: ${warning}`))].slice(0, WARNING_CAP),
          operations,
          ownedUsersNotInSource: plan.ownedUsersNotInSource,
          ...(plan.leavers ? { leavers: plan.leavers } : {}),
          ...(trace.length ? { trace } : {}),
        };
        if (!stored) return { ...summary, entries: plan.entries };
        return { ...summary, ...stored, ...(input.dryRun ? { preview: planPreview(plan.entries) } : {}) };
      });
    } catch (error) {
      // The requests of this attempt still count; the next attempt (or the failure report) reads them from here.
      heartbeat('failed');
      throw withSpend(error, { operations: earlierOperations + spent(), recordsRead });
    }
  };
}

/**
 * A single-employee sync looks up by HR id too when its lookup by key found nobody, a user without the record's HR
 * id as externalId, or one carrying it that the ledger (`owned`, when the worker keeps one and it owns anyone) does not
 * hold: only then may the person's own user be another one (sync/plan.ts singleRename). A whole-tenant run keeps a key
 * match only when the connector owns it and it carries the HR id (renamedUsers); an owned, active user carrying the id
 * is renamed instead. Without a ledger, or with one that owns nobody, no user is owned, so nobody could be renamed.
 */
export function needsHrIdLookup(foundByKey: readonly ScimUser[], single: Pick<DesiredEmployee, 'sourceId'>, owned?: ReadonlySet<string>): boolean {
  const ownsAnyone = owned !== undefined && owned.size > 0;
  return foundByKey.length === 0 || foundByKey.some((user) => user.externalId !== single.sourceId || (ownsAnyone && !owned.has(user.id)));
}

/**
 * A single-employee sync's lookup by HR id (ScimClient.usersWithExternalId: one GET of at most two users, enough to
 * tell none, one and several apart), and what the plan needs to judge a rename by it: the ledger (read only when a
 * user is found, by either lookup, and not read already), the read's keys, how many of its records carry the id, and
 * which of the users found by key carry another record's HR id. A holder that does not fit the SCIM User schema goes
 * to `unreadable`, so the plan leaves the person alone (by HR id), as a whole-tenant run does.
 */
async function lookUpByHrId(scim: ScimClient, deps: ActivityDeps, input: PlanInput, mapping: MappingReport, single: DesiredEmployee, foundByKey: readonly ScimUser[], ownedRead: ReadonlySet<string> | undefined, trace: string[], unreadable: UnreadableScimUser[]): Promise<HrIdLookup> {
  const { users, unreadable: unreadableHolders, total, filterIgnored } = await scim.usersWithExternalId(single.sourceId);
  unreadable.push(...unreadableHolders);
  const ids = [...users.map((user) => user.id), ...unreadableHolders.map((user) => `${user.id} (unreadable)`)];
  // Told on the match line itself: the trace keeps its steps (read → map → match → action → result).
  trace.push(`${trace.pop() ?? 'match:'}; externalId ${single.sourceId} → ${filterIgnored ? 'unknown (the filter was not applied)' : total === 0 ? 'not in Peakon' : `Peakon user ${ids.join(', ')}${total > ids.length ? ', …' : ''}`}`);
  const owned = ownedRead ?? ((users.length || foundByKey.length) && deps.ownership ? new Set((await deps.ownership.read(input.run.tenant)).owned) : undefined);
  return {
    users,
    total,
    ...(filterIgnored ? { filterIgnored } : {}),
    ...(owned ? { owned } : {}),
    readKeys: new Set(mapping.employees.map((employee) => employee.employeeKey)),
    recordsWithHrId: mapping.employees.filter((employee) => employee.sourceId === single.sourceId).length,
    ...(foundByKey.length ? { otherRecordsHrIds: otherRecordsHrIds(foundByKey, mapping.employees, single) } : {}),
  };
}

/**
 * Who holds a single-employee sync's other unique value, the one its lookups by key did not ask for: under email
 * matching the record's employee number, under employee-number matching its email (as written: Peakon tells an
 * address's two IDN spellings apart). Looked up (one GET) only when no user found by key or HR id holds it already, as
 * the person's own user does unless HR changed it; a user holding it that does not fit the schema is a holder too.
 * The plan leaves a taken value out of the update (sync/plan.ts uniqueValuesTaken). A lookup by userName does not find
 * an address held among another user's other emails.
 */
async function holdersOfOtherUniqueValue(scim: ScimClient, matchingKey: MatchingKeyKind, single: DesiredEmployee, found: readonly ScimUser[]): Promise<PlanOptions['uniqueValueHolders']> {
  let lookup: (() => Promise<ScimUser | undefined>) | undefined;
  if (matchingKey === 'email') {
    const number = single.user[ENTERPRISE_USER_SCHEMA]?.employeeNumber;
    // A create-only number is never written to a user found: nothing to look up.
    const written = !single.createOnly.includes(`${ENTERPRISE_USER_SCHEMA}:employeeNumber`);
    if (written && typeof number === 'string' && !found.some((user) => user[ENTERPRISE_USER_SCHEMA]?.employeeNumber === number)) lookup = () => scim.findUserByEmployeeNumber(number);
  } else {
    const email = single.user.userName;
    if (!found.some((user) => user.userName.toLowerCase() === email.toLowerCase())) lookup = () => scim.findUserByUserNameSpelling(email, 0);
  }
  if (!lookup) return undefined;
  try {
    const holder = await lookup();
    return holder && !found.some((user) => user.id === holder.id) ? { users: [holder], unreadable: [] } : undefined;
  } catch (error) {
    if (!(error instanceof ScimUnreadableUserError)) throw error;
    return { users: [], unreadable: [error.user] };
  }
}

/**
 * A single-employee sync's references (Manager, usually the only one) without those Peakon would give to another
 * person: one GET per reference, by the email it names. A user found there carrying as externalId the HR id of
 * another record of the read than the one the email is of (that person's email changed in the HR system, and a full
 * run has not renamed their user yet) is that other person's, so the reference is left out with a warning, as a
 * whole-tenant run's plan leaves it out (sync/plan.ts withoutUnreachableReferences, heldBack). A create-only reference
 * of someone found in Peakon is not written anyway and is not looked up.
 */
async function withoutReferencesHeldByOthers(scim: ScimClient, mapping: MappingReport, single: DesiredEmployee, found: boolean): Promise<DesiredEmployee> {
  const createOnly = found ? createOnlyAttributes(single) : new Set<string>();
  const readHrIds = new Set(mapping.employees.map((employee) => employee.sourceId));
  const held: string[] = [];
  for (const [attribute, email] of Object.entries(single.references)) {
    if (createOnly.has(attribute)) continue;
    let holder: ScimUser | undefined;
    try {
      holder = await scim.findUserByUserNameSpelling(email, 0);
    } catch (error) {
      // Whoever holds it does not fit the schema: nothing to tell by, so the reference goes as it would have.
      if (!(error instanceof ScimUnreadableUserError)) throw error;
    }
    if (holder?.externalId === undefined || !readHrIds.has(holder.externalId)) continue;
    const own = mapping.employees.filter((employee) => emailMatchKey(employee.user.userName) === emailMatchKey(email)).map((employee) => employee.sourceId);
    if (!own.includes(holder.externalId)) held.push(attribute);
  }
  if (held.length === 0) return single;
  const references = Object.fromEntries(Object.entries(single.references).filter(([attribute]) => !held.includes(attribute)));
  const warnings = held.map((attribute) => `${attribute} (${single.references[attribute]}) left out: another Peakon user holds the person's email, so Peakon would give the reference to that user; written once the person's own user holds it`);
  return { ...single, references, warnings: [...single.warnings, ...warnings] };
}

/**
 * The hashes of the HR ids exactly one record of the read carries: a listing plan's rule for an id that names a person
 * (sync/plan.ts hrIdHolders), so an id two records carry keeps nobody's user from being adopted.
 */
export function hrIdHashesOf(records: readonly Pick<DesiredEmployee, 'sourceId'>[], hash: (sourceId: string) => string): string[] {
  const count = new Map<string, number>();
  for (const record of records) count.set(record.sourceId, (count.get(record.sourceId) ?? 0) + 1);
  return [...count].flatMap(([sourceId, records]) => (records === 1 ? [hash(sourceId)] : []));
}

/**
 * Stores the read's HR id index (storage/plan-pages.ts storeHrIdIndex), hashed with the worker's current employee-ref
 * key and naming that key's id (HrIdIndexRef.keyId): a discovery that runs on a worker whose current key is another
 * (a key rotation rolled out mid-run) hashes with the same key, or fails retryably if it does not hold it.
 */
export async function storeReadHrIdIndex(deps: Pick<ActivityDeps, 'employeeRefKey' | 'employeeRefKeyId'>, pages: PlanPageStore, tenant: string, records: readonly Pick<DesiredEmployee, 'sourceId'>[], options: { signal?: AbortSignal; heartbeat?: (pages: number) => void } = {}): Promise<HrIdIndexRef | undefined> {
  const hashes = hrIdHashesOf(records, (sourceId) => hrIdHash(deps.employeeRefKey, tenant, sourceId));
  const keyId = deps.employeeRefKey === undefined ? UNKEYED_HR_ID_INDEX : deps.employeeRefKeyId;
  return storeHrIdIndex(pages, hashes, { ...options, ...(keyId !== undefined ? { keyId } : {}) });
}

/** The externalIds of users found by key that another record of the read carries as its HR id (HrIdLookup.otherRecordsHrIds). */
export function otherRecordsHrIds(foundByKey: readonly ScimUser[], records: readonly Pick<DesiredEmployee, 'sourceId'>[], single: Pick<DesiredEmployee, 'sourceId'>): Set<string> {
  const asked = new Set(foundByKey.flatMap((user) => (user.externalId !== undefined && user.externalId !== single.sourceId ? [user.externalId] : [])));
  return new Set(records.flatMap((record) => (asked.has(record.sourceId) ? [record.sourceId] : [])));
}

/** What the plan needs to judge leavers: the settings, today, the ownership ledger and the read's size. */
/** The run's day in the leaver settings' time zone: termination dates on or before it have come. */
function runDay(input: PlanInput, config: ConnectorConfig): string {
  return input.asOf ?? dayIn(leaversSettings(config).timeZone, input.startedAt ? new Date(input.startedAt) : new Date());
}

/**
 * The records of a read in scope: employees, and records with problems (counted once each). What a run's report calls
 * `employees` and the guard compares with the last complete read; blank CSV lines and records the scope leaves out are
 * not in it.
 */
function recordsInScope(mapping: MappingReport): number {
  return mapping.employees.length + new Set(mapping.problems.map((problem) => problem.recordRef)).size;
}

async function leaverContext(deps: ActivityDeps, input: PlanInput, mapping: MappingReport, config: ConnectorConfig): Promise<LeaverContext | undefined> {
  if (!deps.ownership) return undefined;
  const ledger = await deps.ownership.read(input.run.tenant);
  const retainedKeys = new Set(mapping.problems.flatMap((problem) => (problem.employeeKey !== undefined ? [problem.employeeKey] : [])));
  const retainedSourceIds = new Set(mapping.problems.flatMap((problem) => (problem.sourceId !== undefined ? [problem.sourceId] : [])));
  const retainedEmailKeys = new Set(mapping.problems.flatMap((problem) => (problem.emailKey !== undefined ? [problem.emailKey] : [])));
  const identified = new Set(mapping.problems.filter((problem) => problem.employeeKey !== undefined || problem.sourceId !== undefined).map((problem) => problem.recordRef));
  const unidentifiedRecords = new Set(mapping.problems.filter((problem) => !identified.has(problem.recordRef)).map((problem) => problem.recordRef)).size;
  const today = runDay(input, config);
  const readCount = recordsInScope(mapping);
  return { today, owned: new Set(ledger.owned), retainedKeys, retainedSourceIds, retainedEmailKeys, unidentifiedRecords, readCount, lastCompleteRead: ledger.lastCompleteRead };
}

/**
 * A whole-tenant run whose ledger records nobody and no complete run (as a ledger that does not exist reads), on a
 * tenant Peakon already holds users in. On a first run that is expected; on a tenant that has synced before it means
 * the ledger was lost (a container without its volume, another PEAKON_SYNC_PAYLOAD_STORE or prefix), and nothing else
 * would say so: the run silently owns only whom it matches, so everyone who left before it stays active for good, and
 * the guard has no earlier read to compare with. (A tenant whose runs are held or stopped before completing owns users
 * already: not warned every run.) Counts and the store's location only: no one is named.
 */
function noCompleteRunWarning(deps: ActivityDeps, tenant: string, leavers: LeaverContext | undefined, current: readonly ScimUser[] | undefined): string[] {
  if (!deps.ownership || !leavers || leavers.lastCompleteRead !== undefined || leavers.owned.size > 0 || !current || current.length === 0) return [];
  return [
    `the ownership ledger of tenant ${tenant} (in ${deps.ownership.location}) records nobody yet, and Peakon already holds ${current.length} user(s): ` +
      'this run owns only those an HR record matches, so a person who left before it is never switched off, and the guard has no earlier read to compare this one with. ' +
      `Expected on a first run; if this tenant has synced before, its ledger was lost (a new volume, another PEAKON_SYNC_PAYLOAD_STORE or prefix): restore ${tenant}.ledger there from the old store`,
  ];
}

/** Ids, userNames and field paths only: the values that failed are personal data. */
function unreadableWarnings(unreadable: UnreadableScimUser[]): string[] {
  return unreadable.map((user) => `Peakon user ${user.id}${user.userName !== undefined ? ` (${user.userName})` : ''} does not fit the SCIM User schema (${user.fields.join(', ')}): left alone this run, neither created again nor deactivated; fix it in Peakon`);
}

/** Leavers need the whole tenant: filter discovery never lists it, so it cannot tell who left. */
function discoveryWarning(config: ConnectorConfig, wholeRun: boolean): string[] {
  if (!wholeRun || config.sync.discovery === 'list' || leaversSettings(config).action === 'off') return [];
  return ['leavers are not detected with sync.discovery: filter (the tenant is never listed), and people the HR system marks inactive are left active (the guard cannot count them); use discovery: list, or set leavers.action: off to silence this and deactivate them as ordinary updates'];
}

/** The one employee of an on-demand sync, or a failure saying why they cannot be synced. */
function selectEmployee(mapping: MappingResult, employeeKey: string): DesiredEmployee {
  const wanted = emailMatchKey(employeeKey);
  const employee = mapping.employees.find((candidate) => emailMatchKey(candidate.employeeKey) === wanted);
  if (employee) return employee;
  const problem = mapping.problems.find((candidate) => candidate.employeeKey !== undefined && emailMatchKey(candidate.employeeKey) === wanted);
  throw ApplicationFailure.create({
    type: 'EmployeeNotFound',
    nonRetryable: true,
    message: problem
      ? invalidEmployeeMessage(employeeKey, problem.recordRef, mapping.problems)
      : `employee ${employeeKey} is not in the HR system's read (or is out of scope)`,
  });
}

/** How many of an invalid record's problems a single-employee sync's failure lists; the rest are counted. */
export const INVALID_RECORD_PROBLEMS_SHOWN = 3;

/**
 * Why a single-employee sync refuses its person: the record (`recordRef`, e.g. the CSV row) and each of its problems,
 * field and message, so one run tells everything to fix in it (the first few; the rest counted), not one field a run.
 */
export function invalidEmployeeMessage(employeeKey: string, recordRef: string, problems: readonly RecordProblem[]): string {
  const ofRecord = problems.filter((problem) => problem.recordRef === recordRef);
  const text = (problem: RecordProblem) => `${problem.field}: ${problem.message}`;
  const shown = ofRecord.slice(0, INVALID_RECORD_PROBLEMS_SHOWN);
  const more = ofRecord.length - shown.length;
  const listed = ofRecord.length === 1 ? `${recordRef}: ${text(ofRecord[0] as RecordProblem)}` : `${recordRef} has ${ofRecord.length} problems: ${shown.map((problem, index) => `(${index + 1}) ${text(problem)}`).join('; ')}${more ? `; and ${more} more` : ''}`;
  return `employee ${employeeKey} is invalid in the HR system: ${listed}`;
}

export { FailureType };
