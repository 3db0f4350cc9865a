import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer } from '../../devserver/dev-server';
import { temporalStandIn, type TemporalStandIn } from '../harness/temporal-stand-in';

/**
 * A port found free can be taken before the dev server binds it (on a busy machine, by another test's server): the
 * server exits at once. Mocked here, because that race cannot be arranged on purpose: a stand-in `temporal` (the real
 * one behind it) fails its first `server` starts as a taken port would, then runs the real server.
 */
describe('the dev server on a port it chose', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'dev-server-port-'));
  const saved = process.env.TEMPORAL_CLI_PATH;
  afterAll(() => {
    if (saved === undefined) delete process.env.TEMPORAL_CLI_PATH;
    else process.env.TEMPORAL_CLI_PATH = saved;
    rmSync(folder, { recursive: true, force: true });
  });

  /** The real CLI behind a stand-in whose first `failures` server starts fail as a taken port does. */
  const standIn = (failures: number): TemporalStandIn => temporalStandIn(path.join(folder, `temporal-failing-${failures}`), { failTakenPort: failures });

  it('tries another port when the server ends before serving, and serves on the third', async () => {
    const cli = standIn(2);
    process.env.TEMPORAL_CLI_PATH = cli.path;
    const server = await startDevServer({ sdkDownload: false });
    try {
      const ports = cli.starts().map((start) => start.port);
      expect(ports).toHaveLength(3);
      expect(new Set(ports).size).toBe(3);
      expect(server.address).toBe(`127.0.0.1:${ports[2]}`);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('does not try another port when the server ended for another reason', async () => {
    const cli = temporalStandIn(path.join(folder, 'temporal-bad-flag'), { failEvery: { stderr: 'unknown flag: --bogus', exitCode: 2 } });
    process.env.TEMPORAL_CLI_PATH = cli.path;
    await expect(startDevServer({ sdkDownload: false })).rejects.toThrow(/ended before serving; exit 2\nunknown flag: --bogus/);
    expect(cli.starts()).toHaveLength(1);
  }, 60_000);

  it('gives up after three, and never retries a port it was given', async () => {
    const cli = standIn(5);
    process.env.TEMPORAL_CLI_PATH = cli.path;
    await expect(startDevServer({ sdkDownload: false })).rejects.toThrow(/ended before serving; exit 1\nError: can't set frontend port: listen tcp: bind: address already in use/);
    expect(cli.starts()).toHaveLength(3);
    cli.reset();
    await expect(startDevServer({ sdkDownload: false, port: 7233 })).rejects.toThrow(/did not start on 127\.0\.0\.1:7233: the server process ended before serving/);
    expect(cli.starts().map((start) => start.port)).toEqual([7233]);
  }, 120_000);
});
