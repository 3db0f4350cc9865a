import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { ExternalStorageRunner, isReferencePayload } from '@temporalio/common/lib/internal-non-workflow';
import { AesGcmPayloadCodec } from '../../codec/aes-gcm-codec';
import { readEncryptionKeys, type EncryptionKeys } from '../../codec/keys';
import { externalStorageFromEnv } from '../../storage/from-env';
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

/** The URL a started `codec-server` prints once it listens. */
function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const found = /codec server on (http:\/\/\S+)/.exec(stdout);
      if (found?.[1]) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`codec-server exited ${code}`)));
  });
}

describe('peakon-sync codec-server off loopback', () => {
  // The key comes from globalSetup; no token of the developer's own may leak into these runs.
  const withoutToken = (): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    delete env[TOKEN_VARIABLE];
    delete env[`${TOKEN_VARIABLE}_FILE`];
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

  it('reads the token from the file PEAKON_SYNC_CODEC_SERVER_TOKEN_FILE names, as every other secret, and refuses both set', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'codec-token-'));
    try {
      const tokenFile = path.join(folder, 'token');
      await writeFile(tokenFile, 'file-token\n', { mode: 0o600 });
      const { line, exitCode } = await startedLine(['--host', '0.0.0.0', '--port', '0'], { ...withoutToken(), [`${TOKEN_VARIABLE}_FILE`]: tokenFile });
      expect(line).toMatch(/^codec server on http:\/\/0\.0\.0\.0:\d+ \(.*bearer token required;/);
      expect(exitCode).toBe(0);
      const both = await runBuiltCli(['codec-server', '--port', '0'], { [TOKEN_VARIABLE]: 'inline-token', [`${TOKEN_VARIABLE}_FILE`]: tokenFile });
      expect(both.exitCode).toBe(1);
      expect(both.stderr).toContain(`${TOKEN_VARIABLE} and ${TOKEN_VARIABLE}_FILE are both set: set only one of them`);
      expect(both.stderr).not.toContain('inline-token');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('refuses a PEAKON_SYNC_CODEC_SERVER_TOKEN_FILE that is empty or only whitespace, naming the variable, instead of starting with no token', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'codec-token-'));
    try {
      for (const [content, suffix] of [['', ''], [' \n\n', ' (only whitespace)']] as const) {
        const tokenFile = path.join(folder, 'token');
        await writeFile(tokenFile, content, { mode: 0o600 });
        // On loopback, where no token is needed: an empty file there would otherwise mean "no token" without a word.
        const result = await runBuiltCli(['codec-server', '--port', '0'], { ...withoutToken(), [`${TOKEN_VARIABLE}_FILE`]: tokenFile });
        expect(result.exitCode).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toContain(`${TOKEN_VARIABLE}_FILE: ${tokenFile} is empty${suffix}`);
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
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

describe('peakon-sync codec-server and the payload store', () => {
  it('decodes a payload the workers put in the payload store (history holds only its reference)', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'codec-store-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PEAKON_SYNC_STATE_DIR: stateDir, PEAKON_SYNC_PAYLOAD_STORE: '', PEAKON_SYNC_CODEC_SERVER_TOKEN: '' };
    // As a worker does: encrypt, then offload what is over the threshold (16 KiB) to the state folder's payloads/.
    const large = { employees: Array.from({ length: 800, }, (_, index) => `employee-${index}@example.com`) };
    const [encrypted] = await new AesGcmPayloadCodec(readEncryptionKeys() as EncryptionKeys).encode([defaultPayloadConverter.toPayload(large)]);
    const storage = externalStorageFromEnv(env, { defaultLocalDirectory: path.join(stateDir, 'payloads') });
    const [reference] = await new ExternalStorageRunner(storage as NonNullable<typeof storage>).store([encrypted as NonNullable<typeof encrypted>]);
    expect(isReferencePayload(reference as NonNullable<typeof reference>)).toBe(true);

    const child = spawn(process.execPath, [BUILT_CLI, 'codec-server', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await listeningUrl(child);
      const asJson = (payload: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }) => ({
        metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
        data: Buffer.from(payload.data ?? []).toString('base64'),
      });
      const answer = await fetch(`${url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ payloads: [asJson(reference as NonNullable<typeof reference>)] }) });
      expect(answer.status).toBe(200);
      const { payloads } = (await answer.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      const [decoded] = payloads.map((payload) => defaultPayloadConverter.fromPayload({ metadata: Object.fromEntries(Object.entries(payload.metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])), data: Buffer.from(payload.data, 'base64') }));
      expect(decoded).toEqual(large);
    } finally {
      child.kill('SIGTERM');
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('peakon-sync codec-server and payloads of a key it lacks', () => {
  it('hands them back encrypted and warns once per key id, however often the UI asks', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PEAKON_SYNC_CODEC_SERVER_TOKEN: '' };
    const foreignKeys = readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }) as EncryptionKeys;
    const foreign = new AesGcmPayloadCodec(foreignKeys);
    const payloads = [...(await foreign.encode([defaultPayloadConverter.toPayload('one')])), ...(await foreign.encode([defaultPayloadConverter.toPayload('two')]))];
    const child = spawn(process.execPath, [BUILT_CLI, 'codec-server', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const url = await listeningUrl(child);
      const body = JSON.stringify({ payloads: payloads.map((payload) => ({ metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')])), data: Buffer.from(payload.data ?? []).toString('base64') })) });
      // Twice, as the UI asks again for each page it shows.
      for (let request = 0; request < 2; request += 1) {
        const answer = await fetch(`${url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
        expect(answer.status).toBe(200);
        const answered = (await answer.json()) as { payloads: { data: string }[] };
        expect(answered.payloads.map((payload) => payload.data)).toEqual(payloads.map((payload) => Buffer.from(payload.data ?? []).toString('base64')));
      }
      expect(stderr.split('\n').filter((line) => line.startsWith('WARNING:'))).toEqual([
        `WARNING: a payload could not be decrypted (the UI shows it encrypted): payload encrypted with key ${foreignKeys.current.id}, which is not configured; set PEAKON_SYNC_ENCRYPTION_KEY or add it to PEAKON_SYNC_ENCRYPTION_OLD_KEYS`,
      ]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});

