/**
 * The connector's own Prometheus metrics, in one list: the code that emits them, docs/metrics.md, the Grafana
 * dashboard and their tests all read names from here. Plain data only, so any module can import it.
 *
 * Labels hold no personal data: tenant names, HTTP methods and statuses, outcome and status words. Employees are
 * counted, never named.
 */
export interface ConnectorMetric {
  readonly name: string;
  readonly kind: 'counter' | 'gauge' | 'histogram';
  /** Labels the connector sets; the SDK adds its own (see `SDK_LABELS`). */
  readonly labels: readonly string[];
  readonly help: string;
}

/** `status` of a SCIM request that got no HTTP answer (connection refused or reset, timeout, activity cancelled). */
export const NO_RESPONSE_STATUS = 'none';

export const SCIM_OPERATIONS = {
  name: 'peakon_sync_scim_operations_total',
  kind: 'counter',
  labels: ['tenant', 'method', 'status'],
  help: "SCIM requests sent to Peakon, each one operation of the tenant's hourly budget: failed attempts and 429s included, by HTTP method and status (none: no answer)",
} as const satisfies ConnectorMetric;

export const SCIM_RATE_LIMITED = {
  name: 'peakon_sync_scim_rate_limited_total',
  kind: 'counter',
  labels: ['tenant'],
  help: 'SCIM requests Peakon answered 429 (rate limited); each is retried after its Retry-After',
} as const satisfies ConnectorMetric;

export const BUDGET_OPERATIONS_PER_HOUR = {
  name: 'peakon_sync_budget_operations_per_hour',
  kind: 'gauge',
  labels: ['tenant'],
  help: "The tenant's configured peakon.operationsPerHour, as last seen by an activity of this worker",
} as const satisfies ConnectorMetric;

export const EMPLOYEES = {
  name: 'peakon_sync_employees_total',
  kind: 'counter',
  labels: ['tenant', 'outcome'],
  help: "Employees by outcome (the run report's counts: created, updated, unchanged, failed, skipped, …), added when a run ends; dry runs excluded",
} as const satisfies ConnectorMetric;

export const RUNS = {
  name: 'peakon_sync_runs_total',
  kind: 'counter',
  labels: ['tenant', 'status', 'dry_run'],
  help: 'Sync runs that ended, by final status (completed, completed_with_failures, quarantined, cancelled, lock_lost, skipped, failed)',
} as const satisfies ConnectorMetric;

export const RUN_DURATION = {
  name: 'peakon_sync_run_duration_seconds',
  kind: 'histogram',
  labels: ['tenant', 'status', 'dry_run'],
  help: 'Wall time of a sync run, from the start of its workflow to its end, by final status',
} as const satisfies ConnectorMetric;

export const LEAVER_HOLDS = {
  name: 'peakon_sync_leaver_holds_total',
  kind: 'counter',
  labels: ['tenant', 'decision'],
  help: 'Runs whose leaver guard held leaver writes for approval, counted when the run ends, by decision (approved, rejected, timed_out: dropped because nobody decided within leavers.guard.timeout, cancelled: the run stopped first)',
} as const satisfies ConnectorMetric;

export const RUNS_TERMINATED = {
  name: 'peakon_sync_runs_terminated_total',
  kind: 'counter',
  labels: ['tenant'],
  help: "Sync runs a worker's sweep terminated: stuck (their workflow task failing) without their tenant lock past the grace; their workflow never runs again, so peakon_sync_runs_total never counts them",
} as const satisfies ConnectorMetric;

/** `decision` of LEAVER_HOLDS: the guard's decision words, as label values. */
export const LEAVER_HOLD_DECISIONS = { approved: 'approved', rejected: 'rejected', 'timed out': 'timed_out', cancelled: 'cancelled' } as const;

export const CONNECTOR_METRICS: readonly ConnectorMetric[] = [SCIM_OPERATIONS, SCIM_RATE_LIMITED, BUDGET_OPERATIONS_PER_HOUR, EMPLOYEES, RUNS, RUN_DURATION, LEAVER_HOLDS, RUNS_TERMINATED];

/**
 * Labels the Temporal SDK puts on custom metrics, kept on ours: those counted in activities carry the activity's
 * (`activityType`, its `taskQueue`: `<queue>-scim-<tenant>` for SCIM steps), run metrics the workflow's.
 */
export const SDK_LABELS = ['namespace', 'taskQueue', 'activityType', 'workflowType'] as const;

/**
 * The SDK's default histogram buckets (50 … 10,000) suit milliseconds; a run lasts seconds to hours (a first load of
 * 10,000 people is about 25 minutes at Peakon's budget).
 */
export const HISTOGRAM_BUCKETS: Readonly<Record<string, number[]>> = {
  [RUN_DURATION.name]: [1, 5, 15, 30, 60, 120, 300, 600, 1_200, 1_800, 3_600, 7_200, 14_400, 43_200],
};
