import type { SecretResolver } from '../config/secret';
import type { ConnectorConfig } from '../config/schema';
import type { HrisSource } from '../hris/source';
import { ScimClient } from '../scim/client';
import { createOperationPacer, type OperationPacer } from '../scim/pacer';
import type { RunStore } from '../sync/run-store';

export type PeakonConnection = ConnectorConfig['peakon'];

/** What activities need from the outside world. Injected, so tests hand in a sandbox and production hands in config. */
export interface ActivityDeps {
  runStore: RunStore;
  /** Where run reports (JSON, one file per run) are written. */
  reportDirectory: string;
  /** Turns `{ env }` / `{ file }` references into secrets. Only the worker ever sees the values. */
  resolveSecret: SecretResolver;
  createSource(config: ConnectorConfig): HrisSource;
}

/**
 * One pacer per Peakon tenant per worker process, shared by every activity, so concurrent activities together stay
 * under the tenant's hourly budget instead of each pacing itself alone.
 */
const pacers = new Map<string, OperationPacer>();
function pacerFor(connection: PeakonConnection): OperationPacer {
  const key = `${connection.baseUrl}|${connection.operationsPerHour}`;
  let pacer = pacers.get(key);
  if (!pacer) {
    pacer = createOperationPacer({ operationsPerHour: connection.operationsPerHour });
    pacers.set(key, pacer);
  }
  return pacer;
}

/** A fresh client per activity execution (its counters then measure exactly this step), sharing the tenant's pacer. */
export function scimClientFor(deps: ActivityDeps, connection: PeakonConnection): ScimClient {
  return new ScimClient({
    baseUrl: connection.baseUrl,
    token: deps.resolveSecret(connection.token),
    timeoutMs: connection.timeoutMs,
    pacer: pacerFor(connection),
    userAgent: 'peakon-scim-connector',
  });
}
