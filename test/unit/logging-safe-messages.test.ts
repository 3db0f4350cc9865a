/**
 * The worker's JSON log keeps the message of the connector's own errors that are written to name no HR data, only what
 * to fix (which key is missing, which variable to set): a worker that cannot decrypt a run logs why. Every other
 * error, also one that merely takes such a name, is still logged by its name alone.
 */
import { AesGcmPayloadCodec, KeylessPayloadCodec, PayloadDecryptionError } from '../../codec/aes-gcm-codec';
import { EncryptionKeyError, generateEncryptionKey, readEncryptionKeys } from '../../codec/keys';
import { formatLogEntry } from '../../worker/logging';

const at = 1_764_000_000_000_000_000n;
const logged = (meta: Record<string, unknown>): Record<string, unknown> => JSON.parse(formatLogEntry({ level: 'ERROR', message: 'Failed to process Workflow Activation', timestampNanos: at, meta })) as Record<string, unknown>;

/** The error `decode` rejects with, as the worker meets it. */
async function decodeError(decode: () => Promise<unknown>): Promise<Error> {
  try {
    await decode();
  } catch (error) {
    return error as Error;
  }
  throw new Error('decode did not throw');
}

describe('the worker log of an error whose message names no HR data', () => {
  it('keeps the message of a payload the worker has no key for, and of a plain payload it refuses', async () => {
    const stranger = readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() })!;
    const ours = readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() })!;
    const [encrypted] = await new AesGcmPayloadCodec(stranger).encode([{ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"ada@example.com"') }]);
    const unknownKey = await decodeError(() => new AesGcmPayloadCodec(ours).decode([encrypted!]));
    expect(logged({ runId: 'r-1', error: unknownKey, workflowExists: false })).toEqual({
      time: new Date(1_764_000_000_000).toISOString(),
      level: 'error',
      message: 'Failed to process Workflow Activation',
      runId: 'r-1',
      error: { name: 'PayloadDecryptionError', message: `payload encrypted with key ${stranger.current.id}, which is not configured; set PEAKON_SYNC_ENCRYPTION_KEY or add it to PEAKON_SYNC_ENCRYPTION_OLD_KEYS` },
      workflowExists: false,
    });
    const keyless = await decodeError(() => new KeylessPayloadCodec().decode([encrypted!]));
    expect(logged({ error: keyless })).toMatchObject({ error: { name: 'PayloadDecryptionError', message: expect.stringContaining('which is not configured') } });

    const plain = await decodeError(() => new AesGcmPayloadCodec(ours).decode([{ metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode('"ada@example.com"') }]));
    const line = formatLogEntry({ level: 'ERROR', message: 'Failed to process Workflow Activation', timestampNanos: at, meta: { error: plain } });
    expect(JSON.parse(line)).toMatchObject({ error: { name: 'PayloadDecryptionError', message: expect.stringMatching(/^refusing an unencrypted payload: PEAKON_SYNC_ENCRYPTION_KEY is set here/) } });
    expect(line).not.toContain('ada@example.com');
  });

  it('keeps the message of a key that cannot be read (EncryptionKeyError)', () => {
    const error = ((): unknown => {
      try {
        return readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: 'not base64!' });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(EncryptionKeyError);
    expect(logged({ error })).toMatchObject({ error: { name: 'EncryptionKeyError', message: expect.stringMatching(/^PEAKON_SYNC_ENCRYPTION_KEY is not base64/) } });
  });

  it('still logs any other error by its name alone, also one named like the connector\'s own, and nothing new of a safe one', () => {
    const impostor = Object.assign(new Error('Peakon answered 400: userName "ada@example.com" is taken'), { name: 'PayloadDecryptionError' });
    const other = new Error('filter=userName eq "ada@example.com"');
    const safe = Object.assign(new PayloadDecryptionError('payload encrypted with key abc, which is not configured'), { cause: other, failure: { message: 'ada@example.com' } });
    const line = formatLogEntry({ level: 'ERROR', message: 'Failed to process Workflow Activation', timestampNanos: at, meta: { impostor, other, safe } });
    expect(line).not.toContain('ada@example.com');
    expect(JSON.parse(line)).toMatchObject({ impostor: { name: 'PayloadDecryptionError' }, other: { name: 'Error' }, safe: { name: 'PayloadDecryptionError', message: 'payload encrypted with key abc, which is not configured' } });
    const parsed = JSON.parse(line) as Record<string, Record<string, unknown>>;
    expect(Object.keys(parsed.impostor!)).toEqual(['name']);
    expect(Object.keys(parsed.other!)).toEqual(['name']);
    expect(Object.keys(parsed.safe!).sort()).toEqual(['message', 'name']);
  });
});
