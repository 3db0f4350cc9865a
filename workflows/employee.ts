import { ActivityFailure, ApplicationFailure, isCancellation, patched, proxyActivities, proxySinks, sleep, TimeoutFailure } from '@temporalio/workflow';
import type { ScimActivities } from '../activities';
import type { PeakonConnection } from '../activities/deps';
import type { DiscoveryLookup, StepFailureDetails } from '../activities/employee';
import { createBodyWithout, isPutOverCurrent, withoutReferences } from '../sync/payloads';
import { timedOutStepOperations } from '../sync/step-operations';
import type { RunTuning } from '../sync/settings';
import type { CreateWork, EmployeeOutcome, RunRef, SyncPhase, UpdateMethod, UpdateWork } from '../sync/types';
import { discoveryActivityOptions, putOverCurrentActivityOptions, scimActivityOptions } from './activity-options';
import type { ConnectorSinks } from './sinks';

export interface EmployeeStepWorkflowInput<W> {
  run: RunRef;
  peakon: PeakonConnection;
  tuning: RunTuning;
  /** The tenant's rate-limited SCIM task queue (workflows/ids.ts). */
  scimTaskQueue: string;
  updateMethod: UpdateMethod;
  work: W;
}

const { tenantQueues } = proxySinks<ConnectorSinks>();

/** What an activity step failed with: the activity's own failure, not Temporal's "activity task failed" wrapper. */
function failureCause(error: unknown): unknown {
  return error instanceof ActivityFailure ? error.cause : error;
}

/** Requests a failed step sent: its last attempt number, which the activity puts in the failure's details. */
function operationsOf(error: unknown, tuning: RunTuning): number {
  const cause = failureCause(error);
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as Partial<StepFailureDetails> | undefined;
    if (typeof details?.operations === 'number') return details.operations;
  }
  // A timed-out last attempt leaves no details; every attempt was made and may have reached Peakon. A step that sends
  // more than one request per attempt heartbeats the requests its attempts have sent so far, and each attempt after
  // that heartbeat counts one more (timedOutStepOperations). Only a number in the outcome: no command changes.
  if (cause instanceof TimeoutFailure) return timedOutStepOperations(tuning.scimRetry.maximumAttempts, cause.lastHeartbeatDetails);
  return 1;
}

function failureType(error: unknown): string | undefined {
  const cause = failureCause(error);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** A failed employee is an outcome, not an exception: one bad record never fails the run. */
function failedOutcome(work: { ref: string; employeeKey: string }, phase: SyncPhase, error: unknown, operations: number): EmployeeOutcome {
  const reason = failureMessage(error);
  const errorType = failureType(error);
  return { ref: work.ref, employeeKey: work.employeeKey, phase, status: 'failed', reason, ...(errorType ? { errorType } : {}), operations };
}

/**
 * patched() marker of an employee that, stopped by a cancel, returns what it spent instead of ending cancelled (2026-11):
 * the run's operation count then keeps the requests it had sent (a 429 it was waiting out, a discovery before its
 * create). A request in flight when the cancel came is not known to have gone out and is not counted. See
 * docs/versioning.md.
 */
export const EMPLOYEE_RETURNS_SPEND_WHEN_CANCELLED_PATCH = 'employee-returns-spend-when-cancelled';

/** The cancel's end of an employee step: what it spent (new runs), or the cancellation itself (runs recorded before). */
function stoppedOutcome(work: { ref: string; employeeKey: string }, phase: SyncPhase, cancellation: unknown, operations: number): EmployeeOutcome {
  if (!patched(EMPLOYEE_RETURNS_SPEND_WHEN_CANCELLED_PATCH)) throw cancellation;
  return { ref: work.ref, employeeKey: work.employeeKey, phase, status: 'skipped', reason: 'stopped by a cancel before it finished: the next sync completes it', operations, stopped: true };
}

/** A discovery's first request: the matching key, as written. */
const FIRST_LOOKUP: DiscoveryLookup = { by: 'key', spelling: 0 };

function scimSteps<W>(input: EmployeeStepWorkflowInput<W>) {
  tenantQueues.ensurePolling(input.scimTaskQueue, input.peakon.operationsPerHour);
  const steps = proxyActivities<ScimActivities>(scimActivityOptions(input.tuning, input.scimTaskQueue));
  // Discovery may send up to DISCOVERY_REQUESTS_AT_MOST requests in one attempt: a timeout of its own (an activity's
  // options are not part of what replay compares, so runs in flight keep replaying).
  const { discoverEmployee } = proxyActivities<ScimActivities>(discoveryActivityOptions(input.tuning, input.scimTaskQueue));
  // So may a PUT laid over the current user (two requests): the same, for its two.
  const { writeEmployee: writeOverCurrent } = proxyActivities<ScimActivities>(putOverCurrentActivityOptions(input.tuning, input.scimTaskQueue));
  return { discoverEmployee, createEmployee: steps.createEmployee, writeEmployee: steps.writeEmployee, writeOverCurrent };
}

/**
 * Phase 1 for one employee: make sure they exist, never twice. Each step is one SCIM request (one activity attempt).
 * A POST whose answer was lost is retried, gets 409 from Peakon's uniqueness check, and discovery then finds the user
 * the first attempt created: idempotent without a discovery before every create.
 */
export async function employeeCreateWorkflow(input: EmployeeStepWorkflowInput<CreateWork>): Promise<EmployeeOutcome> {
  const { work } = input;
  const steps = scimSteps(input);
  const identity = { ref: work.ref, employeeKey: work.employeeKey };
  const spent = operationCounter(input.tuning);
  const lookUp = (lookup: DiscoveryLookup) => spent.count(() => steps.discoverEmployee({ run: input.run, peakon: input.peakon, ref: work.ref, matchingKey: work.matchingKey, userName: work.userName, ...(work.employeeNumber !== undefined ? { employeeNumber: work.employeeNumber } : {}), ...(work.desiredIfFound ? { desired: work.desiredIfFound } : {}), updateMethod: input.updateMethod, lookup }));
  // One request per activity, each paced by the tenant queue's rate: the lookup by key, then (nobody found) the next
  // spelling of an internationalised address or filter discovery's lookup by HR id, as the last result names it. A
  // result recorded before `lookup` existed names none, so runs in flight replay the one activity they scheduled.
  const discover = async () => {
    let found = await lookUp(FIRST_LOOKUP);
    while (found.next) found = await lookUp(found.next);
    return found;
  };
  const create = (body: CreateWork['createBody']) => spent.count(() => steps.createEmployee({ run: input.run, peakon: input.peakon, ref: work.ref, body }));
  try {
    if (!work.knownAbsent) {
      const found = await discover();
      // In Peakon but not readable (it does not fit the SCIM User schema): left alone, as a listing plan leaves them.
      if (found.leftAlone) return { ...identity, phase: 'create', status: 'skipped', reason: found.leftAlone, peakonUserId: found.peakonUserId, operations: spent.total };
      if (found.peakonUserId) {
        return { ...identity, phase: 'create', status: found.update ? 'found' : 'unchanged', peakonUserId: found.peakonUserId, operations: spent.total, ...(found.update ? { update: found.update } : {}), ...(found.warnings?.length ? { warnings: found.warnings } : {}) };
      }
      if (work.createBody.active === false) {
        // The plan's rule where it cannot know Peakon's state (filter discovery): someone the HR system marks inactive is
        // not created just to be switched off, even with a termination date ahead.
        return { ...identity, phase: 'create', status: 'skipped', reason: 'inactive in the HR system and not in Peakon: not created', operations: spent.total };
      }
    }
    const warnings: string[] = [];
    let body = work.createBody;
    /** The employee references Peakon rejected, once the create went on without them (phase 2 must not re-send them). */
    const rejected = () => (body === work.createBody ? {} : { referencesLeftOut: Object.keys(work.createReferences) });
    for (;;) {
      try {
        const created = await create(body);
        return { ...identity, phase: 'create', status: 'created', peakonUserId: created.peakonUserId, operations: spent.total, ...(warnings.length ? { warnings } : {}), ...rejected() };
      } catch (error) {
        const type = failureType(error);
        if (type === 'MalformedResponse') {
          // Peakon answered 2xx, so the user exists, but its answer did not say under which id: discovery finds it.
          // (A history from before this type recorded such an answer as InvalidRequest and took the path below.)
          const found = await discover();
          if (!found.peakonUserId) throw error;
          warnings.push(`Peakon created the user but its answer was not a SCIM user (${failureMessage(error)}); found by ${work.matchingKey === 'employeeNumber' ? 'employee number' : 'userName'}`);
          return { ...identity, phase: 'create', status: 'created', peakonUserId: found.peakonUserId, operations: spent.total, warnings, ...rejected() };
        }
        if (type === 'Conflict') {
          // Someone holds this email or employee number: our own earlier attempt (its answer lost), or a user that
          // appeared after the plan read the tenant. Filter discovery compares what it finds (an update for phase 2).
          const found = await discover();
          if (!found.peakonUserId) throw error;
          if (found.leftAlone) return { ...identity, phase: 'create', status: 'skipped', reason: found.leftAlone, peakonUserId: found.peakonUserId, operations: spent.total, ...(warnings.length ? { warnings } : {}) };
          // Our own attempt carries the externalId we sent. (A discovery result without the field predates it.)
          const known = found.externalId !== undefined;
          const ours = known && found.externalId === (work.createBody.externalId ?? null);
          if (ours || (work.knownAbsent && !known)) {
            // This run created the user, whichever discovery it uses: counted created, as if the answer had arrived.
            // (With filter discovery this was `found`, which no count takes: the employee was counted nowhere.)
            return { ...identity, phase: 'create', status: 'created', peakonUserId: found.peakonUserId, operations: spent.total, ...(warnings.length ? { warnings } : {}), ...rejected() };
          }
          if (work.knownAbsent) {
            // Anyone else's user is not "created" by this run: phase 2 must not write it as if it held our create body
            // (a PUT would replace their attributes with it), and the next run, which lists it, adopts and updates it.
            return { ...identity, phase: 'create', status: 'skipped', reason: 'created in Peakon by someone else after this run read the tenant: the next sync adopts and updates it', peakonUserId: found.peakonUserId, operations: spent.total, ...(warnings.length ? { warnings } : {}) };
          }
          // Filter discovery: a user someone else created after this run's discovery found nobody is taken as that
          // discovery takes one, updated in phase 2 where it differs, else unchanged.
          warnings.push(...(found.warnings ?? []));
          return { ...identity, phase: 'create', status: found.update ? 'found' : 'unchanged', peakonUserId: found.peakonUserId, operations: spent.total, ...(found.update ? { update: found.update } : {}), ...(warnings.length ? { warnings } : {}) };
        }
        const references = Object.keys(work.createReferences);
        if (type !== 'InvalidRequest' || references.length === 0 || body !== work.createBody) throw error;
        // Peakon rejected the body while it carries employee references (a manager it does not know): create the
        // employee with everything else and report the references.
        warnings.push(...references.map((attribute) => `${attribute} (${work.createReferences[attribute]}) not written: Peakon rejected it (${failureMessage(error)})`));
        body = createBodyWithout(body, references);
      }
    }
  } catch (error) {
    if (isCancellation(error)) return stoppedOutcome(identity, 'create', error, spent.total);
    return failedOutcome(identity, 'create', error, spent.total);
  }
}

/**
 * Phase 2 for one employee: one write (PATCH of the changed attributes, or PUT). Runs only after every create of the
 * run. If Peakon rejects employee references (a manager whose own create failed), the rest is written and the
 * unresolved reference reported.
 */
export async function employeeUpdateWorkflow(input: EmployeeStepWorkflowInput<UpdateWork>): Promise<EmployeeOutcome> {
  const { work } = input;
  const steps = scimSteps(input);
  const identity = { ref: work.ref, employeeKey: work.employeeKey };
  const spent = operationCounter(input.tuning);
  const warnings: string[] = [];
  const write = (what: UpdateWork['write']) => spent.count(() => (isPutOverCurrent(what) ? steps.writeOverCurrent : steps.writeEmployee)({ run: input.run, peakon: input.peakon, ref: work.ref, peakonUserId: work.peakonUserId, write: what }));
  /** A PATCH with nothing left in it (its only change was a reference to someone who could not be created) is not sent. */
  const isEmpty = (what: UpdateWork['write']) => what.method === 'patch' && what.operations.length === 0;
  // Nor is an update whose every change was left out: with `put` its write is the user as Peakon has it, a wasted operation.
  const nothingToWrite = work.leaver === undefined && work.changes.length === 0;
  let changes = work.changes;
  try {
    try {
      if (!isEmpty(work.write) && !nothingToWrite) await write(work.write);
    } catch (error) {
      const references = Object.keys(work.references);
      if (isCancellation(error) || failureType(error) !== 'InvalidRequest' || references.length === 0) throw error;
      const reduced = withoutReferences(work.write, references, work.changes);
      if (!isEmpty(reduced)) await write(reduced);
      changes = changes.filter((change) => !references.includes(change.field));
      warnings.push(...references.map((attribute) => `${attribute} (${work.references[attribute]}) not written: Peakon rejected it (${failureMessage(error)})`));
    }
    if (work.leaver === undefined && changes.length === 0) {
      // Nothing this step meant to change reached Peakon: not an update (the warnings say what was left out).
      return { ...identity, phase: 'update', status: 'unchanged', peakonUserId: work.peakonUserId, operations: spent.total, ...(warnings.length ? { warnings } : {}) };
    }
    const status = work.leaver === undefined ? 'updated' : work.leaver === 'delete' ? 'deleted' : 'deactivated';
    return { ...identity, phase: 'update', status, peakonUserId: work.peakonUserId, changes, operations: spent.total, ...(warnings.length ? { warnings } : {}) };
  } catch (error) {
    if (isCancellation(error)) return stoppedOutcome(identity, 'update', error, spent.total);
    return failedOutcome(identity, 'update', error, spent.total);
  }
}

function failureMessage(error: unknown): string {
  const cause = failureCause(error);
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * patched() marker of a step that waits out 429s for RATE_LIMIT_PATIENCE_MS rather than MAX_RATE_LIMIT_WAITS times
 * (2026-11), each wait at least RATE_LIMIT_WAIT_FLOOR_MS grown with the waits. Before it, 429s that named no wait
 * (DEFAULT_RATE_LIMIT_WAIT_MS each) failed the employee after 48 minutes, inside Peakon's hourly window. Taken at a
 * step's first 429: runs recorded before it wait the old way. See docs/versioning.md.
 */
export const RATE_LIMIT_PATIENCE_PATCH = 'rate-limit-patience';

/** How often one step may wait out a 429 before it counts as failed, for runs recorded before RATE_LIMIT_PATIENCE_PATCH. */
const MAX_RATE_LIMIT_WAITS = 48;
/**
 * How long one step waits out 429s before it counts as failed: two days, the most the old rule allowed (48 hourly
 * Retry-Afters), so no run in flight gives up sooner than it would have.
 */
export const RATE_LIMIT_PATIENCE_MS = 48 * 3_600_000;
/**
 * The shortest a step's k-th wait in a row may be: 1 s doubled each wait, up to 15 minutes. Peakon's own Retry-After
 * is obeyed whenever it asks for longer; a step told again and again to wait briefly (no Retry-After, a tenant hold
 * about to end) backs off, so two days of patience stay about 200 waits and a few thousand history events.
 */
const RATE_LIMIT_WAIT_FLOOR_MS = { first: 1_000, longest: 15 * 60_000 };
/** When Peakon answers 429 without a Retry-After (net/retry-after.ts: workflow code may not import net/). */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/** Peakon's Retry-After when the step was rate limited, else undefined. */
function rateLimitWait(error: unknown): number | undefined {
  if (failureType(error) !== 'RateLimited') return undefined;
  const cause = failureCause(error);
  const details = cause instanceof ApplicationFailure ? (cause.details?.[0] as Partial<StepFailureDetails> | undefined) : undefined;
  return Math.max(1_000, details?.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS);
}

/**
 * How long a step waits after its `waits`-th 429 in a row (counting from 0), having waited `waitedMs` so far, when
 * Peakon asked for `askedMs`; undefined when its patience is spent and the step fails.
 */
export function rateLimitPatience(waits: number, waitedMs: number, askedMs: number): number | undefined {
  if (waitedMs >= RATE_LIMIT_PATIENCE_MS) return undefined;
  const floor = Math.min(RATE_LIMIT_WAIT_FLOOR_MS.longest, RATE_LIMIT_WAIT_FLOOR_MS.first * 2 ** Math.min(waits, 30));
  return Math.max(askedMs, floor);
}

/**
 * Runs the SCIM steps of one employee: adds up the requests of every step, failed ones included, and waits out a 429
 * on a durable timer (no worker slot held, no retry attempt spent) before asking again.
 */
function operationCounter(tuning: RunTuning) {
  const counter = {
    total: 0,
    async count<T extends { operations: number }>(step: () => Promise<T>): Promise<T> {
      let waitedMs = 0;
      for (let waits = 0; ; waits += 1) {
        try {
          const result = await step();
          counter.total += result.operations;
          return result;
        } catch (error) {
          if (isCancellation(error)) throw error;
          counter.total += operationsOf(error, tuning);
          const asked = rateLimitWait(error);
          if (asked === undefined) throw error;
          const wait = patched(RATE_LIMIT_PATIENCE_PATCH) ? rateLimitPatience(waits, waitedMs, asked) : waits < MAX_RATE_LIMIT_WAITS ? asked : undefined;
          if (wait === undefined) throw error;
          waitedMs += wait;
          await sleep(wait);
        }
      }
    },
  };
  return counter;
}
