/**
 * How long a 429 waits when its Retry-After says nothing usable: absent, unparseable, `0`, or an HTTP-date already
 * past (a worker clock ahead of the server's). Waiting "0 s" would send every request in flight into the same limit
 * again, each one counted. (workflows/employee.ts keeps the same figure for failures recorded without a wait: workflow
 * code may not import net/.)
 */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * RFC 9110 §10.2.3: Retry-After is either delay-seconds or an HTTP-date. Returns milliseconds from `nowMs` (never
 * negative), or undefined when absent or unparseable. Only date-looking text is read as a date: `Date.parse` alone
 * takes "1.5" or "5 apples" for dates (in 2001), which would retry at once. Shared by the SCIM client and HR sources.
 */
export function parseRetryAfterMs(headerValue: string | undefined, nowMs: number): number | undefined {
  if (headerValue === undefined) return undefined;
  const trimmed = headerValue.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  if (!/^[A-Za-z]{3},? /.test(trimmed)) return undefined;
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}
