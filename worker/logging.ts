import { DefaultLogger, Runtime, type LogEntry, type LogLevel, type RuntimeOptions, type TelemetryOptions } from '@temporalio/worker';
import { PayloadDecryptionError } from '../codec/aes-gcm-codec';
import { EncryptionKeyError } from '../codec/keys';

/**
 * BigInts (e.g. in forwarded core fields) have no JSON form: a log line must never fail to be written. Errors are
 * reduced before (withoutErrorDetails): their message (but for ERRORS_WITH_SAFE_MESSAGES), and the decoded `failure`
 * and `cause` the SDK attaches, can quote Peakon's answer or an HR value (a filter on an email), which the payload
 * codec keeps out of history and logs must keep out too.
 */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** An Error, also one from another realm (a vm context, a worker thread): instanceof alone misses those. */
const isError = (value: unknown): value is Error => value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';

/**
 * The connector's own errors whose message is written to name no HR data, only what to fix (a key id, a variable, a
 * file path: codec/aes-gcm-codec.ts, codec/keys.ts), and keeps their message in a log line: without it, a worker
 * that cannot decrypt a run's payloads logs "Failed to process Workflow Activation" with the error's name alone, and
 * never which key is missing. By class, not by name: any error can be named so. Every other error's message stays out.
 */
const ERRORS_WITH_SAFE_MESSAGES = [PayloadDecryptionError, EncryptionKeyError] as const;

/**
 * `meta` with every error replaced by its name and failure type (and, for ERRORS_WITH_SAFE_MESSAGES, its message).
 * Done before JSON.stringify, not in its replacer: stringify calls an object's `toJSON` first, and AxiosError's (or
 * any error's) `toJSON` would hand the replacer a plain object holding the message, the request config and its
 * Authorization header. `onPath` holds the objects above this one: an object seen twice side by side is reduced twice (returned as it was, its errors would be written
 * whole), and a loop becomes "[circular]" (JSON.stringify would throw, and a log line must never fail to be written).
 * A class instance or a Map is named by its class, not walked (a Date stays a date): its fields are nothing a log line needs.
 */
function withoutErrorDetails(value: unknown, onPath = new WeakSet<object>()): unknown {
  if (isError(value)) {
    const type = (value as { type?: unknown }).type;
    const safeMessage = ERRORS_WITH_SAFE_MESSAGES.some((safe) => value instanceof safe) ? { message: value.message } : {};
    return { name: value.name, ...(typeof type === 'string' ? { type } : {}), ...safeMessage };
  }
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  if (onPath.has(value)) return '[circular]';
  const prototype: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return { type: (value as object).constructor?.name ?? 'object' };
  onPath.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => withoutErrorDetails(item, onPath));
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutErrorDetails(item, onPath)]));
  } finally {
    onPath.delete(value);
  }
}

/**
 * One JSON object per line: what log shippers (Loki, CloudWatch, Datadog) parse without configuration. Temporal adds
 * workflowId/activityType; our activities add `syncRunId` and `employeeRef` (the keyed hash, never the email). Nothing
 * personal is logged at info level: changed field names, never their values.
 */
export function formatLogEntry(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return JSON.stringify({ time, level: entry.level.toLowerCase(), message: entry.message, ...(withoutErrorDetails(withoutTaskDumps(entry.meta ?? {})) as Record<string, unknown>) }, jsonValue);
}

/**
 * When the SDK cannot start a task (an activity whose input it cannot decode: a plain payload the codec refuses, during
 * a move to encryption), it logs the whole task beside the error, as JSON (`task`) and as protobuf bytes
 * (`taskEncoded`): its input payloads and heartbeat details, the SCIM body among them. A line per attempt would copy
 * HR data into the logs; the activity type, IDs and error name stay, the task's contents never.
 */
const TASK_DUMP_KEYS = ['task', 'taskEncoded'] as const;

function withoutTaskDumps(meta: Record<string, unknown>): Record<string, unknown> {
  if (!TASK_DUMP_KEYS.some((key) => key in meta) && !('workflowInfo' in meta)) return meta;
  const kept = { ...meta };
  for (const key of TASK_DUMP_KEYS) if (key in kept) kept[key] = '[omitted: task contents]';
  if ('workflowInfo' in kept) kept.workflowInfo = workflowIdsOf(kept.workflowInfo);
  return kept;
}

/**
 * The SDK logs a workflow's whole info beside some errors (a sink that threw): its memo and `lastResult` (a scheduled
 * run's previous report) decoded. Its IDs, type and task queue say which run; the rest stays out of the logs.
 */
function workflowIdsOf(info: unknown): Record<string, unknown> | string {
  if (typeof info !== 'object' || info === null) return '[omitted: workflow info]';
  const { workflowId, runId, workflowType, taskQueue, namespace } = info as Record<string, unknown>;
  return Object.fromEntries(Object.entries({ workflowId, runId, workflowType, taskQueue, namespace }).filter(([, value]) => typeof value === 'string'));
}

/**
 * The SDK warns when a worker registers no workflows. The connector's SCIM and plan workers poll activities only, by
 * design: the warning, once per tenant queue a process starts, would only alarm operators.
 */
const ACTIVITY_ONLY_WORKER_WARNING = 'No workflows registered, not polling for workflow tasks';

/** `write`, without the SDK's warning about activity-only workers; every other entry as it is. */
export function withoutActivityOnlyWorkerWarning(write: (entry: LogEntry) => void): (entry: LogEntry) => void {
  return (entry) => {
    if (entry.message !== ACTIVITY_ONLY_WORKER_WARNING) write(entry);
  };
}

/**
 * The SDK core (Rust) logs on its own, in coloured plain text, unless told to forward to the runtime's logger. It
 * stays at warnings, as the SDK's default, unless DEBUG or TRACE asks for more: its info lines are per-poller noise.
 */
function coreLogLevel(level: LogLevel): LogLevel {
  return level === 'TRACE' || level === 'DEBUG' || level === 'ERROR' ? level : 'WARN';
}

/**
 * The runtime options that make every line of the process a JSON object: the SDK's own logger, and the core's lines
 * forwarded to it. Whatever installs the process's runtime (once per process) starts from these and adds its own
 * telemetry (metrics), so no code path installs a runtime that writes plain text.
 */
export function jsonLoggingRuntimeOptions(level: LogLevel = 'INFO', stream: { write(line: string): unknown } = process.stdout): RuntimeOptions & { telemetryOptions: TelemetryOptions } {
  return {
    logger: new DefaultLogger(level, withoutActivityOnlyWorkerWarning((entry) => stream.write(`${formatLogEntry(entry)}\n`))),
    telemetryOptions: { logging: { filter: { core: coreLogLevel(level), other: 'ERROR' }, forward: {} } },
  };
}

/** Installs the process's runtime with JSON logs; `telemetry` adds e.g. a metrics exporter (its `logging` is ours). */
export function installJsonLogging(level: LogLevel = 'INFO', stream: { write(line: string): unknown } = process.stdout, telemetry: Omit<TelemetryOptions, 'logging'> = {}): void {
  const options = jsonLoggingRuntimeOptions(level, stream);
  Runtime.install({ ...options, telemetryOptions: { ...telemetry, logging: options.telemetryOptions.logging } });
}
