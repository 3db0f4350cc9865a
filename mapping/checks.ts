import { isIsoDate } from './dates';
import { emailParts, sendableEmail } from './email';
import type { Scalar } from './evaluate';
import {
  characterCount,
  formatCount,
  MAX_DOMAIN_LABEL_BYTES,
  MAX_EMAIL_BYTES,
  MAX_EMAIL_LOCAL_PART_BYTES,
  MAX_IDENTIFIER_LENGTH,
  MAX_NAME_LENGTH,
  MAX_OPTION_LENGTH,
  quoted,
  utf8Bytes,
} from './limits';

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
      // Long values are never valid zones or tags; caching them would only hold on to the garbage.
      if (cache.size < limit && String(value).length <= 64) cache.set(value, checked);
    }
    return checked;
  };
}

export { MAX_OPTION_LENGTH };

// Deliberately plain: one @, no spaces, a dot in the domain. Peakon rejects what this rejects; stricter RFC 5322
// parsing would only reject addresses that HR systems legitimately hold.
const EMAIL = /^[^\s@"<>(),;:]+@[^\s@"<>(),;:]+\.[^\s@"<>(),;:.]{2,}$/;
/** Control and format characters (zero-width space and joiners, soft hyphen, direction marks, BOM): never in an address. */
const INVISIBLE = /[\p{Cc}\p{Cf}]/u;
const INVISIBLE_IN_DOMAIN = /(?![\u200c\u200d])[\p{Cc}\p{Cf}]/u;

/**
 * A work email in the form sent to Peakon: the domain in its ASCII (IDNA) form (mapping/email.ts), within RFC 5321's
 * lengths, which apply to what travels on the wire: the ASCII domain and the UTF-8 local part.
 */
export function checkEmail(value: Scalar): Checked<string> {
  const text = String(value);
  const invalid = (why = ''): Checked<string> => ({ ok: false, message: `${quoted(text)} is not a valid email address${why}` });
  if (text.length > 4 * MAX_EMAIL_BYTES) return invalid(`: longer than the ${MAX_EMAIL_BYTES} bytes an address may have (RFC 5321)`);
  if (!EMAIL.test(text)) return invalid();
  // A zero-width space or soft hyphen pasted into the HR field passes the pattern, but it is a different identity to
  // Peakon (a second user, or a rename to an address no mail reaches) while looking the same to every person.
  const at = text.lastIndexOf('@');
  // IDNA2008 lets a domain hold U+200C/U+200D (zero-width non-joiner and joiner) where a script needs them (Persian,
  // Indic names): allowed after the @, never before it.
  const invisible = INVISIBLE.exec(text.slice(0, at)) ?? INVISIBLE_IN_DOMAIN.exec(text.slice(at + 1));
  if (invisible) return invalid(`: it contains the invisible character U+${(invisible[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`);
  const parts = emailParts(text);
  if (!parts) return invalid(': its domain is not a valid (internationalised) domain name');
  const email = sendableEmail(parts);
  if (!EMAIL.test(email)) return invalid();
  const labels = parts.asciiDomain.split('.');
  if (labels.some((label) => label === '' || label.length > MAX_DOMAIN_LABEL_BYTES)) {
    return invalid(`: every part of the domain must have 1 to ${MAX_DOMAIN_LABEL_BYTES} characters`);
  }
  const localBytes = utf8Bytes(parts.local);
  if (localBytes > MAX_EMAIL_LOCAL_PART_BYTES) {
    return invalid(`: the part before the @ is ${formatCount(localBytes)} bytes, more than the ${MAX_EMAIL_LOCAL_PART_BYTES} allowed (RFC 5321)`);
  }
  const bytes = utf8Bytes(email);
  if (bytes > MAX_EMAIL_BYTES) return invalid(`: ${formatCount(bytes)} bytes, more than the ${MAX_EMAIL_BYTES} allowed (RFC 5321)`);
  return { ok: true, value: email };
}

/** A check that the text has at most `limit` characters; `what` names the kind of value in the message. */
function checkLength(limit: number, what: string): (value: Scalar) => Checked<string> {
  return (value) => {
    const text = String(value);
    if (text.length <= limit) return { ok: true, value: text };
    const count = characterCount(text);
    return count <= limit
      ? { ok: true, value: text }
      : { ok: false, message: `${formatCount(count)} characters is longer than the ${formatCount(limit)} allowed for ${what}` };
  };
}

/** Given and family names. */
export const checkName = checkLength(MAX_NAME_LENGTH, 'a name');
/** HRIS ids (externalId) and employee numbers. */
export const checkIdentifier = checkLength(MAX_IDENTIFIER_LENGTH, 'an identifier');

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
  return { ok: false, message: `${quoted(String(value))} is not a BCP 47 language tag (e.g. en, da, en-GB)` };
}

/**
 * Current IANA zone names that ICU (Node 20, ICU 78) lists only under an older name: Intl accepts them but
 * `resolvedOptions().timeZone` turns them into the deprecated spelling (Asia/Kolkata → Asia/Calcutta) and
 * `Intl.supportedValuesOf('timeZone')` does not list them. Such a name is sent as the HR system spells it, letter case
 * corrected.
 */
const CURRENT_NAMES_ICU_RENAMES = [
  'Africa/Asmara',
  'America/Argentina/Buenos_Aires',
  'America/Argentina/Catamarca',
  'America/Argentina/Cordoba',
  'America/Argentina/Jujuy',
  'America/Argentina/Mendoza',
  'America/Atikokan',
  'America/Indiana/Indianapolis',
  'America/Kentucky/Louisville',
  'America/Nuuk',
  'Asia/Ho_Chi_Minh',
  'Asia/Kathmandu',
  'Asia/Kolkata',
  'Asia/Yangon',
  'Atlantic/Faroe',
  'Europe/Kyiv',
  'Pacific/Chuuk',
  'Pacific/Kanton',
  'Pacific/Pohnpei',
];

let canonicalZones: Set<string> | undefined;
let currentNamesByLowerCase: Map<string, string> | undefined;
/**
 * The HR system's spelling of a zone, when it is a known current name: one `Intl.supportedValuesOf('timeZone')` lists
 * (ICU's canonical names), spelled exactly so, or one of CURRENT_NAMES_ICU_RENAMES in any letter case (asia/kolkata →
 * Asia/Kolkata). Anything else is undefined and left to ICU's resolved name: a wrongly cased name, a
 * backward-compatibility link (US/Eastern) or an Etc or legacy zone (etc/utc, EST5EDT), none of which that list holds.
 */
function currentZoneSpelling(name: string): string | undefined {
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (canonicalZones.has(name)) return name;
  currentNamesByLowerCase ??= new Map(CURRENT_NAMES_ICU_RENAMES.map((zone) => [zone.toLowerCase(), zone]));
  return currentNamesByLowerCase.get(name.toLowerCase());
}

/**
 * An IANA zone name. A known current name keeps the HR system's spelling, with the letter case corrected for the
 * names ICU knows only under an old alias (Asia/Kolkata and asia/kolkata → Asia/Kolkata, not ICU's Asia/Calcutta;
 * Europe/Kyiv, not Europe/Kiev). Any other name Intl accepts is sent as ICU resolves it, which corrects its case and
 * follows backward-compatibility links (europe/copenhagen → Europe/Copenhagen, US/Eastern and us/eastern →
 * America/New_York, etc/utc → UTC). Offsets such as "+01:00" are refused even where ICU accepts them: Peakon wants a
 * zone name, which also knows daylight saving time.
 */
export const checkTimezone = memoize(checkTimezoneUncached);
/**
 * Three-letter IDs ICU accepts from Java's old time zone list but IANA does not have: ambiguous abbreviations ICU maps
 * to one reading each (BST → Asia/Dhaka, not British Summer Time; IST → India; AST → Alaska). Refused, not guessed.
 * (IANA's own short names — UTC, GMT, EST, CET, … — stay accepted.)
 */
const NON_IANA_ABBREVIATIONS = new Set(['ACT', 'AET', 'AGT', 'ART', 'AST', 'BET', 'BST', 'CAT', 'CNT', 'CST', 'CTT', 'EAT', 'ECT', 'IET', 'IST', 'JST', 'MIT', 'NET', 'NST', 'PLT', 'PNT', 'PRT', 'PST', 'SST', 'VST']);

function checkTimezoneUncached(value: Scalar): Checked<string> {
  const text = String(value);
  if (NON_IANA_ABBREVIATIONS.has(text.toUpperCase()) || /^SystemV\//i.test(text)) {
    return { ok: false, message: `${quoted(text)} is an abbreviation, not an IANA time zone, and means different zones in different places (write e.g. Europe/London or Asia/Kolkata)` };
  }
  if (/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(text)) {
    let resolved: string | undefined;
    try {
      resolved = new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
    } catch {
      // RangeError: unknown zone; reported below.
    }
    if (resolved !== undefined) return { ok: true, value: currentZoneSpelling(text) ?? resolved };
  }
  return { ok: false, message: `${quoted(text)} is not an IANA time zone (e.g. Europe/Copenhagen)` };
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0']);

export function checkBoolean(value: Scalar): Checked<boolean> {
  if (typeof value === 'boolean') return { ok: true, value };
  const word = String(value).trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return { ok: true, value: true };
  if (FALSE_WORDS.has(word)) return { ok: true, value: false };
  return { ok: false, message: `${quoted(String(value))} is not true or false (map the HRIS values, e.g. { Active: true, Terminated: false })` };
}

/**
 * A whole number as HR text writes it: digits, or digits with a fraction of zeros (`3.0`: pandas and Excel export an
 * integer column that has blanks as floats), as JSON's `3.0` already reads as 3. A fraction (`3.5`), an exponent
 * (`1e3`: more often a code than a number in an HR cell) and a bare point (`3.`, `.0`) are not.
 */
const WHOLE_NUMBER_TEXT = /^[+-]?\d+(?:\.0+)?$/;

export function checkInteger(value: Scalar): Checked<number> {
  const number = typeof value === 'number' ? value : typeof value === 'string' && WHOLE_NUMBER_TEXT.test(value.trim()) ? Number(value) : NaN;
  return Number.isSafeInteger(number) ? { ok: true, value: number } : { ok: false, message: `${quoted(String(value))} is not a whole number` };
}

export function checkIsoDate(value: Scalar): Checked<string> {
  const text = String(value);
  return isIsoDate(text)
    ? { ok: true, value: text }
    : { ok: false, message: `${quoted(text)} is not an ISO 8601 date (YYYY-MM-DD); give the input format with \`date\`` };
}

export function checkOption(value: Scalar): Checked<string> {
  const text = String(value);
  const count = text.length <= MAX_OPTION_LENGTH ? text.length : characterCount(text);
  return count <= MAX_OPTION_LENGTH
    ? { ok: true, value: text }
    : { ok: false, message: `${formatCount(count)} characters is longer than Peakon's ${MAX_OPTION_LENGTH} for an option value` };
}

export function checkText(value: Scalar): Checked<string> {
  return { ok: true, value: String(value) };
}
