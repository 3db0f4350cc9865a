import type { RetrySettings } from './types';

/**
 * Timeouts and retries of a run. Production defaults are patient (a flaky Peakon recovers within minutes); tests pass
 * short values because they run against a real server in real time.
 */
export interface RunTuning {
  scimRetry: RetrySettings;
  /** One SCIM step (discover + create, or one PUT) including pacing waits. */
  scimActivityTimeoutMs: number;
  /** Reading the HR system and the tenant, mapping and planning. */
  planTimeoutMs: number;
  /** Planning reports progress at least this often, so a dead worker is noticed quickly. */
  planHeartbeatTimeoutMs: number;
  /** The tenant lock expires when its run has not renewed it for this long (the run renews it every third of it). */
  lockLeaseMs: number;
  /**
   * The lock's lease while the run waits for a person to approve held leaver writes (never shorter than `lockLeaseMs`):
   * fewer renewals over a wait of days keep the run's history small; a run stuck in the wait frees its tenant after it.
   */
  awaitingApprovalLeaseMs: number;
}

export const DEFAULT_RUN_TUNING: RunTuning = {
  scimRetry: { initialIntervalMs: 2_000, maximumIntervalMs: 5 * 60_000, maximumAttempts: 12 },
  scimActivityTimeoutMs: 2 * 60_000,
  planTimeoutMs: 2 * 60 * 60_000,
  planHeartbeatTimeoutMs: 2 * 60_000,
  lockLeaseMs: 10 * 60_000,
  awaitingApprovalLeaseMs: 60 * 60_000,
};

export function withTuningDefaults(overrides: Partial<RunTuning> | undefined): RunTuning {
  return {
    ...DEFAULT_RUN_TUNING,
    ...overrides,
    scimRetry: { ...DEFAULT_RUN_TUNING.scimRetry, ...overrides?.scimRetry },
  };
}
