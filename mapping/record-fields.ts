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
 * HRIS values as text: numbers and booleans are written out, null/absent is empty, objects are an error in the data,
 * and so is text the source could not decode (mapping/source-text.ts): it must never reach Peakon as U+FFFD.
 */
export function fieldText(record: HrisRecord, path: string): FieldText {
  const value = getField(record, path);
  if (value === undefined || value === null) return { ok: true, text: '' };
  const untrusted = untrustedTextProblem(value, path);
  if (untrusted !== undefined) return { ok: false, message: untrusted };
  if (typeof value === 'string') return { ok: true, text: value };
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return { ok: true, text: String(value) };
  return { ok: false, message: `expected a text value in "${path}", found ${Array.isArray(value) ? 'a list' : 'an object'}` };
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

/** Field names a template refers to, e.g. ["first_name", "last_name"] for "{first_name} {last_name}". */
export function templateFields(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => (match[1] ?? '').trim());
}

export function renderTemplate(record: HrisRecord, template: string): FieldText {
  let failure: string | undefined;
  const text = template.replace(PLACEHOLDER, (_whole, name: string) => {
    const part = fieldText(record, name.trim());
    if (!part.ok) {
      failure ??= part.message;
      return '';
    }
    return part.text.trim();
  });
  return failure === undefined ? { ok: true, text } : { ok: false, message: failure };
}
