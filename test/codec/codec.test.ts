import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { AesGcmPayloadCodec, KeylessPayloadCodec } from '../../codec/aes-gcm-codec';
import { connectorDataConverter, ENCRYPTING_FAILURE_CONVERTER_PATH } from '../../codec/data-converter';
import { EncryptionKeyError, encryptionKeyId, generateEncryptionKey, readCodecServerToken, readEncryptionKeys, type EncryptionKeys } from '../../codec/keys';

const employee = { email: 'ada@example.com', givenName: 'Ada', familyName: 'Lovelace', dateOfBirth: '1815-12-10' };

function keysFor(env: Record<string, string>): EncryptionKeys {
  const keys = readEncryptionKeys(env);
  if (!keys) throw new Error('expected keys');
  return keys;
}

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const idOf = (key: string) => encryptionKeyId(Buffer.from(key, 'base64'));

describe('AES-256-GCM payload codec', () => {
  const key = generateEncryptionKey();
  const codec = new AesGcmPayloadCodec(keysFor({ PEAKON_SYNC_ENCRYPTION_KEY: key }));
  const plain = defaultPayloadConverter.toPayload(employee);

  it('decodes what it encoded to the original payload, metadata included', async () => {
    const [encrypted] = await codec.encode([plain]);
    const [decrypted] = await codec.decode([encrypted as Payload]);
    expect(text(decrypted?.metadata?.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decrypted as Payload)).toEqual(employee);
  });

  it('leaves no plaintext in the encrypted payload and names only the key id in its metadata', async () => {
    const [encrypted] = await codec.encode([plain]);
    expect(text(encrypted?.metadata?.encoding)).toBe('binary/encrypted');
    expect(text(encrypted?.metadata?.['encryption-key-id'])).toBe(idOf(key));
    expect(idOf(key)).toMatch(/^[0-9a-f]{16}$/);
    const everything = Buffer.concat([encrypted?.data ?? new Uint8Array(), ...Object.values(encrypted?.metadata ?? {}).map((value) => value ?? new Uint8Array())]);
    for (const secret of ['ada@example.com', 'Lovelace', '1815-12-10', 'json/plain']) expect(everything.includes(secret)).toBe(false);
    expect(everything.includes(Buffer.from(key, 'base64'))).toBe(false);
  });

  it('uses a fresh IV per payload: the same value encrypts differently every time', async () => {
    const [first, second] = await codec.encode([plain, plain]);
    expect(Buffer.from(first?.data ?? []).equals(Buffer.from(second?.data ?? []))).toBe(false);
  });

  it('refuses a payload that is not encrypted, naming neither its content nor its encoding', async () => {
    // What a client without the key (or with the opt-out) would send: plain HR data the worker must not run.
    const nullPayload = defaultPayloadConverter.toPayload(undefined);
    for (const unencrypted of [plain, nullPayload, {}]) {
      const refusal = codec.decode([unencrypted]);
      await expect(refusal).rejects.toThrow(/^refusing an unencrypted payload: PEAKON_SYNC_ENCRYPTION_KEY is set here/);
      await expect(refusal).rejects.not.toThrow(/ada@example\.com|Lovelace|json\/plain|binary\/null/);
    }
    // One plain payload among encrypted ones fails the whole batch: none of it is handed on.
    const [encrypted] = await codec.encode([plain]);
    await expect(codec.decode([encrypted as Payload, plain])).rejects.toThrow(/^refusing an unencrypted payload/);
  });

  it('passes unencrypted payloads through only when told to (the codec server; the opt-out beside a key)', async () => {
    const lenient = new AesGcmPayloadCodec(keysFor({ PEAKON_SYNC_ENCRYPTION_KEY: key }), { acceptUnencrypted: true });
    const [encrypted] = await lenient.encode([plain]);
    expect(text(encrypted?.metadata?.encoding)).toBe('binary/encrypted');
    const decoded = await lenient.decode([plain, encrypted as Payload]);
    expect(decoded.map((payload) => defaultPayloadConverter.fromPayload(payload))).toEqual([employee, employee]);
  });

  it('refuses a payload whose ciphertext was altered', async () => {
    const [encrypted] = await codec.encode([plain]);
    const data = Buffer.from(encrypted?.data ?? []);
    data[20] = (data[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...encrypted, data }])).rejects.toThrow(/failed authentication/);
  });

  it('after a rotation encrypts with the new key and still decrypts with the old one', async () => {
    const oldKey = generateEncryptionKey();
    const newKey = generateEncryptionKey();
    const before = new AesGcmPayloadCodec(keysFor({ PEAKON_SYNC_ENCRYPTION_KEY: oldKey }));
    const after = new AesGcmPayloadCodec(keysFor({ PEAKON_SYNC_ENCRYPTION_KEY: newKey, PEAKON_SYNC_ENCRYPTION_OLD_KEYS: `${generateEncryptionKey()}, ${oldKey}` }));
    const [writtenBefore] = await before.encode([plain]);
    const [writtenAfter] = await after.encode([plain]);
    expect(text(writtenAfter?.metadata?.['encryption-key-id'])).toBe(idOf(newKey));
    const decoded = await after.decode([writtenBefore as Payload, writtenAfter as Payload]);
    expect(decoded.map((payload) => defaultPayloadConverter.fromPayload(payload))).toEqual([employee, employee]);
  });

  it('names the missing key id when a payload was encrypted with a key that is not configured', async () => {
    const stranger = generateEncryptionKey();
    const [encrypted] = await new AesGcmPayloadCodec(keysFor({ PEAKON_SYNC_ENCRYPTION_KEY: stranger })).encode([plain]);
    await expect(codec.decode([encrypted as Payload])).rejects.toThrow(
      `payload encrypted with key ${idOf(stranger)}, which is not configured; set PEAKON_SYNC_ENCRYPTION_KEY or add it to PEAKON_SYNC_ENCRYPTION_OLD_KEYS`,
    );
  });

  it('without any key passes plain payloads through but refuses encrypted ones with that same clear error', async () => {
    const keyless = new KeylessPayloadCodec();
    const [encrypted] = await codec.encode([plain]);
    await expect(keyless.encode([plain])).resolves.toEqual([plain]);
    await expect(keyless.decode([plain])).resolves.toEqual([plain]);
    await expect(keyless.decode([encrypted as Payload])).rejects.toThrow(`payload encrypted with key ${idOf(key)}, which is not configured; set PEAKON_SYNC_ENCRYPTION_KEY`);
  });
});

describe('connectorDataConverter', () => {
  it('encrypts and encodes failure messages when a key is configured', () => {
    const converter = connectorDataConverter({ PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() });
    expect(converter.payloadCodecs?.[0]).toBeInstanceOf(AesGcmPayloadCodec);
    expect(converter.failureConverterPath).toBe(ENCRYPTING_FAILURE_CONVERTER_PATH);
    // The path is loaded with require() by the SDK: it must export what the SDK looks for.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require(ENCRYPTING_FAILURE_CONVERTER_PATH)).toHaveProperty('failureConverter.options.encodeCommonAttributes', true);
  });

  it('fails closed without a key: the error says how to create one and names the opt-out, never a key', () => {
    for (const env of [{}, { PEAKON_SYNC_ENCRYPTION_KEY: '' }, { PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '0' }, { PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: 'false' }]) {
      expect(() => connectorDataConverter(env)).toThrow(EncryptionKeyError);
      expect(() => connectorDataConverter(env)).toThrow(/^no encryption key: set PEAKON_SYNC_ENCRYPTION_KEY_FILE \(or PEAKON_SYNC_ENCRYPTION_KEY\)/);
      expect(() => connectorDataConverter(env)).toThrow('`(umask 077 && openssl rand -base64 32 > ~/.peakon-sync.key)`');
      expect(() => connectorDataConverter(env)).toThrow(/set PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS=1$/);
    }
  });

  it('installs the refusing pass-through codec and the default failure converter only with the explicit opt-out', () => {
    const converter = connectorDataConverter({ PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '1' });
    expect(converter.payloadCodecs?.[0]).toBeInstanceOf(KeylessPayloadCodec);
    expect(converter.failureConverterPath).toBeUndefined();
    expect(() => connectorDataConverter({ PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: 'yes' })).toThrow('PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS must be 1 or 0');
  });

  it('with a key, refuses plain payloads unless the opt-out is set beside it (runs started before the key)', async () => {
    const plain = defaultPayloadConverter.toPayload(employee);
    const key = generateEncryptionKey();
    const [strict] = connectorDataConverter({ PEAKON_SYNC_ENCRYPTION_KEY: key }).payloadCodecs ?? [];
    await expect(strict?.decode([plain])).rejects.toThrow(/^refusing an unencrypted payload/);
    const [migrating] = connectorDataConverter({ PEAKON_SYNC_ENCRYPTION_KEY: key, PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS: '1' }).payloadCodecs ?? [];
    await expect(migrating?.decode([plain])).resolves.toEqual([plain]);
    const [encrypted] = (await migrating?.encode([plain])) ?? [];
    expect(text(encrypted?.metadata?.encoding)).toBe('binary/encrypted');
  });

  it('passes external storage through', () => {
    const externalStorage = { drivers: [] } as never;
    expect(connectorDataConverter({ PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() }, { externalStorage }).externalStorage).toBe(externalStorage);
  });
});

describe('encryption keys from the environment', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'peakon-sync-keys-'));
  const file = (name: string, content: string) => {
    const filePath = path.join(directory, name);
    writeFileSync(filePath, content);
    return filePath;
  };

  it('is undefined when no key is configured', () => {
    expect(readEncryptionKeys({})).toBeUndefined();
    expect(readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: '' })).toBeUndefined();
  });

  it('stores the key id and keeps the key material out of logs and JSON', () => {
    const key = generateEncryptionKey();
    const keys = keysFor({ PEAKON_SYNC_ENCRYPTION_KEY: key });
    expect(keys.current.id).toBe(idOf(key));
    expect(JSON.stringify(keys.current)).not.toContain(key);
    expect(inspect(keys, { depth: 5 })).not.toContain(Buffer.from(key, 'base64').toString('hex').slice(0, 8));
  });

  it('rejects a key of the wrong length, naming the variable and the length but not the key', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    expect(() => readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: short })).toThrow('PEAKON_SYNC_ENCRYPTION_KEY must be base64 of exactly 32 bytes, got 16 bytes');
    expect(() => readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: short })).not.toThrow(short);
  });

  it('rejects a key that is not base64, without echoing it', () => {
    const notBase64 = 'not a key! 7f3kQ9zLmW2xPv';
    expect(() => readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: notBase64 })).toThrow(/^PEAKON_SYNC_ENCRYPTION_KEY is not base64/);
    expect(() => readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: notBase64 })).not.toThrow('7f3kQ9zLmW2xPv');
  });

  it('names the bad entry of the old keys, not its value or the other keys', () => {
    const current = generateEncryptionKey();
    const goodOld = generateEncryptionKey();
    const badOld = 'c2VjcmV0LWtleS1tYXRlcmlhbA==';
    const env = { PEAKON_SYNC_ENCRYPTION_KEY: current, PEAKON_SYNC_ENCRYPTION_OLD_KEYS: `${goodOld},${badOld}` };
    expect(() => readEncryptionKeys(env)).toThrow('PEAKON_SYNC_ENCRYPTION_OLD_KEYS (entry 2) must be base64 of exactly 32 bytes, got 19 bytes');
    for (const secret of [current, goodOld, badOld]) expect(() => readEncryptionKeys(env)).not.toThrow(secret);
  });

  it('refuses old keys without a current key', () => {
    expect(() => readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_OLD_KEYS: generateEncryptionKey() })).toThrow(/PEAKON_SYNC_ENCRYPTION_OLD_KEYS is set but PEAKON_SYNC_ENCRYPTION_KEY is not/);
  });

  it('reads keys from _FILE variables, dropping the trailing newline', () => {
    const key = generateEncryptionKey();
    const oldKey = generateEncryptionKey();
    const keys = keysFor({ PEAKON_SYNC_ENCRYPTION_KEY_FILE: file('current', `${key}\n`), PEAKON_SYNC_ENCRYPTION_OLD_KEYS_FILE: file('old', `${oldKey}\n`) });
    expect(keys.current.id).toBe(idOf(key));
    expect([...keys.decryptionKeys.keys()]).toEqual([idOf(key), idOf(oldKey)]);
  });

  it('refuses a variable and its _FILE set together, and names an unreadable file', () => {
    const key = generateEncryptionKey();
    expect(() => readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: key, PEAKON_SYNC_ENCRYPTION_KEY_FILE: file('both', key) })).toThrow(
      'PEAKON_SYNC_ENCRYPTION_KEY and PEAKON_SYNC_ENCRYPTION_KEY_FILE are both set: set only one of them',
    );
    const missing = path.join(directory, 'missing');
    expect(() => readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY_FILE: missing })).toThrow(`PEAKON_SYNC_ENCRYPTION_KEY_FILE: cannot read ${missing} (ENOENT)`);
  });

  it('refuses a _FILE that is empty or only whitespace, naming the variable and the file', () => {
    const empty = file('empty', '');
    expect(() => readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY_FILE: empty })).toThrow(`PEAKON_SYNC_ENCRYPTION_KEY_FILE: ${empty} is empty`);
    const blank = file('blank', '  \r\n');
    expect(() => readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY_FILE: blank })).toThrow(`PEAKON_SYNC_ENCRYPTION_KEY_FILE: ${blank} is empty (only whitespace)`);
    expect(() => readCodecServerToken({ PEAKON_SYNC_CODEC_SERVER_TOKEN_FILE: file('token', '\n') })).toThrow(/^PEAKON_SYNC_CODEC_SERVER_TOKEN_FILE: .* is empty$/);
  });

  it('refuses a codec server token with whitespace at either end (HTTP trims it from the header: every request would be 401)', () => {
    expect(() => readCodecServerToken({ PEAKON_SYNC_CODEC_SERVER_TOKEN_FILE: file('spaced-token', 'tok3n-0123 \n') })).toThrow(
      'PEAKON_SYNC_CODEC_SERVER_TOKEN_FILE: the token starts or ends with whitespace, which no Authorization header carries; remove it',
    );
    expect(() => readCodecServerToken({ PEAKON_SYNC_CODEC_SERVER_TOKEN: ' tok3n-0123' })).toThrow(/^PEAKON_SYNC_CODEC_SERVER_TOKEN: the token starts/);
    // One trailing newline is how files end, not part of the token (nor of a variable filled from a file).
    expect(readCodecServerToken({ PEAKON_SYNC_CODEC_SERVER_TOKEN_FILE: file('token-line', 'tok3n-0123\n') })).toBe('tok3n-0123');
    expect(readCodecServerToken({ PEAKON_SYNC_CODEC_SERVER_TOKEN: 'tok3n-0123\n' })).toBe('tok3n-0123');
    expect(() => readCodecServerToken({ PEAKON_SYNC_CODEC_SERVER_TOKEN: '\n' })).toThrow('PEAKON_SYNC_CODEC_SERVER_TOKEN is empty (only a newline)');
  });

  it('reads an empty old-keys file as no old keys, as an empty variable (a rotation dropped the last one)', () => {
    const key = generateEncryptionKey();
    for (const contents of ['', '\n', '  \r\n']) {
      const keys = readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_OLD_KEYS_FILE: file('no-old-keys', contents), PEAKON_SYNC_ENCRYPTION_KEY: key });
      expect(keys?.decryptionKeys.size).toBe(1);
    }
  });

  it('validates a key read from a file like one from the variable', () => {
    expect(() => readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY_FILE: file('short', Buffer.alloc(31).toString('base64')) })).toThrow('PEAKON_SYNC_ENCRYPTION_KEY must be base64 of exactly 32 bytes, got 31 bytes');
  });
});
