/**
 * The payloads that travel between workflows and activities. Plain data only (no zod, no Node imports), because
 * workflow code imports this file and must stay deterministic and small in the bundle. Every payload is encrypted by
 * the connector's codec and, above a size threshold, kept in external storage: history holds only a reference.
 */
import type { PatchOperation, ScimUserWrite } from '../scim/resources';

export type MatchingKeyKind = 'email' | 'employeeNumber';
export type SyncPhase = 'create' | 'update';

/** One attribute that differs between Peakon and the HRIS: shown in reports and dry runs as old → new. */
export interface FieldChange {
  field: string;
  from: string | number | boolean | null;
  to: string | number | boolean | null;
  /**
   * The field is an attribute of the Peakon extension, not the core or enterprise field of that name: a tenant's
   * attribute called `email` or `active` is not the user's address or status (the plan's checks of those skip it).
   */
  peakon?: true;
}

/** Identifies a run and its Temporal workflows. Contains no secrets and no personal data. */
export interface RunRef {
  tenant: string;
  /** The parent workflow ID, e.g. `peakon-sync/acme/2026-11-28T15:30:00Z`. */
  runId: string;
}

/** Retry behaviour for SCIM activities. Short in tests, patient in production. */
export interface RetrySettings {
  initialIntervalMs: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
}

/** How phase 2 writes a change: a PATCH of exactly the changed attributes (default), or the guide's full PUT. */
export type UpdateMethod = 'patch' | 'put';

/**
 * Who an employee is, without personal data: `ref` names them in workflow IDs and info logs (a keyed hash of the
 * matching key, see sync/employee-ref.ts); `employeeKey` (email or employee number) stays inside encrypted payloads.
 */
export interface EmployeeIdentity {
  ref: string;
  employeeKey: string;
}

/**
 * The one SCIM write of a phase-2 step: the changed attributes as PATCH operations, or a full PUT body; for a leaver
 * under `leavers.action: delete` (with `allowDelete`), a DELETE.
 */
export type EmployeeWrite = { method: 'patch'; operations: PatchOperation[] } | { method: 'put'; body: ScimUserWrite } | { method: 'delete' };

/** What a leaver's write does: `deactivate` (active=false, with the separation attributes under `separate`) or `delete`. */
export type LeaverWrite = 'deactivate' | 'delete';

/** What a phase-1 (create) child is asked to do. */
export interface CreateWork extends EmployeeIdentity {
  /** The work email: the key other employees' references (e.g. Manager) name this person by. */
  userName: string;
  matchingKey: MatchingKeyKind;
  /** The matching key as SCIM discovery filters on it. */
  employeeNumber?: string;
  /**
   * The POST body: every mapped attribute, including employee references whose target already exists when this
   * employee's wave starts (someone already in Peakon, or created in an earlier wave). Saves the PUT of phase 2.
   */
  createBody: ScimUserWrite;
  /** Employee references carried in `createBody` (attribute → email): left out and reported if Peakon rejects them. */
  createReferences: Record<string, string>;
  /**
   * True: the tenant listing showed no such user, so POST straight away (a 409 means an earlier attempt landed).
   * False: discover with a filter first (filter discovery, or a single-employee sync).
   */
  knownAbsent: boolean;
  /** Filter discovery only: how phase 2 updates a user phase 1 found (computed from what it found). */
  desiredIfFound?: DesiredState;
}

/** The intended state of an employee found by phase-1 discovery, to be compared with what Peakon holds. */
export interface DesiredState {
  user: ScimUserWrite;
  references: Record<string, string>;
  createOnly: string[];
  sourceId: string;
  /**
   * Filter discovery under `leavers.action: separate` (`desiredIfFound`): the separation attributes to clear when the
   * user found is inactive and this state reactivates them (a returner), unless the mapping sets them
   * (sync/plan.ts desiredForFound).
   */
  clearOnReturn?: string[];
  /**
   * Filter discovery (`desiredIfFound`): the run's day (YYYY-MM-DD, from the plan, never a clock of the activity). A
   * future hire Peakon holds inactive until their start date (`Tenure`) is not reactivated before that day.
   */
  today?: string;
  /**
   * Filter discovery (`desiredIfFound`): where the plan stored the HR ids of its read, as keyed hashes
   * (storage/plan-pages.ts storeHrIdIndex). Discovery looks up there whether a user found by key carries another HR
   * record's id (that person's user, whose key this record was given): not taken over, as a listing plan's
   * keyHeldByOther. Absent (plans of earlier versions, a page store without it): no such check.
   */
  readHrIds?: HrIdIndexRef;
}

/**
 * The HR ids of a plan's read, stored in the payload store as keyed hashes (never plain), bucketed by the hashes'
 * first hex digits: `index` is the page listing the buckets' pages, `buckets` how many there are (a power of 16).
 */
export interface HrIdIndexRef {
  index: string;
  buckets: number;
  /**
   * The id of the encryption key (codec/keys.ts EncryptionKey.id) whose employee-ref key hashed the ids: discovery
   * hashes with the same one, also on a worker whose current key is another (a rotation rolled out mid-run).
   * UNKEYED_HR_ID_INDEX (storage/plan-pages.ts): stored by a keyless worker, checked unkeyed on any worker. Absent:
   * stored before this field (hashed with the key then current, as discovery's current one).
   */
  keyId?: string;
}

/** One write to bring an existing Peakon user in line, with what it changes. */
export interface EmployeeChange {
  write: EmployeeWrite;
  /** Employee-type attributes in `write` (e.g. Manager → email): dropped and reported if Peakon rejects them. */
  references: Record<string, string>;
  changes: FieldChange[];
}

/** What a phase-2 (update) child is asked to do. */
export interface UpdateWork extends EmployeeIdentity, EmployeeChange {
  peakonUserId: string;
  /** True when phase 1 created this user in this run (this step writes only what the create could not carry). */
  createdThisRun: boolean;
  /** A leaver's write (after phase 2, behind the guard): the outcome is `deactivated` or `deleted`, not `updated`. */
  leaver?: LeaverWrite;
}

/**
 * `found`: phase 1 discovered an existing user whose attributes differ; phase 2 updates it (counted there).
 */
export type EmployeeStatus = 'created' | 'updated' | 'deactivated' | 'deleted' | 'unchanged' | 'failed' | 'skipped' | 'found';

/** What happened to one employee in one phase. Compact: partitions return hundreds of them. */
export interface EmployeeOutcome extends EmployeeIdentity {
  phase: SyncPhase;
  status: EmployeeStatus;
  peakonUserId?: string;
  /** Why it failed or was skipped, in words a person can act on. */
  reason?: string;
  /** Failure type (AuthenticationFailed, InvalidRequest, RateLimited, …) for machines. */
  errorType?: string;
  changes?: FieldChange[];
  warnings?: string[];
  /** Filter discovery found the user and something differs: what phase 2 must write. */
  update?: EmployeeChange;
  /**
   * Created without these employee references of its create (attribute names): Peakon rejected them (e.g. a manager
   * renamed in Peakon after the plan). Phase 2 leaves them out of a PUT built from the create body, else Peakon rejects
   * that too.
   */
  referencesLeftOut?: string[];
  /** SCIM requests this step sent, failed attempts included (each activity attempt sends exactly one). */
  operations: number;
  /**
   * Stopped by a cancel (its run's or its partition's) before it finished: only its `operations` count (the requests it
   * had sent), it is no outcome; the next sync completes the employee.
   */
  stopped?: true;
}
