import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { motoHarnessWith } from '../harness/moto-stand-in';
import { freePort } from '../../devserver/ports';

/**
 * The moto harness (test/harness/moto.ts) against stand-ins for moto_server that exit before they answer: it fails at
 * once with their stderr, and tries another port (up to three) when the one it picked was taken.
 */
describe('test harness: startMoto when moto_server exits', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'moto-harness-exit-'));
  const spawnLog = path.join(directory, 'spawns');
  const previous = process.env.MOTO_SERVER_PATH;

  /** A stand-in that logs its port on every start, then runs `body` (`port` and `start`, 1 for the first, are set). */
  function fakeServer(name: string, body: string): string {
    const file = path.join(directory, name);
    writeFileSync(
      file,
      `#!${process.execPath}\nconst fs = require('node:fs');\nconst port = Number(process.argv[process.argv.indexOf('-p') + 1]);\n` +
        `fs.appendFileSync(${JSON.stringify(spawnLog)}, port + '\\n');\nconst start = fs.readFileSync(${JSON.stringify(spawnLog)}, 'utf8').trim().split('\\n').length;\n${body}\n`,
    );
    chmodSync(file, 0o755);
    return file;
  }
  const portTaken = "process.stderr.write(`Address already in use\\nPort ${port} is in use by another program. Either identify and stop that program, or start the server with a different port.\\n`); process.exit(1);";
  const serve = "require('node:http').createServer((_, res) => res.end('ok')).listen(port, '127.0.0.1');";

  const spawnedPorts = () => (existsSync(spawnLog) ? readFileSync(spawnLog, 'utf8').trim().split('\n').map(Number) : []);

  beforeEach(() => writeFileSync(spawnLog, ''));
  afterAll(() => {
    if (previous === undefined) delete process.env.MOTO_SERVER_PATH;
    else process.env.MOTO_SERVER_PATH = previous;
  });

  it('fails at once with its stderr when moto_server exits before it answered (no retry for other failures)', async () => {
    const { startMoto } = motoHarnessWith(fakeServer('crashing', "process.stderr.write('ImportError: no module named werkzeug\\n'); process.exit(3);"));
    const started = Date.now();
    await expect(startMoto(15_000)).rejects.toThrow(/moto_server exited \(code 3\) before it answered at http:\/\/127\.0\.0\.1:\d+:\nImportError: no module named werkzeug/);
    // Well before the 15 s readiness timeout it would otherwise wait out (room for a loaded 2-core machine).
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(spawnedPorts()).toHaveLength(1);
  }, 30_000);

  it('tries another port when moto_server finds the one it was given taken, and runs on the third', async () => {
    const { startMoto } = motoHarnessWith(fakeServer('taken-twice', `if (start <= 2) { ${portTaken} } else { ${serve} }`));
    const moto = await startMoto(15_000);
    try {
      const ports = spawnedPorts();
      expect(ports).toHaveLength(3);
      expect(new Set(ports).size).toBe(3);
      expect(moto.endpoint).toBe(`http://127.0.0.1:${ports[2]}`);
      expect(await (await fetch(moto.endpoint)).text()).toBe('ok');
    } finally {
      await moto.close();
    }
  }, 30_000);

  it('gives up after three taken ports, and does not retry a port it was told to use', async () => {
    const { startMoto } = motoHarnessWith(fakeServer('always-taken', portTaken));
    await expect(startMoto(15_000)).rejects.toThrow(/moto_server exited \(code 1\)[^]*is in use by another program/);
    expect(spawnedPorts()).toHaveLength(3);
    writeFileSync(spawnLog, '');
    const port = await freePort();
    await expect(startMoto(15_000, port)).rejects.toThrow(/Address already in use/);
    expect(spawnedPorts()).toEqual([port]);
  }, 60_000);
});
