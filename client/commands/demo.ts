import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Command } from 'commander';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ENCRYPTION_KEY_VARIABLE, generateEncryptionKey, readEncryptionKeys, type EncryptionKeys } from '../../codec/keys';
import { startCodecServer } from '../../codec/server';
import { loadConfigFile } from '../../config/load';
import { realFileInside } from '../../config/worker-own';
import { startDevServer } from '../../devserver/dev-server';
import { DATA_DIR_VARIABLE, dataDirectories } from '../../hris/data-dir';
import { portOrFree } from '../../devserver/ports';
import { projectRoot } from '../../devserver/temporal-cli';
import { STORAGE_ENVIRONMENT_VARIABLES } from '../../storage/from-env';
import type { SyncReport } from '../../sync/report';
import { createSyncWorkers, defaultActivityDeps } from '../../worker/create-worker';
import { connectorDataConverterFromEnv, payloadStoreResolverFromEnv } from '../../worker/environment';
import { formatLogEntry, withoutActivityOnlyWorkerWarning } from '../../worker/logging';
import { formatReport, worstExitCode } from '../format-report';
import { startSync } from '../start-sync';
import { connectClient, withoutTemporalVariables } from '../temporal-client';
import { loadSandbox } from './sandbox';

/** The ports the demo prefers for its dev server and Web UI, the temporal CLI's own; others when these are taken. */
const DEMO_TEMPORAL_PORT = 7233;
const DEMO_UI_PORT = 8233;

const SAMPLE_CONFIG = path.join(projectRoot(), 'examples', 'sample-config.yaml');
const DEMO_KEY_FILE = path.join(projectRoot(), '.peakon-sync', 'demo-encryption-key');

/**
 * The demo encrypts like production: the operator's own key if one is configured, otherwise a demo key kept (0600) in
 * the git-ignored .peakon-sync/ and reused at each start. Set in process.env so every worker and client created
 * afterwards uses it.
 */
function demoEncryptionKeys(): EncryptionKeys {
  const configured = readEncryptionKeys();
  if (configured) return configured;
  if (!existsSync(DEMO_KEY_FILE)) {
    mkdirSync(path.dirname(DEMO_KEY_FILE), { recursive: true, mode: 0o700 });
    writeFileSync(DEMO_KEY_FILE, `${generateEncryptionKey()}\n`, { mode: 0o600 });
  }
  chmodSync(DEMO_KEY_FILE, 0o600);
  process.env[ENCRYPTION_KEY_VARIABLE] = readFileSync(DEMO_KEY_FILE, 'utf8').trim();
  const keys = readEncryptionKeys();
  if (!keys) throw new Error(`${DEMO_KEY_FILE} holds no key: delete it and run the demo again`);
  return keys;
}

/**
 * The shell's settings of where a worker keeps its state: its state and report folders and its payload store (with the
 * ownership ledgers and plan pages), possibly a production bucket. Not the demo's: its sandbox is new at each start, so
 * a ledger of an earlier demo (or of the README's walkthrough, also tenant `demo`, under another key) is wrong for it.
 */
const SHELL_STATE_VARIABLES: readonly string[] = ['PEAKON_SYNC_STATE_DIR', 'PEAKON_SYNC_REPORT_DIR', ...STORAGE_ENVIRONMENT_VARIABLES];

/**
 * The demo's own state folder in place of the shell's state and storage settings (SHELL_STATE_VARIABLES), in this
 * process's environment itself, not in a copy: the CSV source checks the worker's own folders (run reports, payload
 * store) against process.env (createSourceForConfig takes no environment), so a copy for the worker, client and codec
 * server would leave that check guarding the shell's folders instead of the demo's.
 */
function useStateFolderOfItsOwn(stateDirectory: string): void {
  for (const name of SHELL_STATE_VARIABLES) delete process.env[name];
  process.env.PEAKON_SYNC_STATE_DIR = stateDirectory;
}

/**
 * Workers read CSV exports only inside their data directories (PEAKON_SYNC_DATA_DIR, `:`-separated; hris/data-dir.ts).
 * The demo's config is the operator's own, named on its command line (by default the bundled sample), so its export's
 * folder is one of the demo worker's: the only one when the shell sets none (the default `.` would tie the demo to its
 * working directory), added to the shell's own otherwise when the export lies outside them (a shell set up for
 * production, `PEAKON_SYNC_DATA_DIR=/srv/hr-exports`, still runs the bundled sample). In this process's environment,
 * which the CSV source checks (see useStateFolderOfItsOwn); the shell's is untouched.
 */
function acceptExportFolder(csvPath: string): void {
  const folder = path.dirname(path.resolve(csvPath));
  const shell = process.env[DATA_DIR_VARIABLE];
  if (!shell) {
    process.env[DATA_DIR_VARIABLE] = folder;
    return;
  }
  const confined = realFileInside(csvPath, dataDirectories(process.env));
  if ('refused' in confined && confined.refused === 'outside') process.env[DATA_DIR_VARIABLE] = `${shell}${path.delimiter}${folder}`;
}

interface DemoOptions {
  config: string;
  keepRunning?: boolean;
}

/**
 * `npm start`: everything on one machine, nothing to install or configure. A local Temporal dev server with its UI,
 * the Peakon-compatible sandbox, a worker, and two syncs of the bundled sample HR file: the first creates everyone,
 * the second shows that a repeated sync creates nobody and writes nothing.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the whole connector locally: Temporal dev server + UI, Peakon sandbox, worker, and two syncs of the sample HR data')
    .option('-c, --config <file>', 'connector config to sync (its Peakon URL is replaced by the sandbox)', SAMPLE_CONFIG)
    .option('--keep-running', 'keep the servers up afterwards so the runs can be inspected in the Temporal UI (default on a terminal)')
    .option('--no-keep-running', 'exit when the syncs are done')
    .action(async (options: DemoOptions) => {
      const out = (line: string) => process.stdout.write(`${line}\n`);
      // First, so a production install says what it lacks before any server starts.
      const { startSandbox } = await loadSandbox('demo');
      // Before any server starts too: a missing or invalid config ends the demo with its error and nothing to stop.
      const base = loadConfigFile(options.config);
      // Ctrl-C ends the demo through the clean-up below, also while the servers start and mid-sync (the SDK's runtime,
      // installed next, takes these signals over from Node and stops the worker on them too).
      const stopRequested = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      // A result still awaited when the connection closes would retry on the closed channel and crash the process.
      const stopping = new AbortController();
      void stopRequested.then(() => stopping.abort());
      const notStopped = (during: string): void => {
        if (stopping.signal.aborted) throw new Error(`demo interrupted ${during}; servers stopped`);
      };
      // Warnings and errors only, one JSON object per line on stderr as the worker writes them, without the SDK's note
      // about the activity-only workers.
      Runtime.install({ logger: new DefaultLogger('WARN', withoutActivityOnlyWorkerWarning((entry) => process.stderr.write(`${formatLogEntry(entry)}\n`))) });
      // Whatever started is stopped again in reverse order, however the demo ends (done, failed, Ctrl-C).
      const cleanups: (() => Promise<void>)[] = [];
      try {
        // The demo's state folder, fresh at each start as its sandbox is: the run reports, and the payload store with the
        // ownership ledger and plan pages. Removed however the demo ends (done, failed, Ctrl-C), as the process exits.
        const stateDirectory = mkdtempSync(path.join(tmpdir(), 'peakon-sync-demo-'));
        process.once('exit', () => rmSync(stateDirectory, { recursive: true, force: true }));
        // In place of the shell's (PEAKON_SYNC_STATE_DIR, PEAKON_SYNC_PAYLOAD_STORE, …) before anything reads them, in
        // process.env (see useStateFolderOfItsOwn), in this process only. The worker, client and codec server are given
        // that same environment as `env`: one place for the demo's settings, read by everything the demo starts.
        useStateFolderOfItsOwn(stateDirectory);
        const env = process.env;
        const keys = demoEncryptionKeys();
        // The UI decodes payloads through the codec server, which answers the UI's origin only: the one the UI is at.
        const startDemoCodecServer = (port: number, uiPort: number) =>
          startCodecServer({
            port,
            keys,
            allowedOrigins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`],
            ...payloadStoreResolverFromEnv(env),
            onUnresolvedPayload: (message) => process.stderr.write(`demo codec server: a stored payload could not be fetched (the UI shows its reference instead): ${message}\n`),
          });
        let codecServer = await startDemoCodecServer(await portOrFree(DEMO_UI_PORT + 1), DEMO_UI_PORT);
        let codecServerOpen = true;
        cleanups.push(async () => {
          if (codecServerOpen) await codecServer.close();
        });
        notStopped('while the servers started');
        out('starting a local Temporal dev server…');
        // Temporal's usual ports when free, other free ones otherwise: preferred, not required, so a port another demo
        // (or a test's) binds while this one starts moves this server instead of failing it. Everything below uses the
        // ports the server reports, never these numbers.
        const server = await startDevServer({ ui: true, preferredPort: DEMO_TEMPORAL_PORT, preferredUiPort: DEMO_UI_PORT, uiCodecEndpoint: codecServer.url });
        cleanups.push(async () => void (await server.stop()));
        notStopped('while the servers started');
        const uiPort = server.uiUrl === undefined ? DEMO_UI_PORT : Number(new URL(server.uiUrl).port);
        if (uiPort !== DEMO_UI_PORT) {
          // The UI moved: the codec server answers its origin instead, on the same port (the UI was told that URL).
          codecServerOpen = false;
          await codecServer.close();
          codecServer = await startDemoCodecServer(codecServer.port, uiPort);
          codecServerOpen = true;
        }
        const sandbox = await startSandbox({ token: 'demo-token', port: await portOrFree(8088) });
        cleanups.push(() => sandbox.close());
        notStopped('while the servers started');
        const config = { ...base, peakon: { ...base.peakon, baseUrl: sandbox.baseUrl } };
        // Workers read CSV exports only inside their data directories: the config's export's folder is one of them.
        if (config.source.type === 'csv') acceptExportFolder(config.source.path);
        const connection = await NativeConnection.connect({ address: server.address });
        cleanups.push(() => connection.close());
        const taskQueue = 'peakon-sync-demo';
        // The demo's sandbox token stands in for the real secret a production worker reads from its environment.
        const workers = await createSyncWorkers({
          connection,
          namespace: server.namespace,
          taskQueue,
          dataConverter: connectorDataConverterFromEnv(env),
          deps: { ...defaultActivityDeps(path.join(stateDirectory, 'reports'), env), resolveSecret: () => sandbox.token },
        });
        const running = workers.run();
        cleanups.push(async () => {
          workers.shutdown();
          await running;
        });
        notStopped('while the workers started');
        // The shell's own TEMPORAL_* settings (a Temporal Cloud API key, profile or TLS files) are not for the local dev
        // server: with them the client would open TLS to its plain-text port.
        const connected = await connectClient({ ...withoutTemporalVariables(env), TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });
        cleanups.push(() => connected.close());
        notStopped('while the client connected');
        out(`Temporal server:  ${server.address} (namespace ${server.namespace})`);
        out(`Temporal UI:      ${server.uiUrl ?? '(no UI)'}`);
        out(`Codec server:     ${codecServer.url} (payloads are encrypted with key ${keys.current.id}; the UI decodes them through it)`);
        out(`Peakon sandbox:   ${sandbox.baseUrl} (token demo-token; all users at ${sandbox.origin}/_sandbox/users)`);
        out(`HR data:          ${config.source.type === 'csv' ? config.source.path : config.source.type}`);
        out(`Pacing:           ${config.peakon.operationsPerHour} SCIM operations/hour, as Peakon allows per tenant`);
        const reports: SyncReport[] = [];
        for (const label of ['first sync (creates everyone)', 'second sync (nothing to do)']) {
          const handle = await startSync({ client: connected.client, namespace: connected.namespace, taskQueue, config });
          out(`\n${label}: ${handle.workflowId}`);
          const interrupted = stopRequested.then((): never => {
            throw new Error(`demo interrupted during the ${label.split(' (')[0] ?? 'sync'}; servers stopped`);
          });
          const report = await Promise.race([connected.client.withAbortSignal(stopping.signal, () => handle.result()), interrupted]);
          reports.push(report);
          out(formatReport(report));
          out(`inspect it: ${server.uiUrl ?? ''}/namespaces/${server.namespace}/workflows/${encodeURIComponent(handle.workflowId)}`);
        }
        out(`\nPeakon now holds ${sandbox.users().length} users; ${sandbox.ops().length} SCIM operations were spent in total.`);
        // A sync that failed, was quarantined or found invalid records is not a demo that worked: exit as `sync --wait` would.
        process.exitCode = worstExitCode(reports);
        const keepRunning = options.keepRunning ?? process.stdout.isTTY;
        if (keepRunning) {
          out(`\nServers stay up for inspection: open ${server.uiUrl ?? 'the Temporal UI'}. Press Ctrl-C to stop.`);
          await stopRequested;
        } else {
          const why = options.keepRunning === false ? '--no-keep-running' : 'stdout is not a terminal';
          out(`\nNot kept running (${why}): the report files and the Temporal UI links above end with this process; run with --keep-running to keep them.`);
        }
      } finally {
        // Each step in turn, even when one fails: a server left running would keep the process alive.
        for (const cleanup of cleanups.reverse()) {
          await cleanup().catch((error: unknown) => process.stderr.write(`demo clean-up: ${error instanceof Error ? error.message : String(error)}\n`));
        }
      }
    });
}
