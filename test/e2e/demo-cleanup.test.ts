import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CLI = path.resolve(__dirname, '../../dist/client/cli.js');

/** `npm start` pressed Ctrl-C in the middle: the demo's temporary folder (run reports) must not stay behind. */
describe('peakon-sync demo, interrupted', () => {
  it('removes its temporary folder when stopped with Ctrl-C during a sync', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    const temporary = mkdtempSync(path.join(tmpdir(), 'demo-tmp-'));
    const child = spawn(process.execPath, [CLI, 'demo', '--no-keep-running'], { env: { ...process.env, TMPDIR: temporary }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const started = Date.now();
      while (!stdout.includes('first sync (creates everyone):') && child.exitCode === null && Date.now() - started < 120_000) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stdout).toContain('first sync (creates everyone):');
      // The folder exists while the demo runs …
      expect(readdirSync(temporary).filter((name) => name.startsWith('peakon-sync-demo-'))).toHaveLength(1);
      child.kill('SIGINT');
      const code = await exited;
      expect(stderr).toContain('demo interrupted during the first sync');
      expect(code).toBe(1);
      // … and is gone once it ended.
      expect(readdirSync(temporary)).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  }, 180_000);
});
