import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { motoHarnessWith } from '../harness/moto-stand-in';

/**
 * The moto harness (test/harness/moto.ts) against stand-ins for moto_server, started through MOTO_SERVER_PATH: one
 * that never answers, one that answers and is then killed by a signal. Neither may leave a process or a hung close.
 */
describe('test harness: startMoto / close', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'moto-harness-'));
  const pidFile = path.join(directory, 'pid');
  const previous = process.env.MOTO_SERVER_PATH;
  let started: number | undefined;

  function fakeServer(name: string, body: string): string {
    const file = path.join(directory, name);
    writeFileSync(file, `#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  }

  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  }

  afterEach(() => {
    if (started !== undefined && alive(started)) process.kill(started, 'SIGKILL');
    started = undefined;
  });

  afterAll(() => {
    if (previous === undefined) delete process.env.MOTO_SERVER_PATH;
    else process.env.MOTO_SERVER_PATH = previous;
  });

  it('stops a moto_server that never answers before it reports the failure', async () => {
    const { startMoto } = motoHarnessWith(fakeServer('silent', 'setInterval(() => {}, 1000);'));
    await expect(startMoto(1500)).rejects.toThrow(/moto_server did not answer/);
    expect(existsSync(pidFile)).toBe(true);
    started = Number(readFileSync(pidFile, 'utf8'));
    // Waited for, not merely signalled: gone when startMoto rejects.
    expect(alive(started)).toBe(false);
  }, 45_000);

  it('close() returns at once when moto_server was killed by a signal', async () => {
    const body = "const port = Number(process.argv[process.argv.indexOf('-p') + 1]);\nrequire('node:http').createServer((_, res) => res.end('ok')).listen(port, '127.0.0.1');";
    const { startMoto } = motoHarnessWith(fakeServer('answering', body));
    const moto = await startMoto(10_000);
    started = Number(readFileSync(pidFile, 'utf8'));
    process.kill(started, 'SIGKILL');
    expect(await waitFor(() => !alive(started ?? 0), 5000)).toBe(true);
    // Let the harness see the exit ('exit' emitted, signalCode set) before close() looks.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closed = await Promise.race([moto.close().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 3000))]);
    expect(closed).toBe('closed');
  }, 20_000);
});
