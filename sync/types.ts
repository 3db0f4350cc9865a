/**
 * The payloads that travel between workflows and activities. Plain data only (no zod, no Node imports), because
 * workflow code imports this file and must stay deterministic and small in the bundle.
 */
import type { DesiredEmployee } from '../mapping/employee';
import type { ScimUserWrite } from '../scim/resources';

export type MatchingKeyKind = 'email' | 'employeeNumber';
export type SyncPhase = 'create' | 'update';

/** One attribute that differs between Peakon and the HRIS: shown in reports and dry runs as old → new. */
export interface FieldChange {
  field: string;
  from: string | number | boolean | null;
  to: string | number | boolean | null;
}

/** Identifies a run's working files and its Temporal workflows. Contains no secrets. */
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

/** What a phase-1 (create) child is asked to do. */
export interface CreateWork {
  employeeKey: string;
  matchingKey: MatchingKeyKind;
  /** Basic fields only: Peakon's guide creates first, then writes everything else after every create of the run. */
  createBody: ScimUserWrite;
  /**
   * `absent`: the tenant listing showed no such user, so POST straight away (a 409 on a retry means our earlier POST landed).
   * `unknown`: discover with a filter first (filter discovery, or a single-employee sync).
   */
  knownAbsent: boolean;
  /** The full intended state, so that phase 1 can work out the PUT of phase 2 from what it found or created. */
  desired: DesiredEmployee;
}

/** What a phase-2 (update) child is asked to do. */
export interface UpdateWork {
  employeeKey: string;
  peakonUserId: string;
  /** The full PUT body, employee references included. */
  body: ScimUserWrite;
  /** Employee-type Peakon attributes in `body` (e.g. Manager → email): dropped and reported if Peakon rejects them. */
  references: Record<string, string>;
  changes: FieldChange[];
  /** True when phase 1 created this user in this run (every attribute is new). */
  createdThisRun: boolean;
}

/**
 * `found`: phase 1 discovered an existing user whose attributes differ; phase 2 updates it (counted there).
 */
export type EmployeeStatus = 'created' | 'updated' | 'unchanged' | 'failed' | 'skipped' | 'found';

/** What happened to one employee in one phase. Compact: partitions aggregate hundreds of them. */
export interface EmployeeOutcome {
  employeeKey: string;
  phase: SyncPhase | 'plan';
  status: EmployeeStatus;
  peakonUserId?: string;
  /** Why it failed or was skipped, in words a person can act on. */
  reason?: string;
  /** Failure type (AuthenticationFailed, InvalidRequest, RateLimited, …) for machines. */
  errorType?: string;
  changes?: FieldChange[];
  warnings?: string[];
  /** Filled by a filter discovery that found the user: what phase 2 must write. */
  update?: { body: ScimUserWrite; references: Record<string, string>; changes: FieldChange[] };
  /** SCIM operations this step spent. */
  operations: number;
}
