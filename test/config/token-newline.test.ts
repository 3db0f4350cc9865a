/**
 * A Peakon token with a trailing newline: a Kubernetes secret made with `kubectl create secret --from-file` keeps the
 * file's, in a mounted file and in an environment variable alike. The worker drops one, as it always did for files;
 * a token still of two lines is a config problem (ConfigInvalid, not retried), named `peakon.token`, never quoted —
 * not a retried "Unexpected" failure, nor a crash of `peakon-sync validate`. Real HTTP against the sandbox; the run
 * against a real Temporal dev server with the connector's workflows and activities.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { toActivityFailure } from '../../activities/failures';
import { ConfigError } from '../../config/load';
import { resolveSecretWithPolicy, secretPolicyFromEnv } from '../../config/secret';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { ScimClient } from '../../scim/client';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { runValidate } from '../mapping/helpers';

const destination = { url: 'https://acme.peakon.com/api/scim/v2', field: 'peakon.token' };

describe('an environment-variable secret with a trailing newline', () => {
  const resolve = (value: string) => resolveSecretWithPolicy({ env: 'PEAKON_TOKEN' }, destination, secretPolicyFromEnv({}), { PEAKON_TOKEN: value });

  it.each([
    ['a newline', 'tok-123\n', 'tok-123'],
    ['a CRLF', 'tok-123\r\n', 'tok-123'],
    // One only, as for a file: the second is part of the value (and the client refuses it).
    ['two newlines', 'tok-123\n\n', 'tok-123\n'],
  ])('drops one trailing newline after %s, as for a file', (_label, value, expected) => {
    expect(resolve(value)).toBe(expected);
  });

  it('a variable holding only a newline is empty', () => {
    expect(() => resolve('\n')).toThrow('secret environment variable PEAKON_TOKEN is empty');
  });
});

describe('the SCIM client refusing a token of two lines', () => {
  it('throws a ConfigError naming peakon.token, never the token, which activities turn into a non-retryable ConfigInvalid', () => {
    const refused = (() => {
      try {
        return new ScimClient({ baseUrl: 'https://acme.peakon.com/api/scim/v2', token: 'first-half\nsecond-half' });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toBe('Invalid Peakon connection settings — peakon.token: must be a single line');
    expect(toActivityFailure(refused)).toMatchObject({ type: 'ConfigInvalid', nonRetryable: true, message: 'Invalid Peakon connection settings — peakon.token: must be a single line' });
  });
});

describe('peakon-sync validate with such a token', () => {
  let sandbox: RunningSandbox;
  const variable = 'NEWLINE_TEST_PEAKON_TOKEN';
  beforeAll(async () => {
    sandbox = await startSandbox({ token: 'newline-token' });
    process.env.PEAKON_SYNC_SECRET_HOSTS = `${variable}=loopback`;
  });
  afterAll(async () => {
    delete process.env[variable];
    delete process.env.PEAKON_SYNC_SECRET_HOSTS;
    await sandbox.close();
  });

  const writeConfig = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'peakon-validate-newline-'));
    writeFileSync(path.join(dir, 'hr.csv'), 'id,email,first,last\n1,a@example.com,Ada,Lovelace\n');
    const configFile = path.join(dir, 'connector.yaml');
    writeFileSync(configFile, ['tenant: demo', `peakon: { baseUrl: "${sandbox.baseUrl}", token: { env: ${variable} } }`, 'source: { type: csv, path: hr.csv }', 'mapping: { id: id, email: email, givenName: first, familyName: last, attributes: { Team: first } }'].join('\n'));
    return configFile;
  };

  it('a trailing newline (kubectl --from-file) is dropped: the tenant\'s schema is read with the token', async () => {
    process.env[variable] = 'newline-token\n';
    const before = sandbox.ops().length;
    const { output, exitCode } = await runValidate(['--config', writeConfig()]);
    expect({ exitCode, output }).toEqual({ exitCode: undefined, output });
    expect(output).toContain('preflight: every mapped Peakon attribute exists');
    expect(sandbox.ops().length).toBeGreaterThan(before);
  });

  it('a token still of two lines is reported as a problem of peakon.token, without the token, and exits 1', async () => {
    process.env[variable] = 'newline-token\nsecond-line\n';
    const before = sandbox.ops().length;
    const { output, exitCode } = await runValidate(['--config', writeConfig()]);
    expect(exitCode).toBe(1);
    expect(output).toContain('1 records read');
    expect(output).toContain('preflight: cannot check the tenant:\n  - Invalid Peakon connection settings — peakon.token: must be a single line');
    expect(output).not.toContain('second-line');
    expect(sandbox.ops().length).toBe(before);
  });
});

describe('a sync whose worker resolves a token of two lines', () => {
  const pipeline = usePipelineTests();

  it('fails at its plan as a config problem naming peakon.token, not retried, nothing sent', async () => {
    const fixture = await pipeline.fixture({ workerToken: 'test-token\nsecond-line' });
    fixture.writeEmployees(generateOrg(3, 2));
    const workers = await fixture.startWorkers();
    const failure = await workers.runUntil((await fixture.startSync()).result().then(() => undefined, (error: unknown) => error));
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const reason = (failure as WorkflowFailedError).cause?.message ?? '';
    expect(reason).toContain('peakon.token: must be a single line');
    expect(reason).not.toContain('second-line');
    expect(fixture.sandbox.ops()).toHaveLength(0);
  });
});
