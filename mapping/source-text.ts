import { formatCount } from './limits';

/**
 * What a source puts in a record in place of a field whose bytes are not valid in the declared encoding (hris/csv.ts
 * for UTF-8). A plain JSON object, so it survives any serialisation; never sent anywhere: the mapping turns it into a
 * problem naming the record and the field when the field is used, and ignores it when it is not (an unmapped column
 * never reaches Peakon).
 */
export interface UndecodableValue {
  $undecodable: {
    /** The encoding the source was told to read, e.g. `utf-8`. */
    encoding: string;
    /** The position of the first invalid byte within the value (0-based). */
    byteIndex: number;
    /** That byte, e.g. 0xe9 (a Latin-1 é). */
    byte: number;
    /** Size of the value in bytes. */
    bytes: number;
  };
}

export function undecodableValue(encoding: string, bytes: Uint8Array, byteIndex: number): UndecodableValue {
  return { $undecodable: { encoding, byteIndex, byte: bytes[byteIndex] ?? 0, bytes: bytes.length } };
}

export function isUndecodable(value: unknown): value is UndecodableValue {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, '$undecodable')) return false;
  const details: unknown = (value as { $undecodable: unknown }).$undecodable;
  return typeof details === 'object' && details !== null && 'byteIndex' in details && 'byte' in details;
}

function hex(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

const REPLACEMENT_CHARACTER = '\uFFFD';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** C1 control characters: what bytes 0x80-0x9F of a Windows-1252 file become when it is read as Latin-1. */
const C1_CONTROL = /[\u0080-\u009F]/;
/** What Windows-1252 means by bytes 0x80-0x9F (empty where it leaves a byte undefined). */
const WINDOWS_1252_C1 = [
  '\u20AC', '', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021', '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '', '\u017D', '',
  '', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014', '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '', '\u017E', '\u0178',
];

function c1ControlProblem(value: string, path: string): string | undefined {
  const match = C1_CONTROL.exec(value);
  if (match === null) return undefined;
  const code = match[0].charCodeAt(0);
  const codePoint = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const meant = WINDOWS_1252_C1[code - 0x80] ?? '';
  const byte = meant === '' ? '' : ` (byte ${hex(code)} is ${meant} in Windows-1252)`;
  return (
    `"${path}" contains the control character ${codePoint} at character ${formatCount(match.index)}${byte}: ` +
    'the file is probably Windows-1252 read as Latin-1, which `source.encoding: windows1252` reads; otherwise fix the value in the HR system'
  );
}

/**
 * Why a source value cannot be trusted as text, or undefined when it can. Besides the marker above, U+FFFD is refused:
 * it is what a lenient decoder leaves for bytes it could not read (a JSON body with invalid UTF-8, an export that was
 * already damaged upstream), so the value is no longer what the HR system holds. Unpaired UTF-16 surrogates are
 * refused for the same reason: no encoding can carry them to Peakon. So are C1 control characters (U+0080-U+009F): no
 * HR value holds them, but a Windows-1252 export read as Latin-1 turns its ’ € – … into them (O\u0092Brien).
 */
export function untrustedTextProblem(value: unknown, path: string): string | undefined {
  if (isUndecodable(value)) {
    const { encoding, byteIndex, byte, bytes } = value.$undecodable;
    const hint = encoding.replace('-', '') === 'utf8' ? ' (an export in another encoding? set source.encoding: windows1252 for a Windows or Excel export, latin1 for ISO-8859-1)' : '';
    return `"${path}" is not valid ${encoding}: byte ${hex(byte)} at byte ${formatCount(byteIndex)} of the ${formatCount(bytes)}-byte value${hint}; fix the value or the export's encoding`;
  }
  if (typeof value !== 'string') return undefined;
  const replacement = value.indexOf(REPLACEMENT_CHARACTER);
  if (replacement >= 0) {
    return `"${path}" contains U+FFFD (the replacement character) at character ${formatCount(replacement)}: the HR system sent bytes that were not valid text, so the value is damaged; fix it in the HR system`;
  }
  if (LONE_SURROGATE.test(value)) return `"${path}" contains an unpaired UTF-16 surrogate, which is not text; fix the value in the HR system`;
  return c1ControlProblem(value, path);
}
