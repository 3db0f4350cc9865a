import { domainToASCII, domainToUnicode } from 'node:url';

/**
 * One address, one form. An HR system may hold `anna@exämple.com` or `anna@xn--exmple-cua.com` (the same mailbox:
 * IDNA's Unicode and ASCII spellings of one domain), in any letter case. Peakon compares userName case-insensitively
 * but knows nothing of IDNA, so both forms would become two Peakon users.
 *
 * The connector sends and matches the ASCII (A-label, punycode) form of the domain:
 * - it is the form DNS and SMTP use, so mail to it is delivered by every mail system (many cannot take a Unicode
 *   domain without SMTPUTF8), and no address check that knows only ASCII (Peakon's may be one) rejects it;
 * - `domainToASCII` applies UTS #46 mapping (lower-casing, NFC, full-width letters) and checks the domain, so every
 *   spelling of one domain yields the same text, and a domain that is not a valid IDN is reported;
 * - after it, case-insensitive comparison is plain ASCII lower-casing, which Peakon's and ours agree on.
 * The local part is kept (NFC-normalised): it belongs to the mail server and has no ASCII form. An ASCII domain is
 * sent as the HR system wrote it (Peakon ignores case), so nothing already in Peakon changes.
 */

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) > 0x7f) return false;
  return true;
}

export interface EmailParts {
  /** Before the last @, NFC-normalised, case kept. */
  local: string;
  /** The domain as written (NFC). */
  domain: string;
  /** The domain's ASCII form, lower-case: `xn--exmple-cua.com`. */
  asciiDomain: string;
}

/** Splits at the last @ and converts the domain; undefined without an @ or when the domain is not a valid IDN. */
export function emailParts(email: string): EmailParts | undefined {
  const text = email.trim().normalize('NFC');
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return undefined;
  const domain = text.slice(at + 1);
  const asciiDomain = domainToASCII(domain);
  if (asciiDomain === '') return undefined;
  return { local: text.slice(0, at), domain, asciiDomain };
}

/**
 * The spellings of one address Peakon tells apart though they are one mailbox: the address as given, and, for an
 * internationalised domain, its other IDNA form (`anna@xn--exmple-cua.com` and `anna@exämple.com`). Peakon compares
 * userName by letter case only, so a lookup by one spelling misses a user another tool stored under the other, and the
 * create that follows would be a duplicate. An ASCII domain has one spelling.
 */
export function emailSpellings(email: string): string[] {
  const parts = emailParts(email);
  if (!parts) return [email];
  const unicode = domainToUnicode(parts.asciiDomain);
  const other = isAscii(parts.domain) ? unicode : parts.asciiDomain;
  return other === '' || other.toLowerCase() === parts.domain.toLowerCase() ? [email] : [email, `${parts.local}@${other}`];
}

/** The address as it is sent to Peakon (userName, emails[0]): a non-ASCII domain becomes its ASCII form. */
export function sendableEmail(parts: EmailParts): string {
  return `${parts.local}@${isAscii(parts.domain) ? parts.domain : parts.asciiDomain}`;
}

/**
 * The key an email is matched and de-duplicated on: ASCII domain, NFC, lower-cased. `anna@EXÄMPLE.com`,
 * `Anna@exämple.com` and `anna@xn--exmple-cua.com` all give `anna@xn--exmple-cua.com`. Total: text that is not an
 * address (a Peakon userName from elsewhere) is trimmed, NFC-normalised and lower-cased, so it still matches itself.
 */
export function emailMatchKey(email: string): string {
  const parts = emailParts(email);
  if (!parts) return email.trim().normalize('NFC').toLowerCase();
  return `${parts.local.toLowerCase()}@${parts.asciiDomain.toLowerCase()}`;
}
