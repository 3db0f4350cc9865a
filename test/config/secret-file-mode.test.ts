import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSecretResolver } from '../../config/secret';
import { createSource } from '../../hris';
import { RestSourceConfigSchema } from '../../hris/config';
import { readAllRecords } from '../../hris/source';
import { startTestServer, type TestServer } from '../hris/http-server';

const TOKEN = 'hr-s3cr3t-token';
const people = [{ id: 'E1', email: 'e1@example.com' }];

/**
 * A config secret file (`{ file: … }` in the worker's secret directory) its group or others can read: warned once per
 * process, although the worker reads it again for every request; never refused, never quoted.
 */
describe('a config secret file others can read', () => {
  let secretDirectory: string;
  let server: TestServer;
  beforeEach(async () => {
    secretDirectory = realpathSync(mkdtempSync(path.join(tmpdir(), 'secret-file-mode-')));
    server = await startTestServer(() => ({ body: people }));
  });
  afterEach(async () => {
    await server.close();
    rmSync(secretDirectory, { recursive: true, force: true });
  });

  function secretFile(name: string, mode: number): string {
    const file = path.join(secretDirectory, name);
    writeFileSync(file, `${TOKEN}\n`);
    chmodSync(file, mode);
    return file;
  }

  /** The worker's production resolver, the file bound to the test server (loopback). */
  const resolverFor = (file: string) => createSecretResolver({ PEAKON_SYNC_SECRET_DIR: secretDirectory, PEAKON_SYNC_SECRET_HOSTS: `file:${file}=loopback` });

  it('is one warning on the activity logger (the worker\'s JSON log) across two HR reads, each of which still sends the token', async () => {
    const file = secretFile('hr_token', 0o644);
    const config = RestSourceConfigSchema.parse({ type: 'rest', url: `${server.origin}/people`, auth: { type: 'bearer', token: { file } } });
    const resolveSecret = resolverFor(file);
    const entries: LogEntry[] = [];
    const environment = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('WARN', (entry) => entries.push(entry)) });
    for (let read = 0; read < 2; read += 1) {
      await expect(environment.run(() => readAllRecords(createSource(config, { resolveSecret, sleep: async () => undefined })))).resolves.toHaveLength(1);
    }
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    // Without the entry's timestamp (a bigint, which neither JSON nor a failed expectation's diff can print).
    const logged = entries.map(({ level, message, meta }) => ({ level, message, meta }));
    expect(logged.filter((entry) => entry.level === 'WARN')).toEqual([
      expect.objectContaining({
        message: `secret source.auth.token: ${file} has mode 0644, open to other users of the host (only its owner should read a secret); run \`chmod 600 ${file}\` (in Kubernetes, set the secret volume's defaultMode: 0400). Used anyway`,
        meta: expect.objectContaining({ secret: 'secret source.auth.token', file, mode: '0644' }),
      }),
    ]);
    expect(JSON.stringify(logged)).not.toContain(TOKEN);
  });

  it('is one WARNING line on stderr outside an activity (validate, the CLI), and none for a file only its owner reads', () => {
    const loose = secretFile('peakon_token', 0o644);
    const own = secretFile('own_token', 0o600);
    const stderr: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
    try {
      const destination = { url: `${server.origin}/scim/v2`, field: 'peakon.token' };
      for (let read = 0; read < 2; read += 1) {
        expect(resolverFor(loose)({ file: loose }, destination)).toBe(TOKEN);
        expect(resolverFor(own)({ file: own }, destination)).toBe(TOKEN);
      }
    } finally {
      spy.mockRestore();
    }
    expect(stderr).toEqual([expect.stringMatching(/^WARNING: secret peakon\.token: .*peakon_token has mode 0644, .*chmod 600 .*peakon_token`/)]);
    expect(stderr.join('')).not.toContain(TOKEN);
  });
});
