import path from 'node:path';
import { loadConfigFile } from '../../config/load';
import { createSourceForConfig } from '../../hris';
import { readAllRecords } from '../../hris/source';
import { mapEmployees } from '../../mapping/map';
import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/resources';

const configPath = path.join(__dirname, '../../examples/sample-config.yaml');

async function mapSample() {
  const config = loadConfigFile(configPath);
  const records = await readAllRecords(createSourceForConfig(config));
  return mapEmployees(records, config);
}

describe('the shipped example (examples/sample-config.yaml + sample-hr.csv)', () => {
  it('maps all 50 employees without problems or warnings', async () => {
    const result = await mapSample();
    expect(result.recordsRead).toBe(50);
    expect(result.problems).toEqual([]);
    expect(result.employees).toHaveLength(50);
    expect(result.employees.flatMap((employee) => employee.warnings)).toEqual([]);
  });

  it('writes a complete SCIM body for a non-ASCII name, with typed Peakon attributes', async () => {
    const { employees } = await mapSample();
    const soren = employees.find((employee) => employee.sourceId === 'E1002');
    expect(soren).toEqual({
      employeeKey: 'soren.kjaer@example.com',
      sourceId: 'E1002',
      recordRef: 'row 2',
      user: {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA],
        userName: 'soren.kjaer@example.com',
        externalId: 'E1002',
        name: { givenName: 'Søren', familyName: 'Kjær' },
        emails: [{ value: 'soren.kjaer@example.com', type: 'work', primary: true }],
        active: true,
        locale: 'da',
        timezone: 'Europe/Copenhagen',
        [ENTERPRISE_USER_SCHEMA]: { employeeNumber: '10002', department: 'Engineering' },
        [PEAKON_USER_SCHEMA]: {
          Department: 'Engineering',
          Team: 'Leadership',
          Gender: 'Male',
          'Date of Birth': '1965-02-27',
          'Separation date': null,
          'Separation reason': null,
        },
      },
      references: { Manager: 'ingrid.larsen@example.com' },
      createOnly: [],
      warnings: [],
    });
  });

  it('resolves a manager listed after the report, and gives the CEO no Manager', async () => {
    const { employees } = await mapSample();
    const byId = new Map(employees.map((employee) => [employee.sourceId, employee]));
    expect(byId.get('E1020')?.references).toEqual({ Manager: 'mette.norgaard@example.com' });
    expect(byId.get('E1001')?.references).toEqual({});
  });

  it('marks leavers inactive with their separation date and a quoted reason containing a comma', async () => {
    const { employees } = await mapSample();
    const leaver = employees.find((employee) => employee.sourceId === 'E1047');
    expect(leaver?.user.active).toBe(false);
    expect(leaver?.user[PEAKON_USER_SCHEMA]).toMatchObject({ 'Separation date': '2025-01-31', 'Separation reason': 'Relocation, family reasons' });
  });
});
