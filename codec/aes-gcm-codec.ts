import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE, ENCRYPTION_KEY_VARIABLE, OLD_ENCRYPTION_KEYS_VARIABLE, type EncryptionKeys } from './keys';

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
 * The refusal of a plain payload by a codec that holds a key. It names no part of the payload: a plain payload is
 * HR data, and this message lands in logs and in Temporal's failure records.
 */
function unencryptedPayloadError(): PayloadDecryptionError {
  return new PayloadDecryptionError(
    `refusing an unencrypted payload: ${ENCRYPTION_KEY_VARIABLE} is set here, so every payload must be encrypted with it; ` +
      `the client or worker that sent it has no key (or runs with ${ALLOW_UNENCRYPTED_PAYLOADS_VARIABLE}=1): give it the same key`,
  );
}

export interface AesGcmPayloadCodecOptions {
  /**
   * Pass unencrypted payloads through decode instead of refusing them. For the codec server (the UI shows payloads of
   * any workflow; what is plain in Temporal is already readable there) and for PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS
   * beside a key (runs started before the deployment had one).
   */
  acceptUnencrypted?: boolean;
}

/**
 * AES-256-GCM over the whole serialized Payload (metadata included, so the encoding of the value is hidden too).
 * Wire layout, as in Temporal's encryption samples: 12-byte random IV ‖ ciphertext ‖ 16-byte GCM tag. The key id in
 * the metadata lets a rotated deployment pick the right key; the key itself never leaves the process.
 *
 * Decode refuses a payload that is not encrypted. Every payload the connector's workflows and activities receive was
 * encoded by a client or worker of the connector, all of which run this codec with the same key (the SDK runs
 * `encode` on every payload, `null` results and failure details included; headers and search attributes, which it
 * never encodes, never reach a codec either). A plain one therefore comes from something without the key — a
 * misconfigured client, or `temporal workflow start/signal` by hand — and running it would let plain HR data into
 * the sync and into history. Payloads absent from a message (no input, no details) are never passed to a codec.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly acceptUnencrypted: boolean;

  constructor(
    private readonly keys: EncryptionKeys,
    options: AesGcmPayloadCodecOptions = {},
  ) {
    this.acceptUnencrypted = options.acceptUnencrypted ?? false;
  }

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
      if (!isEncryptedPayload(payload)) {
        if (this.acceptUnencrypted) return payload;
        throw unencryptedPayloadError();
      }
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
