import { spawn } from 'node:child_process';
import { BUILT_CLI, runBuiltCli } from '../harness/cli';

/** The codec-server command as an operator starts it, from the built CLI (`npm run build` first). */
const TOKEN_VARIABLE = 'PEAKON_SYNC_CODEC_SERVER_TOKEN';

/** Starts `codec-server` and resolves with its first stdout line once it listens; stops it (SIGTERM) afterwards. */
function startedLine(args: string[], env: NodeJS.ProcessEnv): Promise<{ line: string; stderr: string; exitCode: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUILT_CLI, 'codec-server', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let line: string | undefined;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (line === undefined && stdout.includes('\n')) {
        line = stdout.slice(0, stdout.indexOf('\n'));
        child.kill('SIGTERM');
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => (line === undefined ? reject(new Error(`codec-server exited ${code} before listening: ${stderr}`)) : resolve({ line, stderr, exitCode: code })));
  });
}

describe('peakon-sync codec-server off loopback', () => {
  // The key comes from globalSetup; no token of the developer's own may leak into these runs.
  const withoutToken = (): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    delete env[TOKEN_VARIABLE];
    return env;
  };

  it('refuses --host 0.0.0.0 without a token, naming the variable, and exits non-zero', async () => {
    // Empty counts as unset, as the command reads it; it overrides any token of the developer's own.
    const result = await runBuiltCli(['codec-server', '--host', '0.0.0.0', '--port', '0'], { [TOKEN_VARIABLE]: '' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^refusing to serve decrypted payloads on 0\.0\.0\.0 without a token/);
    expect(result.stderr).toContain(`Set ${TOKEN_VARIABLE}`);
    expect(result.stderr).toContain('--unsafe-allow-unauthenticated-decode');
  });

  it('starts on 0.0.0.0 with the token, /encode off', async () => {
    const { line, stderr, exitCode } = await startedLine(['--host', '0.0.0.0', '--port', '0'], { ...withoutToken(), [TOKEN_VARIABLE]: 'command-test-token' });
    expect(line).toMatch(/^codec server on http:\/\/0\.0\.0\.0:\d+ \(.*bearer token required; \/encode off;/);
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
  });

  it('starts without a token only with the loudly named opt-out, and warns', async () => {
    const { line, stderr, exitCode } = await startedLine(['--host', '0.0.0.0', '--port', '0', '--unsafe-allow-unauthenticated-decode'], withoutToken());
    expect(line).toMatch(/^codec server on http:\/\/0\.0\.0\.0:\d+ \(.*no token/);
    expect(exitCode).toBe(0);
    expect(stderr).toMatch(/^WARNING: --unsafe-allow-unauthenticated-decode: no PEAKON_SYNC_CODEC_SERVER_TOKEN and listening on 0\.0\.0\.0; anyone who reaches/);
  });

  it('still starts on loopback without a token (the demo and a local UI)', async () => {
    const { line, stderr, exitCode } = await startedLine(['--port', '0'], withoutToken());
    expect(line).toMatch(/^codec server on http:\/\/127\.0\.0\.1:\d+ \(.*no token/);
    expect(stderr).toBe('');
    expect(exitCode).toBe(0);
  });
});
