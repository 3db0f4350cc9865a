import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const CLI = path.resolve(__dirname, '../../dist/client/cli.js');

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `peakon-sync demo` and waits for it to exit on its own, or SIGKILLs it after `timeoutMs` (then code is null). */
function runDemo(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, until?: (stdout: string) => boolean): Promise<Ended> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'demo', '--no-keep-running', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Far enough: stop it the way Ctrl-C does, once (a second Ctrl-C ends it without clean-up).
      if (!interrupted && until?.(stdout)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('peakon-sync demo, before the syncs', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('exits non-zero at once, naming the file, when --config names a missing file (nothing left running)', async () => {
    const missing = path.join(mkdtempSync(path.join(tmpdir(), 'demo-config-')), 'missing.yaml');
    const ended = await runDemo(['--config', missing], process.env, 20_000);
    expect(ended.signal).toBeNull();
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain(missing);
    // Refused before any server started.
    expect(ended.stdout).not.toContain('starting a local Temporal dev server');
  }, 30_000);

  it('exits non-zero at once, naming the file, when --config is invalid', async () => {
    const invalid = path.join(mkdtempSync(path.join(tmpdir(), 'demo-config-')), 'invalid.yaml');
    writeFileSync(invalid, 'source: [not, a, source]\n');
    const ended = await runDemo(['--config', invalid], process.env, 20_000);
    expect(ended.signal).toBeNull();
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain(invalid);
    // Refused before any server started.
    expect(ended.stdout).not.toContain('starting a local Temporal dev server');
  }, 30_000);

  it("connects to its own dev server in plain text although the shell holds Temporal Cloud settings", async () => {
    const temporary = mkdtempSync(path.join(tmpdir(), 'demo-tmp-'));
    const env = { ...process.env, TMPDIR: temporary, TEMPORAL_API_KEY: 'cloud-api-key-of-the-developer', TEMPORAL_TLS: 'true' };
    // Past the client's connect the demo prints where the Temporal UI is; then it is stopped like Ctrl-C.
    const ended = await runDemo([], env, 90_000, (stdout) => stdout.includes('Temporal UI:'));
    expect(ended.stderr).not.toContain('cannot reach Temporal');
    expect(ended.stdout).toMatch(/Temporal UI: +http:\/\/127\.0\.0\.1:\d+/);
    // Stopped through its clean-up, not killed by the timeout.
    expect(ended.signal).toBeNull();
  }, 120_000);

  it('stops what it started and exits when stopped with Ctrl-C while its servers start', async () => {
    const temporary = mkdtempSync(path.join(tmpdir(), 'demo-tmp-'));
    const ended = await runDemo([], { ...process.env, TMPDIR: temporary }, 30_000, (stdout) => stdout.includes('starting a local Temporal dev server'));
    expect(ended.signal).toBeNull();
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain('demo interrupted');
    expect(ended.stdout).not.toContain('first sync');
  }, 60_000);
});
