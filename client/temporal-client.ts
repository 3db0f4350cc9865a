import { Client, Connection, isGrpcServiceError, ServiceError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { PROXY_VARIABLE } from '../net/egress-proxy';
import { connectorDataConverterFromEnv, temporalConnectConfig } from '../worker/environment';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { describeWorkflowTask, FAILING_WORKFLOW_TASK_ATTEMPT, failingTaskAdvice, writeLine } from './progress';

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
 * not proof of a live worker: see `warnWhileWaiting`.
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

/** How long `sync` (without --wait) gives its one look at the task queue's workers, so a slow server cannot hold it. */
export const NO_WORKER_CHECK_DEADLINE_MS = 5_000;

/**
 * One look (bounded by `deadlineMs`) at whether a worker polls `taskQueue`: when the server lists none, writes the
 * no-worker hint to `stream`. Says nothing when some worker is listed, or when the server cannot tell in time (the
 * check never fails its caller). For a command that starts a run and does not wait for it.
 */
export async function warnIfNoWorker(connected: ConnectedClient, taskQueue: string, stream: { write(text: string): unknown; isTTY?: boolean }, deadlineMs = NO_WORKER_CHECK_DEADLINE_MS): Promise<void> {
  const polled = await connected.client.connection.withDeadline(Date.now() + deadlineMs, () => hasWorkflowPollers(connected, taskQueue)).catch(() => undefined);
  if (polled === false) writeLine(stream, noWorkerHint(connected, taskQueue));
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

export function failingTaskHint(connected: Pick<ConnectedClient, 'namespace' | 'address'>, taskQueue: string, runId: string, attempt: number): string {
  return `the workflow task of ${runId} keeps failing on the worker polling task queue "${taskQueue}" on ${connected.address} (namespace ${connected.namespace}) (attempt ${attempt}): the run cannot go on until it succeeds; ${failingTaskAdvice()}; this command keeps waiting`;
}

export interface WaitWarningOptions {
  /**
   * The workflow ID of the run waited for: each check also describes it (one DescribeWorkflowExecution, nothing
   * decoded), to say when its workflow task keeps failing on a worker that does poll (no other hint would come then).
   */
  runId?: string;
  /** Between checks (default 3 s). */
  intervalMs?: number;
  /** See POLLER_SILENT_AFTER_MS. */
  silentAfterMs?: number;
}

/**
 * While `until` is pending, checks every `intervalMs` (first check at once, one DescribeTaskQueue each, and one
 * DescribeWorkflowExecution with `runId`) whether a worker polls `taskQueue`, so that a waiting command never hangs
 * silently: when none does, it writes the hint once to `stream` (at start: no worker; later: the worker stopped
 * polling), and once when one polls again, each time the workers come and go. With `runId`, when a worker polls but
 * the run's workflow task is at FAILING_WORKFLOW_TASK_ATTEMPT or later at two checks in a row, it says so once
 * (failingTaskHint). The
 * caller keeps waiting.
 *
 * Returns `stop`: no check starts after it (as when `until` settles); it resolves once the check in flight, if any, has
 * ended. A caller closes the connection only after that: closed under a call the SDK still retries (Temporal lost),
 * the SDK's retry timer throws "Channel has been shut down" and the CLI crashes. That check may retry for a while
 * against a lost server, so a caller that is failing closes once it resolves instead of awaiting it.
 */
export function warnWhileWaiting(connected: ConnectedClient, taskQueue: string, until: Promise<unknown>, stream: { write(text: string): unknown; isTTY?: boolean }, options: WaitWarningOptions = {}): () => Promise<void> {
  const { runId, intervalMs = 3000, silentAfterMs = POLLER_SILENT_AFTER_MS } = options;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const stop = (): Promise<void> => {
    settled = true;
    if (timer) clearTimeout(timer);
    return inFlight;
  };
  void until.then(stop, stop);
  /** Each listed worker's last access time as the server reported it, and when (this process's clock) it last moved. */
  const seen = new Map<string, { access: number; movedAt: number }>();
  let state: 'unknown' | 'polled' | 'none' = 'unknown';
  let everPolled = false;
  /** Checks in a row that saw the run's workflow task failing (FAILING_WORKFLOW_TASK_ATTEMPT), and whether that was said. */
  let failingChecks = 0;
  let saidFailing = false;
  const check = async (): Promise<void> => {
    if (settled) return;
    // Under a deadline: a check Temporal does not answer ends in seconds (both calls then give undefined), so a command
    // closing after its checks (closeAfterChecks) is not held by the SDK's retries.
    const [pollers, task] = await connected.client.connection.withDeadline(Date.now() + WAIT_CHECK_DEADLINE_MS, () =>
      Promise.all([workflowPollers(connected, taskQueue), runId === undefined ? undefined : describeWorkflowTask(connected.client, connected.namespace, runId)]),
    );
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
    // Without a worker, a task past its attempts only waits (a worker died under it): the no-worker hint says that.
    const attempt = task?.attempt;
    if (runId !== undefined && attempt !== undefined && attempt >= FAILING_WORKFLOW_TASK_ATTEMPT && state !== 'none') {
      failingChecks += 1;
      // Two checks in a row: a task retried once after a worker was killed under it succeeds at its next attempt.
      if (failingChecks >= 2 && !saidFailing) {
        saidFailing = true;
        writeLine(stream, failingTaskHint(connected, taskQueue, runId, attempt));
      }
    } else failingChecks = 0;
    timer = setTimeout(() => {
      inFlight = check();
    }, intervalMs);
    timer.unref();
  };
  inFlight = check();
  return stop;
}

/**
 * Whether a command failed because Temporal stopped answering (unreachable past the SDK's retries, a deadline, a
 * permission): a gRPC error, or the SDK's ServiceError wrapping one, also wrapped in turn by the command's own message.
 * Not a run's outcome: that is a WorkflowFailedError, and a run gone (WorkflowNotFoundError) or a result this client
 * cannot decode is neither. Such a command closes its connection with closeAfterChecks(…, lost: true).
 */
export function lostTemporal(error: unknown): error is Error {
  return someCause(error, (cause) => cause instanceof ServiceError || isGrpcServiceError(cause));
}

/** Whether `error` or one of its causes (five deep: the command's own message, the SDK's, gRPC's) passes `test`. */
function someCause(error: unknown, test: (cause: Error) => boolean): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    if (test(current)) return true;
  }
  return false;
}

/** gRPC's UNAVAILABLE: the server could not be reached (not a deadline, which a query no worker answers also meets). */
const GRPC_UNAVAILABLE = 14;

/**
 * Whether Temporal itself could not be reached (gRPC UNAVAILABLE, anywhere in the cause chain): narrower than
 * lostTemporal, for messages that say "lost Temporal" rather than blame a worker (a query nobody answers ends in
 * DEADLINE_EXCEEDED, which is about the worker).
 */
export function temporalUnreachable(error: unknown): boolean {
  return someCause(error, (cause) => isGrpcServiceError(cause) && cause.code === GRPC_UNAVAILABLE);
}

/** How long one of warnWhileWaiting's checks may take. */
const WAIT_CHECK_DEADLINE_MS = 5_000;

/** Stops a warnWhileWaiting's checks; resolves once the check in flight has ended. */
export type StopChecks = () => Promise<void>;

/**
 * Closes the connection once the waiting checks (warnWhileWaiting's `stop`) have stopped. After Temporal was `lost`, a
 * check still in flight is a call the SDK retries: closed under it, the SDK's retry timer throws "Channel has been shut
 * down" and the CLI crashes after its message. So the connection closes when that call has ended, without holding the
 * command's error back for its retries (the process ends once it has). Otherwise the check in flight is a quick call:
 * awaited, then the connection is closed.
 */
export async function closeAfterChecks(connected: { close(): Promise<void> }, checks: readonly StopChecks[], lost: boolean): Promise<void> {
  const stopped = Promise.all(checks.map((stop) => stop())).then(() => undefined);
  if (lost) void stopped.then(() => connected.close()).catch(() => undefined);
  else {
    await stopped;
    await connected.close();
  }
}

/** How long the search attribute listing may take before they count as absent. */
const SEARCH_ATTRIBUTES_DEADLINE_MS = 10_000;

/**
 * Whether this namespace has the connector's search attributes (the dev server started by this project and the
 * compose setup register them). Without them, runs still work; the UI list just cannot filter by tenant and status.
 */
export async function hasSearchAttributes(client: Client, namespace: string): Promise<boolean> {
  return (await searchAttributesRegistered(client, namespace)) === true;
}

/**
 * hasSearchAttributes, or undefined when it could not be told (the listing failed or took past its deadline: a busy
 * server, or an API key without the operator service). `schedule update` then keeps whatever its schedule had, rather
 * than taking the attributes away from a schedule that had them.
 */
export async function searchAttributesRegistered(client: Client, namespace: string): Promise<boolean | undefined> {
  try {
    // Under a deadline: a server that does not answer would otherwise hold `schedule create` (and the rest) for good.
    const response = await client.connection.withDeadline(Date.now() + SEARCH_ATTRIBUTES_DEADLINE_MS, () => client.connection.operatorService.listSearchAttributes({ namespace }));
    const names = new Set(Object.keys(response.customAttributes ?? {}));
    return SEARCH_ATTRIBUTE_KEYS.every((key) => names.has(key.name));
  } catch {
    // Temporal Cloud API keys may not reach the operator service; a busy server may pass the deadline.
    return undefined;
  }
}
