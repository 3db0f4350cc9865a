import type { SecretResolver } from '../config/secret';
import type { ConnectorConfig } from '../config/schema';
import type { HrisSource } from '../hris/source';
import type { LedgerStore } from '../ownership/store';
import type { PlanPageStore } from '../storage/plan-pages';
import { ApplicationFailure } from '@temporalio/common';
import { countScimOperation } from '../metrics/activity';
import { FailureType } from './failures';
import { tenantHold } from './tenant-hold';
import { ScimClient } from '../scim/client';
import { createOperationPacer, type OperationPacer } from '../scim/pacer';

export type PeakonConnection = ConnectorConfig['peakon'];

/** What activities need from the outside world. Injected, so tests hand in a sandbox and production hands in config. */
export interface ActivityDeps {
  /** Where run reports (JSON, one file per run, 0600) are written. */
  reportDirectory: string;
  /** Turns `{ env }` / `{ file }` references into secrets. Only the worker ever sees the values. */
  resolveSecret: SecretResolver;
  createSource(config: ConnectorConfig): HrisSource;
  /** Keys the hash that names employees in workflow IDs and logs (sync/employee-ref.ts); derived from the encryption key. */
  employeeRefKey?: Buffer;
  /** The id (codec/keys.ts EncryptionKey.id, safe to log) of the encryption key employeeRefKey is derived from. */
  employeeRefKeyId?: string;
  /**
   * The employee-ref key derived from the worker's encryption key with this id, current or old
   * (PEAKON_SYNC_ENCRYPTION_OLD_KEYS); undefined when the worker does not hold that key. What hashed a run's data
   * planned before a key rotation (HrIdIndexRef.keyId).
   */
  employeeRefKeyFor?: (keyId: string) => Buffer | undefined;
  /** The per-tenant ownership ledger (ownership/): which Peakon users this connector owns. Without it, no leavers. */
  ownership?: LedgerStore;
  /**
   * Where a whole-tenant plan's entries are kept (storage/plan-pages.ts), so workflows carry light entries and page
   * keys instead of every body. Without it the plan travels whole, as a payload.
   */
  planPages?: PlanPageStore;
  /**
   * `PEAKON_SYNC_RETENTION_DAYS` of the worker, whose sweep deletes stored payloads (plan pages included) older than
   * that: the plan refuses a `leavers.guard.timeout` not well below it (config/guard-retention.ts). Unset: not checked.
   */
  retentionDays?: number;
}

/** The page store a stored plan needs; a worker without one cannot take part in that run. */
export function requirePlanPages(deps: ActivityDeps): PlanPageStore {
  if (deps.planPages) return deps.planPages;
  throw ApplicationFailure.create({ type: FailureType.ConfigInvalid, nonRetryable: true, message: 'this worker has no plan page store, but the run stored its plan: every worker of a deployment needs the same payload store (PEAKON_SYNC_PAYLOAD_STORE)' });
}

/**
 * Pacing of the plan's reads (one activity, sequential pages, before any write of the run). Writes are paced by the
 * tenant's rate-limited task queue instead, across every worker (worker/tenant-queues.ts). Keyed by tenant: several
 * tenants share one base URL (`https://api.peakon.com/scim/v2`), each with its own budget.
 */
const pacers = new Map<string, OperationPacer>();
function pacerFor(tenant: string, connection: PeakonConnection): OperationPacer {
  const key = `${tenant}|${connection.operationsPerHour}`;
  let pacer = pacers.get(key);
  if (!pacer) {
    pacer = createOperationPacer({ operationsPerHour: connection.operationsPerHour });
    pacers.set(key, pacer);
  }
  return pacer;
}

export interface ScimClientUse {
  /** Pace this client's requests in-process at the tenant's budget (the plan's reads). */
  pacedFor?: string;
  /** The activity's cancellation signal: a cancelled or timed-out attempt stops its request instead of finishing it. */
  signal?: AbortSignal;
  /** Called as each request goes out, already counted (the plan heartbeats its count then). */
  onSend?: () => void;
  /** Called every few seconds while a request waits for the tenant's pacer (the plan heartbeats then too). */
  onWait?: () => void;
  /** Refuse to send while the tenant is held by a 429, and hold it on one (activities/tenant-hold.ts). */
  heldFor?: string;
}

/** A fresh client per activity execution (its counters then measure exactly this step). */
export function scimClientFor(deps: ActivityDeps, connection: PeakonConnection, use: ScimClientUse = {}): ScimClient {
  const { pacedFor, signal, onSend, onWait, heldFor } = use;
  return new ScimClient({
    baseUrl: connection.baseUrl,
    token: deps.resolveSecret(connection.token, { url: connection.baseUrl, field: 'peakon.token' }),
    timeoutMs: connection.timeoutMs,
    ...(pacedFor !== undefined ? { pacer: pacerFor(pacedFor, connection) } : {}),
    ...(signal ? { signal } : {}),
    ...(onSend ? { onSend } : {}),
    ...(onWait ? { onWait } : {}),
    ...(heldFor !== undefined ? { hold: tenantHold(heldFor, connection.baseUrl) } : {}),
    // Every request of every attempt, counted where it is sent: what Peakon bills against the tenant's budget.
    onOperation: countScimOperation,
    userAgent: 'peakon-scim-connector',
  });
}
