import type { HrisRecord } from '../hris/source';
import { parseDate } from './dates';
import { formatCount, MAX_VALUE_BYTES, quoted, utf8Bytes } from './limits';
import { fieldText, isBlank, renderTemplate, type FieldText } from './record-fields';

export type Scalar = string | number | boolean;

/** What every value spec shares (ValueSpec and PeakonAttributeSpec both fit). */
export interface ValueTransforms {
  field?: string | undefined;
  value?: Scalar | undefined;
  template?: string | undefined;
  trim: boolean;
  case?: 'lower' | 'upper' | undefined;
  default?: Scalar | undefined;
  map?: Record<string, Scalar> | undefined;
  fallback?: Scalar | undefined;
  date?: string | undefined;
}

/**
 * `value` undefined means empty: the HRIS has nothing for this attribute and there is no default, or the default, map
 * entry or fallback it took is "" (no value).
 */
export type Evaluated = { ok: true; value: Scalar | undefined } | { ok: false; message: string };

/**
 * Applies a spec to one record: source (field / constant / template) → trim → size limit → case → map → date. An empty
 * value takes default instead, as the final value (neither map nor date applies to it).
 * An empty result of default or map ("", or white space when trimmed) is no value, as an empty source value is; so is
 * a value of only invisible characters (isBlank).
 * No value above MAX_VALUE_BYTES gets further: it could not be sent, and must not be copied into messages either.
 */
export function evaluateSpec(spec: ValueTransforms, record: HrisRecord): Evaluated {
  const source = readSource(spec, record);
  if (!source.ok) return source;
  let value: Scalar = source.value;
  if (typeof value === 'string') {
    if (spec.trim) value = value.trim();
    // Code units never outnumber UTF-8 bytes, so only a value this long can be over the limit.
    if (value.length > MAX_VALUE_BYTES / 3) {
      const bytes = utf8Bytes(value);
      if (bytes > MAX_VALUE_BYTES) {
        return { ok: false, message: `${formatCount(bytes)} bytes from ${describeSource(spec)} is longer than the ${formatCount(MAX_VALUE_BYTES)} allowed for one value` };
      }
    }
    if (spec.case === 'lower') value = value.toLowerCase();
    if (spec.case === 'upper') value = value.toUpperCase();
    // Only invisible characters (a zero-width space, a BOM) are no value too: isBlank.
    if (isBlank(value, spec.trim)) return { ok: true, value: noneIfEmpty(spec, spec.default) };
  }
  if (spec.map) {
    const key = String(value);
    const entry = mapEntry(spec.map, key);
    if (entry !== undefined) value = entry;
    else if (spec.fallback !== undefined) value = spec.fallback;
    else return { ok: false, message: `${quoted(key)} is not one of the mapped values (${Object.keys(spec.map).join(', ')})` };
    // `U: ""` (or `fallback: ""`) maps to no value, as an empty HRIS value is: cleared, never sent as "" nor parsed as a date.
    if (noneIfEmpty(spec, value) === undefined) return { ok: true, value: undefined };
  }
  if (spec.date !== undefined) {
    const text = String(value);
    const iso = parseDate(text, spec.date);
    if (iso === undefined) return { ok: false, message: `${quoted(text)} is not a date in the format ${spec.date}` };
    value = iso;
  }
  return { ok: true, value };
}

const nfcKeyed = new WeakMap<Record<string, Scalar>, Map<string, Scalar>>();

/**
 * The map's entry for `key`: the exact key, else the key in Unicode's composed form (NFC) on both sides, so that
 * "Zürich" from a macOS export (u + combining diaeresis, NFD) finds the config's "Zürich". Undefined when none.
 */
function mapEntry(map: Record<string, Scalar>, key: string): Scalar | undefined {
  if (Object.hasOwn(map, key)) return map[key];
  let byNfc = nfcKeyed.get(map);
  if (!byNfc) {
    byNfc = new Map();
    // Two config keys that compose alike: the exact one wins (above), else the first in config order.
    for (const [written, entry] of Object.entries(map)) if (!byNfc.has(written.normalize('NFC'))) byNfc.set(written.normalize('NFC'), entry);
    nfcKeyed.set(map, byNfc);
  }
  return byNfc.get(key.normalize('NFC'));
}

/**
 * A default, map entry or fallback that is empty (under the spec's trim, as the HRIS value is judged) means no value:
 * undefined, so `default: ""` clears the attribute as an empty HRIS value does, rather than writing "" (which a date or
 * number attribute would refuse, and an option attribute would get as a replace with "" instead of a remove).
 */
function noneIfEmpty(spec: ValueTransforms, value: Scalar | undefined): Scalar | undefined {
  if (typeof value !== 'string') return value;
  return isBlank(value, spec.trim) ? undefined : value;
}

function readSource(spec: ValueTransforms, record: HrisRecord): { ok: true; value: Scalar } | { ok: false; message: string } {
  if (spec.value !== undefined) return { ok: true, value: spec.value };
  const text: FieldText =
    spec.template !== undefined ? renderTemplate(record, spec.template) : fieldText(record, spec.field ?? '');
  return text.ok ? { ok: true, value: text.text } : text;
}

/** Where a spec takes its value from, for messages: `"first_name"`, `template "{a} {b}"` or `a constant`. */
export function describeSource(spec: Pick<ValueTransforms, 'field' | 'template'>): string {
  if (spec.field !== undefined) return `"${spec.field}"`;
  if (spec.template !== undefined) return `template "${spec.template}"`;
  return 'a constant';
}
