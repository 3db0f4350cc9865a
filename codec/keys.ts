import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { withoutTrailingNewline } from '../config/secret';
import { warnIfReadableByOthers } from '../config/secret-file-mode';

/** The variable holding the key that encrypts (and decrypts) every payload the connector puts into Temporal. */
export const ENCRYPTION_KEY_VARIABLE = 'PEAKON_SYNC_ENCRYPTION_KEY';
/** Retired keys, comma-separated: used only to decrypt histories written before a rotation. */
export const OLD_ENCRYPTION_KEYS_VARIABLE = 'PEAKON_SYNC_ENCRYPTION_OLD_KEYS';
/** Bearer token the codec server requires, when set. */
export const CODEC_SERVER_TOKEN_VARIABLE = 'PEAKON_SYNC_CODEC_SERVER_TOKEN';
/**
 * `1`: a worker or CLI without a key runs anyway, and puts HR data (names, emails, every attribute) into Temporal
 * history and the payload store in plain text. Named so that nobody sets it by accident; for throwaway setups only.
 */
export const ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE = 'PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS';

/** Every variable the encryption reads, `_FILE` variants included (for docs and deployment checks). */
export const ENCRYPTION_ENVIRONMENT_VARIABLES = [
  ENCRYPTION_KEY_VARIABLE,
  `${ENCRYPTION_KEY_VARIABLE}_FILE`,
  OLD_ENCRYPTION_KEYS_VARIABLE,
  `${OLD_ENCRYPTION_KEYS_VARIABLE}_FILE`,
  CODEC_SERVER_TOKEN_VARIABLE,
  `${CODEC_SERVER_TOKEN_VARIABLE}_FILE`,
  ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE,
];

const KEY_BYTES = 32;

export interface EncryptionKey {
  /** First 16 hex characters of sha256(key): stored in payload metadata, safe to log. */
  readonly id: string;
  /** The key material as a KeyObject, which neither `console.log` nor `JSON.stringify` reveals. */
  readonly secret: KeyObject;
}

export interface EncryptionKeys {
  /** Encrypts every new payload. */
  readonly current: EncryptionKey;
  /** Every key that may decrypt, the current one included, by key id. */
  readonly decryptionKeys: ReadonlyMap<string, EncryptionKey>;
}

export class EncryptionKeyError extends Error {
  override readonly name = 'EncryptionKeyError';
}

export function encryptionKeyId(keyBytes: Uint8Array): string {
  return createHash('sha256').update(keyBytes).digest('hex').slice(0, 16);
}

/** A new random key, base64 as PEAKON_SYNC_ENCRYPTION_KEY expects it. */
export function generateEncryptionKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

// Messages describe the value's shape, never the value: a mistyped key is still a key.
const Base64KeySchema = z
  .string()
  .trim()
  .min(1, 'is empty')
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'is not base64 (expected base64 of 32 random bytes, e.g. from `openssl rand -base64 32`)')
  .transform((text) => Buffer.from(text, 'base64'))
  .refine((bytes) => bytes.length === KEY_BYTES, { error: (issue) => `must be base64 of exactly ${KEY_BYTES} bytes, got ${(issue.input as Buffer).length} bytes` });

const EncryptionEnvironmentSchema = z.object({
  [ENCRYPTION_KEY_VARIABLE]: z.string().optional(),
  [`${ENCRYPTION_KEY_VARIABLE}_FILE`]: z.string().min(1, 'is empty (a file path was expected)').optional(),
  [OLD_ENCRYPTION_KEYS_VARIABLE]: z.string().optional(),
  [`${OLD_ENCRYPTION_KEYS_VARIABLE}_FILE`]: z.string().min(1, 'is empty (a file path was expected)').optional(),
});

/**
 * The value of `name` or of the file `name_FILE` points at; both set is an error, so nobody wonders which one wins.
 * `emptyFile: 'none'` reads an empty file as no value, as an empty variable is (a list whose last entry was dropped).
 */
function readVariable(env: Record<string, string | undefined>, name: string, options: { emptyFile?: 'refused' | 'none' } = {}): string | undefined {
  const direct = env[name];
  const filePath = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '' && filePath !== undefined) {
    throw new EncryptionKeyError(`${name} and ${name}_FILE are both set: set only one of them`);
  }
  if (filePath === undefined) return direct === '' ? undefined : direct;
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    // Not `instanceof Error`: fs errors may come from another realm (jest's sandbox).
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unreadable';
    throw new EncryptionKeyError(`${name}_FILE: cannot read ${filePath} (${code})`);
  }
  // Warned, not refused: a key others can read decrypts every payload, but Kubernetes mounts secrets 0644 by default.
  warnIfReadableByOthers(filePath, `${name}_FILE`);
  const value = withoutTrailingNewline(text);
  // A file named on purpose but empty (an unfilled mount, a `> file` that failed) is an error, as an empty secret is:
  // read as unset, the codec server would start without a token, and an empty key file would say the key is empty
  // rather than which file.
  if (value.trim() === '' && options.emptyFile === 'none') return undefined;
  if (value.trim() === '') throw new EncryptionKeyError(`${name}_FILE: ${filePath} is empty${value === '' ? '' : ' (only whitespace)'}`);
  return value;
}

/**
 * The codec server's bearer token from PEAKON_SYNC_CODEC_SERVER_TOKEN or, like every other secret, the file
 * PEAKON_SYNC_CODEC_SERVER_TOKEN_FILE points at (a mounted secret stays out of `docker inspect`). The variable set
 * empty is unset; a file that is empty (or only whitespace) is an error naming it.
 */
export function readCodecServerToken(env: Record<string, string | undefined> = process.env): string | undefined {
  const read = readVariable(env, CODEC_SERVER_TOKEN_VARIABLE);
  // One trailing newline dropped from the variable too, as from its file (a Kubernetes secret made with --from-file).
  const direct = Boolean(env[CODEC_SERVER_TOKEN_VARIABLE]) && read !== undefined;
  const token = (direct ? withoutTrailingNewline(read) : read) || undefined;
  // Set to a newline alone: an empty secret (as its file would be), never read as "no token".
  if (direct && token === undefined) throw new EncryptionKeyError(`${CODEC_SERVER_TOKEN_VARIABLE} is empty (only a newline)`);
  // HTTP trims a header value's ends, so a token with whitespace there would answer every request 401, unexplained.
  if (token !== undefined && token !== token.trim()) {
    const origin = env[CODEC_SERVER_TOKEN_VARIABLE] ? CODEC_SERVER_TOKEN_VARIABLE : `${CODEC_SERVER_TOKEN_VARIABLE}_FILE`;
    throw new EncryptionKeyError(`${origin}: the token starts or ends with whitespace, which no Authorization header carries; remove it`);
  }
  return token;
}

function parseKey(text: string, origin: string): EncryptionKey {
  const parsed = Base64KeySchema.safeParse(text);
  if (!parsed.success) throw new EncryptionKeyError(`${origin} ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
  return { id: encryptionKeyId(parsed.data), secret: createSecretKey(parsed.data) };
}

/**
 * The connector's encryption keys from PEAKON_SYNC_ENCRYPTION_KEY(_FILE) and PEAKON_SYNC_ENCRYPTION_OLD_KEYS(_FILE);
 * `undefined` when no key is configured. Errors name the variable and what is wrong, never the key.
 */
export function readEncryptionKeys(env: Record<string, string | undefined> = process.env): EncryptionKeys | undefined {
  const shape = EncryptionEnvironmentSchema.safeParse(env);
  if (!shape.success) {
    throw new EncryptionKeyError(shape.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('\n'));
  }
  const currentText = readVariable(env, ENCRYPTION_KEY_VARIABLE);
  // After a rotation's last step (docs/schedules.md) the old-keys secret may hold none: no old keys, as when unset.
  const oldText = readVariable(env, OLD_ENCRYPTION_KEYS_VARIABLE, { emptyFile: 'none' });
  const oldEntries = (oldText ?? '').split(',').map((entry) => entry.trim());
  if (currentText === undefined) {
    if (oldEntries.some((entry) => entry !== '')) {
      throw new EncryptionKeyError(`${OLD_ENCRYPTION_KEYS_VARIABLE} is set but ${ENCRYPTION_KEY_VARIABLE} is not: old keys only decrypt, a current key is needed to encrypt`);
    }
    return undefined;
  }
  const current = parseKey(currentText, ENCRYPTION_KEY_VARIABLE);
  const decryptionKeys = new Map<string, EncryptionKey>([[current.id, current]]);
  oldEntries.forEach((entry, index) => {
    if (entry === '') return;
    const key = parseKey(entry, `${OLD_ENCRYPTION_KEYS_VARIABLE} (entry ${index + 1})`);
    if (!decryptionKeys.has(key.id)) decryptionKeys.set(key.id, key);
  });
  return { current, decryptionKeys };
}

/** Whether the operator opted out of encryption (PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS=1); any value but 0/1/true/false is an error. */
export function allowsUnencryptedPayloads(env: Record<string, string | undefined> = process.env): boolean {
  const value = (env[ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE] ?? '').trim().toLowerCase();
  if (['', '0', 'false'].includes(value)) return false;
  if (['1', 'true'].includes(value)) return true;
  throw new EncryptionKeyError(`${ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE} must be 1 or 0`);
}

/**
 * The refusal of a worker or CLI started without a key: HR data would otherwise reach Temporal in plain text. Says how
 * to make a key (the README's own command) and names the opt-out, so nobody has to guess either.
 */
export function missingEncryptionKeyError(): EncryptionKeyError {
  return new EncryptionKeyError(
    `no encryption key: set ${ENCRYPTION_KEY_VARIABLE}_FILE (or ${ENCRYPTION_KEY_VARIABLE}) to the same key in every worker and CLI, ` +
      'or names and emails would be stored in plain text in Temporal. Create one once with ' +
      // Outside any clone (never committed nor copied into an image) and 0600 from its first byte.
      '`(umask 077 && openssl rand -base64 32 > ~/.peakon-sync.key)` and set ' +
      `${ENCRYPTION_KEY_VARIABLE}_FILE=$HOME/.peakon-sync.key (keep it: it decrypts every run). ` +
      `To run without encryption anyway (unsafe, throwaway setups only), set ${ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE}=1`,
  );
}
