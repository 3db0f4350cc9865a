import { Client, Connection } from '@temporalio/client';
import { connectorDataConverterFromEnv, temporalConnectConfig } from '../worker/environment';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';

export interface ConnectedClient {
  client: Client;
  namespace: string;
  close(): Promise<void>;
}

/**
 * A Temporal client configured from TEMPORAL_* variables (dev server, self-hosted or Temporal Cloud) that encrypts
 * with the PEAKON_SYNC_ENCRYPTION_* keys of the same environment; schedules created through it are encrypted too.
 */
export async function connectClient(env: NodeJS.ProcessEnv = process.env): Promise<ConnectedClient> {
  const { connectionOptions, namespace } = temporalConnectConfig(env);
  const connection = await Connection.connect({
    address: connectionOptions.address,
    ...(connectionOptions.tls !== undefined ? { tls: connectionOptions.tls } : {}),
    ...(connectionOptions.apiKey !== undefined && typeof connectionOptions.apiKey === 'string' ? { apiKey: connectionOptions.apiKey } : {}),
    ...(connectionOptions.metadata ? { metadata: connectionOptions.metadata } : {}),
  });
  return { client: new Client({ connection, namespace, dataConverter: connectorDataConverterFromEnv(env) }), namespace, close: () => connection.close() };
}

/**
 * Whether this namespace has the connector's search attributes (the dev server started by this project and the
 * compose setup register them). Without them, runs still work; the UI list just cannot filter by tenant and status.
 */
export async function hasSearchAttributes(client: Client, namespace: string): Promise<boolean> {
  try {
    const response = await client.connection.operatorService.listSearchAttributes({ namespace });
    const names = new Set(Object.keys(response.customAttributes ?? {}));
    return SEARCH_ATTRIBUTE_KEYS.every((key) => names.has(key.name));
  } catch {
    // Temporal Cloud API keys may not reach the operator service: treat as absent.
    return false;
  }
}
