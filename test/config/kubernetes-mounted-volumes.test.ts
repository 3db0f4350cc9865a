// Kubernetes mounts Secret and ConfigMap volumes through `..`-named folders: `peakon_token -> ..data/peakon_token`,
// `..data -> ..2025_12_02_10_00_00.123/`. The real path of every file in such a volume is `<mount>/..2025_…/<name>`,
// which lies inside the mount although its relative path starts with `..`.
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { scimClientFor, type ActivityDeps, type PeakonConnection } from '../../activities/deps';
import { ConfigError } from '../../config/load';
import { createSecretResolver, SecretPolicyError } from '../../config/secret';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { readAllRecords } from '../../hris/source';
import { startSandbox, type RunningSandbox } from '../../sandbox';

const TIMESTAMP_FOLDER = '..2025_12_02_10_00_00.123';

/** A volume laid out as the kubelet lays it out, holding `files` (name → content); returns the mount point. */
function kubernetesVolume(mount: string, files: Record<string, string>): string {
  mkdirSync(path.join(mount, TIMESTAMP_FOLDER), { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(mount, TIMESTAMP_FOLDER, name), content, { mode: 0o600 });
  // Relative links, as the kubelet makes them.
  symlinkSync(TIMESTAMP_FOLDER, path.join(mount, '..data'));
  for (const name of Object.keys(files)) symlinkSync(path.join('..data', name), path.join(mount, name));
  return mount;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error: unknown = await promise.then(() => undefined, (caught: unknown) => caught);
  if (!(error instanceof Error)) throw new Error('expected a refusal');
  return error;
}

describe('a `file:` secret in a Kubernetes Secret volume', () => {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'k8s-secret-volume-')));
  const TOKEN = 'k8s-peakon-s3cr3t';
  const secrets = kubernetesVolume(path.join(root, 'run-secrets'), { peakon_token: `${TOKEN}\n` });
  const token = path.join(secrets, 'peakon_token');
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: TOKEN });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('resolves as peakon.token and authenticates against Peakon (the sandbox)', async () => {
    // The layout really is the kubelet's: the real path goes through the `..`-named folder.
    expect(realpathSync(token)).toBe(path.join(secrets, TIMESTAMP_FOLDER, 'peakon_token'));
    const resolveSecret = createSecretResolver({ PEAKON_SYNC_SECRET_DIR: secrets, PEAKON_SYNC_SECRET_HOSTS: `file:${token}=loopback` });
    const connection: PeakonConnection = { baseUrl: sandbox.baseUrl, token: { file: token }, timeoutMs: 5000, operationsPerHour: 1_000_000 };
    const client = scimClientFor({ resolveSecret } as unknown as ActivityDeps, connection);
    await expect(client.listUsersPage(1, 1)).resolves.toMatchObject({ totalResults: 0 });
    // Through `..data` and the timestamped folder too: all three name the same file inside the secret directory.
    for (const file of [path.join(secrets, '..data', 'peakon_token'), path.join(secrets, TIMESTAMP_FOLDER, 'peakon_token')]) {
      expect(resolveSecret({ file }, { url: sandbox.baseUrl, field: 'peakon.token' })).toBe(TOKEN);
    }
  });

  it('still refuses a `..` escape out of the secret directory', () => {
    writeFileSync(path.join(root, 'outside'), 'outside-s3cr3t\n');
    const resolveSecret = createSecretResolver({ PEAKON_SYNC_SECRET_DIR: secrets, PEAKON_SYNC_SECRET_HOSTS: `file:${path.join(root, 'outside')}=loopback` });
    for (const file of [`${secrets}/../outside`, `${secrets}/..data/../../outside`]) {
      expect(() => resolveSecret({ file }, { url: sandbox.baseUrl, field: 'peakon.token' })).toThrow(SecretPolicyError);
    }
  });
});

describe('CSV exports and a Kubernetes-mounted volume', () => {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'k8s-data-volume-')));
  const state = path.join(root, 'state');
  mkdirSync(state);
  const read = (file: string, env: NodeJS.ProcessEnv) => readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file }), env));

  it('reads an export from a data directory mounted from a ConfigMap', async () => {
    const data = kubernetesVolume(path.join(root, 'hr-data'), { 'hr.csv': 'id,email\n1,a@example.com\n' });
    expect(await read(path.join(data, 'hr.csv'), { PEAKON_SYNC_DATA_DIR: data, PEAKON_SYNC_STATE_DIR: state })).toEqual([{ id: '1', email: 'a@example.com' }]);
  });

  it('refuses a secret read through `..data` as the worker\'s own folder, as it refuses the plain path', async () => {
    // The secret directory inside a data directory (a data directory of `/`, say, or `/run`).
    const SECRET = 'PEAKON-TOKEN-s3cr3t';
    const secrets = kubernetesVolume(path.join(root, 'secrets'), { peakon_token: `id,email\n${SECRET},x@example.com\n` });
    const env: NodeJS.ProcessEnv = { PEAKON_SYNC_DATA_DIR: root, PEAKON_SYNC_STATE_DIR: state, PEAKON_SYNC_SECRET_DIR: secrets };
    for (const file of [path.join(secrets, 'peakon_token'), path.join(secrets, '..data', 'peakon_token'), path.join(secrets, TIMESTAMP_FOLDER, 'peakon_token')]) {
      const error = await failure(read(file, env));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(`source.path: ${file} is inside the worker's own folder ${secrets} (PEAKON_SYNC_SECRET_DIR), never HR data`);
      expect(error.message).not.toContain(SECRET);
    }
  });
});

describe('the credential files SDKs read by default are the worker\'s own', () => {
  const home = realpathSync(mkdtempSync(path.join(tmpdir(), 'k8s-home-')));
  const state = path.join(home, 'state');
  mkdirSync(state);
  const KEY = 'wJalrXUtnFEMI-s3cr3t';
  const files = {
    awsCredentials: path.join(home, '.aws', 'credentials'),
    awsConfig: path.join(home, '.aws', 'config'),
    temporal: path.join(home, '.config', 'temporalio', 'temporal.toml'),
  };
  for (const file of Object.values(files)) {
    mkdirSync(path.dirname(file), { recursive: true });
    // A first column a mapping of `email` (or anything) would quote in its problems.
    writeFileSync(file, `key\naws_secret_access_key = ${KEY}\n`);
  }
  // The home folder is the data directory (a worker started in its home, with the default PEAKON_SYNC_DATA_DIR of `.`).
  const env: NodeJS.ProcessEnv = { HOME: home, PEAKON_SYNC_DATA_DIR: home, PEAKON_SYNC_STATE_DIR: state };
  const read = (file: string, withEnv: NodeJS.ProcessEnv = env) => readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file }), withEnv));

  it.each([
    ['~/.aws/credentials', files.awsCredentials, 'AWS_SHARED_CREDENTIALS_FILE'],
    ['~/.aws/config', files.awsConfig, 'AWS_CONFIG_FILE'],
    ['~/.config/temporalio/temporal.toml', files.temporal, 'TEMPORAL_CONFIG_FILE'],
  ])('refuses %s as a CSV export, naming the variable it is the default of, never its content', async (_label, file, variable) => {
    const error = await failure(read(file));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`source.path: ${file} is the worker's own (named by the default of ${variable}), never HR data`);
    expect(error.message).not.toContain(KEY);
    // A symlink with an innocent name: what it points at decides.
    const link = path.join(home, `export-${variable}.csv`);
    symlinkSync(file, link);
    expect((await failure(read(link))).message).toBe(`source.path: ${link} is the worker's own (named by the default of ${variable}), never HR data`);
  });

  it('with AWS_SHARED_CREDENTIALS_FILE set, the file it names is the own one, and the default one too (an old file left in place still holds keys)', async () => {
    const named = path.join(home, 'aws-credentials');
    writeFileSync(named, `key\n${KEY}\n`);
    const withVariable = { ...env, AWS_SHARED_CREDENTIALS_FILE: named };
    expect((await failure(read(named, withVariable))).message).toBe(`source.path: ${named} is the worker's own (named by AWS_SHARED_CREDENTIALS_FILE), never HR data`);
    expect((await failure(read(files.awsCredentials, withVariable))).message).toBe(`source.path: ${files.awsCredentials} is the worker's own (named by the default of AWS_SHARED_CREDENTIALS_FILE), never HR data`);
  });

  it("refuses a file inside the AWS SDK's token caches (~/.aws/sso/cache/, ~/.aws/cli/cache/), also through a symlink, as a CSV export and a `file:` secret", async () => {
    for (const [folder, label] of [
      [path.join(home, '.aws', 'sso', 'cache'), "the AWS SDK's SSO token cache"],
      [path.join(home, '.aws', 'cli', 'cache'), "the AWS CLI's credential cache"],
    ] as const) {
      mkdirSync(folder, { recursive: true });
      const token = path.join(folder, 'session-token.json');
      writeFileSync(token, `key\n${KEY}\n`);
      expect((await failure(read(token))).message).toBe(`source.path: ${token} is the worker's own (named by ${label}), never HR data`);
      const link = path.join(home, `export-${path.basename(path.dirname(folder))}.csv`);
      symlinkSync(token, link);
      expect((await failure(read(link))).message).toBe(`source.path: ${link} is the worker's own (named by ${label}), never HR data`);
      const resolveSecret = createSecretResolver({ HOME: home, PEAKON_SYNC_SECRET_DIR: home });
      expect(() => resolveSecret({ file: token }, { url: 'https://api.peakon.com/scim/v2', field: 'peakon.token' })).toThrow(`peakon.token: file ${token} is the worker's own (named by ${label}) and can never be a config secret`);
    }
    // A file beside the caches, not in them, is no own file.
    const beside = path.join(home, '.aws', 'sso', 'export.csv');
    writeFileSync(beside, 'email\nada@example.com\n');
    await expect(read(beside)).resolves.toBeDefined();
  });

  it('refuses ~/.aws/credentials as a `file:` secret too', () => {
    const resolveSecret = createSecretResolver({ HOME: home, PEAKON_SYNC_SECRET_DIR: home });
    expect(() => resolveSecret({ file: files.awsCredentials }, { url: 'https://api.peakon.com/scim/v2', field: 'peakon.token' })).toThrow(
      `peakon.token: file ${files.awsCredentials} is the worker's own (named by the default of AWS_SHARED_CREDENTIALS_FILE) and can never be a config secret`,
    );
  });
});
