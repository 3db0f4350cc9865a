import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { PROXY_VARIABLE } from '../net/egress-proxy';
import { connectorDataConverterFromEnv, temporalConnectConfig } from '../worker/environment';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { writeLine } from './progress';

export interface ConnectedClient {
  client: Client;
  namespace: string;
  /** The Temporal address it connected to (for messages that tell the operator where they looked). */
  address: string;
  close(): Promise<void>;
}

/**
 * `env` without its TEMPORAL_* settings (a developer's Temporal Cloud API key, profile or TLS files), for a client or
 * worker of a local dev server this process started: with an API key the SDK would speak TLS to a plain-text server.
 */
export function withoutTemporalVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('TEMPORAL_')));
}

/**
 * A Temporal client configured from TEMPORAL_* variables (dev server, self-hosted or Temporal Cloud) that encrypts
 * with the PEAKON_SYNC_ENCRYPTION_* keys of the same environment; schedules created through it are encrypted too.
 */
export async function connectClient(env: NodeJS.ProcessEnv = process.env): Promise<ConnectedClient> {
  const { connectionOptions, namespace } = temporalConnectConfig(env);
  const address = connectionOptions.address ?? 'localhost:7233';
  // Before connecting: without a key (and without the explicit opt-out) every command refuses to start, naming how to
  // create one, instead of failing on the connection first or sending HR data to Temporal in plain text.
  const dataConverter = connectorDataConverterFromEnv(env);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address,
      ...(connectionOptions.tls !== undefined ? { tls: connectionOptions.tls } : {}),
      ...(connectionOptions.apiKey !== undefined && typeof connectionOptions.apiKey === 'string' ? { apiKey: connectionOptions.apiKey } : {}),
      ...(connectionOptions.metadata ? { metadata: connectionOptions.metadata } : {}),
    });
  } catch (error) {
    // The worker's proxy setting does not reach grpc-js: say so where an operator behind a proxy would otherwise be lost.
    const proxyHint = env[PROXY_VARIABLE] && !env.grpc_proxy && !env.https_proxy ? `; the CLI's Temporal connection does not use ${PROXY_VARIABLE}: set grpc_proxy or https_proxy (lower case) for it` : '';
    throw new Error(`cannot reach Temporal at ${address} (namespace ${namespace}): ${error instanceof Error ? error.message : String(error)}${proxyHint}`, { cause: error });
  }
  return { client: new Client({ connection, namespace, dataConverter }), namespace, address, close: () => connection.close() };
}

/** Whether any worker polled `taskQueue` for workflow tasks recently; undefined when the server cannot tell us. */
export async function hasWorkflowPollers(connected: Pick<ConnectedClient, 'client' | 'namespace'>, taskQueue: string): Promise<boolean | undefined> {
  const pollers = await workflowPollers(connected, taskQueue);
  return pollers === undefined ? undefined : pollers.size > 0;
}

/**
 * The workers the server lists as workflow pollers of `taskQueue`: identity → the server's last access time (ms since
 * the epoch; NaN when the server does not say). One DescribeTaskQueue call; undefined when the server cannot tell us.
 * The server keeps a worker listed for minutes after it stopped polling (killed or shut down), so a listed poller is
 * not proof of a live worker: see `warnWhileNoWorker`.
 */
export async function workflowPollers(connected: Pick<ConnectedClient, 'client' | 'namespace'>, taskQueue: string): Promise<Map<string, number> | undefined> {
  try {
    const response = await connected.client.workflowService.describeTaskQueue({
      namespace: connected.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const pollers = new Map<string, number>();
    for (const [index, poller] of (response.pollers ?? []).entries()) {
      const seen = poller.lastAccessTime;
      const access = seen ? Number(seen.seconds ?? 0) * 1000 + Math.floor((seen.nanos ?? 0) / 1e6) : Number.NaN;
      pollers.set(poller.identity || `#${index}`, access);
    }
    return pollers;
  } catch {
    return undefined;
  }
}

export function noWorkerHint(connected: Pick<ConnectedClient, 'namespace' | 'address'>, taskQueue: string): string {
  return `no worker is polling task queue "${taskQueue}" on ${connected.address} (namespace ${connected.namespace}): start one with \`peakon-sync worker\``;
}

/**
 * A worker that stops polling (killed, shut down, cut off) stays listed with the time of its last poll. A live worker's
 * time moves on at least once a long poll (about a minute when idle, at once when busy), so a listed worker whose time
 * has not moved for this long, as seen by this process, polls no more. Measured on this machine's clock: a CLI whose
 * clock is off from the server's cannot mistake a live worker for a dead one.
 */
export const POLLER_SILENT_AFTER_MS = 90_000;

export function workerGoneHint(connected: Pick<ConnectedClient, 'namespace' | 'address'>, taskQueue: string, silentAfterMs = POLLER_SILENT_AFTER_MS): string {
  return `no worker is polling task queue "${taskQueue}" on ${connected.address} (namespace ${connected.namespace}) any more (none polled for ${Math.round(silentAfterMs / 1000)} s: stopped, killed or cut off?): start one with \`peakon-sync worker\`; the run continues when one polls`;
}

export function workerBackHint(connected: Pick<ConnectedClient, 'namespace' | 'address'>, taskQueue: string, again: boolean): string {
  return `a worker is polling task queue "${taskQueue}" on ${connected.address} (namespace ${connected.namespace}) ${again ? 'again' : 'now'}`;
}

/**
 * While `until` is pending, checks every `intervalMs` (first check at once, one DescribeTaskQueue each) whether a
 * worker polls `taskQueue`, so that a waiting command never hangs silently: when none does, it writes the hint once to
 * `stream` (at start: no worker; later: the worker stopped polling), and once when one polls again, each time the
 * workers come and go. The caller keeps waiting.
 */
export function warnWhileNoWorker(connected: ConnectedClient, taskQueue: string, until: Promise<unknown>, stream: { write(text: string): unknown; isTTY?: boolean }, intervalMs = 3000, silentAfterMs = POLLER_SILENT_AFTER_MS): void {
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    settled = true;
    if (timer) clearTimeout(timer);
  };
  until.then(stop, stop);
  /** Each listed worker's last access time as the server reported it, and when (this process's clock) it last moved. */
  const seen = new Map<string, { access: number; movedAt: number }>();
  let state: 'unknown' | 'polled' | 'none' = 'unknown';
  let everPolled = false;
  const check = async (): Promise<void> => {
    if (settled) return;
    const pollers = await workflowPollers(connected, taskQueue);
    if (settled) return;
    if (pollers) {
      const now = performance.now();
      for (const identity of seen.keys()) if (!pollers.has(identity)) seen.delete(identity);
      for (const [identity, access] of pollers) {
        const known = seen.get(identity);
        // Without a time from the server, a listed worker counts as polling (as before this check existed).
        if (!known || known.access !== access || Number.isNaN(access)) seen.set(identity, { access, movedAt: now });
      }
      const polled = [...seen.values()].some((poller) => now - poller.movedAt < silentAfterMs);
      if (!polled && state !== 'none') writeLine(stream, state === 'polled' ? workerGoneHint(connected, taskQueue, silentAfterMs) : noWorkerHint(connected, taskQueue));
      if (polled && state === 'none') writeLine(stream, workerBackHint(connected, taskQueue, everPolled));
      state = polled ? 'polled' : 'none';
      everPolled ||= polled;
    }
    timer = setTimeout(() => void check(), intervalMs);
    timer.unref();
  };
  void check();
}

/**
 * Whether this namespace has the connector's search attributes (the dev server started by this project and the
 * compose setup register them). Without them, runs still work; the UI list just cannot filter by tenant and status.
 */
export async function hasSearchAttributes(client: Client, namespace: string): Promise<boolean> {
  try {
    const response = await client.connection.operatorService.listSearchAttributes({ namespace });
    const names = new Set(Object.keys(response.customAttributes ?? {}));
    return SEARCH_ATTRIBUTE_KEYS.every((key) => names.has(key.name));
  } catch {
    // Temporal Cloud API keys may not reach the operator service: treat as absent.
    return false;
  }
}
