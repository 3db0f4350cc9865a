import { isIsoDate } from './dates';
import type { Scalar } from './evaluate';

/** A checked value, or why it cannot be sent to Peakon. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Building an Intl.DateTimeFormat costs tens of microseconds; a 50,000-person read has a handful of distinct zones
 * and locales. Bounded so a column of unique garbage cannot grow it without limit.
 */
function memoize<T>(check: (value: Scalar) => Checked<T>, limit = 10_000): (value: Scalar) => Checked<T> {
  const cache = new Map<Scalar, Checked<T>>();
  return (value) => {
    let checked = cache.get(value);
    if (checked === undefined) {
      checked = check(value);
      if (cache.size < limit) cache.set(value, checked);
    }
    return checked;
  };
}

/** Peakon's limit for option-type attribute values. */
export const MAX_OPTION_LENGTH = 256;

// Deliberately plain: one @, no spaces, a dot in the domain. Peakon rejects what this rejects; stricter RFC 5322
// parsing would only reject addresses that HR systems legitimately hold.
const EMAIL = /^[^\s@"<>(),;:]+@[^\s@"<>(),;:]+\.[^\s@"<>(),;:.]{2,}$/;

export function checkEmail(value: Scalar): Checked<string> {
  const text = String(value);
  return EMAIL.test(text) ? { ok: true, value: text } : { ok: false, message: `"${text}" is not a valid email address` };
}

/**
 * A BCP 47 tag in canonical form (en-gb → en-GB). HR systems often export POSIX locales (en_GB); the underscore is
 * the only difference, so it is corrected rather than rejected.
 */
export const checkLocale = memoize(checkLocaleUncached);
function checkLocaleUncached(value: Scalar): Checked<string> {
  const text = String(value).replace(/_/g, '-');
  try {
    const [canonical] = Intl.getCanonicalLocales(text);
    if (canonical !== undefined) return { ok: true, value: canonical };
  } catch {
    // RangeError: not a well-formed tag; reported below.
  }
  return { ok: false, message: `"${String(value)}" is not a BCP 47 language tag (e.g. en, da, en-GB)` };
}

/**
 * An IANA zone name in its canonical spelling. Offsets such as "+01:00" are refused even where ICU accepts them:
 * Peakon wants a zone name, which also knows daylight saving time.
 */
export const checkTimezone = memoize(checkTimezoneUncached);
function checkTimezoneUncached(value: Scalar): Checked<string> {
  const text = String(value);
  if (/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(text)) {
    try {
      return { ok: true, value: new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone };
    } catch {
      // RangeError: unknown zone; reported below.
    }
  }
  return { ok: false, message: `"${text}" is not an IANA time zone (e.g. Europe/Copenhagen)` };
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0']);

export function checkBoolean(value: Scalar): Checked<boolean> {
  if (typeof value === 'boolean') return { ok: true, value };
  const word = String(value).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return { ok: true, value: true };
  if (FALSE_WORDS.has(word)) return { ok: true, value: false };
  return { ok: false, message: `"${String(value)}" is not true or false (map the HRIS values, e.g. { Active: true, Terminated: false })` };
}

export function checkInteger(value: Scalar): Checked<number> {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isSafeInteger(number) ? { ok: true, value: number } : { ok: false, message: `"${String(value)}" is not a whole number` };
}

export function checkIsoDate(value: Scalar): Checked<string> {
  const text = String(value);
  return isIsoDate(text)
    ? { ok: true, value: text }
    : { ok: false, message: `"${text}" is not an ISO 8601 date (YYYY-MM-DD); give the input format with \`date\`` };
}

export function checkOption(value: Scalar): Checked<string> {
  const text = String(value);
  return [...text].length <= MAX_OPTION_LENGTH
    ? { ok: true, value: text }
    : { ok: false, message: `${[...text].length} characters is longer than Peakon's ${MAX_OPTION_LENGTH} for an option value` };
}

export function checkText(value: Scalar): Checked<string> {
  return { ok: true, value: String(value) };
}
