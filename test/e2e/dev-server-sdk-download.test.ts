import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TEMPORAL_CLI_INSTALL_HINT } from '../../devserver/temporal-cli';
import { freePort } from '../../devserver/ports';

// With no temporal CLI installed, the dev server falls back to the Temporal SDK's own download of one, which needs
// internet access: on a machine that reaches only the package registries it failed with the SDK's bare connection
// error. It now fails with TemporalCliMissingError, the SDK's reason and how to install the CLI. Real processes: a node
// process runs dist/ from a temporary project (its dist/ and node_modules/ are this project's, symlinked, so no
// .tools/temporal is found there), with no temporal on PATH, an empty TMPDIR (no CLI the SDK downloaded before) and
// HTTPS_PROXY at a closed port, so the SDK's real download fails at once, without the network.
const ROOT = path.resolve(__dirname, '../..');
const DEV_SERVER = path.join(ROOT, 'dist/devserver/dev-server.js');

describe('a dev server with no temporal CLI installed, whose SDK download fails', () => {
  let work: string;
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('fails with TemporalCliMissingError, naming the download failure and how to install the CLI', async () => {
    if (!existsSync(DEV_SERVER)) throw new Error(`${DEV_SERVER} is missing: run \`npm run build\` first (npm test does)`);
    work = mkdtempSync(path.join(tmpdir(), 'peakon-sync-sdk-download-'));
    const project = path.join(work, 'project');
    const emptyTmp = path.join(work, 'tmp');
    mkdirSync(project);
    mkdirSync(emptyTmp);
    writeFileSync(path.join(project, 'package.json'), '{ "name": "sdk-download-test", "private": true }\n');
    symlinkSync(path.join(ROOT, 'dist'), path.join(project, 'dist'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
    const proxy = `http://127.0.0.1:${await freePort()}`;
    const script =
      `require(${JSON.stringify(path.join(project, 'dist/devserver/dev-server.js'))}).startDevServer({}).then(` +
      `(server) => { console.log(JSON.stringify({ started: server.address })); return server.stop(); }, ` +
      `(error) => console.log(JSON.stringify({ name: error.name, message: error.message, cause: error.cause && error.cause.message })))`;
    // --preserve-symlinks: the modules keep their paths under the temporary project, which is where they look for the CLI.
    const child = spawn(process.execPath, ['--preserve-symlinks', '-e', script], {
      env: { PATH: '/usr/bin:/bin', HOME: work, TMPDIR: emptyTmp, HTTPS_PROXY: proxy, https_proxy: proxy },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const started = Date.now();
    const stop = setTimeout(() => child.kill('SIGKILL'), 45_000);
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
    clearTimeout(stop);
    expect(Date.now() - started).toBeLessThan(30_000);
    const outcome = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { name?: string; message?: string; cause?: string; started?: string };
    expect(stderr).toContain('[temporal-cli] no temporal CLI found');
    expect(outcome.name).toBe('TemporalCliMissingError');
    expect(outcome.cause).toContain('failed to download ephemeral server executable');
    expect(outcome.message).toBe(
      `no temporal CLI is installed, and the Temporal SDK's own download of one (internet access only) failed (${outcome.cause}): ` +
        TEMPORAL_CLI_INSTALL_HINT.replace(ROOT, project),
    );
  }, 60_000);
});
