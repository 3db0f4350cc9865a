import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

/**
 * One JSON object per line: what log shippers (Loki, CloudWatch, Datadog) parse without configuration. Temporal adds
 * workflowId/activityType; our activities add `syncRunId` and `employeeKey`. At info level nothing personal is logged
 * beyond the employee key (changed field names, never their values).
 */
export function formatLogEntry(entry: LogEntry): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  return JSON.stringify({ time, level: entry.level.toLowerCase(), message: entry.message, ...entry.meta });
}

export function installJsonLogging(level: LogLevel = 'INFO', stream: { write(line: string): unknown } = process.stdout): void {
  Runtime.install({ logger: new DefaultLogger(level, (entry) => stream.write(`${formatLogEntry(entry)}\n`)) });
}
