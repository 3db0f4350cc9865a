import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatMappingReport, summarizeMapping } from '../../mapping/summary';
import { mapEmployees } from '../../mapping/map';
import { configWith, person, runValidate } from './helpers';
import { startSandbox, type RunningSandbox } from '../../sandbox';

/** Writes an HR export and a config mapping it; `peakon` and `attributes` are YAML flow values. */
function writeExport(csv: string, options: { peakon?: string; attributes?: string; leavers?: string } = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'peakon-validate-'));
  writeFileSync(path.join(dir, 'hr.csv'), csv);
  const configFile = path.join(dir, 'connector.yaml');
  writeFileSync(
    configFile,
    [
      'tenant: demo',
      `peakon: ${options.peakon ?? '{ baseUrl: "http://127.0.0.1:8088/scim/v2" }'}`,
      'source: { type: csv, path: hr.csv }',
      'mapping:',
      '  id: id',
      '  email: email',
      '  givenName: first',
      '  familyName: last',
      `  attributes: ${options.attributes ?? '{ Manager: { employeeRef: manager } }'}`,
      ...(options.leavers !== undefined ? [`leavers: ${options.leavers}`] : []),
    ].join('\n'),
  );
  return configFile;
}

describe('peakon-sync validate', () => {
  it('prints the summary and each problem, and exits non-zero when a record has a problem', async () => {
    const config = writeExport('id,email,first,last,manager\n1,a@example.com,Ada,Lovelace,\n2,not-an-email,Bob,Byte,1\n3,c@example.com,Cy,Cole,99\n');
    const { output, exitCode } = await runValidate(['--config', config]);
    expect(exitCode).toBe(1);
    expect(output).toContain('3 records read: 2 employees to sync (2 active, 0 inactive), 0 out of scope, 1 rejected');
    expect(output).toContain('row 3, email: "not-an-email" is not a valid email address');
    expect(output).toContain('row 4 (c@example.com): Manager: HRIS id "99" is not in the HRIS read; Manager left out');
  });

  it('lists a CSV row with a stray delimiter as a problem of that row, as a sync does, and checks the other rows', async () => {
    const config = writeExport('id,email,first,last,manager\n1,a@example.com,Ada,Lovelace,\n2,b@example.com,Bob,Byte,1,EXTRA\n3,not-an-email,Cy,Cole,1\n');
    const { output, exitCode } = await runValidate(['--config', config, '--no-preflight']);
    expect(exitCode).toBe(1);
    expect(output).toContain('3 records read: 1 employees to sync (1 active, 0 inactive), 0 out of scope, 2 rejected');
    expect(output).toContain('row 3, record: line 3 of the file has 6 field(s) where the header has 5 column(s)');
    expect(output).toContain('row 4, email: "not-an-email" is not a valid email address');
    expect(output).not.toContain('EXTRA');
  });

  it("refuses a guard timeout the workers' payload retention (PEAKON_SYNC_RETENTION_DAYS here) would refuse at every run", async () => {
    const config = writeExport('id,email,first,last,manager\n1,a@example.com,Ada,Lovelace,\n', { leavers: '{ guard: { timeout: 3d } }' });
    const previous = process.env.PEAKON_SYNC_RETENTION_DAYS;
    process.env.PEAKON_SYNC_RETENTION_DAYS = '4';
    try {
      await expect(runValidate(['--config', config, '--no-preflight'])).rejects.toThrow(
        "leavers.guard.timeout: 3d is not well below this worker's payload retention (PEAKON_SYNC_RETENTION_DAYS=4)",
      );
      await expect(runValidate(['--config', config, '--no-preflight'])).rejects.toThrow("(validate applies the worker's rule with this shell's environment: set it here too to check)");
      // Retention long enough (the default 30 days): the same config passes.
      process.env.PEAKON_SYNC_RETENTION_DAYS = '';
      expect((await runValidate(['--config', config, '--no-preflight'])).exitCode).toBeUndefined();
    } finally {
      if (previous === undefined) delete process.env.PEAKON_SYNC_RETENTION_DAYS;
      else process.env.PEAKON_SYNC_RETENTION_DAYS = previous;
    }
  });

  it('exits zero when there are only warnings, and prints JSON with --json', async () => {
    const config = writeExport('id,email,first,last,manager\n1,a@example.com,Ada,Lovelace,77\n');
    // No Peakon here (nor its token): a missing token is a problem of its own (validate-token.test.ts).
    const { output, exitCode } = await runValidate(['--config', config, '--json', '--no-preflight']);
    expect(exitCode).toBeUndefined();
    const parsed: unknown = JSON.parse(output);
    expect(parsed).toMatchObject({ summary: { recordsRead: 1, employees: 1, problems: 0, warnings: 1 }, problems: [], warnings: [{ recordRef: 'row 2' }] });
  });
});

describe('summarizeMapping', () => {
  it('counts active, inactive, excluded, rejected records and problems per field', () => {
    const config = configWith({ active: 'active', scope: { exclude: [[{ field: 'skip', equals: 'yes' }]] } });
    const report = mapEmployees(
      [person({ active: 'true' }), person({ active: 'false' }), person({ skip: 'yes' }), person({ active: 'true', email: 'x', first: '' })],
      config,
    );
    expect(summarizeMapping(report)).toEqual({
      recordsRead: 4,
      employees: 2,
      active: 1,
      inactive: 1,
      excluded: 1,
      rejectedRecords: 1,
      problems: 2,
      problemsByField: [
        { field: 'email', count: 1 },
        { field: 'givenName', count: 1 },
      ],
      employeesWithWarnings: 0,
      warnings: 0,
    });
    expect(formatMappingReport(report)).toContain('by field: email 1, givenName 1');
  });
});

describe('peakon-sync validate: preflight against the tenant', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ token: 'validate-token' });
    process.env.VALIDATE_TEST_PEAKON_TOKEN = 'validate-token';
    // A secret the worker's operator does not list goes nowhere (config/secret.ts): bound to the local sandbox here.
    process.env.PEAKON_SYNC_SECRET_HOSTS = 'VALIDATE_TEST_PEAKON_TOKEN=loopback';
  });
  afterAll(async () => {
    delete process.env.VALIDATE_TEST_PEAKON_TOKEN;
    delete process.env.PEAKON_SYNC_SECRET_HOSTS;
    await sandbox.close();
  });

  const writeConfig = (attributes: string) =>
    writeExport('id,email,first,last,dob\n1,a@example.com,Ada,Lovelace,1990-01-02\n', {
      peakon: `{ baseUrl: "${sandbox.baseUrl}", token: { env: VALIDATE_TEST_PEAKON_TOKEN } }`,
      attributes,
    });

  it('reads the tenant schema, finds the mapping fits, and writes nothing', async () => {
    sandbox.reset();
    const { output, exitCode } = await runValidate(['--config', writeConfig('{ "Date of Birth": { field: dob, type: date } }')]);
    expect(output).toContain('preflight');
    expect({ exitCode, output }).toEqual({ exitCode: undefined, output });
    expect(output).toContain('preflight: every mapped Peakon attribute exists');
    expect(sandbox.ops().length).toBeGreaterThan(0);
    expect(sandbox.ops().every((op) => op.method === 'GET')).toBe(true);
  });

  it('reports a token Peakon refuses as a problem of peakon.token, after the HR summary', async () => {
    process.env.VALIDATE_TEST_PEAKON_TOKEN = 'a-revoked-token';
    try {
      const { output, exitCode } = await runValidate(['--config', writeConfig('{ "Date of Birth": { field: dob, type: date } }')]);
      expect(exitCode).toBe(1);
      expect(output).toContain('1 records read');
      expect(output).toContain('preflight: cannot check the tenant:\n  - peakon.token: Peakon refused the token (GET /Schemas/');
    } finally {
      process.env.VALIDATE_TEST_PEAKON_TOKEN = 'validate-token';
    }
  });

  it('reports a base URL with nothing behind it as a problem of peakon.baseUrl, in the JSON too', async () => {
    const configFile = writeExport('id,email,first,last\n1,a@example.com,Ada,Lovelace\n', {
      peakon: `{ baseUrl: "${sandbox.baseUrl.replace('/scim/v2', '/scim/v3')}", token: { env: VALIDATE_TEST_PEAKON_TOKEN } }`,
      attributes: '{ Team: first }',
    });
    const { output, exitCode } = await runValidate(['--config', configFile, '--json']);
    expect(exitCode).toBe(1);
    const parsed = JSON.parse(output) as { summary: { recordsRead: number }; preflight: { checked: boolean; problems: string[] } };
    expect(parsed.summary.recordsRead).toBe(1);
    expect(parsed.preflight).toEqual({ checked: false, problems: [expect.stringMatching(/^peakon\.baseUrl: cannot read the tenant's schema at http:\/\/127\.0\.0\.1:\d+\/scim\/v3 \(GET \/Schemas\/.*404/)] });
  });

  it('reports a Peakon that answers 5xx as possibly busy or down, not only as a wrong URL', async () => {
    sandbox.setFaults({ faultRate: 1 });
    try {
      const { output, exitCode } = await runValidate(['--config', writeConfig('{ "Date of Birth": { field: dob, type: date } }')]);
      expect(exitCode).toBe(1);
      expect(output).toMatch(/preflight: cannot check the tenant:\n {2}- peakon\.baseUrl: Peakon at http:\/\/127\.0\.0\.1:\d+\/scim\/v2 did not answer the schema read \(GET \/Schemas\/.*50[03].*\); it may be busy or down \(try again later\)/);
    } finally {
      sandbox.setFaults({});
    }
  });

  it('lists every mapped attribute the tenant does not have and exits non-zero', async () => {
    const { output, exitCode } = await runValidate(['--config', writeConfig('{ "Date of birth": { field: dob, type: date }, "Shoe size": { field: dob } }')]);
    expect(exitCode).toBe(1);
    expect(output).toContain('did you mean "Date of Birth"');
    expect(output).toContain('Peakon has no attribute "Shoe size"');
  });
});
