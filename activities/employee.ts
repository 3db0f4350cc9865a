import { Context, log } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ExternalIdHolders, ScimClient } from '../scim/client';
import { emailSpellings } from '../mapping/email';
import { ScimMalformedResponseError, ScimNotFoundError, ScimUnreadableUserError } from '../scim/errors';
import type { ScimUser, ScimUserWrite } from '../scim/resources';
import { composeUpdate, isPutOverCurrent, overCurrentBody } from '../sync/payloads';
import { hrIdHash, hrIdIndexHolds, UNKEYED_HR_ID_INDEX } from '../storage/plan-pages';
import { changesBothUniqueFields, desiredForFound, keyCollision, oneUniqueFieldAtATime } from '../sync/plan';
import { operationsBefore, type StepHeartbeat } from '../sync/step-operations';
import type { DesiredState, EmployeeChange, EmployeeWrite, HrIdIndexRef, MatchingKeyKind, RunRef, UpdateMethod } from '../sync/types';
import { requirePlanPages, scimClientFor, type ActivityDeps, type PeakonConnection } from './deps';
import { FailureType, toActivityFailure } from './failures';
import { holdTenant, tenantHeldForMs } from './tenant-hold';

/**
 * The activities that talk to Peakon for one employee. Each attempt sends one SCIM request, so the tenant's
 * rate-limited task queue (worker/tenant-queues.ts) counts operations, not activities, across every worker, and the
 * attempt number is the number of requests a step spent, failed attempts included. A discovery's further lookups (an
 * address with an internationalised domain in its second spelling; filter discovery's lookup by HR id, before anyone
 * active in the HR system is created, so a rename does not become a second user) are activities of their own
 * (DiscoverInput.lookup); a workflow recorded before that asks them within one attempt, which counts each request.
 * One write sends two within an attempt, both counted: the PUT of a user created this run (`sync.updateMethod: put`)
 * reads the user first (sendEmployeeWrite), so the tenant's queue paces it as one operation.
 */
export interface ScimStepInput {
  run: RunRef;
  peakon: PeakonConnection;
  /** The employee's privacy-safe name (the only identity that reaches info logs). */
  ref: string;
}

export interface StepResult {
  /** Requests this step sent: one per earlier attempt, and what this attempt sent (oneRequest). */
  operations: number;
}

/** Failure details carry the attempt number, so the workflow counts the requests of failed steps too. */
export interface StepFailureDetails {
  operations: number;
  /** Peakon's Retry-After (429): how long the workflow waits before asking again. */
  retryAfterMs?: number;
}

export type { StepHeartbeat } from '../sync/step-operations';

/**
 * Runs one attempt of a step with a SCIM client that counts what it sends: the attempt's operations are the requests
 * it really sent (discovery may send up to three: an address's two IDN spellings, then the lookup by HR id; the PUT of
 * a user created this run two), earlier attempts one each, or what an earlier attempt that sent more announced in a
 * heartbeat as its second and later requests went out (operationsBefore). That heartbeat is the attempt's first, so
 * it is not throttled; only an attempt whose heartbeat never reached Temporal (its worker died) is still undercounted.
 */
async function oneRequest<T>(deps: ActivityDeps, input: ScimStepInput, body: (scim: ScimClient) => Promise<T>): Promise<T & StepResult> {
  const context = Context.current();
  const { attempt } = context.info;
  const before = operationsBefore(attempt, context.info.heartbeatDetails);
  const { tenant } = input.run;
  const { baseUrl } = input.peakon;
  const held = tenantHeldForMs(tenant, baseUrl);
  if (held > 0) {
    // Not sent: this attempt spent nothing, only the earlier ones did.
    throw ApplicationFailure.create({
      message: `not sent: Peakon rate limited tenant ${tenant} and this worker waits out its Retry-After (${Math.ceil(held / 1000)} s left)`,
      type: FailureType.RateLimited,
      nextRetryDelay: held,
      details: [{ operations: before, retryAfterMs: held } satisfies StepFailureDetails],
    });
  }
  let sent = 0;
  const spent = () => before + sent;
  const onSend = () => {
    sent += 1;
    if (sent > 1) context.heartbeat({ attempt, operations: spent() } satisfies StepHeartbeat);
  };
  try {
    // heldFor: a request after the first (the PUT after its read, a discovery's further lookup) is not sent once another step of
    // the tenant has been answered 429 meanwhile; it fails as rate limited (the catch below), what was sent counted.
    const scim = scimClientFor(deps, input.peakon, { signal: context.cancellationSignal, onSend, heldFor: tenant });
    return { ...(await body(scim)), operations: spent() };
  } catch (error) {
    if (error instanceof CancelledFailure) throw error;
    const failure = toActivityFailure(error);
    if (failure.type === FailureType.RateLimited && typeof failure.nextRetryDelay === 'number') holdTenant(tenant, baseUrl, failure.nextRetryDelay);
    throw ApplicationFailure.create({
      message: failure.message,
      type: failure.type ?? 'Unexpected',
      nonRetryable: failure.nonRetryable ?? false,
      ...(failure.nextRetryDelay !== undefined && failure.nextRetryDelay !== null ? { nextRetryDelay: failure.nextRetryDelay } : {}),
      details: [{ operations: spent(), ...(typeof failure.nextRetryDelay === 'number' ? { retryAfterMs: failure.nextRetryDelay } : {}) } satisfies StepFailureDetails],
    });
  }
}

/**
 * One request of a discovery: the lookup by matching key (for an email, one of its spellings: scim emailSpellings), or
 * filter discovery's lookup by HR id.
 */
export type DiscoveryLookup = { by: 'key'; spelling: number } | { by: 'hrId' };

export interface DiscoverInput extends ScimStepInput {
  matchingKey: MatchingKeyKind;
  userName: string;
  employeeNumber?: string;
  /** Compare what is found with this and return the write phase 2 needs (filter discovery). */
  desired?: DesiredState;
  updateMethod: UpdateMethod;
  /**
   * Send this lookup only, and name the one still due in the result's `next`: the workflow asks it as an activity of
   * its own, so the tenant queue's rate paces every request (workflows since 2026-11). Absent (workflows recorded
   * before): every lookup in this one attempt.
   */
  lookup?: DiscoveryLookup;
}

export interface DiscoverResult extends StepResult {
  peakonUserId?: string;
  /** The found user's externalId, null when it has none (absent from results of workers before this field). */
  externalId?: string | null;
  update?: EmployeeChange;
  /**
   * Set when the user found does not fit the SCIM User schema (scim ScimUnreadableUserError): why they are left alone,
   * naming their id and the fields, never values. They are present: `peakonUserId` is set and `update` is not, so no
   * write reaches them and they are never created again.
   * Also set when nobody has the matching key but a Peakon user already holds the employee's HR id as externalId
   * (filter discovery's lookup by HR id, heldByHrId): the employee is not created beside them (the workflow skips them
   * with this reason); `peakonUserId` is that user when there is exactly one.
   */
  leftAlone?: string;
  /** Nobody found by the lookup asked (`lookup` in the input): the lookup still due, before anyone is created. */
  next?: DiscoveryLookup;
  /**
   * What `update` leaves for a later run, in the words a listing plan gives the same employee (foundUpdate): the user
   * found has another email (as Peakon compares them) and another employee number than the HR record, and Peakon
   * changes them one at a time.
   */
  warnings?: string[];
}

export interface CreateInput extends ScimStepInput {
  body: ScimUserWrite;
}

export interface WriteInput extends ScimStepInput {
  peakonUserId: string;
  write: EmployeeWrite;
}

export function scimStepActivities(deps: ActivityDeps) {
  return {
    /**
     * `GET /Users?filter=…` on the matching key (the guide's discovery): one operation; an address with an
     * internationalised domain is looked up in its second spelling too. With filter discovery (`desired` set), nobody
     * found by the key costs another, `GET /Users?filter=externalId eq "<HR id>"`, unless the HR system marks them
     * inactive (they are not created either way). With `lookup`, one of these requests per attempt (`next` names the
     * one due); without it, all of them.
     */
    async discoverEmployee(input: DiscoverInput): Promise<DiscoverResult> {
      return oneRequest(deps, input, async (scim) => {
        const byNumber = input.matchingKey === 'employeeNumber' && input.employeeNumber !== undefined;
        const { lookup } = input;
        if (lookup?.by !== 'hrId') {
          let found;
          try {
            found = byNumber
              ? await scim.findUserByEmployeeNumber(input.employeeNumber as string)
              : lookup
                ? await scim.findUserByUserNameSpelling(input.userName, lookup.spelling)
                : await scim.findUserByUserName(input.userName);
          } catch (error) {
            if (!(error instanceof ScimUnreadableUserError)) throw error;
            // Present but unreadable: left alone as the whole-tenant plan leaves them (no write, never created again).
            const leftAlone = `Peakon user ${error.userId} could not be read (${error.fields.join(', ')} do not fit the SCIM User schema): left alone this run`;
            log.warn('Peakon user matched but unreadable: left alone', { syncRunId: input.run.runId, employeeRef: input.ref, peakonUserId: error.userId, fields: error.fields });
            return { peakonUserId: error.userId, externalId: error.user.externalId ?? null, leftAlone };
          }
          if (found) {
            // Another HR record's person (their key given to this one): not taken over, as a listing plan's keyHeldByOther.
            const heldByOther = input.desired ? await heldByOtherRecord(deps, input, found, Context.current().cancellationSignal) : undefined;
            if (heldByOther) {
              log.warn("Peakon user matched by key is another HR record's person: not taken over", { syncRunId: input.run.runId, employeeRef: input.ref, peakonUserId: found.id });
              // No peakonUserId: this person is not in Peakon, and a reference to their key (a report's Manager) would
              // name the other person's user; without one the run leaves such references out (sync/phases.ts
              // missingPeople), as for a create that failed. (After a 409 the create then fails: a user that took the
              // key between discovery and create, carrying another record's id, is a race for the next run.)
              return { externalId: found.externalId ?? null, leftAlone: heldByOther };
            }
            // The plan's rules for what it found (a returner's separation cleared, one unique field at a time), as a plan
            // that lists the tenant applies them.
            const foundWrite = input.desired ? foundUpdate(input.desired, found, input.matchingKey, input.updateMethod) : undefined;
            const update = foundWrite?.update;
            if (foundWrite?.warnings.length) log.warn('found user: email and employee number both differ; one is written by a later run (Peakon changes them one at a time)', { syncRunId: input.run.runId, employeeRef: input.ref, peakonUserId: found.id });
            return { peakonUserId: found.id, externalId: found.externalId ?? null, ...(update && update.changes.length > 0 ? { update } : {}), ...(foundWrite?.warnings.length ? { warnings: foundWrite.warnings } : {}) };
          }
          if (lookup && !byNumber && lookup.spelling + 1 < emailSpellings(input.userName).length) return { next: { by: 'key', spelling: lookup.spelling + 1 } };
          // Nobody by key: a new hire, or a person whose key changed in the HR system (a rename). The lookup by HR id
          // of `sync --employee` (activities/plan.ts lookUpByHrId) tells them apart before a create. Someone the HR
          // system marks inactive is not created either way (the workflow skips them): no lookup by HR id for them.
          if (!input.desired?.sourceId || input.desired.user.active === false) return {};
          if (lookup) return { next: { by: 'hrId' } };
        }
        if (!input.desired?.sourceId) return {};
        const keyName = byNumber ? 'employee number' : 'email';
        const held = heldByHrId(await scim.usersWithExternalId(input.desired.sourceId), keyName);
        if (!held) return {};
        log.warn('Peakon user holds the HR id under another key: not created', { syncRunId: input.run.runId, employeeRef: input.ref, peakonUserIds: held.ids });
        return { ...(held.ids.length === 1 ? { peakonUserId: held.ids[0], externalId: input.desired.sourceId } : {}), leftAlone: held.reason };
      });
    },

    /** `POST /Users`: one operation. A 409 fails without retrying; the workflow then discovers who is there. */
    async createEmployee(input: CreateInput): Promise<StepResult & { peakonUserId: string }> {
      return oneRequest(deps, input, async (scim) => {
        const created = await scim.createUser(input.body);
        log.info('employee created', { syncRunId: input.run.runId, employeeRef: input.ref, peakonUserId: created.id });
        return { peakonUserId: created.id };
      });
    },

    /**
     * One PATCH of the changed attributes, the full PUT (`sync.updateMethod: put`), or a leaver's DELETE: one operation.
     * The PUT of a user created this run is two: a GET of the user, then the PUT laid over it (sendEmployeeWrite).
     * A deactivation or DELETE answered 404 is done (goneIsDone): the workflow counts it deactivated or deleted.
     */
    async writeEmployee(input: WriteInput): Promise<StepResult> {
      return oneRequest(deps, input, async (scim) => {
        const sent = await sendEmployeeWrite(scim, input.peakonUserId, input.write);
        // Attribute paths only: their values are personal data.
        const fields = input.write.method === 'patch' ? input.write.operations.map((operation) => operation.path ?? '(pathless)') : [input.write.method === 'put' ? '(full replace)' : '(delete)'];
        const message = sent === 'gone' ? 'employee already gone from Peakon (404): nothing left to switch off' : input.write.method === 'delete' ? 'employee deleted' : 'employee updated';
        log.info(message, { syncRunId: input.run.runId, employeeRef: input.ref, peakonUserId: input.peakonUserId, method: input.write.method, fields });
        return {};
      });
    },
  };
}

/**
 * Filter discovery's update of the user it found, by the rules a listing plan applies to the same user (desiredForFound;
 * sync/plan.ts changesBothUniqueFields, oneUniqueFieldAtATime): Peakon changes a user's email and employee number one
 * at a time, never both in one request, so when both differ (an address another tool stored in its other IDN spelling,
 * found by the second spelling's lookup, whose number changed too, or was none) this run writes the one the plan would
 * (the matching key's field) and leaves the other to a later run, saying so in `warnings` (the plan's words). Without
 * it, Peakon refuses the whole write, every run, and nothing of the employee is ever updated.
 */
export function foundUpdate(desired: DesiredState, found: ScimUser, matchingKey: MatchingKeyKind, method: UpdateMethod): { update: EmployeeChange; warnings: string[] } {
  const state = desiredForFound(desired, found);
  // The plan's rule takes a mapped employee; it reads and returns `user` and `warnings` only.
  const employee = { ...state, employeeKey: '', recordRef: '', warnings: [] };
  const written = changesBothUniqueFields(employee, found) ? oneUniqueFieldAtATime(employee, found, matchingKey) : employee;
  return { update: composeUpdate({ ...state, user: written.user }, found, method), warnings: written.warnings };
}

/**
 * Filter discovery's rule for a user found by key, a listing plan's (sync/plan.ts keyHeldByOther, hrIdHolders): a user
 * that carries as externalId the HR id of another record of this read (exactly one record carries it: the plan's HR id
 * index, DesiredState.readHrIds), active and owned by the connector, is that person's user, whose key changed in the HR
 * system and was given to this one. Taking it over would write this record's identity onto the other person's survey
 * history (and the other person would be created anew). The reason, in keyCollision's words, when so; undefined when
 * the user is this record's to adopt or update as before: no externalId, this record's own, an id no record of the
 * read carries (a hand-made user, another system's id, a leaver's), an inactive or unowned user, or a plan of an
 * earlier version (no index). The index is read only for such a foreign id, the ledger only when the index holds it.
 * What a listing also checks and one lookup cannot, that no second user carries the id, is not checked: such a user is
 * skipped too, never overwritten.
 */
export async function heldByOtherRecord(deps: ActivityDeps, input: Pick<DiscoverInput, 'run' | 'matchingKey' | 'desired'>, found: ScimUser, signal?: AbortSignal): Promise<string | undefined> {
  const index = input.desired?.readHrIds;
  const externalId = found.externalId;
  if (!index || externalId === undefined || externalId === null || externalId === input.desired?.sourceId || found.active === false || !deps.ownership) return undefined;
  if (!(await hrIdIndexHolds(requirePlanPages(deps), index, hrIdHash(hrIdIndexKey(deps, index), input.run.tenant, externalId), signal))) return undefined;
  const { owned } = await deps.ownership.read(input.run.tenant);
  if (!owned.includes(found.id)) return undefined;
  return keyCollision(found, input.matchingKey)?.reason;
}

/**
 * The employee-ref key that hashed an HR id index: that of the encryption key it names (HrIdIndexRef.keyId), current
 * or old, so a run planned before a key rotation is checked with the key it was planned with, on any worker. A keyless
 * worker's index (UNKEYED_HR_ID_INDEX) is checked unkeyed on any worker; one naming no key (stored before keyId) was
 * hashed with the key then current: the current one.
 * A worker that does not hold the named key fails the discovery retryably (another worker may hold it; hashed with
 * another key, the index would hold nobody, and another person's user would be taken over). Names the key's id only.
 */
function hrIdIndexKey(deps: ActivityDeps, index: HrIdIndexRef): Buffer | undefined {
  if (index.keyId === UNKEYED_HR_ID_INDEX) return undefined;
  if (index.keyId === undefined || index.keyId === deps.employeeRefKeyId) return deps.employeeRefKey;
  const key = deps.employeeRefKeyFor?.(index.keyId);
  if (key) return key;
  throw ApplicationFailure.create({
    type: FailureType.Transient,
    nonRetryable: false,
    message: `the run's HR id index is hashed with encryption key ${index.keyId}, which this worker does not hold (neither PEAKON_SYNC_ENCRYPTION_KEY nor PEAKON_SYNC_ENCRYPTION_OLD_KEYS): retried, as another worker may hold it; keep a rotated-out key in PEAKON_SYNC_ENCRYPTION_OLD_KEYS of every worker until the runs planned with it have ended`,
  });
}

/**
 * What filter discovery's lookup by HR id (ScimClient.usersWithExternalId, as `sync --employee` asks it) found:
 * undefined when no Peakon user holds the id, so the employee is created; else why they are not. Filter discovery
 * cannot rename (it knows neither the ownership ledger nor the rest of the HR read, which renames are judged by), and
 * every user found may be this person under an earlier key: none is created beside them. The reason says what the
 * other paths do with the same holder: `sync --employee` (singleRename in sync/plan.ts) renames only the one active
 * holder the connector owns and skips the person otherwise; a sync with discovery: list (renamedUsers) renames the
 * same and creates past a holder it does not rename. A holder that cannot be read leaves the person alone, as it does
 * on every path. Ids and the key's name only, never values (personal data).
 */
export function heldByHrId(holders: ExternalIdHolders, keyName: 'email' | 'employee number'): { ids: string[]; reason: string } | undefined {
  const { users, unreadable, total, filterIgnored } = holders;
  if (!filterIgnored && total === 0) return undefined;
  const ids = [...users.map((user) => user.id), ...unreadable.map((user) => user.id)];
  const named = ids.length ? `Peakon user${ids.length > 1 ? 's' : ''} ${ids.join(', ')}${total > ids.length ? ', …' : ''}` : 'a Peakon user';
  const earlier = `as it may be this person under an earlier ${keyName} (a second Peakon user for them would follow)`;
  const [odd] = unreadable;
  const [user] = users;
  const reason = filterIgnored
    ? `Peakon did not apply the externalId filter, so whether a Peakon user already holds this HR id is unknown: not created, ${earlier}; sync --employee cannot tell either (it skips this person too): a sync with discovery: list reads every user and decides`
    : odd
      ? `${total > 1 ? `${named} hold this HR id as externalId; Peakon user ${odd.id} could not be read` : `Peakon user ${odd.id} holds this HR id as externalId but could not be read`} (${odd.fields.join(', ')} do not fit the SCIM User schema): left alone this run, not created, ${earlier}; fix the user in Peakon`
      : total > 1
        ? `${named} hold this HR id as externalId: not created, ${earlier}; sync --employee skips this person too, and a sync with discovery: list renames one of them only if it is the only active one the connector owns, else creates this person`
        : !user
          ? `${named} holds this HR id as externalId but was not returned: not created, ${earlier}; sync --employee skips this person too: a sync with discovery: list reads every user and decides`
          : user.active === false
            ? `${named} holds this HR id as externalId under another ${keyName} but is inactive: not created, as it may be this person returning under an earlier ${keyName} (a second Peakon user for them would follow), or a leaver whose HR id was given to a new hire; no sync renames an inactive user (sync --employee skips this person too): if it is this person, give that user their new ${keyName} in Peakon and the next sync finds and reactivates them; if not, a sync with discovery: list creates them`
            : `${named} already holds this HR id as externalId under another ${keyName}: not created, ${earlier}; sync.discovery: filter does not rename: sync --employee, or a sync with discovery: list, renames that user in place if the connector owns it and no other HR record carries this HR id or its ${keyName} (else sync --employee skips this person too, and a sync with discovery: list creates them)`;
  return { ids, reason };
}

/**
 * Whether a 404 to this write means it reached its goal, that the user no longer takes part in Peakon: a leaver's
 * DELETE, or a deactivation (a PATCH that sets active=false: a leaver's, sync/leavers.ts leaverWrite, or that of a
 * person the HR system marks inactive; under `sync.updateMethod: put`, a body with active=false). The user is gone:
 * deleted by an earlier attempt whose answer was lost, or by hand in Peakon (while a guard hold waited for approval).
 * Any other write answered 404 stays a failure (NotFound): an employee the HR system has active is missing from Peakon.
 */
export function goneIsDone(write: EmployeeWrite): boolean {
  if (write.method === 'delete') return true;
  if (write.method === 'put') return write.body.active === false;
  return write.operations.some((operation) => operation.op === 'replace' && operation.path === 'active' && operation.value === false);
}

/**
 * Sends one employee write: `gone` when Peakon answered 404 to a write whose goal that is (goneIsDone), so retrying a
 * delete, or a leaver deleted by hand, never fails the leaver. A PATCH or PUT answered 2xx was applied, whatever its
 * body: the connector does not use the returned user, so an answer that is not one (a proxy's page, a truncated body)
 * does not make an applied write a failure. A write the client refused before sending (ScimRequestRefusedError: a user
 * id that cannot go into the path) reached nobody and stays a failure.
 */
export async function sendEmployeeWrite(scim: ScimClient, peakonUserId: string, write: EmployeeWrite): Promise<'written' | 'gone'> {
  let body: ScimUserWrite | undefined;
  if (isPutOverCurrent(write)) {
    // A PUT of a user created this run (sync/payloads.ts deferredReferencesWrite): `GET /Users/{id}` first, and the body
    // laid over that user, so the replace keeps what Peakon holds beyond the create body (its defaults, what another
    // system wrote since the create). Read on every attempt: a retry lays the same body over Peakon's state then, which
    // after an applied PUT already holds it. Outside the write's handling below: a GET answered with something that is
    // not a user sent no write.
    try {
      body = overCurrentBody(write, await scim.getUser(peakonUserId));
    } catch (error) {
      if (error instanceof ScimNotFoundError && error.apiAnswer && goneIsDone(write)) return 'gone';
      throw error;
    }
  }
  try {
    if (write.method === 'delete') await scim.deleteUser(peakonUserId);
    else if (write.method === 'patch') await scim.patchUser(peakonUserId, write.operations);
    else await scim.replaceUser(peakonUserId, body ?? write.body);
  } catch (error) {
    // A 404 page from a proxy or gateway (HTML) says nothing about the user: it stays a failure, visible to the breaker.
    if (error instanceof ScimNotFoundError && error.apiAnswer && goneIsDone(write)) return 'gone';
    if (!(error instanceof ScimMalformedResponseError) || write.method === 'delete') throw error;
    log.warn('Peakon applied the write (2xx) but its answer is not a SCIM user', { peakonUserId, method: write.method });
  }
  return 'written';
}
