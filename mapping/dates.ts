/**
 * Date parsing for HRIS exports. Formats are written with the tokens YYYY, MM, M, DD, D (anything else is literal),
 * e.g. "DD/MM/YYYY" or "M/D/YYYY"; "ISO" accepts YYYY-MM-DD with an optional time part, which is dropped.
 * Output is always the ISO 8601 date Peakon expects (YYYY-MM-DD). A letter that is no token (the H and m of
 * "YYYY-MM-DD HH:mm") is literal too, so it is refused in a config handed to the CLI now (lettersOutsideTokens).
 */
interface CompiledFormat {
  pattern: RegExp;
  order: Array<'year' | 'month' | 'day'>;
}

const TOKENS: Record<string, { group: string; part: 'year' | 'month' | 'day' }> = {
  YYYY: { group: '(\\d{4})', part: 'year' },
  MM: { group: '(\\d{2})', part: 'month' },
  M: { group: '(\\d{1,2})', part: 'month' },
  DD: { group: '(\\d{2})', part: 'day' },
  D: { group: '(\\d{1,2})', part: 'day' },
};
/** The tokens, longest first where one starts another (YYYY before …, MM before M), as a format is read left to right. */
const TOKEN_PATTERN = Object.keys(TOKENS).join('|');
const ISO_FORMAT: CompiledFormat = { pattern: /^(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/, order: ['year', 'month', 'day'] };
const compiled = new Map<string, CompiledFormat>();

export class DateFormatError extends Error {
  override readonly name = 'DateFormatError';
}

export function compileDateFormat(format: string): CompiledFormat {
  if (format.toUpperCase() === 'ISO') return ISO_FORMAT;
  const cached = compiled.get(format);
  if (cached) return cached;
  const order: CompiledFormat['order'] = [];
  const source = format.replace(new RegExp(`${TOKEN_PATTERN}|[.*+?^\${}()|[\\]\\\\]`, 'g'), (token) => {
    const known = TOKENS[token];
    if (!known) return `\\${token}`;
    order.push(known.part);
    return known.group;
  });
  if (!order.includes('year') || !order.includes('month') || !order.includes('day') || order.length !== 3) {
    throw new DateFormatError(`date format "${format}" must contain each of YYYY, MM (or M) and DD (or D) once`);
  }
  const result = { pattern: new RegExp(`^${source}$`), order };
  compiled.set(format, result);
  return result;
}

/** The tokens a date format is written with, as error messages list them. */
export const DATE_FORMAT_TOKENS: readonly string[] = Object.keys(TOKENS);

/**
 * The ASCII letters of `format` outside its tokens (each once, in order of appearance; none for ISO). compileDateFormat
 * takes them literally, so a value must contain them as written: "YYYY-MM-DD HH:mm" matches only a value that has the
 * letters H, H, m, m where the time is, i.e. no date, and every record is rejected. Read token by token as
 * compileDateFormat does (YYYY, MM, M, DD, D, left to right).
 */
export function lettersOutsideTokens(format: string): string[] {
  if (format.toUpperCase() === 'ISO') return [];
  return [...new Set(format.replace(new RegExp(TOKEN_PATTERN, 'g'), '').match(/[A-Za-z]/g) ?? [])];
}

/** The ISO date for `text` written in `format`, or undefined when it is not a real calendar date in that format. */
export function parseDate(text: string, format: string): string | undefined {
  const { pattern, order } = compileDateFormat(format);
  const match = pattern.exec(text);
  if (!match) return undefined;
  const parts = { year: 0, month: 0, day: 0 };
  order.forEach((part, index) => {
    parts[part] = Number(match[index + 1]);
  });
  return isoDate(parts.year, parts.month, parts.day);
}

/** Rejects 31/02 and the like, which Date.UTC would silently roll over into March. */
function isoDate(year: number, month: number, day: number): string | undefined {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && parseDate(text, 'ISO') === text;
}
