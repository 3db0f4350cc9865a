import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateEncryptionKey } from '../../codec/keys';
import { ledgerStoreFor } from '../../ownership/store';
import { runBuiltCli } from '../harness/cli';

const CLI = path.resolve(__dirname, '../../dist/client/cli.js');

/** Every file under `directory` (relative path → SHA-256 of its content), to see whether a run wrote anything there. */
function snapshot(directory: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(directory, file)] = entry.isFile() ? createHash('sha256').update(readFileSync(file)).digest('hex') : entry.isDirectory() ? 'directory' : 'other';
  }
  return files;
}

/** The README's first command (`npm start` runs `peakon-sync demo`) must keep working on a fresh machine. */
describe('npm start (peakon-sync demo)', () => {
  it('syncs the sample HR file twice: the first run creates everyone, the second creates nobody and writes nothing', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    // Its own temporary folder, to see what the demo leaves behind.
    const temporary = mkdtempSync(path.join(tmpdir(), 'demo-tmp-'));
    // The shell's payload store (here a folder; it may be a production bucket) is not the demo's: it writes nothing there.
    const shellStore = mkdtempSync(path.join(tmpdir(), 'demo-shell-store-'));
    // A shell set up for production (README: `export PEAKON_SYNC_DATA_DIR=/srv/hr-exports`) still runs the bundled sample.
    const shellDataDirectory = mkdtempSync(path.join(tmpdir(), 'demo-hr-exports-'));
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'demo', '--no-keep-running'], { timeout: 150_000, env: { ...process.env, TMPDIR: temporary, PEAKON_SYNC_PAYLOAD_STORE: `local:${shellStore}`, PEAKON_SYNC_DATA_DIR: shellDataDirectory } });
    expect(readdirSync(temporary)).toEqual([]);
    expect(readdirSync(shellStore)).toEqual([]);
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
    // The report path and links printed above are gone once it exits: it says so, and how to keep them.
    expect(stdout).toContain('Not kept running (--no-keep-running): the report files and the Temporal UI links above end with this process; run with --keep-running to keep them.');
  }, 180_000);

  it("keeps its state apart from the shell's: a `demo` ledger under another key in PEAKON_SYNC_STATE_DIR neither fails it nor is touched, nor is PEAKON_SYNC_REPORT_DIR", async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    // The README's walkthrough with examples/sample-config.yaml is tenant `demo` too, encrypted with the operator's key.
    const shell = mkdtempSync(path.join(tmpdir(), 'demo-shell-'));
    const stateDirectory = path.join(shell, 'state');
    await ledgerStoreFor({ kind: 'local', directory: path.join(stateDirectory, 'payloads') }, { PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() }).record('demo', { owned: ['walkthrough-user'], deleted: [] });
    const before = snapshot(stateDirectory);
    expect(Object.keys(before)).toContain(path.join('payloads', 'ledger', 'demo.ledger'));
    // Its default state folder (.peakon-sync/state under the working directory) is not the demo's either.
    const workingDirectory = path.join(shell, 'cwd');
    mkdirSync(workingDirectory);
    const { PEAKON_SYNC_PAYLOAD_STORE: _store, ...env } = process.env;
    const temporary = mkdtempSync(path.join(tmpdir(), 'demo-tmp-'));
    // Without --no-keep-running: its stdout is a pipe, not a terminal, so it exits on its own too.
    // A shell's own report folder is not the demo's either.
    const reportDirectory = path.join(shell, 'reports');
    mkdirSync(reportDirectory);
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'demo'], { timeout: 150_000, cwd: workingDirectory, env: { ...env, TMPDIR: temporary, PEAKON_SYNC_STATE_DIR: stateDirectory, PEAKON_SYNC_REPORT_DIR: reportDirectory } });
    const runs = stdout.split(/\n(?=first sync|second sync)/).slice(1);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatch(/created: +47\n/);
    expect(runs[0]).toMatch(/failed: +0\n/);
    expect(runs[1]).toMatch(/created: +0\n/);
    expect(snapshot(stateDirectory)).toEqual(before);
    expect(readdirSync(workingDirectory)).toEqual([]);
    expect(readdirSync(temporary)).toEqual([]);
    expect(readdirSync(reportDirectory)).toEqual([]);
    expect(stdout).toContain('Not kept running (stdout is not a terminal): the report files and the Temporal UI links above end with this process; run with --keep-running to keep them.');
  }, 180_000);

  it("exits as `sync --wait` would for its worst sync (here 2: an invalid HR record), reading a config's export outside the shell's data directories", async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    // The operator's own config and export, in a folder that is none of the shell's data directories.
    const examples = path.resolve(__dirname, '../../examples');
    const own = mkdtempSync(path.join(tmpdir(), 'demo-own-config-'));
    writeFileSync(path.join(own, 'sample-config.yaml'), readFileSync(path.join(examples, 'sample-config.yaml')));
    // One employee (who manages nobody) with an email Peakon cannot take: both syncs complete with that one failure.
    const csv = readFileSync(path.join(examples, 'sample-hr.csv'), 'utf8');
    expect(csv).toContain(',bjorn.eriksson@example.com,');
    writeFileSync(path.join(own, 'sample-hr.csv'), csv.replace(',bjorn.eriksson@example.com,', ',bjorn.eriksson-at-example.com,'));
    const temporary = mkdtempSync(path.join(tmpdir(), 'demo-tmp-'));
    const env = { TMPDIR: temporary, PEAKON_SYNC_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'demo-hr-exports-')) };
    const ended = await runBuiltCli(['demo', '--no-keep-running', '--config', path.join(own, 'sample-config.yaml')], env, { timeoutMs: 150_000 });
    expect(ended.stderr).not.toContain("outside the worker's data directories");
    const runs = ended.stdout.split(/\n(?=first sync|second sync)/).slice(1);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatch(/created: +46\n/);
    expect(runs[0]).toMatch(/failed: +1\n/);
    expect(runs[1]).toMatch(/failed: +1\n/);
    expect(ended.exitCode).toBe(2);
  }, 180_000);
});
