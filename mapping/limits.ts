/**
 * Size limits on mapped data: the one place they are set. Each is checked per record, so an oversized value rejects
 * that record (a RecordProblem naming record and field) and the rest of the run continues.
 *
 * Why limits at all: every mapped employee travels through Temporal — in the plan activity's result, in partition and
 * employee child-workflow inputs, in SCIM request bodies. Temporal refuses a payload above 2 MB (its blob size limit;
 * it warns from 512 KB) and a workflow history above 50 MB, and a refused payload fails the whole run, not just the
 * record that caused it. Workflows cut partitions at 256 KB of input; that is only sound if one employee is a small
 * fraction of it, so no record may exceed MAX_RECORD_BYTES. Problem messages travel too, so they never quote a value
 * longer than MAX_QUOTED_LENGTH.
 */

/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the angle brackets, so an address at most 254. */
export const MAX_EMAIL_BYTES = 254;
/** RFC 5321 §4.5.3.1.1: the local part (before the @) is at most 64 octets (UTF-8 octets for RFC 6531 addresses). */
export const MAX_EMAIL_LOCAL_PART_BYTES = 64;
/** RFC 1035 §2.3.4: a domain label is at most 63 octets (checked on the ASCII form of an internationalised domain). */
export const MAX_DOMAIN_LABEL_BYTES = 63;

/** Given and family names, in characters: far above any real name, far below anything that strains a payload. */
export const MAX_NAME_LENGTH = 256;
/** Peakon's documented limit for an option-type attribute value, in characters; its API answers 400 above it. */
export const MAX_OPTION_LENGTH = 256;
/** HRIS ids (externalId), employee numbers and employee-reference pointers (a manager's id), in characters. */
export const MAX_IDENTIFIER_LENGTH = 256;

/** Any one mapped string (department, free-text attributes, template results), in UTF-8 bytes. */
export const MAX_VALUE_BYTES = 4 * 1024;
/** One employee's whole mapped data (the SCIM body plus its references), in UTF-8 bytes of JSON. */
export const MAX_RECORD_BYTES = 32 * 1024;

/** How much of a value a problem message quotes, in characters. */
export const MAX_QUOTED_LENGTH = 80;

/** A value quoted for a message, shortened when long: `"Søren"`, or `"xxxx…" (10485760 characters)`. */
export function quoted(text: string): string {
  if (text.length <= MAX_QUOTED_LENGTH) return `"${text}"`;
  const characters = [...text.slice(0, MAX_QUOTED_LENGTH + 1)];
  return `"${characters.slice(0, MAX_QUOTED_LENGTH).join('')}…" (${characterCount(text)} characters)`;
}

/** Characters as a person counts them (code points, so an emoji is one), which is how Peakon counts option length. */
export function characterCount(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    // A high surrogate followed by a low one is a single character.
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index += 1;
    }
    count += 1;
  }
  return count;
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** 4096 → "4,096": limits and sizes in messages. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}
