import type { DataConverter, ExternalStorage } from '@temporalio/common';
import { AesGcmPayloadCodec, KeylessPayloadCodec } from './aes-gcm-codec';
import { allowsUnencryptedPayloads, missingEncryptionKeyError, readEncryptionKeys } from './keys';

export interface ConnectorDataConverterOptions {
  /** Large payloads go to external storage, encrypted first; the reference left in history is plain (a hash, no HR data). */
  externalStorage?: ExternalStorage;
}

/**
 * The failure converter module, resolved at run time: `dist/codec/failure-converter.js` in the built connector,
 * `codec/failure-converter.ts` under jest (whose require.resolve knows .ts; the workflow bundler compiles it too).
 */
export const ENCRYPTING_FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The one DataConverter of every client, worker and workflow bundle of the connector, so the one place that decides
 * whether HR data is encrypted. With a key, every payload (inputs, results, heartbeats, memo, failure messages and
 * stack traces) is AES-256-GCM encrypted and an unencrypted payload is refused. Without a key it fails closed: an
 * EncryptionKeyError saying how to create one, unless PEAKON_SYNC_ALLOW_UNENCRYPTED_PAYLOADS=1 asks for plain text
 * (then an encrypted payload is a clear error naming the missing key). The opt-out beside a key keeps encrypting but
 * accepts plain payloads: for finishing runs, and reading a ledger, written before the deployment had a key.
 */
export function connectorDataConverter(env: Record<string, string | undefined> = process.env, options: ConnectorDataConverterOptions = {}): DataConverter {
  const keys = readEncryptionKeys(env);
  const allowUnencrypted = allowsUnencryptedPayloads(env);
  const storage = options.externalStorage ? { externalStorage: options.externalStorage } : {};
  if (!keys) {
    if (!allowUnencrypted) throw missingEncryptionKeyError();
    return { payloadCodecs: [new KeylessPayloadCodec()], ...storage };
  }
  return { payloadCodecs: [new AesGcmPayloadCodec(keys, { acceptUnencrypted: allowUnencrypted })], failureConverterPath: ENCRYPTING_FAILURE_CONVERTER_PATH, ...storage };
}

/**
 * What `bundleWorkflowCode` must be given for a prebuilt bundle to match `dataConverter`: a Worker ignores its
 * dataConverter's converter paths when it receives a `workflowBundle`, so the bundle has to carry them itself.
 */
export function workflowBundleConverterOptions(dataConverter: DataConverter): Pick<DataConverter, 'failureConverterPath' | 'payloadConverterPath'> {
  return {
    ...(dataConverter.failureConverterPath ? { failureConverterPath: dataConverter.failureConverterPath } : {}),
    ...(dataConverter.payloadConverterPath ? { payloadConverterPath: dataConverter.payloadConverterPath } : {}),
  };
}
