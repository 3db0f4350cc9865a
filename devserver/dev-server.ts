import { Client, Connection } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasSearchAttributes } from '../client/temporal-client';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/search-attributes';
import { devServerEnvironment } from './child-environment';
import { isModuleMissing } from './development-dependencies';
import { stopWhenOwnerDies } from './owner-watch';
import { freePort, portOrFree } from './ports';
import { requireTemporalCli, resolveTemporalCli, TemporalCliMissingError } from './temporal-cli';

export type DevServerLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface DevServerOptions {
  /** Serve the Temporal Web UI (the demo and `peakon-sync server` do; tests do not). */
  ui?: boolean;
  /** Default: the gRPC port + 1000, as the temporal CLI does. */
  uiPort?: number;
  /** Default: a free port. A port given here is the only one tried: taken, the start fails (see preferredPort). */
  port?: number;
  /**
   * Without `port`: the port tried first (the demo's 7233). Taken (by another process, also one that binds it while
   * this server starts: a second demo started seconds later), the server moves to a free port, as without any port; the
   * RunningDevServer says where it serves.
   */
  preferredPort?: number;
  /**
   * Without `uiPort`: the UI's port tried first, with preferredPort (the demo's 8233). Taken, the UI moves to a free port
   * too, and `uiUrl` names it.
   */
  preferredUiPort?: number;
  /** Interface the frontend and the UI listen on. Default 127.0.0.1: nothing off this machine reaches a dev server. */
  ip?: string;
  /** Persist history to this SQLite file (its folder is created); in memory when omitted. */
  dbFilename?: string;
  /** SQLite pragmas for the file (`--sqlite-pragma NAME=VALUE`); default DEFAULT_SQLITE_PRAGMAS. */
  sqlitePragmas?: string[];
  /** A namespace created at launch (besides `default`), with the connector's search attributes. Default `default`. */
  namespace?: string;
  /** A codec server the Web UI asks to decode encrypted payloads (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
  /** The server's own log lines go to this process's stderr at this level; without it, only a failed start shows them. */
  logLevel?: DevServerLogLevel;
  /**
   * When no `temporal` CLI is installed, let the SDK download one (`@temporalio/testing`, a development dependency).
   * Default true; false fails with how to install the CLI.
   */
  sdkDownload?: boolean;
  /** How long the server may take to serve the namespace with its search attributes. Default 60 s (2 shared cores). */
  readyTimeoutMs?: number;
  /** Aborting (e.g. on SIGTERM) while the server starts stops it and rejects. */
  signal?: AbortSignal;
}

/** How the server process ended: exit code 0 is a clean shutdown. */
export interface DevServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningDevServer {
  /** host:port of the frontend gRPC service, as clients and workers connect to it. */
  address: string;
  namespace: string;
  uiUrl?: string;
  /** Absolute path of the SQLite file, when history persists. */
  dbFilename?: string;
  /** How the CLI was found, for the log: a path, or "SDK download". */
  executable: string;
  /** The server process (absent when the SDK started it). */
  pid?: number;
  /** Settles when the server process ends, whoever ended it. */
  exited: Promise<DevServerExit>;
  /** Asks the server to shut down (SIGTERM unless told otherwise) and waits for it; SIGKILL if it takes too long. */
  stop(signal?: NodeJS.Signals): Promise<DevServerExit>;
}

const DEFAULT_READY_TIMEOUT_MS = 60_000;
/** The dev server flushes SQLite and stops its services within a few seconds; beyond this it is stuck. */
const STOP_GRACE_MS = 20_000;

/** 0.0.0.0 and :: are where a server listens, not an address to connect to. */
function connectHost(ip: string): string {
  if (ip === '0.0.0.0') return '127.0.0.1';
  if (ip === '::') return '::1';
  return ip;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `--search-attribute Name=Type` for every attribute the connector's workflows set. */
function searchAttributeFlags(): string[] {
  return SEARCH_ATTRIBUTE_KEYS.flatMap((key) => ['--search-attribute', `${key.name}=${TypedSearchAttributes.toMetadataType(key.type)}`]);
}

/** Flags both ways of starting share (the SDK's options have no field for these). */
function extraFlags(options: DevServerOptions): string[] {
  return [
    // The version check calls temporal.io at every start; machines without internet would log its failure.
    '--dynamic-config-value',
    'frontend.enableServerVersionCheck=false',
    // One partition per task queue. A tenant's budget is the rate limit of its SCIM queue, and the server splits that
    // limit across the queue's partitions (4 by default) and forwards tasks between them: a paced first load of 300
    // employees ran at ×1.19 the time its operations need at the budget with 4 partitions and ×0.99 with one. A
    // single-host server gains nothing from more.
    '--dynamic-config-value',
    'matching.numTaskqueueReadPartitions=1',
    '--dynamic-config-value',
    'matching.numTaskqueueWritePartitions=1',
    ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
    ...(options.dbFilename ? (options.sqlitePragmas ?? DEFAULT_SQLITE_PRAGMAS).flatMap((pragma) => ['--sqlite-pragma', pragma]) : []),
  ];
}

/**
 * SQLite settings for a database file: the write-ahead log, synced at checkpoints rather than at every commit. With
 * the CLI's own settings every commit waits for the disk: 200 employees' worth of child workflows took 27.6 s on this
 * machine's ext4 against 9.7 s with these, about as on tmpfs (`node dist/bench/child-floor.js --employees 200 --db-dir DIR
 * [--cli-pragmas]`). The
 * file stays consistent after any crash; a power cut may roll back the last commits, and Temporal then redoes those
 * steps (every activity is idempotent). `--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=full` buys those
 * commits back at that cost (each `--sqlite-pragma` replaces these defaults, so the log must be asked for again).
 */
export const DEFAULT_SQLITE_PRAGMAS: readonly string[] = ['journal_mode=wal', 'synchronous=normal'];

/** The `temporal server start-dev` command line for these options (ports already chosen). */
export function startDevArguments(options: DevServerOptions & { ip: string; port: number; uiPort: number; namespace: string }): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    options.ip,
    '--port',
    String(options.port),
    ...(options.ui ? ['--ui-port', String(options.uiPort)] : ['--headless']),
    ...(options.dbFilename ? ['--db-filename', options.dbFilename] : []),
    ...(options.namespace === 'default' ? [] : ['--namespace', options.namespace]),
    ...searchAttributeFlags(),
    '--log-level',
    options.logLevel ?? 'error',
    ...extraFlags(options),
  ];
}


/**
 * Starts a local Temporal dev server (the `temporal` CLI this project installs) with the connector's search attributes
 * registered, and resolves once the namespace serves them. Without an installed CLI, the SDK's download is the last
 * resort (development installs only).
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<RunningDevServer> {
  const binary = options.sdkDownload === false ? requireTemporalCli() : resolveTemporalCli();
  if (!binary) return startWithSdkDownload(options);
  if (options.port !== undefined) return startDevServerOn(binary, options, options.port, options.uiPort ?? defaultUiPort(options.port));
  // The UI port is ours to choose (preferred first, else free) only when a UI is asked for and its port is not given.
  const preferredUiPort = options.ui === true && options.uiPort === undefined ? options.preferredUiPort : undefined;
  // Preferred ports go first when nothing listens on them now (a server already there, another demo's, would otherwise
  // answer for this one while it fails); one taken meanwhile is no error either: the server moves on as below.
  const prefers = options.preferredPort !== undefined || preferredUiPort !== undefined;
  // A port found free may be taken before the server binds it (another process between the probe and the bind, on a
  // busy machine): the server then exits at once, and a port chosen here is as good as the next one, so try another.
  for (let attempt = prefers ? 0 : 1; ; attempt += 1) {
    const preferred = attempt === 0;
    const port = preferred && options.preferredPort !== undefined ? await portOrFree(options.preferredPort) : await freePort();
    let uiPort = options.uiPort ?? defaultUiPort(port);
    if (preferredUiPort !== undefined) {
      uiPort = preferred ? await portOrFree(preferredUiPort) : await freePortBesides(port);
      if (uiPort === port) uiPort = await freePortBesides(port);
    }
    try {
      return await startDevServerOn(binary, options, port, uiPort);
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt >= AUTO_PORT_ATTEMPTS || options.signal?.aborted) throw error;
    }
  }
}

/** The UI's port when none is given: the gRPC port + 1000, as the temporal CLI chooses it. */
function defaultUiPort(port: number): number {
  return port + 1000;
}

/** A free port for the UI, not the one just picked for gRPC (the OS may hand the same one out twice). */
async function freePortBesides(port: number): Promise<number> {
  for (;;) {
    const other = await freePort();
    if (other !== port) return other;
  }
}

/** Tries of a dev server on a port chosen by startDevServer (besides a preferred one), when one ends before serving on a taken port. */
const AUTO_PORT_ATTEMPTS = 3;

/** The server process ended before it served because a port it was to bind was taken meanwhile. */
class PortTakenError extends Error {}

async function startDevServerOn(binary: string, options: DevServerOptions, port: number, uiPort: number): Promise<RunningDevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const dbFilename = options.dbFilename ? path.resolve(options.dbFilename) : undefined;
  // Like the worker's state folder, which holds it by default: the database holds run data, so only its owner reads it.
  if (dbFilename) mkdirSync(path.dirname(dbFilename), { recursive: true, mode: 0o700 });

  const child = spawn(binary, startDevArguments({ ...options, ip, port, uiPort, namespace, ...(dbFilename ? { dbFilename } : {}) }), {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: devServerEnvironment(process.env),
  });
  // The last few KB of the server's stderr explain a failed start (port taken, unreadable database).
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4096);
    if (options.logLevel) process.stderr.write(chunk);
  });
  child.once('error', (error) => {
    stderrTail += `\n${error.message}`;
  });
  const stopWatching = child.pid === undefined ? () => undefined : stopWhenOwnerDies(child.pid, STOP_GRACE_MS);
  // 'close' comes after 'exit' (stderr drained), and also after a failed spawn.
  const exited = new Promise<DevServerExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal }))).finally(stopWatching);
  const hasEnded = () => child.exitCode !== null || child.signalCode !== null || child.pid === undefined;

  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<DevServerExit> => {
    if (!hasEnded()) child.kill(signal);
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      return await exited;
    } finally {
      clearTimeout(killer);
    }
  };

  const address = hostPort(connectHost(ip), port);
  try {
    await waitUntilServing({ address, namespace, hasEnded, ended: exited, deadline: Date.now() + (options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS), ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    const exit = await stop();
    // Lines already forwarded to stderr are not repeated.
    const output = options.logLevel ? '' : stderrTail.trim();
    const reason = error instanceof Error ? error.message : String(error);
    const message = `temporal server start-dev (${binary}) did not start on ${address}: ${reason}; exit ${exit.code ?? exit.signal}${output ? `\n${output}` : ''}`;
    // Only a port taken meanwhile is worth another port; a bad database or flag would fail the same way three times.
    const portTaken = error instanceof Error && error.message === SERVER_ENDED && /address already in use/i.test(stderrTail);
    throw portTaken ? new PortTakenError(message) : new Error(message);
  }
  return {
    address,
    namespace,
    ...(options.ui ? { uiUrl: `http://${hostPort(connectHost(ip), uiPort)}` } : {}),
    ...(dbFilename ? { dbFilename } : {}),
    executable: binary,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    exited,
    stop,
  };
}

const SERVER_ENDED = 'the server process ended before serving';

/** Ready for the connector: the namespace answers and carries the search attributes its workflows set. */
async function waitUntilServing(wait: { address: string; namespace: string; hasEnded: () => boolean; ended: Promise<unknown>; deadline: number; signal?: AbortSignal }): Promise<void> {
  // A server that ends at once (a port taken) is noticed then, not after a connect attempt's timeout.
  const ended = wait.ended.then(() => undefined);
  let lastProblem = 'no answer yet';
  for (;;) {
    if (wait.signal?.aborted) throw new Error('start aborted');
    if (wait.hasEnded()) throw new Error(SERVER_ENDED);
    if (Date.now() > wait.deadline) throw new Error(`not serving in time (${lastProblem})`);
    let serving = false;
    try {
      const connecting = Connection.connect({ address: wait.address, connectTimeout: 2_000 });
      const connection = await Promise.race([connecting, ended]);
      if (!connection) {
        void connecting.then((late) => late.close()).catch(() => undefined);
        continue;
      }
      try {
        serving = await hasSearchAttributes(new Client({ connection, namespace: wait.namespace }), wait.namespace);
        if (!serving) lastProblem = `namespace ${wait.namespace} has no search attributes ${SEARCH_ATTRIBUTE_KEYS.map((key) => key.name).join(', ')} yet`;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    // A server that answers while this one has ended is another's, on a port this one could not bind: the check above
    // then reports the end.
    if (serving && !wait.hasEnded()) return;
    if (!serving) await sleep(250);
  }
}

/** No CLI installed anywhere: the SDK downloads one (needs internet) through `@temporalio/testing`. */
async function startWithSdkDownload(options: DevServerOptions): Promise<RunningDevServer> {
  let testing: typeof import('@temporalio/testing');
  try {
    testing = await import('@temporalio/testing');
  } catch (error) {
    if (!isModuleMissing(error)) throw error;
    throw new TemporalCliMissingError('the temporal CLI was not found, and the SDK download that could replace it (@temporalio/testing) is a development dependency this install omits');
  }
  const ip = options.ip ?? '127.0.0.1';
  const dbFilename = options.dbFilename ? path.resolve(options.dbFilename) : undefined;
  if (dbFilename) mkdirSync(path.dirname(dbFilename), { recursive: true, mode: 0o700 });
  // The SDK starts the server itself and retries nothing: a preferred port is taken only if it is free now.
  const requestedPort = options.port ?? (options.preferredPort !== undefined ? await portOrFree(options.preferredPort) : undefined);
  const requestedUiPort = options.uiPort ?? (options.ui && options.port === undefined && options.preferredUiPort !== undefined ? await portOrFree(options.preferredUiPort) : undefined);
  let env: Awaited<ReturnType<typeof testing.TestWorkflowEnvironment.createLocal>>;
  try {
    env = await testing.TestWorkflowEnvironment.createLocal({
      server: {
        ip,
        ...(requestedPort ? { port: requestedPort } : {}),
        ui: options.ui ?? false,
        ...(requestedUiPort ? { uiPort: requestedUiPort } : {}),
        ...(dbFilename ? { dbFilename } : {}),
        ...(options.namespace ? { namespace: options.namespace } : {}),
        searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
        log: { format: 'pretty', level: options.logLevel ?? 'error' },
        extraArgs: extraFlags(options),
      },
    });
  } catch (error) {
    // A machine that reaches only the package registries fails here with a bare DNS or connection error.
    if (!isDownloadFailure(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TemporalCliMissingError(`no temporal CLI is installed, and the Temporal SDK's own download of one (internet access only) failed (${reason})`, { cause: error });
  }
  const port = Number(env.address.split(':').pop());
  let resolveExited: (exit: DevServerExit) => void = () => undefined;
  const exited = new Promise<DevServerExit>((resolve) => (resolveExited = resolve));
  return {
    address: env.address,
    namespace: env.namespace ?? 'default',
    ...(options.ui ? { uiUrl: `http://${hostPort(connectHost(ip), requestedUiPort ?? defaultUiPort(port))}` } : {}),
    ...(dbFilename ? { dbFilename } : {}),
    executable: 'SDK download',
    exited,
    async stop() {
      // The SDK owns the process and reports no exit status: a teardown that completes is a clean stop.
      await env.teardown();
      resolveExited({ code: 0, signal: null });
      return exited;
    },
  };
}

/** The SDK's (sdk-core's) words when it could not download or unpack the CLI, not when the CLI it has fails to start. */
function isDownloadFailure(error: unknown): boolean {
  return error instanceof Error && /failed to download ephemeral server|invalid ephemeral server download/i.test(error.message);
}
