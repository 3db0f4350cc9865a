import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

// A dev server outlived a jest run that crashed (its global teardown never ran): three were found running on this
// machine. The server now stops when the process that started it dies. Real processes: a node process starts a real
// dev server from dist/ and is then SIGKILLed, so it cannot stop the server itself.
const DEV_SERVER = path.resolve('dist/devserver/dev-server.js');

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a dev server whose owner dies', () => {
  it('is stopped within seconds when the process that started it is killed', async () => {
    if (!existsSync(DEV_SERVER)) throw new Error(`${DEV_SERVER} is missing: run \`npm run build\` first (npm test does)`);
    const owner = spawn(process.execPath, ['-e', `require(${JSON.stringify(DEV_SERVER)}).startDevServer({ sdkDownload: false }).then((server) => console.log('server ' + server.pid))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const serverPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      owner.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /server (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      owner.once('exit', (code) => reject(new Error(`the owner exited with ${String(code)} before the server started`)));
    });
    expect(alive(serverPid)).toBe(true);
    owner.kill('SIGKILL');
    const deadline = Date.now() + 30_000;
    while (alive(serverPid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    const stillAlive = alive(serverPid);
    if (stillAlive) process.kill(serverPid, 'SIGKILL');
    expect(stillAlive).toBe(false);
  }, 90_000);
});
