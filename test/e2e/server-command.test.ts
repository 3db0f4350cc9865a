import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultDatabaseFile } from '../../client/commands/server';
import { freePort } from '../../devserver/ports';
import { SEARCH_ATTRIBUTE_KEYS, TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';

const CLI = path.resolve(__dirname, '../../dist/client/cli.js');
const READY_LINE = 'Ctrl-C or SIGTERM stops it.';

interface ServerCommandProcess {
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  isRunning(): boolean;
}

/** `peakon-sync server …` as an operator runs it: the built CLI in its own process. */
function runServerCommand(args: string[], env: NodeJS.ProcessEnv = {}): ServerCommandProcess {
  const child = spawn(process.execPath, [CLI, 'server', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: (signal) => child.kill(signal),
    isRunning: () => child.exitCode === null && child.signalCode === null,
  };
}

async function untilReady(server: ServerCommandProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!server.stdout().includes(READY_LINE)) {
    if (!server.isRunning()) throw new Error(`peakon-sync server exited before it was ready:\n${server.stdout()}\n${server.stderr()}`);
    if (Date.now() > deadline) throw new Error(`peakon-sync server not ready after ${timeoutMs} ms:\n${server.stdout()}\n${server.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function twoFreePorts(): Promise<[number, number]> {
  const first = await freePort();
  let second = await freePort();
  while (second === first) second = await freePort();
  return [first, second];
}

async function withClient<T>(address: string, body: (client: Client, connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 10_000 });
  try {
    return await body(new Client({ connection, namespace: 'default' }), connection);
  } finally {
    await connection.close();
  }
}

describe('peakon-sync server (Temporal for a single machine)', () => {
  let folder: string;
  const started: ServerCommandProcess[] = [];
  const start = (args: string[], env?: NodeJS.ProcessEnv) => {
    const server = runServerCommand(args, env);
    started.push(server);
    return server;
  };

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    folder = mkdtempSync(path.join(tmpdir(), 'peakon-sync-server-'));
  });

  afterAll(async () => {
    // SIGTERM, never SIGKILL: the command must get the chance to stop its temporal child.
    for (const server of started.filter((candidate) => candidate.isRunning())) {
      server.kill('SIGTERM');
      await server.exited;
    }
    rmSync(folder, { recursive: true, force: true });
  });

  it('keeps its database in the connector state folder unless told otherwise', () => {
    expect(defaultDatabaseFile({ PEAKON_SYNC_STATE_DIR: '/var/lib/peakon-sync/state' })).toBe('/var/lib/peakon-sync/state/temporal.db');
    expect(defaultDatabaseFile({})).toBe(path.resolve('.peakon-sync', 'state', 'temporal.db'));
  });

  it('serves gRPC, the UI and the search attributes from a database file, stops cleanly on SIGTERM, and keeps runs across a restart', async () => {
    const [port, uiPort] = await twoFreePorts();
    const dbFilename = path.join(folder, 'state', 'temporal.db');
    const address = `127.0.0.1:${port}`;
    const args = ['--port', String(port), '--ui-port', String(uiPort), '--db-filename', dbFilename];
    const workflowId = `server-command-test/${randomUUID()}`;
    const tenant = `server-command-${randomUUID().slice(0, 8)}`;

    const first = start(args);
    await untilReady(first);
    expect(first.stdout()).toContain(`gRPC:      ${address}`);
    expect(first.stdout()).toContain(`Web UI:    http://127.0.0.1:${uiPort}`);
    expect(first.stdout()).toContain(`database:  ${dbFilename}`);
    expect(first.stdout()).toContain('SQLite journal_mode=wal, synchronous=normal');
    expect(existsSync(dbFilename)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
    await withClient(address, async (client, connection) => {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const key of SEARCH_ATTRIBUTE_KEYS) expect({ name: key.name, type: customAttributes?.[key.name] }).toEqual({ name: key.name, type: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD });
      // No worker polls this queue: the run stays open, which is exactly what must survive the restart.
      await client.workflow.start('serverCommandPersistenceProbe', {
        taskQueue: 'server-command-test-no-worker',
        workflowId,
        typedSearchAttributes: [{ key: TENANT_SEARCH_ATTRIBUTE, value: tenant }],
      });
    });
    // The write-ahead log is in use (the CLI's own journal mode keeps no -wal file): commits do not wait for the disk.
    expect(existsSync(`${dbFilename}-wal`)).toBe(true);
    first.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.stdout()).toContain('Temporal server stopped.');

    const second = start(args);
    await untilReady(second);
    await withClient(address, async (client) => {
      const description = await client.workflow.getHandle(workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.typedSearchAttributes.get(TENANT_SEARCH_ATTRIBUTE)).toBe(tenant);
      // Visibility is stored in the same file: the list filtered by the connector's attribute finds the run too.
      const listed: string[] = [];
      for await (const execution of client.workflow.list({ query: `${TENANT_SEARCH_ATTRIBUTE.name} = "${tenant}"` })) listed.push(execution.workflowId);
      expect(listed).toEqual([workflowId]);
    });
    second.kill('SIGINT');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 300_000);

  it('says how to install the temporal CLI when it cannot find one', async () => {
    const server = start(['--port', String(await freePort())], { TEMPORAL_CLI_PATH: path.join(folder, 'no-such-temporal') });
    const exit = await server.exited;
    expect(exit.code).toBe(1);
    expect(server.stderr()).toContain('is not a runnable temporal CLI');
    expect(server.stderr()).toContain('node scripts/install-temporal-cli.js');
  }, 60_000);
});
