import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ENCRYPTION_KEY_VARIABLE, OLD_ENCRYPTION_KEYS_VARIABLE, type EncryptionKeys } from './keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const ENCRYPTION_KEY_ID_METADATA_KEY = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

export function isEncryptedPayload(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && decoder.decode(encoding) === ENCRYPTED_ENCODING;
}

function keyIdOf(payload: Payload): string | undefined {
  const id = payload.metadata?.[ENCRYPTION_KEY_ID_METADATA_KEY];
  return id ? decoder.decode(id) : undefined;
}

function unknownKeyError(keyId: string | undefined): PayloadDecryptionError {
  return new PayloadDecryptionError(
    `payload encrypted with key ${keyId ?? '(no key id)'}, which is not configured; set ${ENCRYPTION_KEY_VARIABLE} or add it to ${OLD_ENCRYPTION_KEYS_VARIABLE}`,
  );
}

/**
 * AES-256-GCM over the whole serialized Payload (metadata included, so the encoding of the value is hidden too).
 * Wire layout, as in Temporal's encryption samples: 12-byte random IV ‖ ciphertext ‖ 16-byte GCM tag. The key id in
 * the metadata lets a rotated deployment pick the right key; the key itself never leaves the process.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: EncryptionKeys) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, secret } = this.keys.current;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', secret, iv);
      const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING), [ENCRYPTION_KEY_ID_METADATA_KEY]: encoder.encode(id) },
        data: new Uint8Array(data),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncryptedPayload(payload)) return payload;
      const keyId = keyIdOf(payload);
      const key = keyId === undefined ? undefined : this.keys.decryptionKeys.get(keyId);
      if (!key) throw unknownKeyError(keyId);
      const data = payload.data ?? new Uint8Array();
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload (key ${key.id}) is truncated: ${data.length} bytes`);
      const decipher = createDecipheriv('aes-256-gcm', key.secret, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plaintext: Buffer;
      try {
        plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new PayloadDecryptionError(`encrypted payload (key ${key.id}) failed authentication: it was altered or encrypted with a different key of the same id`);
      }
      return temporal.api.common.v1.Payload.decode(plaintext);
    });
  }
}

/**
 * Installed when no key is configured: plain payloads pass through both ways, but an encrypted payload is a clear
 * error instead of bytes the JSON converter would choke on.
 */
export class KeylessPayloadCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    for (const payload of payloads) {
      if (isEncryptedPayload(payload)) throw unknownKeyError(keyIdOf(payload));
    }
    return payloads;
  }
}
