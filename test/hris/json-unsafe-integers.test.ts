import type { SecretRef } from '../../config/secret';
import { createSource } from '../../hris';
import { createBambooHrSource } from '../../hris/bamboohr';
import { BambooHrSourceConfigSchema, RestSourceConfigSchema } from '../../hris/config';
import { readAllRecords } from '../../hris/source';
import { mapEmployees } from '../../mapping/map';
import { configWith } from '../mapping/helpers';
import { startTestServer, type RecordedRequest, type Reply, type TestServer } from './http-server';

const resolveSecret = (ref: SecretRef): string => {
  if ('env' in ref && ref.env === 'HR_KEY') return 'k3y';
  throw new Error(`no secret ${JSON.stringify(ref)}`);
};
const noSleep = async () => undefined;
const BEYOND = 'is a number beyond 2^53 (exact digits lost in JSON)';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handle: (request: RecordedRequest) => Reply): Promise<TestServer> {
  server = await startTestServer(handle);
  return server;
}

describe('REST source: numbers beyond 2^53 in the JSON', () => {
  // Written as the HR system sends them: the digits exact in the body, rounded by JSON.parse.
  const body =
    '[{"id":1,"email":"a@example.com","first":"Ada","last":"L","no":1001,"boss":null},' +
    '{"id":12345678901234567890,"email":"b@example.com","first":"Bo","last":"B","no":1002,"boss":1},' +
    '{"id":3,"email":"c@example.com","first":"Cy","last":"C","no":12345678901234567891,"boss":1},' +
    '{"id":4,"email":"d@example.com","first":"Di","last":"D","no":1004,"boss":12345678901234567892}]';

  it('rejects each record with an id, employee number or manager reference beyond 2^53, naming record and field, and maps the rest', async () => {
    const api = await serve(() => ({ body }));
    const config = configWith(
      { employeeNumber: 'no', attributes: { Manager: { employeeRef: 'boss' } } },
      { source: { type: 'rest', url: `${api.origin}/api/employees` } },
    );
    const records = await readAllRecords(createSource(RestSourceConfigSchema.parse(config.source), { resolveSecret, sleep: noSleep }));
    const report = mapEmployees(records, config);
    expect(report.employees.map((employee) => employee.sourceId)).toEqual(['1']);
    expect(report.problems).toEqual([
      // The id is left out of the record's name too: its rounded digits are not the HR system's.
      expect.objectContaining({ recordRef: 'record 2', field: 'id', message: expect.stringContaining(`"id" ${BEYOND}`) }),
      expect.objectContaining({ recordRef: 'record 3 (id 3)', sourceId: '3', field: 'employeeNumber', message: expect.stringContaining(`"no" ${BEYOND}`) }),
      expect.objectContaining({ recordRef: 'record 4 (id 4)', sourceId: '4', field: 'Manager', message: expect.stringContaining(`"boss" ${BEYOND}`) }),
    ]);
  });

  it('fails the read on a numeric cursor beyond 2^53 instead of asking for a page the API never gave', async () => {
    const api = await serve(({ url }) => ({
      body: url.searchParams.get('cursor') === null ? '{"items":[{"id":"E1"}],"next":1234567890123456789012}' : '{"items":[],"next":null}',
    }));
    const config = RestSourceConfigSchema.parse({ type: 'rest', url: `${api.origin}/api/employees`, recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'next' } });
    await expect(readAllRecords(createSource(config, { resolveSecret, sleep: noSleep }))).rejects.toThrow(`the cursor at "next" ${BEYOND}`);
    expect(api.requests).toHaveLength(1);
  });

  it('still follows a numeric cursor that is a safe integer', async () => {
    const api = await serve(({ url }) => ({
      body: url.searchParams.get('cursor') === null ? '{"items":[{"id":"E1"}],"next":9007199254740991}' : '{"items":[{"id":"E2"}],"next":null}',
    }));
    const config = RestSourceConfigSchema.parse({ type: 'rest', url: `${api.origin}/api/employees`, recordsPath: 'items', pagination: { type: 'cursor', cursorPath: 'next' } });
    expect((await readAllRecords(createSource(config, { resolveSecret, sleep: noSleep }))).map((record) => record['id'])).toEqual(['E1', 'E2']);
    expect(api.requests.map((request) => request.url.searchParams.get('cursor'))).toEqual([null, '9007199254740991']);
  });
});

describe('BambooHR source: numbers beyond 2^53 in the JSON', () => {
  const bambooConfig = (baseUrl: string) => BambooHrSourceConfigSchema.parse({ type: 'bamboohr', companyDomain: 'acme', apiKey: { env: 'HR_KEY' }, baseUrl });

  it('leaves an id or supervisorEId beyond 2^53 a number (not rounded text), so the mapping rejects that record naming the field', async () => {
    const api = await serve(() => ({
      body:
        '{"fields":[{"id":"workEmail"},{"id":"firstName"},{"id":"lastName"},{"id":"supervisorEId"}],"employees":[' +
        '{"id":1,"workEmail":"a@example.com","firstName":"Ada","lastName":"L","supervisorEId":null},' +
        '{"id":12345678901234567890,"workEmail":"b@example.com","firstName":"Bo","lastName":"B","supervisorEId":1},' +
        '{"id":3,"workEmail":"c@example.com","firstName":"Cy","lastName":"C","supervisorEId":12345678901234567891}]}',
    }));
    const records = await readAllRecords(createBambooHrSource(bambooConfig(api.origin), { resolveSecret, sleep: noSleep, fields: ['workEmail', 'firstName', 'lastName'] }));
    expect(records.map((record) => typeof record['id'])).toEqual(['string', 'number', 'string']);
    const config = configWith({ email: 'workEmail', givenName: 'firstName', familyName: 'lastName', attributes: { Manager: { employeeRef: 'supervisorEId' } } });
    const report = mapEmployees(records, config);
    expect(report.employees.map((employee) => [employee.sourceId, employee.references])).toEqual([['1', {}]]);
    expect(report.problems).toEqual([
      expect.objectContaining({ recordRef: 'row 3', field: 'id', message: expect.stringContaining(`"id" ${BEYOND}`) }),
      expect.objectContaining({ recordRef: 'row 4', sourceId: '3', field: 'Manager', message: expect.stringContaining(`"supervisorEId" ${BEYOND}`) }),
    ]);
  });

  it('takes a changed employee\'s id beyond 2^53 from the feed\'s key (exact text), and reports one whose key does not match as a problem', async () => {
    const api = await serve(() => ({
      body:
        '{"latest":"2025-03-03T08:00:00Z","employees":{' +
        '"12345678901234567890":{"id":12345678901234567890,"action":"Deleted","lastChanged":"2025-03-03T08:00:00Z"},' +
        '"x":{"id":98765432109876543210,"action":"Deleted","lastChanged":"2025-03-03T08:00:00Z"},' +
        '"7":{"id":7,"action":"Deleted","lastChanged":"2025-03-03T08:00:00Z"}}}',
    }));
    const changes = await createBambooHrSource(bambooConfig(api.origin), { resolveSecret, sleep: noSleep, fields: ['workEmail'] }).readChangedSince('2025-03-01T00:00:00Z');
    expect([...changes.deletedIds].sort()).toEqual(['12345678901234567890', '7']);
    expect(changes.problems).toEqual([{ recordRef: 'change "x"', field: 'id', message: expect.stringContaining(BEYOND) }]);
  });
});
