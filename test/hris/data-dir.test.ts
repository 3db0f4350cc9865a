import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toActivityFailure } from '../../activities/failures';
import { ConfigError } from '../../config/load';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { readAllRecords, SourceReadError } from '../../hris/source';
import { runValidate } from '../mapping/helpers';

/**
 * A config (from whoever starts a sync) names the CSV the worker reads, and mapping problems quote its values into the
 * report: a CSV path outside the worker's data directories, or onto the worker's own files, would read them back out.
 */
describe('CSV exports only from the worker\'s data directories', () => {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'peakon-data-dir-')));
  const data = path.join(root, 'data');
  const elsewhere = path.join(root, 'elsewhere');
  const state = path.join(data, 'state');
  for (const directory of [data, elsewhere, path.join(state, 'reports'), path.join(data, 'payloads')]) mkdirSync(directory, { recursive: true });
  const PRIVATE = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
  const privateKey = path.join(elsewhere, 'tls.key');
  writeFileSync(privateKey, `id,email,first,last\n-----BEGIN PRIVATE KEY-----,${PRIVATE},x,y\n`);
  const hr = path.join(data, 'hr.csv');
  writeFileSync(hr, 'id,email,first,last\n1,a@example.com,Ada,Lovelace\n');
  symlinkSync(privateKey, path.join(data, 'innocent.csv'));
  const keyFile = path.join(data, 'peakon-sync.key');
  writeFileSync(keyFile, `id\n${PRIVATE}\n`);
  const report = path.join(state, 'reports', 'other-tenant.json');
  writeFileSync(report, `{"employeeKey":"bob@other.example"}\n{"employeeKey":"eve@other.example"}\n`);
  const stored = path.join(data, 'payloads', 'ledger.csv');
  writeFileSync(stored, 'a\nb\n');
  const env: NodeJS.ProcessEnv = {
    PEAKON_SYNC_DATA_DIR: data,
    PEAKON_SYNC_STATE_DIR: state,
    PEAKON_SYNC_ENCRYPTION_KEY_FILE: keyFile,
    PEAKON_SYNC_PAYLOAD_STORE: `local:${path.join(data, 'payloads')}`,
  };
  const read = (file: string, withEnv: NodeJS.ProcessEnv = env) => readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file }), withEnv));

  async function refusal(file: string, withEnv: NodeJS.ProcessEnv = env): Promise<Error> {
    const error: unknown = await read(file, withEnv).then(() => undefined, (caught: unknown) => caught);
    if (!(error instanceof Error)) throw new Error(`expected ${file} to be refused`);
    expect(error.message).not.toContain(PRIVATE);
    return error;
  }

  it('reads an export inside a data directory', async () => {
    expect(await read(hr)).toEqual([{ id: '1', email: 'a@example.com', first: 'Ada', last: 'Lovelace' }]);
    // Several directories, `:`-separated.
    expect(await read(hr, { ...env, PEAKON_SYNC_DATA_DIR: [elsewhere, data].join(path.delimiter) })).toHaveLength(1);
  });

  it.each([
    ['a file outside', () => privateKey],
    ['a .. escape', () => `${data}/../elsewhere/tls.key`],
    ['a symlink inside pointing outside', () => path.join(data, 'innocent.csv')],
  ])('refuses %s before reading it: a non-retried ConfigInvalid naming source.path and PEAKON_SYNC_DATA_DIR', async (_label, file) => {
    const error = await refusal(file());
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(`source.path: ${file()} is outside the worker's data directories (${data}); put the HR export there or set PEAKON_SYNC_DATA_DIR on the worker`);
    expect(toActivityFailure(error)).toMatchObject({ type: 'ConfigInvalid', nonRetryable: true });
  });

  it("refuses the worker's own files and folders inside a data directory: key file, reports, payload store", async () => {
    expect((await refusal(keyFile)).message).toBe(`source.path: ${keyFile} is the worker's own (named by PEAKON_SYNC_ENCRYPTION_KEY_FILE), never HR data`);
    const reportRefusal = await refusal(report);
    expect(reportRefusal.message).toBe(`source.path: ${report} is inside the worker's own folder ${path.join(state, 'reports')} (PEAKON_SYNC_STATE_DIR), never HR data`);
    expect(reportRefusal.message).not.toContain('other.example');
    expect((await refusal(stored)).message).toBe(`source.path: ${stored} is inside the worker's own folder ${path.join(data, 'payloads')} (PEAKON_SYNC_PAYLOAD_STORE), never HR data`);
  });

  it("refuses a symlink in a data directory onto the worker's own files: what it points at decides, not its name", async () => {
    const toReport = path.join(data, 'export-report.csv');
    symlinkSync(report, toReport);
    const reportRefusal = await refusal(toReport);
    expect(reportRefusal.message).toBe(`source.path: ${toReport} is inside the worker's own folder ${path.join(state, 'reports')} (PEAKON_SYNC_STATE_DIR), never HR data`);
    expect(reportRefusal.message).not.toContain('other.example');
    const toKey = path.join(data, 'export-key.csv');
    symlinkSync(keyFile, toKey);
    expect((await refusal(toKey)).message).toBe(`source.path: ${toKey} is the worker's own (named by PEAKON_SYNC_ENCRYPTION_KEY_FILE), never HR data`);
  });

  it('refuses a file in the secret directory (PEAKON_SYNC_SECRET_DIR) inside a data directory, and a symlink into it', async () => {
    // The secret directory holds `file:` secrets (the SCIM token, HR API keys): a CSV "export" read from there would
    // quote a secret back through the report's mapping problems.
    const secrets = path.join(data, 'run-secrets');
    mkdirSync(secrets, { recursive: true });
    const token = path.join(secrets, 'peakon-token');
    writeFileSync(token, `id,email,first,last\n${PRIVATE},x@example.com,x,y\n`);
    const withSecrets: NodeJS.ProcessEnv = { ...env, PEAKON_SYNC_SECRET_DIR: secrets };
    // The file is inside a data directory and none of the other guards covers it: without the secret-directory rule it
    // would be read (the control below reads it with the secret directory elsewhere).
    expect(await read(token, { ...env, PEAKON_SYNC_SECRET_DIR: elsewhere })).toEqual([{ id: PRIVATE, email: 'x@example.com', first: 'x', last: 'y' }]);
    const direct = await refusal(token, withSecrets);
    expect(direct).toBeInstanceOf(ConfigError);
    expect(direct.message).toBe(`source.path: ${token} is inside the worker's own folder ${secrets} (PEAKON_SYNC_SECRET_DIR), never HR data`);
    expect(toActivityFailure(direct)).toMatchObject({ type: 'ConfigInvalid', nonRetryable: true });
    // A symlink with an innocent name in the data directory: what it points at decides.
    const link = path.join(data, 'export-from-secrets.csv');
    symlinkSync(token, link);
    expect(await read(link, { ...env, PEAKON_SYNC_SECRET_DIR: elsewhere })).toHaveLength(1);
    const viaLink = await refusal(link, withSecrets);
    expect(viaLink).toBeInstanceOf(ConfigError);
    expect(viaLink.message).toBe(`source.path: ${link} is inside the worker's own folder ${secrets} (PEAKON_SYNC_SECRET_DIR), never HR data`);
    // A secret directory named through a symlink is resolved too: the real folder is what is refused.
    const secretsAlias = path.join(elsewhere, 'secrets-alias');
    symlinkSync(secrets, secretsAlias);
    expect((await refusal(token, { ...env, PEAKON_SYNC_SECRET_DIR: secretsAlias })).message).toBe(`source.path: ${token} is inside the worker's own folder ${secretsAlias} (PEAKON_SYNC_SECRET_DIR), never HR data`);
  });

  it("defaults to the worker's working directory", async () => {
    const error = await refusal(hr, { PEAKON_SYNC_STATE_DIR: state });
    expect(error.message).toBe(`source.path: ${hr} is outside the worker's data directories (${process.cwd()}); put the HR export there or set PEAKON_SYNC_DATA_DIR on the worker`);
  });

  it('a missing export inside a data directory is still an unreadable file (retried like any read)', async () => {
    const error = await refusal(path.join(data, 'not-yet.csv'));
    expect(error).toBeInstanceOf(SourceReadError);
    expect(error.message).toMatch(/ENOENT/);
  });

  it.each([
    ['a named pipe (FIFO) no one writes to', 'a named pipe (FIFO)', (file: string) => execFileSync('mkfifo', [file]), env],
    ['a directory', 'a directory', (file: string) => mkdirSync(file), env],
    // A device needs no privilege: a symlink onto /dev/zero (endless bytes), with /dev a data directory too, so that the
    // link resolves inside one and only the kind of file can refuse it.
    ['a character device (/dev/zero, through a symlink)', 'a character device', (file: string) => symlinkSync('/dev/zero', file), { ...env, PEAKON_SYNC_DATA_DIR: [data, '/dev'].join(path.delimiter) }],
  ])('refuses %s at once, as not a regular file (a non-retried ConfigInvalid naming its kind), and a symlink onto it', async (_label, kind, make, withEnv) => {
    // A read of a FIFO without a writer blocks a libuv thread forever, out of reach of the activity's cancellation.
    const special = path.join(data, `special-${kind.length}.csv`);
    make(special);
    const link = path.join(data, `link-to-special-${kind.length}.csv`);
    symlinkSync(special, link);
    for (const file of [special, link]) {
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 5000)));
      const outcome = await Promise.race([refusal(file, withEnv), hung]).finally(() => clearTimeout(timer));
      if (outcome === 'hung') {
        // Unblock the open or read stuck on the FIFO (a writer that closes at once), so jest can exit. Non-blocking: with
        // no reader (the code hung elsewhere) a plain open for writing would hang the test itself; this fails (ENXIO).
        try {
          closeSync(openSync(special, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          // Nobody reads the FIFO: nothing to unblock.
        }
        throw new Error(`reading ${file} (${kind}) did not fail within 5 s`);
      }
      expect(outcome).toBeInstanceOf(ConfigError);
      expect(outcome.message).toBe(
        `source.path: ${file} is ${kind}, not a regular file; the CSV source reads only an export written out as a regular file (not a pipe, device or directory)`,
      );
      expect(toActivityFailure(outcome)).toMatchObject({ type: 'ConfigInvalid', nonRetryable: true });
    }
  });

  it('validate refuses it too, instead of quoting the file in its mapping problems', async () => {
    const configFile = path.join(elsewhere, 'connector.yaml');
    writeFileSync(configFile, ['tenant: demo', 'peakon: { baseUrl: "https://api.peakon.com/scim/v2" }', `source: { type: csv, path: ${JSON.stringify(privateKey)} }`, 'mapping: { id: id, email: email, givenName: first, familyName: last }'].join('\n'));
    const saved = process.env.PEAKON_SYNC_DATA_DIR;
    process.env.PEAKON_SYNC_DATA_DIR = data;
    try {
      const refusal = runValidate(['--config', configFile, '--no-preflight']);
      await expect(refusal).rejects.toThrow(`source.path: ${privateKey} is outside the worker's data directories (${data})`);
      // The message says to set the variable on the worker; validate checks with its own environment, and says so.
      await expect(refusal).rejects.toThrow("set PEAKON_SYNC_DATA_DIR on the worker (validate applies the worker's rule with this shell's environment: set it here too to check)");
    } finally {
      if (saved === undefined) delete process.env.PEAKON_SYNC_DATA_DIR;
      else process.env.PEAKON_SYNC_DATA_DIR = saved;
    }
  });
});
