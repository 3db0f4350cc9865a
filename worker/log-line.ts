/** The levels the worker's own lines use (the SDK's logger writes the same words, lower-cased, in formatLogEntry). */
export type LogLineLevel = 'info' | 'warn' | 'error';

/**
 * One JSON log line written directly, shaped as the SDK logger's lines (worker/logging.ts formatLogEntry): for what a
 * worker says before its runtime (and logger) is installed, or outside any activity. `fields` never holds HR data or a
 * secret's value.
 */
export function writeLogLine(level: LogLineLevel, message: string, fields: Record<string, unknown> = {}, stream: { write(line: string): unknown } = process.stdout): void {
  stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
}
