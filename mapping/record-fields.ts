import type { HrisRecord } from '../hris/source';
import { untrustedTextProblem } from './source-text';

/**
 * Reads a field of an HRIS record. The exact key wins (CSV headers may contain dots, e.g. "work.email");
 * otherwise the name is a dotted path into nested JSON, array indexes included ("emails.0.value").
 */
export function getField(record: HrisRecord, path: string): unknown {
  if (Object.hasOwn(record, path)) return record[path];
  let current: unknown = record;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) {
      const index = Number(segment);
      current = Number.isInteger(index) ? current[index] : undefined;
    } else if (isPlainObject(current)) {
      current = Object.hasOwn(current, segment) ? current[segment] : undefined;
    } else {
      return undefined;
    }
  }
  return current;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type FieldText = { ok: true; text: string } | { ok: false; message: string };

/**
 * The one rule for numbers read from JSON: JSON readers (JSON.parse, and most others) hold numbers as doubles, and
 * beyond 2^53 not every integer has one, so the digits are rounded away (12345678901234567890 reads as
 * 12345678901234567000) and two different ids can read the same. True for such a number; false for anything else,
 * a fraction (1.5) or a value that is not a number included. The sources (hris/rest.ts, hris/bamboohr.ts) and the
 * mapping all decide by this.
 */
export function isBeyondExactJsonRange(value: unknown): boolean {
  return typeof value === 'number' && Math.abs(value) > Number.MAX_SAFE_INTEGER;
}

/** How every message about such a number names it (`"id" is …`, `the cursor at "next" is …`). */
export const BEYOND_EXACT_JSON_RANGE = 'is a number beyond 2^53 (exact digits lost in JSON)';

/**
 * Why a number read from JSON cannot be written out as the HR system's value (isBeyondExactJsonRange), or undefined
 * when it can. The exact digits are gone by now, so the message does not print the rounded number as if it were the
 * value. A fraction (1.5) is written out as JavaScript prints it, as before.
 */
export function unsafeNumberProblem(value: unknown, path: string): string | undefined {
  if (!isBeyondExactJsonRange(value)) return undefined;
  return `"${path}" ${BEYOND_EXACT_JSON_RANGE}: JSON readers round such numbers, so two different values can read the same; have the HR system send it as a string`;
}

/**
 * HRIS values as text: numbers and booleans are written out, null/absent is empty, objects are an error in the data,
 * and so is text the source could not decode (mapping/source-text.ts): it must never reach Peakon as U+FFFD. So is a
 * number beyond 2^53 (unsafeNumberProblem): its text would be a rounded id, employee number or manager reference.
 */
export function fieldText(record: HrisRecord, path: string): FieldText {
  const value = getField(record, path);
  if (value === undefined || value === null) return { ok: true, text: '' };
  const untrusted = untrustedTextProblem(value, path) ?? unsafeNumberProblem(value, path);
  if (untrusted !== undefined) return { ok: false, message: untrusted };
  if (typeof value === 'string') return { ok: true, text: value };
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return { ok: true, text: String(value) };
  return { ok: false, message: `expected a text value in "${path}", found ${Array.isArray(value) ? 'a list' : 'an object'}` };
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

const BLANK_TRIMMED = /^[\s\p{Cc}\p{Cf}]*$/u;
const BLANK_UNTRIMMED = /^(?:(?!\s)[\p{Cc}\p{Cf}])*$/u;

/**
 * True for text with nothing visible in it: only control and format characters (zero-width space and joiners, BOM,
 * soft hyphen, direction marks) and, when `trimmed` (a spec's `trim`, on by default), white space. Such a value is no
 * value, as an empty one is: a given name of one U+200B is a missing name, not a name. With trim off, white space is
 * kept as the value, as before.
 */
export function isBlank(text: string, trimmed = true): boolean {
  return text === '' || (trimmed ? BLANK_TRIMMED : BLANK_UNTRIMMED).test(text);
}

/** Field names a template refers to, e.g. ["first_name", "last_name"] for "{first_name} {last_name}". */
export function templateFields(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => (match[1] ?? '').trim());
}

/**
 * The template with each placeholder replaced by its field's trimmed text. When it has placeholders and every one is
 * empty (or blank: isBlank), the result is empty, not the template's literal text alone ("{city}, {country}" with both empty is no value,
 * never ","): it then takes `default`, or clears, as any empty mapped value does. A template without placeholders is
 * its text.
 */
export function renderTemplate(record: HrisRecord, template: string): FieldText {
  let failure: string | undefined;
  let placeholders = 0;
  let filled = 0;
  const text = template.replace(PLACEHOLDER, (_whole, name: string) => {
    placeholders += 1;
    const part = fieldText(record, name.trim());
    if (!part.ok) {
      failure ??= part.message;
      return '';
    }
    const value = part.text.trim();
    if (!isBlank(value)) filled += 1;
    return value;
  });
  if (failure !== undefined) return { ok: false, message: failure };
  return { ok: true, text: placeholders > 0 && filled === 0 ? '' : text };
}
