import type { Command } from 'commander';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_SQLITE_PRAGMAS, startDevServer, type RunningDevServer } from '../../devserver/dev-server';
import { WorkerEnvironmentSchema } from '../../worker/environment';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';

const PortSchema = z.coerce.number().int().min(1).max(65_535);
const ServerCommandOptionsSchema = z
  .object({
    ip: z.string().min(1),
    port: PortSchema,
    uiPort: PortSchema,
    ui: z.boolean(),
    namespace: z.string().min(1),
    dbFilename: z.string().min(1).optional(),
    sqlitePragma: z.array(z.string().regex(/^\w+=[\w-]+$/, 'must be NAME=VALUE, e.g. synchronous=full')).optional(),
    uiCodecEndpoint: z.url().optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']),
  })
  .refine((options) => !options.ui || options.uiPort !== options.port, { message: 'must differ from --port', path: ['ui-port'] });
type ServerCommandOptions = z.infer<typeof ServerCommandOptionsSchema>;

/**
 * The database lives in the connector's state folder (PEAKON_SYNC_STATE_DIR, with the worker's own default), so a
 * single-machine deployment keeps everything it must back up in one place.
 */
export function defaultDatabaseFile(env: NodeJS.ProcessEnv = process.env): string {
  const stateDirectory = WorkerEnvironmentSchema.shape.PEAKON_SYNC_STATE_DIR.parse(env.PEAKON_SYNC_STATE_DIR || undefined);
  return path.resolve(stateDirectory, 'temporal.db');
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * `peakon-sync server`: Temporal for a single machine, in the foreground. The `temporal` CLI's dev server with a
 * database file (runs survive restarts), the Web UI, and the search attributes the connector sets. Not a cluster: for
 * several machines use the compose setup or Temporal Cloud (docs/deploy.md).
 */
export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description('run a Temporal server for a single machine (temporal CLI dev server): database file, Web UI, the connector\'s search attributes')
    .option('--ip <address>', 'interface the gRPC frontend and the Web UI listen on (0.0.0.0: every interface)', '127.0.0.1')
    .option('-p, --port <port>', 'gRPC frontend port (TEMPORAL_ADDRESS of workers and CLI)', '7233')
    .option('--ui-port <port>', 'Web UI port', '8233')
    .option('--no-ui', 'no Web UI')
    .option('-n, --namespace <name>', 'namespace to create (besides "default") and register the search attributes in', 'default')
    .option('-f, --db-filename <file>', 'SQLite database file (default: temporal.db in $PEAKON_SYNC_STATE_DIR, .peakon-sync/state)')
    .option('--sqlite-pragma <name=value>', `SQLite pragma for the database file, repeatable; replaces the defaults (${DEFAULT_SQLITE_PRAGMAS.join(', ')})`, (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option('--ui-codec-endpoint <url>', 'codec server the Web UI decodes encrypted payloads through (peakon-sync codec-server)')
    .option('--log-level <level>', 'server log lines on stderr from this level: debug, info, warn, error (warn is chatty at shutdown)', 'error')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = ServerCommandOptionsSchema.safeParse(raw);
      if (!parsed.success) {
        throw new Error(`invalid server options: ${parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      }
      process.exitCode = await serveUntilSignalled(parsed.data);
    });
}

async function serveUntilSignalled(options: ServerCommandOptions): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const starting = new AbortController();
  let server: RunningDevServer | undefined;
  let stopRequested: NodeJS.Signals | undefined;
  // Forwarded once: a terminal's Ctrl-C may reach the server too (same process group), which it takes calmly.
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopRequested) return;
    stopRequested = signal;
    out(`${signal}: stopping the Temporal server…`);
    if (server) void server.stop(signal);
    else starting.abort();
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  try {
    const dbFilename = path.resolve(options.dbFilename ?? defaultDatabaseFile());
    try {
      server = await startDevServer({
        ip: options.ip,
        port: options.port,
        ui: options.ui,
        uiPort: options.uiPort,
        namespace: options.namespace,
        dbFilename,
        ...(options.sqlitePragma ? { sqlitePragmas: options.sqlitePragma } : {}),
        ...(options.uiCodecEndpoint ? { uiCodecEndpoint: options.uiCodecEndpoint } : {}),
        logLevel: options.logLevel,
        // A production install has no SDK download: a missing CLI is reported with how to install it.
        sdkDownload: false,
        signal: starting.signal,
      });
    } catch (error) {
      if (stopRequested) return 0;
      throw error;
    }
    out(`Temporal server running (${server.executable})`);
    out(`  gRPC:      ${server.address}   workers and CLI: TEMPORAL_ADDRESS=${server.address} TEMPORAL_NAMESPACE=${server.namespace}`);
    out(`  namespace: ${server.namespace}, search attributes ${SEARCH_ATTRIBUTE_KEYS.map((key) => key.name).join(', ')} registered`);
    out(`  Web UI:    ${server.uiUrl ?? 'off (--no-ui)'}`);
    out(`  database:  ${server.dbFilename ?? dbFilename} (runs and schedules survive a restart; SQLite ${(options.sqlitePragma ?? DEFAULT_SQLITE_PRAGMAS).join(', ')})`);
    out('Ctrl-C or SIGTERM stops it.');
    // A signal that arrived between the server answering and `server` being set.
    if (stopRequested) void server.stop(stopRequested);
    const exit = await server.exited;
    const clean = stopRequested !== undefined && (exit.code === 0 || exit.signal === stopRequested);
    if (clean) {
      out('Temporal server stopped.');
      return 0;
    }
    process.stderr.write(`the Temporal server exited on its own (${exit.code !== null ? `code ${exit.code}` : `signal ${exit.signal}`}); its log lines are above\n`);
    return 1;
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }
}
