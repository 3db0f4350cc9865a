import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toActivityFailure } from '../../activities/failures';
import { scimClientFor, type ActivityDeps, type PeakonConnection } from '../../activities/deps';
import {
  createSecretResolver,
  hostMatches,
  isLoopbackHost,
  SecretError,
  SecretPolicyError,
  secretPolicyFromEnv,
  type SecretResolver,
} from '../../config/secret';
import { createSource } from '../../hris';
import { BambooHrSourceConfigSchema, RestSourceConfigSchema } from '../../hris/config';
import { readAllRecords } from '../../hris/source';
import { runValidate } from '../mapping/helpers';
import { readWorkerEnvironment } from '../../worker/environment';
import { startTestServer, type RecordedRequest, type Reply, type TestServer } from '../hris/http-server';

const people = [{ id: 'E1', email: 'e1@example.com' }, { id: 'E2', email: 'e2@example.com' }];
const noSleep = async () => undefined;

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

/** A capture server on 127.0.0.1 that records (and counts) every request it receives. */
async function capture(handle: (request: RecordedRequest) => Reply = () => ({ body: people })): Promise<TestServer> {
  const server = await startTestServer(handle);
  servers.push(server);
  return server;
}

function readRest(url: string, resolveSecret: SecretResolver, options: Record<string, unknown> = {}) {
  const config = RestSourceConfigSchema.parse({ type: 'rest', url, auth: { type: 'bearer', token: { env: 'HR_TOKEN' } }, ...options });
  return readAllRecords(createSource(config, { resolveSecret, sleep: noSleep }));
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof Error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}


/** A config file for `validate`, beside a one-row CSV, whose Peakon token is the environment variable `tokenVariable`. */
function configWithToken(baseUrl: string, tokenVariable: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secret-binding-validate-'));
  writeFileSync(path.join(dir, 'hr.csv'), 'id,email,first,last\n1,a@example.com,Ada,Lovelace\n');
  const configFile = path.join(dir, 'connector.yaml');
  writeFileSync(
    configFile,
    ['tenant: demo', `peakon: { baseUrl: "${baseUrl}", token: { env: ${tokenVariable} } }`, 'source: { type: csv, path: hr.csv }', 'mapping: { id: id, email: email, givenName: first, familyName: last }'].join('\n'),
  );
  return configFile;
}
describe('host patterns', () => {
  it('matches *.domain against subdomains only, never a look-alike', () => {
    expect(hostMatches('*.peakon.com', 'acme.peakon.com')).toBe(true);
    expect(hostMatches('*.peakon.com', 'a.b.peakon.com')).toBe(true);
    expect(hostMatches('*.peakon.com', 'ACME.Peakon.com.')).toBe(true);
    expect(hostMatches('*.peakon.com', 'peakon.com')).toBe(false);
    expect(hostMatches('*.peakon.com', 'peakon.com.evil.io')).toBe(false);
    expect(hostMatches('*.peakon.com', 'evilpeakon.com')).toBe(false);
    expect(hostMatches('hr.example.com', 'hr.example.com')).toBe(true);
    expect(hostMatches('hr.example.com', 'x.hr.example.com')).toBe(false);
  });

  it('knows loopback: 127.0.0.0/8, localhost and ::1, nothing that merely starts like it', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: true });
    for (const host of ['127.0.0.1.evil.io', 'localhost.evil.io', '10.0.0.1', '0.0.0.0']) expect({ host, loopback: isLoopbackHost(host) }).toEqual({ host, loopback: false });
    // A decimal IPv4 URL is normalized by the URL parser before it is matched.
    expect(isLoopbackHost(new URL('http://2130706433/').hostname)).toBe(true);
  });

  it('reads PEAKON_SYNC_SECRET_HOSTS, keeping the defaults of secrets it does not list', () => {
    const policy = secretPolicyFromEnv({ PEAKON_SYNC_SECRET_HOSTS: ' HR_TOKEN = hr.example.com , *.hr.example.com ; file:/run/secrets/a=b.example.com;' });
    expect(policy.bindings.get('HR_TOKEN')).toEqual(['hr.example.com', '*.hr.example.com']);
    expect(policy.bindings.get('file:/run/secrets/a')).toEqual(['b.example.com']);
    expect(policy.bindings.get('PEAKON_TOKEN')).toEqual(['*.peakon.com']);
    expect(policy.bindings.get('BAMBOOHR_API_KEY')).toEqual(['api.bamboohr.com', '*.bamboohr.com']);
    expect(policy.secretDirectory).toBe('/run/secrets');
    expect(policy.allowInsecureHttp).toBe(false);
  });

  it('refuses a malformed policy, and the worker environment check refuses it at start', () => {
    expect(() => secretPolicyFromEnv({ PEAKON_SYNC_SECRET_HOSTS: 'hr.example.com' })).toThrow(/PEAKON_SYNC_SECRET_HOSTS: "hr.example.com" is not SECRET=host,host/);
    expect(() => secretPolicyFromEnv({ PEAKON_SYNC_SECRET_HOSTS: 'HR_TOKEN=*' })).toThrow(/"\*" \(for HR_TOKEN\) is not a host name/);
    expect(() => secretPolicyFromEnv({ PEAKON_SYNC_SECRET_HOSTS: 'HR_TOKEN=https://hr.example.com' })).toThrow(/is not a host name/);
    expect(() => readWorkerEnvironment({ PEAKON_SYNC_SECRET_HOSTS: 'HR_TOKEN=a b' })).toThrow(/PEAKON_SYNC_SECRET_HOSTS/);
    expect(() => readWorkerEnvironment({ PEAKON_SYNC_ALLOW_INSECURE_HTTP: 'yes please' })).toThrow(/PEAKON_SYNC_ALLOW_INSECURE_HTTP/);
    expect(readWorkerEnvironment({})).toMatchObject({ PEAKON_SYNC_SECRET_DIR: '/run/secrets' });
  });
});

describe('REST source: a secret only goes to the hosts the worker binds it to', () => {
  it('refuses before any request when the URL host is not bound, naming secret and host, never the value', async () => {
    const api = await capture();
    const resolveSecret = createSecretResolver({ HR_TOKEN: 'hr-s3cr3t', PEAKON_SYNC_SECRET_HOSTS: 'HR_TOKEN=hr.example.com' });
    const error = await refusal(readRest(`${api.origin}/api/employees`, resolveSecret));
    expect(error.message).toBe(
      'secret environment variable HR_TOKEN is not bound to host 127.0.0.1 (bound: hr.example.com); change its entry in PEAKON_SYNC_SECRET_HOSTS to HR_TOKEN=hr.example.com,loopback on the worker to allow it',
    );
    expect(error.message).not.toContain('hr-s3cr3t');
    expect(api.requests).toHaveLength(0);
    // Non-retryable in Temporal terms: not a SourceReadError that would be retried five times.
    expect(error).toBeInstanceOf(SecretPolicyError);
    const failure = toActivityFailure(error);
    expect({ type: failure.type, nonRetryable: failure.nonRetryable }).toEqual({ type: 'ConfigInvalid', nonRetryable: true });
  });

  it('sends the secret to a bound host; a secret the worker does not list goes nowhere, not even to loopback', async () => {
    const api = await capture();
    const unlisted = await refusal(readRest(`${api.origin}/api/employees`, createSecretResolver({ HR_TOKEN: 'hr-s3cr3t' })));
    expect(unlisted.message).toBe('secret environment variable HR_TOKEN is not bound to host 127.0.0.1 (bound: nothing); set PEAKON_SYNC_SECRET_HOSTS=HR_TOKEN=loopback on the worker to allow it');
    expect(api.requests).toHaveLength(0);
    expect(await readRest(`${api.origin}/api/employees`, createSecretResolver({ HR_TOKEN: 'hr-s3cr3t', PEAKON_SYNC_SECRET_HOSTS: 'HR_TOKEN=127.0.0.1' }))).toHaveLength(2);
    expect(await readRest(`${api.origin}/api/employees`, createSecretResolver({ HR_TOKEN: 'hr-s3cr3t', PEAKON_SYNC_SECRET_HOSTS: 'HR_TOKEN=loopback' }))).toHaveLength(2);
    expect(api.requests.map((request) => request.headers.authorization)).toEqual(['Bearer hr-s3cr3t', 'Bearer hr-s3cr3t']);
  });

  it('checks every page: a Link header to another host is refused before that request', async () => {
    const other = await capture();
    const otherUrl = other.origin.replace('127.0.0.1', 'localhost');
    const api = await capture(() => ({ headers: { Link: `<${otherUrl}/api/employees?page=2>; rel="next"` }, body: people }));
    const resolveSecret = createSecretResolver({ HR_TOKEN: 'hr-s3cr3t', PEAKON_SYNC_SECRET_HOSTS: 'HR_TOKEN=127.0.0.1' });
    const error = await refusal(readRest(`${api.origin}/api/employees`, resolveSecret, { pagination: { type: 'link' } }));
    expect(error.message).toMatch(/^secret environment variable HR_TOKEN is not bound to host localhost \(bound: 127\.0\.0\.1\)/);
    expect(api.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });

  it('checks every redirect: a custom API-key header never follows a redirect to an unbound host', async () => {
    const other = await capture();
    const otherUrl = other.origin.replace('127.0.0.1', 'localhost');
    const api = await capture(() => ({ status: 302, headers: { Location: `${otherUrl}/stolen` }, body: '' }));
    const resolveSecret = createSecretResolver({ HR_KEY: 'k3y', PEAKON_SYNC_SECRET_HOSTS: 'HR_KEY=127.0.0.1' });
    const error = await refusal(readRest(`${api.origin}/api/employees`, resolveSecret, { auth: { type: 'apiKey', header: 'X-Api-Key', key: { env: 'HR_KEY' } } }));
    expect(error.message).toMatch(/^secret environment variable HR_KEY is not bound to host localhost/);
    expect(api.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });

  it('refuses plain http:// to a non-loopback host before any DNS lookup, with or without a secret', async () => {
    const previous = process.env.PEAKON_SYNC_ALLOW_INSECURE_HTTP;
    delete process.env.PEAKON_SYNC_ALLOW_INSECURE_HTTP;
    try {
      const config = RestSourceConfigSchema.parse({ type: 'rest', url: 'http://hr.invalid/api/employees' });
      const error = await refusal(readAllRecords(createSource(config, { sleep: noSleep })));
      expect(error.message).toBe('refusing plain http:// to host hr.invalid: use https, or set PEAKON_SYNC_ALLOW_INSECURE_HTTP=1 on the worker to allow unencrypted traffic');
      expect(error.name).toBe('SecretError');
    } finally {
      if (previous !== undefined) process.env.PEAKON_SYNC_ALLOW_INSECURE_HTTP = previous;
    }
  });
});

describe('BambooHR source', () => {
  it('sends BAMBOOHR_API_KEY only to BambooHR by default, so a baseUrl elsewhere is refused before any request', async () => {
    const api = await capture();
    const config = BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOOHR_API_KEY' }, baseUrl: `${api.origin}/api/gateway.php/acme` });
    const error = await refusal(readAllRecords(createSource(config, { resolveSecret: createSecretResolver({ BAMBOOHR_API_KEY: 'bamboo' }), sleep: noSleep })));
    expect(error.message).toBe(
      'secret environment variable BAMBOOHR_API_KEY is not bound to host 127.0.0.1 (bound: api.bamboohr.com, *.bamboohr.com); set PEAKON_SYNC_SECRET_HOSTS=BAMBOOHR_API_KEY=loopback on the worker to allow it',
    );
    expect(api.requests).toHaveLength(0);
  });
});

describe('Peakon token (scimClientFor, as every Peakon activity builds its client)', () => {
  const connection = (baseUrl: string): PeakonConnection => ({ baseUrl, token: { env: 'PEAKON_TOKEN' }, timeoutMs: 1000, operationsPerHour: 1_000_000 });
  const depsWith = (env: NodeJS.ProcessEnv) => ({ resolveSecret: createSecretResolver(env) }) as unknown as ActivityDeps;

  it('refuses a token the worker bound elsewhere, before any request', async () => {
    const api = await capture();
    const deps = depsWith({ PEAKON_TOKEN: 'peakon-s3cr3t', PEAKON_SYNC_SECRET_HOSTS: 'PEAKON_TOKEN=*.peakon.com' });
    expect(() => scimClientFor(deps, connection(`${api.origin}/scim/v2`))).toThrow(
      'secret environment variable PEAKON_TOKEN is not bound to host 127.0.0.1 (bound: *.peakon.com); change its entry in PEAKON_SYNC_SECRET_HOSTS to PEAKON_TOKEN=*.peakon.com,loopback on the worker to allow it',
    );
    expect(api.requests).toHaveLength(0);
  });

  it('refuses the Peakon token named as another secret (the HR token) for a Peakon URL', () => {
    const deps = depsWith({ HR_TOKEN: 'hr-s3cr3t' });
    expect(() => scimClientFor(deps, { ...connection('https://api.peakon.com/scim/v2'), token: { env: 'HR_TOKEN' } })).toThrow(
      /^secret environment variable HR_TOKEN is not bound to host api\.peakon\.com \(bound: nothing\)/,
    );
  });

  it('accepts *.peakon.com by default, refuses loopback unless bound there and a look-alike host', () => {
    const deps = depsWith({ PEAKON_TOKEN: 'peakon-s3cr3t' });
    expect(() => scimClientFor(deps, connection('https://api.peakon.com/scim/v2'))).not.toThrow();
    expect(() => scimClientFor(deps, connection('https://acme.peakon.com/api/scim/v2'))).not.toThrow();
    // Whatever listens on the worker's loopback (a sidecar, another user of the host) gets no token by default.
    for (const url of ['http://127.0.0.1:8088/scim/v2', 'http://localhost:8088/scim/v2', 'http://[::1]:8088/scim/v2']) {
      expect(() => scimClientFor(deps, connection(url))).toThrow(/^secret environment variable PEAKON_TOKEN is not bound to host (127\.0\.0\.1|localhost|::1) \(bound: \*\.peakon\.com\)/);
    }
    expect(() => scimClientFor(depsWith({ PEAKON_TOKEN: 'peakon-s3cr3t', PEAKON_SYNC_SECRET_HOSTS: 'PEAKON_TOKEN=*.peakon.com,loopback' }), connection('http://127.0.0.1:8088/scim/v2'))).not.toThrow();
    expect(() => scimClientFor(deps, connection('https://api.peakon.com.evil.io/scim/v2'))).toThrow(/not bound to host api\.peakon\.com\.evil\.io/);
    expect(() => scimClientFor(deps, connection('https://api.peakon.com@evil.io/scim/v2'))).toThrow(/not bound to host evil\.io/);
  });

  it('refuses plain http:// to a non-loopback Peakon URL unless the worker allows it', () => {
    const bound = { PEAKON_TOKEN: 'peakon-s3cr3t', PEAKON_SYNC_SECRET_HOSTS: 'PEAKON_TOKEN=peakon.invalid' };
    expect(() => scimClientFor(depsWith(bound), connection('http://peakon.invalid/scim/v2'))).toThrow(
      'refusing plain http:// to host peakon.invalid: use https, or set PEAKON_SYNC_ALLOW_INSECURE_HTTP=1 on the worker to allow unencrypted traffic',
    );
    expect(() => scimClientFor(depsWith({ ...bound, PEAKON_SYNC_ALLOW_INSECURE_HTTP: '1' }), connection('http://peakon.invalid/scim/v2'))).not.toThrow();
  });
});

describe('file secrets', () => {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'secret-binding-')));
  const secretDir = path.join(root, 'secrets');
  mkdirSync(secretDir);
  writeFileSync(path.join(secretDir, 'hr_token'), 'file-s3cr3t\n', { mode: 0o600 });
  writeFileSync(path.join(root, 'db_password'), 'outside-s3cr3t\n', { mode: 0o600 });
  symlinkSync(path.join(root, 'db_password'), path.join(secretDir, 'escape'));
  symlinkSync(path.join(secretDir, 'hr_token'), path.join(secretDir, 'alias'));
  const resolve = createSecretResolver({ PEAKON_SYNC_SECRET_DIR: secretDir, PEAKON_SYNC_SECRET_HOSTS: `file:${path.join(secretDir, 'hr_token')}=hr.example.com` });
  const to = (url: string) => ({ url, field: 'source.auth.token' });

  it('reads a file inside the secret directory for a host it is bound to (also through a symlink inside)', () => {
    expect(resolve({ file: path.join(secretDir, 'hr_token') }, to('https://hr.example.com/api'))).toBe('file-s3cr3t');
    expect(resolve({ file: path.join(secretDir, 'alias') }, to('https://hr.example.com/api'))).toBe('file-s3cr3t');
  });

  it('refuses the file for a host it is not bound to', () => {
    expect(() => resolve({ file: path.join(secretDir, 'hr_token') }, to('https://evil.example.com/'))).toThrow(
      `secret file ${path.join(secretDir, 'hr_token')} is not bound to host evil.example.com (bound: hr.example.com); change its entry in PEAKON_SYNC_SECRET_HOSTS to file:${path.join(secretDir, 'hr_token')}=hr.example.com,evil.example.com on the worker to allow it`,
    );
  });

  it.each([
    ['a file outside the directory', () => path.join(root, 'db_password')],
    ['a .. escape', () => `${secretDir}/../db_password`],
    ['a symlink inside pointing outside', () => path.join(secretDir, 'escape')],
    ['the directory itself', () => secretDir],
  ])('refuses %s', (_label, file) => {
    let caught: unknown;
    try {
      resolve({ file: file() }, to('http://127.0.0.1/'));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SecretPolicyError);
    expect(String(caught)).toContain(`is outside the worker's secret directory ${secretDir}; set PEAKON_SYNC_SECRET_DIR on the worker to change it`);
    expect(String(caught)).not.toContain('s3cr3t');
  });

  it('a missing secret is still a plain SecretError, and the default directory is /run/secrets', () => {
    expect(() => resolve({ file: path.join(secretDir, 'missing') }, to('http://127.0.0.1/'))).toThrow(SecretError);
    expect(() => createSecretResolver({})({ file: path.join(secretDir, 'hr_token') }, to('http://127.0.0.1/'))).toThrow(/outside the worker's secret directory \/run\/secrets/);
    const missingDir = path.join(root, 'absent');
    expect(() => createSecretResolver({ PEAKON_SYNC_SECRET_DIR: missingDir })({ file: path.join(missingDir, 'x') }, to('http://127.0.0.1/'))).toThrow(
      `the worker's secret directory ${missingDir} cannot be used (ENOENT); set PEAKON_SYNC_SECRET_DIR on the worker`,
    );
  });
});

describe("the worker's own secrets are never a config's", () => {
  const connection = (baseUrl: string, token: PeakonConnection['token']): PeakonConnection => ({ baseUrl, token, timeoutMs: 1000, operationsPerHour: 1_000_000 });
  const depsWith = (env: NodeJS.ProcessEnv) => ({ resolveSecret: createSecretResolver(env) }) as unknown as ActivityDeps;

  it.each(['PEAKON_SYNC_ENCRYPTION_KEY', 'PEAKON_SYNC_CODEC_SERVER_TOKEN', 'TEMPORAL_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'aws_secret_access_key'])(
    'peakon.token { env: %s } to a listener on loopback: refused before any request, naming field and variable, never the value',
    async (variable) => {
      const api = await capture();
      // PEAKON_TOKEN's default binding includes loopback, and the binding of the named variable does not matter.
      const deps = depsWith({ [variable]: 'own-s3cr3t', PEAKON_SYNC_SECRET_HOSTS: 'PEAKON_TOKEN=loopback' });
      let caught: unknown;
      try {
        scimClientFor(deps, connection(`${api.origin}/scim/v2`, { env: variable }));
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SecretPolicyError);
      expect(String(caught)).toContain(`peakon.token: environment variable ${variable} is one of the worker's own (PEAKON_SYNC_*, TEMPORAL_*, AWS_*) and can never be a config secret`);
      expect(String(caught)).not.toContain('own-s3cr3t');
      expect(toActivityFailure(caught)).toMatchObject({ type: 'ConfigInvalid', nonRetryable: true });
      expect(api.requests).toHaveLength(0);
    },
  );

  it('a REST source naming TEMPORAL_API_KEY is refused naming source.auth.token', async () => {
    const api = await capture();
    // Built past the schema, which refuses the name already (last test): the worker's check must hold on its own.
    const rest = RestSourceConfigSchema.parse({ type: 'rest', url: `${api.origin}/api/employees` });
    const error = await refusal(
      readAllRecords(createSource({ ...rest, auth: { type: 'bearer', token: { env: 'TEMPORAL_API_KEY' } } }, { resolveSecret: createSecretResolver({ TEMPORAL_API_KEY: 'own-s3cr3t' }), sleep: noSleep })),
    );
    expect(error.message).toMatch(/^source\.auth\.token: environment variable TEMPORAL_API_KEY is one of the worker's own/);
    expect(api.requests).toHaveLength(0);
  });

  it("refuses the files the worker's *_FILE / *_PATH variables name, inside the secret directory and through a symlink", () => {
    const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'secret-own-')));
    const secretDir = path.join(root, 'secrets');
    mkdirSync(secretDir);
    writeFileSync(path.join(secretDir, 'peakon_sync_encryption_key'), 'key-s3cr3t\n');
    writeFileSync(path.join(secretDir, 'temporal_client.key'), 'tls-s3cr3t\n');
    symlinkSync(path.join(secretDir, 'peakon_sync_encryption_key'), path.join(secretDir, 'innocent'));
    const env = {
      PEAKON_SYNC_SECRET_DIR: secretDir,
      PEAKON_SYNC_ENCRYPTION_KEY_FILE: path.join(secretDir, 'peakon_sync_encryption_key'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(secretDir, 'temporal_client.key'),
      PEAKON_SYNC_SECRET_HOSTS: `file:${path.join(secretDir, 'innocent')}=loopback`,
    };
    const resolve = createSecretResolver(env);
    const to = { url: 'http://127.0.0.1:1/scim/v2', field: 'peakon.token' };
    for (const [file, variable] of [
      [path.join(secretDir, 'peakon_sync_encryption_key'), 'PEAKON_SYNC_ENCRYPTION_KEY_FILE'],
      [path.join(secretDir, 'temporal_client.key'), 'TEMPORAL_TLS_CLIENT_KEY_PATH'],
      [path.join(secretDir, 'innocent'), 'PEAKON_SYNC_ENCRYPTION_KEY_FILE'],
    ] as const) {
      let caught: unknown;
      try {
        resolve({ file }, to);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SecretPolicyError);
      expect(String(caught)).toContain(`peakon.token: file ${file} is the worker's own (named by ${variable}) and can never be a config secret`);
      expect(String(caught)).not.toContain('s3cr3t');
    }
  });

  it('the worker refuses to list its own variables or files in PEAKON_SYNC_SECRET_HOSTS', () => {
    expect(() => secretPolicyFromEnv({ PEAKON_SYNC_SECRET_HOSTS: 'TEMPORAL_API_KEY=evil.example.com' })).toThrow(
      "PEAKON_SYNC_SECRET_HOSTS: TEMPORAL_API_KEY is one of the worker's own secrets (PEAKON_SYNC_*, TEMPORAL_*, AWS_* and the files they name), which are never config secrets",
    );
    expect(() => readWorkerEnvironment({ PEAKON_SYNC_SECRET_HOSTS: 'PEAKON_SYNC_ENCRYPTION_KEY=loopback' })).toThrow(/PEAKON_SYNC_SECRET_HOSTS/);
    expect(() => secretPolicyFromEnv({ AWS_SHARED_CREDENTIALS_FILE: '/run/secrets/aws', PEAKON_SYNC_SECRET_HOSTS: 'file:/run/secrets/aws=loopback' })).toThrow(
      'PEAKON_SYNC_SECRET_HOSTS: file:/run/secrets/aws is the file of AWS_SHARED_CREDENTIALS_FILE, one of the worker',
    );
  });

  it('a config naming one fails validation already, naming the field', async () => {
    const configFile = configWithToken('https://api.peakon.com/scim/v2', 'PEAKON_SYNC_ENCRYPTION_KEY');
    await expect(runValidate(['--config', configFile])).rejects.toThrow(
      "peakon.token.env: PEAKON_SYNC_ENCRYPTION_KEY is one of the worker's own variables (PEAKON_SYNC_*, TEMPORAL_*, AWS_*) and can never be a config secret",
    );
  });
});

describe('peakon-sync validate', () => {
  it('reports a Peakon token not bound to the base URL as a preflight problem, without contacting it', async () => {
    const configFile = configWithToken('https://peakon.invalid/scim/v2', 'SECRET_BINDING_TEST_TOKEN');
    const { output, exitCode } = await runValidate(['--config', configFile, '--json']);
    expect(exitCode).toBe(1);
    expect(JSON.parse(output)).toMatchObject({
      preflight: {
        checked: false,
        problems: [
          'preflight refused: secret environment variable SECRET_BINDING_TEST_TOKEN is not bound to host peakon.invalid (bound: nothing); set PEAKON_SYNC_SECRET_HOSTS=SECRET_BINDING_TEST_TOKEN=peakon.invalid on the worker to allow it' +
            " (validate applies the worker's rule with this shell's environment: set it here too to check)",
        ],
      },
    });
  });
});
