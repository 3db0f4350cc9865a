import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigFile, parseConfig } from '../../config/load';
import { MAX_PEAKON_TIMEOUT_MS } from '../../config/schema';
import { TOTAL_DEADLINE_FACTOR } from '../../scim/client';
import { DEFAULT_RUN_TUNING } from '../../sync/settings';
import { configErrorOf, MINIMAL_CONFIG } from './config-fixtures';

const valid = MINIMAL_CONFIG;
const errorOf = configErrorOf;

describe('config validation messages', () => {
  it('fills defaults for matching, sync, source options and transforms', () => {
    const config = parseConfig(valid);
    expect(config.matching.key).toBe('email');
    expect(config.source).toEqual({ type: 'csv', path: 'hr.csv', delimiter: ',', encoding: 'utf8', pageSize: 1000 });
    expect(config.mapping.email).toMatchObject({ field: 'email', trim: true, onlyOnCreate: false });
  });

  it('refuses a peakon.timeoutMs whose total deadline would outlast a SCIM step or the plan\'s heartbeat timeout', () => {
    expect(parseConfig({ ...valid, peakon: { ...valid.peakon, timeoutMs: MAX_PEAKON_TIMEOUT_MS } }).peakon.timeoutMs).toBe(MAX_PEAKON_TIMEOUT_MS);
    expect(errorOf({ ...valid, peakon: { ...valid.peakon, timeoutMs: 90_000 } })).toContain(`peakon.timeoutMs: must be at most ${MAX_PEAKON_TIMEOUT_MS} ms`);
    // The bound is the rule between three places: the longest request must end well inside both two-minute limits.
    expect(TOTAL_DEADLINE_FACTOR * MAX_PEAKON_TIMEOUT_MS).toBeLessThan(DEFAULT_RUN_TUNING.scimActivityTimeoutMs);
    expect(TOTAL_DEADLINE_FACTOR * MAX_PEAKON_TIMEOUT_MS).toBeLessThan(DEFAULT_RUN_TUNING.planHeartbeatTimeoutMs);
  });

  it('names a missing mapping field', () => {
    const { email: _email, ...mapping } = valid.mapping;
    expect(errorOf({ ...valid, mapping })).toContain('mapping.email:');
  });

  it('says a mapping field left out is required, and what a wrongly typed one takes, not zod\'s bare "Invalid input"', () => {
    const { givenName: _givenName, ...mapping } = valid.mapping;
    const message = errorOf({ ...valid, mapping: { ...mapping, familyName: 7 } });
    expect(message).toContain('mapping.givenName: required (expected string or object)');
    expect(message).toContain('mapping.familyName: expected string or object, received number');
    expect(message).not.toMatch(/: Invalid input$/m);
  });

  it('names a mistyped key inside a value spec rather than saying "Invalid input"', () => {
    const message = errorOf({ ...valid, mapping: { ...valid.mapping, givenName: { feild: 'first' } } });
    expect(message).toContain('mapping.givenName.feild: unknown setting (did you mean "field"?)');
    expect(message).not.toContain('Invalid input\n');
  });

  it('rejects a misspelt or unknown setting anywhere, naming its path and the setting it most likely means', () => {
    expect(errorOf({ ...valid, matchng: { key: 'employeeNumber' } })).toContain('matchng: unknown setting (did you mean "matching"?)');
    expect(errorOf({ ...valid, matching: { kee: 'employeeNumber' } })).toContain('matching.kee: unknown setting (did you mean "key"?)');
    expect(errorOf({ ...valid, sync: { partitonSize: 5 } })).toContain('sync.partitonSize: unknown setting (did you mean "partitionSize"?)');
    expect(errorOf({ ...valid, peakon: { ...valid.peakon, tokn: { env: 'X' } } })).toContain('peakon.tokn: unknown setting (did you mean "token"?)');
    expect(errorOf({ ...valid, extraTopLevel: 1 })).toMatch(/extraTopLevel: unknown setting$/m);
  });

  it('says a value spec needs exactly one of field, value or template', () => {
    expect(errorOf({ ...valid, mapping: { ...valid.mapping, givenName: { field: 'a', value: 'b' } } })).toContain(
      'mapping.givenName: give exactly one of field, value or template',
    );
  });

  it('names a bad date format on a Peakon attribute', () => {
    const message = errorOf({ ...valid, mapping: { ...valid.mapping, attributes: { 'Date of Birth': { field: 'dob', date: 'DD/MM' } } } });
    expect(message).toContain('mapping.attributes.Date of Birth.date: expected a date format');
  });

  it('names an unknown source type and a bad CSV delimiter', () => {
    expect(errorOf({ ...valid, source: { type: 'excel' } })).toContain('source.type');
    expect(errorOf({ ...valid, source: { type: 'csv', path: 'a.csv', delimiter: ';;' } })).toContain('source.delimiter');
  });

  it('requires an employee number mapping when matching by employee number', () => {
    expect(errorOf({ ...valid, matching: { key: 'employeeNumber' } })).toContain('mapping.employeeNumber: required when matching.key is employeeNumber');
  });

  it('names an invalid scope regular expression and a condition with two operators', () => {
    const message = errorOf({
      ...valid,
      mapping: { ...valid.mapping, scope: { include: [[{ field: 'a', matches: '(' }]], exclude: [[{ field: 'b', equals: 'x', empty: true }]] } },
    });
    expect(message).toContain('mapping.scope.include.0.0.matches: expected a valid regular expression');
    expect(message).toContain('mapping.scope.exclude.0.0: give exactly one of equals');
  });

  it('names a secret given inline instead of as { env } or { file }', () => {
    const message = errorOf({ ...valid, source: { type: 'rest', url: 'https://hr.example.com/api', auth: { type: 'bearer', token: 'abc' } } });
    expect(message).toContain('source.auth.token');
    expect(errorOf({ ...valid, peakon: { ...valid.peakon, token: 'dev' } })).toContain(
      'peakon.token: expected { env: NAME } or { file: path }: a secret is never written in the config file itself',
    );
  });

  it('refuses a peakon.baseUrl with a user name or password (without repeating them), a query or fragment, or a scheme other than http(s)', () => {
    const peakonAt = (baseUrl: string) => ({ ...valid, peakon: { ...valid.peakon, baseUrl } });
    for (const url of ['https://bob:s3cr3t@acme.peakon.com/scim/v2', 'https://:s3cr3t@acme.peakon.com/scim/v2']) {
      const message = errorOf(peakonAt(url));
      expect(message).toMatch(/^ {2}peakon\.baseUrl: a user name or password in the URL would be written in the config and sent instead of the token/m);
      expect(message).not.toContain('s3cr3t');
    }
    // Request paths are appended to the base: "…/v2?x=1/Users" would be the wrong resource.
    expect(errorOf(peakonAt('https://api.peakon.com/scim/v2?tenant=1'))).toContain('peakon.baseUrl: request paths are appended to the base URL: remove the "?…" or "#…" part');
    expect(errorOf(peakonAt('https://api.peakon.com/scim/v2#users'))).toContain('peakon.baseUrl: request paths are appended to the base URL');
    expect(errorOf(peakonAt('https://api.peakon.com/scim/v2?'))).toContain('peakon.baseUrl: request paths are appended to the base URL');
    expect(errorOf(peakonAt('ftp://api.peakon.com/scim/v2'))).toContain('peakon.baseUrl: ftp: is not supported: use https://');
    expect(parseConfig(peakonAt('https://api.peakon.com/scim/v2')).peakon.baseUrl).toBe('https://api.peakon.com/scim/v2');
  });

  it('refuses a REST source URL or BambooHR base URL with a user name or password in it, pointing to source.auth, without repeating them', () => {
    const rest = (url: string) => ({ ...valid, source: { type: 'rest', url } });
    for (const url of ['https://bob:s3cr3t@hr.example.com/api', 'https://bob@hr.example.com/api', 'https://:s3cr3t@hr.example.com/api']) {
      const message = errorOf(rest(url));
      expect(message).toMatch(/^ {2}source\.url: a user name or password in the URL would be written in the config: remove "user:password@" and use source\.auth \{ type: basic, username, password \}/m);
      expect(message).not.toContain('s3cr3t');
    }
    const bamboo = errorOf({ ...valid, source: { type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl: 'https://me:s3cr3t@api.bamboohr.com/api/gateway.php/acme' } });
    expect(bamboo).toMatch(/^ {2}source\.baseUrl: a user name or password in the URL would be written in the config: remove "user:password@" and give the API key as source\.apiKey/m);
    expect(bamboo).not.toContain('s3cr3t');
    expect(parseConfig(rest('https://hr.example.com/api?page=1')).source).toMatchObject({ url: 'https://hr.example.com/api?page=1' });
  });

  it('refuses a REST header that carries credentials, naming it and pointing to source.auth, but not such query parameters', () => {
    const rest = (extra: Record<string, unknown>) => ({ ...valid, source: { type: 'rest', url: 'https://hr.example.com/api', ...extra } });
    const message = errorOf(rest({ headers: { Authorization: 'Bearer x' } }));
    expect(message).toMatch(/^ {2}source\.headers\.Authorization: header "Authorization" would carry a credential written in the config: use source\.auth instead/m);
    expect(message).toContain('{ type: bearer, token }');
    expect(message).not.toContain('Bearer x');
    // Case-insensitive, exact for the standard credential headers and by word for the rest; each offender named.
    const many = errorOf(rest({ headers: { cookie: 'a', 'PROXY-AUTHORIZATION': 'b', 'X-Api-Key': 'c', 'X-APIKEY': 'd', api_key: 'e', 'X-Auth-Token': 'f', 'X-Client-Secret': 'g', 'X-Password': 'h', 'X-Client': 'connector' } }));
    for (const name of ['cookie', 'PROXY-AUTHORIZATION', 'X-Api-Key', 'X-APIKEY', 'api_key', 'X-Auth-Token', 'X-Client-Secret', 'X-Password']) {
      expect(many).toContain(`source.headers.${name}: header "${name}" would carry a credential`);
    }
    expect(many).not.toContain('source.headers.X-Client:');
    expect(parseConfig(rest({ headers: { 'X-Client': 'connector', Accept: 'application/json' } })).source).toMatchObject({ headers: { 'X-Client': 'connector', Accept: 'application/json' } });
    // Query parameter names are the HR API's to choose: only hidden from `schedule update`, never refused.
    expect(parseConfig(rest({ query: { token_type: 'employee', include_password_policy: 'false' } })).source).toMatchObject({ query: { token_type: 'employee' } });
    // The supported place for the same credential.
    expect(parseConfig(rest({ auth: { type: 'apiKey', header: 'X-Api-Key', key: { env: 'HR_KEY' } } })).source).toMatchObject({ headers: {} });
  });

  it('refuses onlyOnCreate on the id and the email', () => {
    expect(errorOf({ ...valid, mapping: { ...valid.mapping, email: { field: 'email', onlyOnCreate: true } } })).toContain(
      'mapping.email.onlyOnCreate: email identifies the employee',
    );
  });
});

describe('loadConfigFile', () => {
  it('resolves the CSV path and secret files against the config file\'s folder', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'peakon-config-'));
    const file = path.join(dir, 'connector.json');
    writeFileSync(file, JSON.stringify({ ...valid, peakon: { ...valid.peakon, token: { file: 'token.txt' } } }));
    const config = loadConfigFile(file);
    expect(config.source).toMatchObject({ path: path.join(dir, 'hr.csv') });
    expect(config.peakon.token).toEqual({ file: path.join(dir, 'token.txt') });
  });

  it('reads a YAML number with zeros in front (an HR code) as text, in a map key, a map value and a constant', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'peakon-config-'));
    const file = path.join(dir, 'codes.yaml');
    const lines = [
      'tenant: acme',
      'peakon: { baseUrl: "https://api.peakon.com/scim/v2" }',
      'source: { type: csv, path: hr.csv }',
      'mapping:',
      '  id: id',
      '  email: email',
      '  givenName: first',
      '  familyName: last',
      '  attributes:',
      '    Department: { field: dept, map: { 010: Engineering, 020: "007" } }',
      '    Cost centre: { value: 007 }',
      'sync: { partitionSize: 100 }',
    ];
    writeFileSync(file, lines.join('\n'));
    const config = loadConfigFile(file);
    expect(config.mapping.attributes?.Department).toMatchObject({ map: { '010': 'Engineering', '020': '007' } });
    expect(config.mapping.attributes?.['Cost centre']).toMatchObject({ value: '007' });
    expect(config.sync.partitionSize).toBe(100); // other numbers stay numbers
    // A number setting written with zeros in front is text too: the error says why and what to write.
    writeFileSync(file, lines.map((line) => line.replace('partitionSize: 100', 'partitionSize: 0100')).join('\n'));
    expect(() => loadConfigFile(file)).toThrow('sync.partitionSize: Invalid input: expected number, received string (a number written with zeros in front is read as text, as an HR code would be: write 100)');
  });

  it('names the file when YAML does not parse', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'peakon-config-'));
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, 'tenant: [unclosed');
    expect(() => loadConfigFile(file)).toThrow(`cannot parse config file ${file}`);
  });

  it('says where a config does not parse without repeating its text, which may hold secrets', () => {
    const loadErrorOf = (file: string): string => {
      try {
        loadConfigFile(file);
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
      throw new Error(`expected ${file} not to parse`);
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'peakon-config-'));
    const yamlFile = path.join(dir, 'broken.yaml');
    writeFileSync(yamlFile, 'tenant: acme\nsource:\n  query:\n    api_key: s3cr3t-key: x\n');
    expect(() => loadConfigFile(yamlFile)).toThrow(`cannot parse config file ${yamlFile}: Nested mappings are not allowed in compact mappings at line 4, column 14`);
    expect(loadErrorOf(yamlFile)).not.toContain('s3cr3t');
    const jsonFile = path.join(dir, 'broken.json');
    writeFileSync(jsonFile, '{"tenant": "acme",\n "source": {"query": {"api_key": s3cr3t-key}}}');
    expect(loadErrorOf(jsonFile)).toBe(`cannot parse config file ${jsonFile}: not valid JSON: an unexpected token (the file's text is not repeated here, as it may hold secrets)`);
    writeFileSync(jsonFile, '{"tenant": "acme",\n "source": {"query": {"api_key": "s3cr3t-key" "x": 1}}}');
    expect(loadErrorOf(jsonFile)).toBe(`cannot parse config file ${jsonFile}: Expected ',' or '}' after property value at line 2, column 47`);
  });
});
