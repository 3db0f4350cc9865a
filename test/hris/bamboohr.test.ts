import { parseConfig } from '../../config/load';
import type { SecretRef } from '../../config/secret';
import { createSourceForConfig } from '../../hris';
import { createBambooHrSource, type BambooHrSource } from '../../hris/bamboohr';
import { BambooHrSourceConfigSchema } from '../../hris/config';
import { SourceReadError, readAllRecords } from '../../hris/source';
import type { RecordProblem } from '../../mapping/employee';
import { mapEmployees } from '../../mapping/map';
import { startBambooHrFixture, type BambooEmployee, type BambooHrFixture } from '../fixtures/bamboohr-server';
import { useTestServers } from './http-server';

const API_KEY = 'bamboo-api-key-123';
const resolveSecret = (ref: SecretRef): string => {
  if ('env' in ref && ref.env === 'BAMBOO_KEY') return API_KEY;
  throw new Error('unknown secret');
};
const noSleep = async () => undefined;

const employees: BambooEmployee[] = [
  { id: '4', firstName: 'Lucía', lastName: 'Fernández', workEmail: 'lucia@example.com', supervisorEId: '1', department: 'Sales', status: 'Active', employeeNumber: '104' },
  { id: '1', firstName: 'Ingrid', lastName: 'Larsen', workEmail: 'ingrid@example.com', supervisorEId: null, department: 'Executive', status: 'Active', employeeNumber: '101' },
  { id: '7', firstName: 'Pablo', lastName: 'Ruiz', workEmail: 'pablo@example.com', supervisorEId: '4', department: 'Sales', status: 'Inactive', employeeNumber: '107' },
];

let fixture: BambooHrFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

async function start(extra: { failFirst?: number; changes?: Parameters<typeof startBambooHrFixture>[0]['changes']; echoRefusedKey?: boolean; employees?: BambooEmployee[] } = {}) {
  fixture = await startBambooHrFixture({ companyDomain: 'acme', apiKey: API_KEY, employees, ...extra });
  return fixture;
}

function rawConfig(baseUrl: string, source: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    ...extra,
    tenant: 'acme',
    peakon: { baseUrl: 'http://127.0.0.1:1/scim/v2' },
    source: { type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl, ...source },
    mapping: {
      id: 'id',
      email: 'workEmail',
      givenName: 'firstName',
      familyName: 'lastName',
      active: { field: 'status', map: { Active: true, Inactive: false } },
      attributes: { Department: 'department', Manager: { employeeRef: 'supervisorEId' } },
    },
  };
}

describe('BambooHR source', () => {
  it('reads a custom report with exactly the fields the mapping needs, leavers included, over basic auth', async () => {
    const api = await start();
    const config = parseConfig(rawConfig(api.baseUrl));
    const records = await readAllRecords(createSourceForConfig(config, { resolveSecret, sleep: noSleep }));
    expect(records.map((record) => record['id'])).toEqual(['4', '1', '7']);
    const [request] = api.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/api/gateway.php/acme/v1/reports/custom');
    expect(request?.query.get('onlyCurrent')).toBe('false');
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({ fields: ['workEmail', 'firstName', 'lastName', 'status', 'department', 'supervisorEId'] });
  });

  it('maps supervisorEId to the manager\'s email', async () => {
    const api = await start();
    const config = parseConfig(rawConfig(api.baseUrl));
    const report = mapEmployees(await readAllRecords(createSourceForConfig(config, { resolveSecret, sleep: noSleep })), config);
    expect(report.problems).toEqual([]);
    const byId = new Map(report.employees.map((employee) => [employee.sourceId, employee]));
    expect(byId.get('7')?.references).toEqual({ Manager: 'lucia@example.com' });
    expect(byId.get('7')?.user.active).toBe(false);
    expect(byId.get('1')?.references).toEqual({});
  });

  it('reads the employee directory when configured to', async () => {
    const api = await start();
    const config = BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl: api.baseUrl, read: 'directory' });
    const records = await readAllRecords(createBambooHrSource(config, { resolveSecret, sleep: noSleep, fields: [] }));
    expect(records.map((record) => record['workEmail'])).toEqual(['lucia@example.com', 'ingrid@example.com']);
    expect(api.requests[0]?.path).toBe('/api/gateway.php/acme/v1/employees/directory');
  });

  it('fails with a SourceReadError when the API key is wrong, without the key in the message', async () => {
    const api = await start();
    const config = BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl: api.baseUrl });
    const reading = readAllRecords(createBambooHrSource(config, { resolveSecret: () => 'wrong-key', sleep: noSleep, fields: [] }));
    await expect(reading).rejects.toBeInstanceOf(SourceReadError);
    await expect(reading).rejects.toThrow(/answered 401/);
    await expect(reading).rejects.not.toThrow(/wrong-key/);
  });

  it('redacts the key from an answer that quotes it back', async () => {
    const api = await start({ echoRefusedKey: true });
    const config = BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl: api.baseUrl });
    const error = await readAllRecords(createBambooHrSource(config, { resolveSecret: () => 'hr-api-key-S3CRET', sleep: noSleep, fields: [] })).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(SourceReadError);
    expect((error as Error).message).toMatch(/answered 401 \(check the source credentials\): \{"error":"Invalid API key \[redacted\]"\}$/);
    expect((error as Error).message).not.toContain('S3CRET');
  });

  it('retries BambooHR maintenance responses (503) and then reads', async () => {
    const api = await start({ failFirst: 2 });
    const config = BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl: api.baseUrl });
    expect(await readAllRecords(createBambooHrSource(config, { resolveSecret, sleep: noSleep, fields: ['workEmail'] }))).toHaveLength(3);
    expect(api.requests).toHaveLength(3);
  });

  it('reads the employees changed since a moment, fetching inserted and updated ones with the mapping\'s fields', async () => {
    const api = await start({
      changes: [
        { id: '4', action: 'Updated', lastChanged: '2025-03-02T10:00:00Z' },
        { id: '1', action: 'Updated', lastChanged: '2025-02-01T10:00:00Z' },
        { id: '9', action: 'Deleted', lastChanged: '2025-03-03T08:00:00Z' },
      ],
    });
    const config = BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl: api.baseUrl });
    const source = createBambooHrSource(config, { resolveSecret, sleep: noSleep, fields: ['workEmail', 'firstName'] });
    const changes = await source.readChangedSince(new Date('2025-03-01T00:00:00Z'));
    expect(api.requests[0]?.query.get('since')).toBe('2025-03-01T00:00:00Z');
    expect(changes.latest).toBe('2025-03-03T08:00:00Z');
    expect(changes.records).toEqual([{ id: '4', workEmail: 'lucia@example.com', firstName: 'Lucía', supervisorEId: '1' }]);
    expect(changes.deletedIds).toEqual(['9']);
    expect(changes.problems).toEqual([]);
  });

  it('reports a changed employee that answers 404 (deleted meanwhile) as a problem of that id and reads the others', async () => {
    const api = await start({
      changes: [
        { id: '4', action: 'Updated', lastChanged: '2025-03-02T10:00:00Z' },
        { id: '77', action: 'Inserted', lastChanged: '2025-03-02T11:00:00Z' },
        { id: '1', action: 'Updated', lastChanged: '2025-03-02T12:00:00Z' },
      ],
    });
    const config = BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl: api.baseUrl });
    const source = createBambooHrSource(config, { resolveSecret, sleep: noSleep, fields: ['workEmail'] });
    const changes = await source.readChangedSince(new Date('2025-03-01T00:00:00Z'));
    expect(changes.records.map((record) => record['id']).sort()).toEqual(['1', '4']);
    expect(changes.problems).toEqual([{ recordRef: 'employee 77', sourceId: '77', field: 'record', message: expect.stringContaining('404') }]);
  });
});

describe('BambooHR source: fields BambooHR leaves out', () => {
  it('fails the custom report read naming a mapped field BambooHR did not return (a typo, a field the key may not read)', async () => {
    const api = await start();
    const raw = rawConfig(api.baseUrl);
    const config = parseConfig({ ...raw, mapping: { ...raw.mapping, attributes: { ...raw.mapping.attributes, Team: 'departmnet', Level: 'jobLevel' } } });
    const error = await readAllRecords(createSourceForConfig(config, { resolveSecret, sleep: noSleep })).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(SourceReadError);
    expect((error as Error).message).toMatch(/^bamboohr:acme: the custom report did not return 2 fields the config reads: "departmnet", "jobLevel" \(BambooHR leaves out/);
    // The request asked for them: BambooHR's 200 is what hid the problem.
    expect((JSON.parse(api.requests[0]?.body ?? '{}') as { fields: string[] }).fields).toEqual(expect.arrayContaining(['departmnet', 'jobLevel']));
  });

  it('fails on an extra source.fields entry BambooHR did not return, too', async () => {
    const api = await start();
    const config = BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl: api.baseUrl, fields: ['costCenter'] });
    const reading = readAllRecords(createBambooHrSource(config, { resolveSecret, sleep: noSleep, fields: ['workEmail'] }));
    await expect(reading).rejects.toThrow(/did not return the field the config reads: "costCenter"/);
  });

  it('fails the directory read naming a mapped field the directory does not have', async () => {
    const api = await start();
    const config = BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl: api.baseUrl, read: 'directory' });
    const reading = readAllRecords(createBambooHrSource(config, { resolveSecret, sleep: noSleep, fields: ['workEmail', 'department', 'status'] }));
    await expect(reading).rejects.toThrow(/^bamboohr:acme: the employee directory did not return the field the config reads: "status" \(the employee directory has a fixed set of fields/);
  });

  it('does not require supervisorEId, which every report asks for, unless the config reads it', async () => {
    const api = await start({ employees: employees.map(({ supervisorEId: _omitted, ...employee }) => employee) });
    const config = BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'BAMBOO_KEY' }, baseUrl: api.baseUrl });
    expect(await readAllRecords(createBambooHrSource(config, { resolveSecret, sleep: noSleep, fields: ['workEmail'] }))).toHaveLength(3);
    const reading = readAllRecords(createBambooHrSource(config, { resolveSecret, sleep: noSleep, fields: ['workEmail', 'supervisorEId'] }));
    await expect(reading).rejects.toThrow(/"supervisorEId"/);
  });
});

describe('BambooHR source: the leavers\' termination date', () => {
  // Only the leavers read this field, no attribute maps it: a report that leaves it out reads every date as empty.
  const leavers = { leavers: { terminationDate: { field: 'terminationDate' } } };
  const withDates = employees.map((employee) => ({ ...employee, terminationDate: employee.id === '7' ? '2025-01-31' : null }));

  it('requests the termination date field in the custom report, and the record carries it', async () => {
    const api = await start({ employees: withDates });
    const config = parseConfig(rawConfig(api.baseUrl, {}, leavers));
    const records = await readAllRecords(createSourceForConfig(config, { resolveSecret, sleep: noSleep }));
    expect((JSON.parse(api.requests[0]?.body ?? '{}') as { fields: string[] }).fields).toContain('terminationDate');
    expect(records.find((record) => record['id'] === '7')?.['terminationDate']).toBe('2025-01-31');
    const report = mapEmployees(records, config);
    expect(report.problems).toEqual([]);
    expect(report.employees.find((employee) => employee.sourceId === '7')?.terminationDate).toBe('2025-01-31');
  });

  it('requests it for changed employees too', async () => {
    const api = await start({ employees: withDates, changes: [{ id: '7', action: 'Updated', lastChanged: '2025-03-02T10:00:00Z' }] });
    const config = parseConfig(rawConfig(api.baseUrl, {}, leavers));
    const source = createSourceForConfig(config, { resolveSecret, sleep: noSleep }) as BambooHrSource;
    const changes = await source.readChangedSince(new Date('2025-03-01T00:00:00Z'));
    expect(api.requests[1]?.query.get('fields')?.split(',')).toContain('terminationDate');
    expect(changes.records[0]?.['terminationDate']).toBe('2025-01-31');
  });
});

describe('BambooHR source: empty dates', () => {
  // BambooHR writes an empty date as "0000-00-00" (or with a zero time), which no date check accepts.
  const zeroDates = employees.map((employee) => ({
    ...employee,
    hireDate: employee.id === '1' ? '2019-04-01' : '0000-00-00',
    terminationDate: employee.id === '7' ? '2025-01-31' : employee.id === '4' ? '0000-00-00 00:00:00' : '0000-00-00',
  }));
  const mapped = (baseUrl: string) =>
    parseConfig(rawConfig(baseUrl, {}, { leavers: { terminationDate: { field: 'terminationDate' } } }));

  it('reads "0000-00-00" and "0000-00-00 00:00:00" as empty, so current employees are no problem records', async () => {
    const api = await start({ employees: zeroDates });
    const raw = rawConfig(api.baseUrl, {}, { leavers: { terminationDate: { field: 'terminationDate' } } });
    const config = parseConfig({ ...raw, mapping: { ...raw.mapping, attributes: { ...raw.mapping.attributes, 'Start date': { field: 'hireDate', date: 'ISO' } } } });
    const records = await readAllRecords(createSourceForConfig(config, { resolveSecret, sleep: noSleep }));
    expect(records.map((record) => [record['id'], record['hireDate'], record['terminationDate']])).toEqual([
      ['4', null, null],
      ['1', '2019-04-01', null],
      ['7', null, '2025-01-31'],
    ]);
    const report = mapEmployees(records, config);
    expect(report.problems).toEqual([]);
    expect(report.employees.map((employee) => [employee.sourceId, employee.terminationDate])).toEqual([
      ['4', undefined],
      ['1', undefined],
      ['7', '2025-01-31'],
    ]);
  });

  it('reads them as empty for changed employees too', async () => {
    const api = await start({ employees: zeroDates, changes: [{ id: '4', action: 'Updated', lastChanged: '2025-03-02T10:00:00Z' }] });
    const source = createSourceForConfig(mapped(api.baseUrl), { resolveSecret, sleep: noSleep }) as BambooHrSource;
    const changes = await source.readChangedSince(new Date('2025-03-01T00:00:00Z'));
    expect(changes.records[0]?.['terminationDate']).toBeNull();
  });
});

describe('BambooHR source: an entry of the employees list that is not an employee object', () => {
  const { serve } = useTestServers();
  // The custom report as BambooHR answers it, with entries the fixture cannot produce.
  const reportWith = async (body: unknown) => {
    const api = await serve(() => ({ body }));
    return parseConfig(rawConfig(`${api.origin}/api/gateway.php/acme`));
  };
  const fields = ['workEmail', 'firstName', 'lastName', 'status', 'department', 'supervisorEId'].map((id) => ({ id }));

  it('reports each one as a problem naming the entry and its kind (never the value), and reads the other employees', async () => {
    const config = await reportWith({ fields, employees: [employees[0], null, employees[1], 'Pablo Ruiz'] });
    const problems: RecordProblem[] = [];
    const records = await readAllRecords(createSourceForConfig(config, { resolveSecret, sleep: noSleep }), { onProblem: (problem) => problems.push(problem) });
    expect(problems).toEqual([
      { recordRef: 'record 2', field: 'record', message: 'entry 2 of the "employees" list of the custom report: not an employee object (null); left out of this run' },
      { recordRef: 'record 4', field: 'record', message: 'entry 4 of the "employees" list of the custom report: not an employee object (a string); left out of this run' },
    ]);
    expect(JSON.stringify(problems)).not.toContain('Pablo');
    const report = mapEmployees(records, config, problems);
    expect(report.employees.map((employee) => [employee.sourceId, employee.recordRef])).toEqual([
      ['4', 'record 1 (id 4)'],
      ['1', 'record 3 (id 1)'],
    ]);
    expect(report.problems).toEqual(problems);
  });

  it('reports an entry with no value in it ({} or every field null) like a null one, not as a blank line the mapping skips', async () => {
    const allNull = Object.fromEntries(Object.keys(employees[0] ?? {}).map((key) => [key, null]));
    const config = await reportWith({ fields, employees: [employees[0], {}, allNull] });
    const problems: RecordProblem[] = [];
    await readAllRecords(createSourceForConfig(config, { resolveSecret, sleep: noSleep }), { onProblem: (problem) => problems.push(problem) });
    expect(problems).toEqual([
      { recordRef: 'record 2', field: 'record', message: 'entry 2 of the "employees" list of the custom report: not an employee object (an empty object); left out of this run' },
      { recordRef: 'record 3', field: 'record', message: 'entry 3 of the "employees" list of the custom report: not an employee object (an object whose every value is empty); left out of this run' },
    ]);
  });

  it('fails the read when no caller takes the problems, naming the entry', async () => {
    const config = await reportWith({ fields, employees: [employees[0], null] });
    await expect(readAllRecords(createSourceForConfig(config, { resolveSecret, sleep: noSleep }))).rejects.toThrow(
      'bamboohr:acme: 1 record(s) could not be read: record 2: entry 2 of the "employees" list of the custom report: not an employee object (null)',
    );
  });

  it('still fails a read in which no entry is an employee object', async () => {
    const config = await reportWith({ fields, employees: [null, null] });
    await expect(readAllRecords(createSourceForConfig(config, { resolveSecret, sleep: noSleep }), { onProblem: () => undefined })).rejects.toThrow(
      'bamboohr:acme returned no employee records, only 2 entry(ies) that are not employee objects',
    );
  });

  it('fails an answer without a list of employees, saying what it found', async () => {
    const config = await reportWith({ fields, employees: null });
    const reading = readAllRecords(createSourceForConfig(config, { resolveSecret, sleep: noSleep }));
    await expect(reading).rejects.toBeInstanceOf(SourceReadError);
    await expect(reading).rejects.toThrow('bamboohr:acme: the customReport response has no "employees" list (found null at "employees")');
  });
});
