import type { DataConverter, ExternalStorage } from '@temporalio/common';
import { AesGcmPayloadCodec, KeylessPayloadCodec } from './aes-gcm-codec';
import { readEncryptionKeys } from './keys';

export interface ConnectorDataConverterOptions {
  /** Large payloads go to external storage; references are then encrypted like any payload. */
  externalStorage?: ExternalStorage;
}

/**
 * The failure converter module, resolved at run time: `dist/codec/failure-converter.js` in the built connector,
 * `codec/failure-converter.ts` under jest (whose require.resolve knows .ts; the workflow bundler compiles it too).
 */
export const ENCRYPTING_FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The one DataConverter of every client, worker and workflow bundle of the connector. With a key configured, every
 * payload (inputs, results, heartbeats, memo, failure messages and stack traces) is AES-256-GCM encrypted; without
 * one, payloads stay plain and an encrypted payload is a clear error naming the missing key.
 */
export function connectorDataConverter(env: Record<string, string | undefined> = process.env, options: ConnectorDataConverterOptions = {}): DataConverter {
  const keys = readEncryptionKeys(env);
  const storage = options.externalStorage ? { externalStorage: options.externalStorage } : {};
  if (!keys) return { payloadCodecs: [new KeylessPayloadCodec()], ...storage };
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)], failureConverterPath: ENCRYPTING_FAILURE_CONVERTER_PATH, ...storage };
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
