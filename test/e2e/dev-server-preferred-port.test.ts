import { Connection } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer, type RunningDevServer } from '../../devserver/dev-server';
import { freePort } from '../../devserver/ports';
import { temporalStandIn, type TemporalStandIn } from '../harness/temporal-stand-in';

/**
 * The demo prefers Temporal's own ports (7233, UI 8233) without requiring them: a second demo started seconds after the
 * first (or while tests run one) finds them taken when its server binds, and must move to free ports and say where,
 * not fail. Ports held here by the test's own listeners stand in for the other demo's; the real `temporal` runs behind
 * a stand-in that only notes each `server` command line, to show which ports were tried in which order.
 */
describe('the dev server on a preferred port', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'dev-server-preferred-'));
  const saved = process.env.TEMPORAL_CLI_PATH;
  const held: net.Server[] = [];
  const sockets = new Set<net.Socket>();

  let cli: TemporalStandIn | undefined;

  beforeAll(() => {
    cli = temporalStandIn(path.join(folder, 'temporal'));
    process.env.TEMPORAL_CLI_PATH = cli.path;
  });
  beforeEach(() => cli?.reset());
  afterEach(async () => {
    // Connections a held port accepted (a client trying it) end with it, so that closing it does not wait for them.
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await Promise.all(held.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TEMPORAL_CLI_PATH;
    else process.env.TEMPORAL_CLI_PATH = saved;
    rmSync(folder, { recursive: true, force: true });
  });

  /** A port on 127.0.0.1 this test listens on for as long as the test runs. */
  async function holdPort(): Promise<number> {
    const server = net.createServer((socket) => sockets.add(socket));
    held.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as net.AddressInfo).port;
  }

  /** The `--port` and `--ui-port` of each `temporal server start-dev` run, in order. */
  const portsStarted = (): { port: number; uiPort: number }[] => cli?.starts() ?? [];

  const portOf = (server: RunningDevServer): number => Number(server.address.split(':').pop());
  const uiPortOf = (server: RunningDevServer): number => Number(new URL(server.uiUrl ?? 'http://invalid').port);

  /** The server answers at the address it reports, and its UI at the URL it reports. */
  async function expectServing(server: RunningDevServer): Promise<void> {
    const connection = await Connection.connect({ address: server.address, connectTimeout: 5_000 });
    await connection.close();
    const page = await fetch(server.uiUrl ?? '');
    expect(page.status).toBe(200);
  }

  it('serves on the preferred ports when they are free', async () => {
    const port = await freePort();
    let uiPort = await freePort();
    while (uiPort === port) uiPort = await freePort();
    const server = await startDevServer({ sdkDownload: false, ui: true, preferredPort: port, preferredUiPort: uiPort });
    try {
      expect(server.address).toBe(`127.0.0.1:${port}`);
      expect(server.uiUrl).toBe(`http://127.0.0.1:${uiPort}`);
      expect(portsStarted()).toEqual([{ port, uiPort }]);
      await expectServing(server);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('moves to a free port, and reports it, when another process listens on the preferred one (the free preferred UI port stays)', async () => {
    const port = await holdPort();
    const uiPort = await freePort();
    const server = await startDevServer({ sdkDownload: false, ui: true, preferredPort: port, preferredUiPort: uiPort });
    try {
      expect(portOf(server)).not.toBe(port);
      expect(server.uiUrl).toBe(`http://127.0.0.1:${uiPort}`);
      // Started once, where it says it serves.
      expect(portsStarted()).toEqual([{ port: portOf(server), uiPort }]);
      await expectServing(server);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('moves the UI to a free port, and reports it, when another process listens on the preferred UI port', async () => {
    const port = await freePort();
    const uiPort = await holdPort();
    const server = await startDevServer({ sdkDownload: false, ui: true, preferredPort: port, preferredUiPort: uiPort });
    try {
      expect(server.address).toBe(`127.0.0.1:${port}`);
      expect(uiPortOf(server)).not.toBe(uiPort);
      expect(portsStarted()).toEqual([{ port, uiPort: uiPortOf(server) }]);
      await expectServing(server);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('moves to free ports when the preferred ones are taken between the check and the bind (another demo starting)', async () => {
    // The race itself: the first `server` start fails as the CLI does on a taken port.
    const failing = temporalStandIn(path.join(folder, 'temporal-taken-once'), { failTakenPort: 1 });
    const standIn = process.env.TEMPORAL_CLI_PATH;
    process.env.TEMPORAL_CLI_PATH = failing.path;
    const port = await freePort();
    let uiPort = await freePort();
    while (uiPort === port) uiPort = await freePort();
    try {
      const server = await startDevServer({ sdkDownload: false, ui: true, preferredPort: port, preferredUiPort: uiPort });
      try {
        const tried = failing.starts();
        // The preferred ports first, then free ones: where the server says it serves.
        expect(tried).toHaveLength(2);
        expect(tried[0]).toEqual({ port, uiPort });
        expect(tried[1]).toEqual({ port: portOf(server), uiPort: uiPortOf(server) });
        expect(portOf(server)).not.toBe(port);
        expect(uiPortOf(server)).not.toBe(uiPort);
        await expectServing(server);
      } finally {
        await server.stop();
      }
    } finally {
      process.env.TEMPORAL_CLI_PATH = standIn;
    }
  }, 60_000);

  it('fails, trying nothing else, on a taken port it was told to use (a preferred port beside it changes nothing)', async () => {
    const port = await holdPort();
    await expect(startDevServer({ sdkDownload: false, port, preferredPort: await freePort() })).rejects.toThrow(new RegExp(`did not start on 127\\.0\\.0\\.1:${port}: the server process ended before serving[^]*address already in use`));
    expect(portsStarted().map((start) => start.port)).toEqual([port]);
  }, 60_000);
});
