/**
 * How long a 429 waits when its Retry-After says nothing usable: absent, unparseable, `0`, or an HTTP-date already
 * past (a worker clock ahead of the server's). Waiting "0 s" would send every request in flight into the same limit
 * again, each one counted. (workflows/employee.ts keeps the same figure for failures recorded without a wait: workflow
 * code may not import net/.)
 */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * The longest Retry-After obeyed, from Peakon or an HR system: quotas are per hour, so no honest answer asks for more.
 * A proxy or firewall answering `Retry-After: 99999999999` (or a date in 9999) would otherwise park the employee, or
 * the plan, and the run holding the tenant's lock, for ever; capped, the step asks again in an hour.
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * RFC 9110 §10.2.3: Retry-After is either delay-seconds or an HTTP-date. Returns milliseconds from `nowMs` (never
 * negative), or undefined when absent or unparseable. Shared by the SCIM client and HR sources.
 *
 * An HTTP-date is read in each of RFC 9110 §5.6.7's three formats, all of them GMT: IMF-fixdate
 * (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
 * (`Sun Nov  6 08:49:37 1994`, which names no zone and is GMT all the same). Nothing else is a date: `Date.parse`
 * takes "1.5" or "5 apples" for dates (in 2001), and reads a zone-less date as the worker's local time.
 */
export function parseRetryAfterMs(headerValue: string | undefined, nowMs: number): number | undefined {
  if (headerValue === undefined) return undefined;
  const trimmed = headerValue.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const dateMs = parseHttpDateMs(trimmed, nowMs);
  if (dateMs === undefined) return undefined;
  return Math.max(0, dateMs - nowMs);
}

/**
 * A Retry-After (milliseconds, as parseRetryAfterMs reads it) as a hint to wait: undefined unless positive. `0`, or an
 * HTTP-date already past (a server clock behind the worker's), asks for no wait: taken as the wait, it would send the
 * retries back to back into a server that is failing. Shared by the SCIM client's errors and HR requests.
 */
export function retryAfterHintMs(retryAfterMs: number | undefined): number | undefined {
  return retryAfterMs !== undefined && retryAfterMs > 0 ? retryAfterMs : undefined;
}

/**
 * The one rule between a server's Retry-After and a retry's own backoff: the Retry-After may lengthen the wait, never
 * shorten it. The Retry-After when it is longer than `backoffMs` (the wait to take instead of the backoff), else
 * undefined (the backoff stands). What an ApplicationFailure's nextRetryDelay takes (activities/failures.ts): Temporal
 * waits it instead of the retry policy's backoff.
 */
export function retryAfterBeyondBackoff(retryAfterMs: number | undefined, backoffMs: number): number | undefined {
  return retryAfterMs !== undefined && retryAfterMs > backoffMs ? retryAfterMs : undefined;
}

/** The wait before a retry its caller waits out itself (an HR request, a SCIM listing page): max(Retry-After, backoff). */
export function retryWaitMs(retryAfterMs: number | undefined, backoffMs: number): number {
  return retryAfterBeyondBackoff(retryAfterMs, backoffMs) ?? backoffMs;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const SHORT_DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF_FIXDATE = new RegExp(`^${SHORT_DAY}, (\\d{1,2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{1,2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME = new RegExp(`^${SHORT_DAY} ${MONTH} +(\\d{1,2}) ${TIME} (\\d{4})$`, 'i');

/** An HTTP-date (any of the three formats) as epoch milliseconds, GMT; undefined when it is none or no real time. */
export function parseHttpDateMs(text: string, nowMs: number): number | undefined {
  const value = text.trim().replace(/\s+GMT$/i, ' GMT');
  let match = IMF_FIXDATE.exec(value);
  if (match) return utc(Number(match[3]), match[2], match[1], match[4], match[5], match[6]);
  match = RFC_850.exec(value);
  if (match) return utc(fullYear(Number(match[3]), nowMs), match[2], match[1], match[4], match[5], match[6]);
  match = ASCTIME.exec(value);
  if (match) return utc(Number(match[6]), match[1], match[2], match[3], match[4], match[5]);
  return undefined;
}

/**
 * RFC 9110 §5.6.7: a two-digit year that would be more than 50 years in the future is the most recent past year with
 * the same last two digits.
 */
function fullYear(twoDigits: number, nowMs: number): number {
  const thisYear = new Date(nowMs).getUTCFullYear();
  let year = Math.floor(thisYear / 100) * 100 + twoDigits;
  if (year > thisYear + 50) year -= 100;
  return year;
}

function utc(year: number, month: string | undefined, day: string | undefined, hours: string | undefined, minutes: string | undefined, seconds: string | undefined): number | undefined {
  const monthIndex = MONTHS.indexOf((month ?? '').toLowerCase());
  const [d, h, m, s] = [day, hours, minutes, seconds].map(Number) as [number, number, number, number];
  if (monthIndex < 0 || d < 1 || d > 31 || h > 23 || m > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, monthIndex, d, h, m, Math.min(s, 59));
  // 31 Feb would roll into March: not a date.
  if (new Date(ms).getUTCDate() !== d) return undefined;
  return ms;
}
