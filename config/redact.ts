/** What a message shows where a server's text held a secret. */
export const REDACTED = '[redacted]';

/**
 * Every occurrence of each secret in `text` replaced by {@link REDACTED}: the one rule for server-provided text (an
 * error detail, a body snippet) before it goes into a message, because a server may echo the credential it was sent
 * and messages reach workflow history, CLI output and CI logs. Longest secrets first, so one that contains another is
 * removed whole; empty ones are skipped (they would match between every character). A module of its own, without
 * imports, so the SCIM client (which imports nothing else of the connector) can share it with the HR sources.
 *
 * A server echoes a secret as it received it or as its JSON writer spells it, so each is also found written with its
 * characters escaped: JSON escapes (`\/` for `/`, `\"`, `\\`, `\n` and the like, `\u00e9` for any character) and
 * percent-encoding (`%2F`, `%C3%A9`, `+` for a space), in any mix and hex in either case.
 */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const ordered = [...new Set(secrets)].filter((secret) => secret !== '').sort((a, b) => b.length - a.length);
  return ordered.reduce((redacted, secret) => redacted.split(secret).join(REDACTED).replace(spellingsOf(secret), REDACTED), text);
}

/** The characters JSON writes with a short escape (JSON.stringify, and `\/` from PHP's and others' writers). */
const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A pattern matching `secret` with any of its characters escaped (JSON or percent-encoding), or none. */
function spellingsOf(secret: string): RegExp {
  const parts: string[] = [];
  for (const character of secret) {
    const forms = [escapeRegExp(character)];
    const short = SHORT_ESCAPES[character];
    if (short !== undefined) forms.push(escapeRegExp(short));
    // JSON's \uXXXX, one per UTF-16 unit (a surrogate pair for a character beyond the BMP).
    let unicode = '';
    for (let index = 0; index < character.length; index += 1) unicode += `\\\\u${hexPattern(character.charCodeAt(index), 4)}`;
    forms.push(unicode);
    // Percent-encoding of its UTF-8 bytes; a space may also be `+` (form encoding).
    forms.push([...new TextEncoder().encode(character)].map((byte) => `%${hexPattern(byte, 2)}`).join(''));
    if (character === ' ') forms.push('\\+');
    parts.push(`(?:${forms.join('|')})`);
  }
  return new RegExp(parts.join(''), 'g');
}

/** `n` in hex of `digits` digits, each letter matching either case: 0x2f → `2[fF]`. */
function hexPattern(n: number, digits: number): string {
  return [...n.toString(16).padStart(digits, '0')].map((digit) => (/[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit)).join('');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
