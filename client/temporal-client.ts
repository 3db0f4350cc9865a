import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { PROXY_VARIABLE } from '../net/egress-proxy';
import { connectorDataConverterFromEnv, temporalConnectConfig } from '../worker/environment';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';

export interface ConnectedClient {
  client: Client;
  namespace: string;
  /** The Temporal address it connected to (for messages that tell the operator where they looked). */
  address: string;
  close(): Promise<void>;
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
  try {
    const response = await connected.client.workflowService.describeTaskQueue({
      namespace: connected.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (response.pollers ?? []).length > 0;
  } catch {
    return undefined;
  }
}

export function noWorkerHint(connected: Pick<ConnectedClient, 'namespace' | 'address'>, taskQueue: string): string {
  return `no worker is polling task queue "${taskQueue}" on ${connected.address} (namespace ${connected.namespace}): start one with \`peakon-sync worker\``;
}

/**
 * While `until` is pending, checks every `intervalMs` (first check at once) whether a worker polls `taskQueue`; if none
 * does, writes the hint once to `stream` so that a waiting command never hangs silently. The caller keeps waiting.
 */
export function warnWhileNoWorker(connected: ConnectedClient, taskQueue: string, until: Promise<unknown>, stream: { write(text: string): unknown }, intervalMs = 3000): void {
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    settled = true;
    if (timer) clearTimeout(timer);
  };
  until.then(stop, stop);
  const check = async (): Promise<void> => {
    if (settled) return;
    const polled = await hasWorkflowPollers(connected, taskQueue);
    if (settled) return;
    if (polled === false) {
      stream.write(`${noWorkerHint(connected, taskQueue)}\n`);
      return;
    }
    if (polled === true) return;
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
