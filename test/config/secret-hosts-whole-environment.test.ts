import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveSecretWithPolicy, secretPolicyFromEnv } from '../../config/secret';
import { readWorkerEnvironment } from '../../worker/environment';

/**
 * PEAKON_SYNC_SECRET_HOSTS is judged at worker start against the whole environment, as it is at each run: a `file:`
 * binding of a file one of the worker's own …_FILE / …_PATH variables names fails the start, not every sync.
 */
describe('PEAKON_SYNC_SECRET_HOSTS checked against the whole worker environment at start', () => {
  let secretDirectory: string;
  beforeEach(() => {
    secretDirectory = mkdtempSync(path.join(tmpdir(), 'peakon-sync-secret-dir-'));
  });
  afterEach(() => rmSync(secretDirectory, { recursive: true, force: true }));

  it.each(['PEAKON_SYNC_ENCRYPTION_KEY_FILE', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'AWS_SHARED_CREDENTIALS_FILE'])('refuses at start a file: binding of the file %s names', (variable) => {
    const ownFile = path.join(secretDirectory, 'own.key');
    writeFileSync(ownFile, 'the worker key\n', { mode: 0o600 });
    const env = { PEAKON_SYNC_SECRET_DIR: secretDirectory, [variable]: ownFile, PEAKON_SYNC_SECRET_HOSTS: `file:${ownFile}=hr.example.com` };
    // What each run would do: the policy (read from the whole environment) refuses, so every secret of every tenant fails.
    expect(() => resolveSecretWithPolicy({ file: ownFile }, { url: 'https://hr.example.com/', field: 'source.auth.token' }, secretPolicyFromEnv(env), env)).toThrow();
    expect(() => readWorkerEnvironment(env)).toThrow(new RegExp(`worker environment is invalid:\\n  PEAKON_SYNC_SECRET_HOSTS: file:${ownFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is the file of ${variable}`));
  });

  it('still starts with a file: binding of an ordinary secret next to the worker\'s own files', () => {
    const ownFile = path.join(secretDirectory, 'own.key');
    const hrToken = path.join(secretDirectory, 'hr-token');
    const env = { PEAKON_SYNC_SECRET_DIR: secretDirectory, PEAKON_SYNC_ENCRYPTION_KEY_FILE: ownFile, PEAKON_SYNC_SECRET_HOSTS: `file:${hrToken}=hr.example.com` };
    expect(readWorkerEnvironment(env)).toMatchObject({ PEAKON_SYNC_SECRET_HOSTS: `file:${hrToken}=hr.example.com` });
  });
});
