import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const CLI = path.resolve(__dirname, '../../dist/client/cli.js');

/** The README's first command (`npm start` runs `peakon-sync demo`) must keep working on a fresh machine. */
describe('npm start (peakon-sync demo)', () => {
  it('syncs the sample HR file twice: the first run creates everyone, the second creates nobody and writes nothing', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    // Its own temporary folder, to see what the demo leaves behind.
    const temporary = mkdtempSync(path.join(tmpdir(), 'demo-tmp-'));
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'demo', '--no-keep-running'], { timeout: 150_000, env: { ...process.env, TMPDIR: temporary } });
    expect(readdirSync(temporary)).toEqual([]);
    // The SDK's note that the SCIM and plan workers poll no workflows (they are activity-only by design) is not shown.
    expect(stdout + stderr).not.toContain('No workflows registered');
    const runs = stdout.split(/\n(?=first sync|second sync)/).slice(1);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatch(/created: +47\n/);
    expect(runs[0]).toMatch(/failed: +0\n/);
    expect(runs[1]).toMatch(/created: +0\n/);
    expect(runs[1]).toMatch(/updated: +0\n/);
    expect(runs[1]).toMatch(/SCIM operations: 2\n/);
    expect(stdout).toMatch(/Temporal UI: +http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/inspect it: http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/peakon-sync%2Fdemo%2F/);
    expect(stdout).toMatch(/Peakon now holds 47 users/);
  }, 180_000);
});
