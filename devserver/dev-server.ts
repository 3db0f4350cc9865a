import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { resolveTemporalCli } from './temporal-cli';

export interface DevServerOptions {
  /** Serve the Temporal Web UI (the demo does; tests do not). */
  ui?: boolean;
  uiPort?: number;
  port?: number;
  /** Persist history to this SQLite file; in memory when omitted. */
  dbFilename?: string;
  /** A codec server the Web UI asks to decode encrypted payloads (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
}

export interface RunningDevServer {
  /** host:port of the frontend gRPC service. */
  address: string;
  namespace: string;
  uiUrl?: string;
  /** How the CLI was found, for the log: a path, or "SDK download". */
  executable: string;
  stop(): Promise<void>;
}

/** Starts a local Temporal dev server with this project's search attributes registered. */
export async function startDevServer(options: DevServerOptions = {}): Promise<RunningDevServer> {
  const binary = resolveTemporalCli();
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(binary ? { executable: { type: 'existing-path', path: binary } } : {}),
      ip: '127.0.0.1',
      ...(options.port ? { port: options.port } : {}),
      ui: options.ui ?? false,
      ...(options.uiPort ? { uiPort: options.uiPort } : {}),
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
      log: { format: 'pretty', level: 'error' },
      extraArgs: ['--dynamic-config-value', 'frontend.enableServerVersionCheck=false', ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : [])],
    },
  });
  const address = env.address;
  const uiPort = options.uiPort ?? Number(address.split(':').pop()) + 1000;
  return {
    address,
    namespace: env.namespace ?? 'default',
    ...(options.ui ? { uiUrl: `http://127.0.0.1:${uiPort}` } : {}),
    executable: binary ?? 'SDK download',
    stop: () => env.teardown(),
  };
}
