/**
 * What a newcomer following README.md meets: `PEAKON_TOKEN=dev peakon-sync validate --config examples/sample-config.yaml`
 * against the local sandbox is refused because PEAKON_TOKEN is bound to *.peakon.com only. The refusal gives the exact
 * PEAKON_SYNC_SECRET_HOSTS assignment (`PEAKON_TOKEN=loopback` for a loopback host, else `PEAKON_TOKEN=<host>`), and
 * doing what it says lets the token through. `PEAKON_TOKEN=` (set, but empty) says "is empty", not "is not set".
 * Never the secret's value. Real HTTP against the sandbox.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSecretResolver, SecretError, SecretPolicyError, type SecretRef } from '../../config/secret';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { runValidate } from '../mapping/helpers';

const TOKEN = 'dev-s3cr3t-token';

/** The refusal of `resolve`, or a failed test when it resolved. */
function refusalOf(resolve: () => string): Error {
  try {
    resolve();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected a refusal');
}

/** The PEAKON_SYNC_SECRET_HOSTS value after doing what a refusal says (set it, add the entry, or change the entry). */
function followAdvice(message: string, current: string | undefined): string {
  const set = /; set PEAKON_SYNC_SECRET_HOSTS=(\S+) on the worker to allow it$/.exec(message);
  if (set?.[1]) return set[1];
  const add = /; add (\S+) to PEAKON_SYNC_SECRET_HOSTS \(entries separated by ;\) on the worker to allow it$/.exec(message);
  if (add?.[1]) return `${current ?? ''};${add[1]}`;
  const change = /; change its entry in PEAKON_SYNC_SECRET_HOSTS to ((\S+?)=\S+) on the worker to allow it$/.exec(message);
  if (change?.[1] && change[2]) {
    const key = change[2];
    return [...(current ?? '').split(';').filter((entry) => entry.slice(0, entry.lastIndexOf('=')).trim() !== key), change[1]].join(';');
  }
  throw new Error(`no advice in: ${message}`);
}

describe('a secret not bound to the host: the refusal says what to set', () => {
  const ref: SecretRef = { env: 'HR_TOKEN' };
  const refuse = (url: string, hosts?: string) => {
    const env = { HR_TOKEN: TOKEN, ...(hosts !== undefined ? { PEAKON_SYNC_SECRET_HOSTS: hosts } : {}) };
    return refusalOf(() => createSecretResolver(env)(ref, { url, field: 'source.auth.token' }));
  };

  it.each([
    ['127.0.0.1', 'http://127.0.0.1:8088/api', 'HR_TOKEN=loopback'],
    ['localhost', 'http://localhost:8088/api', 'HR_TOKEN=loopback'],
    ['::1', 'http://[::1]:8088/api', 'HR_TOKEN=loopback'],
    ['another loopback address', 'http://127.3.4.5/api', 'HR_TOKEN=loopback'],
    ['a host name', 'https://hr.example.com/api', 'HR_TOKEN=hr.example.com'],
    ['an IPv4 address', 'https://10.0.0.5:8443/api', 'HR_TOKEN=10.0.0.5'],
    ['an IPv6 address', 'https://[2001:db8::5]/api', 'HR_TOKEN=2001:db8::5'],
  ])('%s: the exact assignment, which then lets the secret through', (_label, url, entry) => {
    const error = refuse(url);
    expect(error).toBeInstanceOf(SecretPolicyError);
    expect(error.message).toMatch(new RegExp(`; set PEAKON_SYNC_SECRET_HOSTS=${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} on the worker to allow it$`));
    expect(error.message).not.toContain(TOKEN);
    const resolved = createSecretResolver({ HR_TOKEN: TOKEN, PEAKON_SYNC_SECRET_HOSTS: followAdvice(error.message, undefined) })(ref, { url, field: 'source.auth.token' });
    expect(resolved).toBe(TOKEN);
  });

  it('a secret the variable does not list while it lists others: the entry to add, without the other entries', () => {
    const hosts = 'OTHER_TOKEN=other.example.com';
    const error = refuse('https://hr.example.com/api', hosts);
    expect(error.message).toBe(
      'secret environment variable HR_TOKEN is not bound to host hr.example.com (bound: nothing); add HR_TOKEN=hr.example.com to PEAKON_SYNC_SECRET_HOSTS (entries separated by ;) on the worker to allow it',
    );
    const followed = followAdvice(error.message, hosts);
    expect(createSecretResolver({ HR_TOKEN: TOKEN, PEAKON_SYNC_SECRET_HOSTS: followed })(ref, { url: 'https://hr.example.com/api', field: 'f' })).toBe(TOKEN);
    // The other binding still holds.
    expect(createSecretResolver({ OTHER_TOKEN: TOKEN, PEAKON_SYNC_SECRET_HOSTS: followed })({ env: 'OTHER_TOKEN' }, { url: 'https://other.example.com/', field: 'f' })).toBe(TOKEN);
  });

  it('a secret the variable lists: its entry with the host added, so the hosts it had stay allowed', () => {
    const hosts = 'HR_TOKEN=hr.example.com';
    const error = refuse('http://127.0.0.1:9/api', hosts);
    expect(error.message).toBe(
      'secret environment variable HR_TOKEN is not bound to host 127.0.0.1 (bound: hr.example.com); change its entry in PEAKON_SYNC_SECRET_HOSTS to HR_TOKEN=hr.example.com,loopback on the worker to allow it',
    );
    const resolve = createSecretResolver({ HR_TOKEN: TOKEN, PEAKON_SYNC_SECRET_HOSTS: followAdvice(error.message, hosts) });
    expect(resolve(ref, { url: 'http://127.0.0.1:9/api', field: 'f' })).toBe(TOKEN);
    expect(resolve(ref, { url: 'https://hr.example.com/api', field: 'f' })).toBe(TOKEN);
  });

  it('a secret file: its file: entry', () => {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'secret-advice-')));
    mkdirSync(path.join(dir, 'secrets'));
    const file = path.join(dir, 'secrets', 'hr_token');
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
    const env = { PEAKON_SYNC_SECRET_DIR: path.join(dir, 'secrets') };
    const error = refusalOf(() => createSecretResolver(env)({ file }, { url: 'https://hr.example.com/api', field: 'f' }));
    expect(error.message).toBe(`secret file ${file} is not bound to host hr.example.com (bound: nothing); set PEAKON_SYNC_SECRET_HOSTS=file:${file}=hr.example.com on the worker to allow it`);
    expect(createSecretResolver({ ...env, PEAKON_SYNC_SECRET_HOSTS: followAdvice(error.message, undefined) })({ file }, { url: 'https://hr.example.com/api', field: 'f' })).toBe(TOKEN);
  });
});

describe('a secret set but empty is "empty", not "not set"', () => {
  const destination = { url: 'https://acme.peakon.com/scim/v2', field: 'peakon.token' };
  const resolveWith = (value: string | undefined) => () => createSecretResolver(value === undefined ? {} : { PEAKON_TOKEN: value })({ env: 'PEAKON_TOKEN' }, destination);

  it('unset: not set', () => {
    expect(refusalOf(resolveWith(undefined)).message).toBe('secret environment variable PEAKON_TOKEN is not set');
  });

  it.each([
    ['empty', '', 'secret environment variable PEAKON_TOKEN is empty'],
    ['a newline', '\n', 'secret environment variable PEAKON_TOKEN is empty'],
    ['spaces', '   ', 'secret environment variable PEAKON_TOKEN is empty (only whitespace)'],
    ['two newlines', '\n\n', 'secret environment variable PEAKON_TOKEN is empty (only whitespace)'],
    ['a tab and a CRLF', '\t\r\n', 'secret environment variable PEAKON_TOKEN is empty (only whitespace)'],
  ])('%s: empty', (_label, value, message) => {
    const error = refusalOf(resolveWith(value));
    expect(error).toBeInstanceOf(SecretError);
    expect(error).not.toBeInstanceOf(SecretPolicyError);
    expect(error.message).toBe(message);
  });

  it('a file holding only whitespace and newlines: empty', () => {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'secret-advice-empty-')));
    const file = path.join(dir, 'peakon_token');
    writeFileSync(file, ' \n\n', { mode: 0o600 });
    const resolve = createSecretResolver({ PEAKON_SYNC_SECRET_DIR: dir, PEAKON_SYNC_SECRET_HOSTS: `file:${file}=*.peakon.com` });
    expect(refusalOf(() => resolve({ file }, destination)).message).toBe(`secret file ${file} is empty (only whitespace)`);
  });
});

describe('peakon-sync validate --config examples/sample-config.yaml against the local sandbox', () => {
  let sandbox: RunningSandbox;
  const saved = { token: process.env.PEAKON_TOKEN, hosts: process.env.PEAKON_SYNC_SECRET_HOSTS };
  let configFile: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN });
    // The README's sample, with the sandbox's port (it listens on a free one here).
    const examples = path.resolve(__dirname, '../../examples');
    const dir = mkdtempSync(path.join(tmpdir(), 'secret-advice-validate-'));
    writeFileSync(path.join(dir, 'sample-hr.csv'), readFileSync(path.join(examples, 'sample-hr.csv')));
    const sample = readFileSync(path.join(examples, 'sample-config.yaml'), 'utf8');
    expect(sample).toContain('baseUrl: http://127.0.0.1:8088/scim/v2');
    configFile = path.join(dir, 'sample-config.yaml');
    writeFileSync(configFile, sample.replace('http://127.0.0.1:8088/scim/v2', sandbox.baseUrl));
  });
  afterEach(() => {
    for (const [name, value] of [['PEAKON_TOKEN', saved.token], ['PEAKON_SYNC_SECRET_HOSTS', saved.hosts]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('PEAKON_TOKEN=dev: refused with the assignment to make, which then lets validate read the tenant', async () => {
    process.env.PEAKON_TOKEN = TOKEN;
    delete process.env.PEAKON_SYNC_SECRET_HOSTS;
    const before = sandbox.ops().length;
    const refused = await runValidate(['--config', configFile]);
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toContain(
      'preflight refused: secret environment variable PEAKON_TOKEN is not bound to host 127.0.0.1 (bound: *.peakon.com); set PEAKON_SYNC_SECRET_HOSTS=PEAKON_TOKEN=loopback on the worker to allow it' +
        " (validate applies the worker's rule with this shell's environment: set it here too to check)",
    );
    expect(refused.output).not.toContain(TOKEN);
    expect(sandbox.ops().length).toBe(before);

    process.env.PEAKON_SYNC_SECRET_HOSTS = 'PEAKON_TOKEN=loopback';
    const { output } = await runValidate(['--config', configFile]);
    expect(output).not.toContain('preflight refused');
    expect(output).not.toContain('preflight: cannot check the tenant');
    expect(sandbox.ops().length).toBeGreaterThan(before);
  });

  it('PEAKON_TOKEN= (set, empty): "is empty", not "is not set"', async () => {
    process.env.PEAKON_TOKEN = '';
    process.env.PEAKON_SYNC_SECRET_HOSTS = 'PEAKON_TOKEN=loopback';
    const { output, exitCode } = await runValidate(['--config', configFile]);
    expect(exitCode).toBe(1);
    expect(output).toContain('peakon.token: secret environment variable PEAKON_TOKEN is empty. The worker reads this secret to call Peakon');
    expect(output).not.toContain('is not set');
  });
});
