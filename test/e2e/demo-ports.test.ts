import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnBuiltCli } from '../harness/cli';
import { temporalStandIn } from '../harness/temporal-stand-in';

/**
 * Two demos started seconds apart (`npm start` while the tests run one) both find 7233 and 8233 free, and the second's
 * dev server then finds them taken when it binds. That race is arranged here with a stand-in `temporal` (the real one
 * behind it) whose first `server` start fails as a taken port does: the demo must move to free ports and print those,
 * with a codec server that answers the UI where it really is.
 */
describe('peakon-sync demo, with Temporal’s ports taken while it starts', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'demo-ports-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('serves on other ports and prints those', async () => {
    const cli = temporalStandIn(path.join(folder, 'temporal'), { failTakenPort: 1 });
    const temporary = mkdtempSync(path.join(folder, 'tmp-'));
    const demo = spawnBuiltCli(['demo', '--no-keep-running'], { TMPDIR: temporary, TEMPORAL_CLI_PATH: cli.path });
    try {
      await demo.waitForStdout(/Codec server: .*\n/, 90_000);
      const stdout = demo.stdout();
      expect(`${stdout}\n--- stderr ---\n${demo.stderr()}`).toMatch(/Codec server: .*\n/);

      const tried = cli.starts();
      // Temporal's own ports first (others if a demo running beside this test holds them), found taken; then free ones,
      // which the server came up on and the demo prints.
      expect(tried).toHaveLength(2);
      const { port, uiPort } = tried[1] ?? {};
      expect(port).not.toBe(tried[0]?.port);
      expect(uiPort).not.toBe(tried[0]?.uiPort);
      expect(stdout).toContain(`Temporal server:  127.0.0.1:${port} (namespace default)\n`);
      expect(stdout).toContain(`Temporal UI:      http://127.0.0.1:${uiPort}\n`);

      // The UI is where it says, and its codec server answers that origin (the UI calls it from the browser).
      expect((await fetch(`http://127.0.0.1:${uiPort}`)).status).toBe(200);
      const codecUrl = /Codec server: +(\S+)/.exec(stdout)?.[1] ?? '';
      const preflight = await fetch(`${codecUrl}/decode`, { method: 'OPTIONS', headers: { Origin: `http://127.0.0.1:${uiPort}`, 'Access-Control-Request-Method': 'POST' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(`http://127.0.0.1:${uiPort}`);

      demo.child.kill('SIGINT');
      expect(await demo.exited).not.toBeNull();
    } finally {
      await demo.kill();
    }
  }, 120_000);
});
