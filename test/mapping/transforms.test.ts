import { PEAKON_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from '../../scim/resources';
import { configWith, mapOne, person } from './helpers';
import { mapEmployees } from '../../mapping/map';

function peakonOf(report: ReturnType<typeof mapOne>): Record<string, unknown> | undefined {
  return report.employees[0]?.user[PEAKON_USER_SCHEMA];
}

describe('mapping kinds', () => {
  it('reads a direct field, including a dotted path into nested JSON', () => {
    const report = mapOne(person({ org: { unit: { name: 'Research' } } }), { attributes: { Department: 'org.unit.name' } });
    expect(peakonOf(report)).toEqual({ Department: 'Research' });
  });

  it('prefers an exact key containing a dot over a nested path', () => {
    const report = mapOne(person({ 'org.unit': 'Flat', org: { unit: 'Nested' } }), { attributes: { Department: 'org.unit' } });
    expect(peakonOf(report)).toEqual({ Department: 'Flat' });
  });

  it('writes a constant for every record', () => {
    const report = mapOne(person(), { attributes: { Country: { value: 'Denmark' } } });
    expect(peakonOf(report)).toEqual({ Country: 'Denmark' });
  });

  it('fills a template from several fields', () => {
    const report = mapOne(person({ city: 'Aarhus', country: 'DK' }), { attributes: { Location: { template: '{city}, {country}' } } });
    expect(peakonOf(report)).toEqual({ Location: 'Aarhus, DK' });
  });

  it('makes a template whose placeholders are all empty no value (cleared, or its default), never its separators alone', () => {
    const location = { template: '{city}, {country}' };
    const report = mapEmployees(
      [person({ city: '', country: ' ' }), person({ city: 'Aarhus', country: '' }), person()],
      configWith({ attributes: { Location: location, Named: { template: '{city} ({country})', default: 'Unknown' }, Fixed: { template: 'HQ' } } }),
    );
    expect(report.problems).toEqual([]);
    expect(report.employees.map((employee) => employee.user[PEAKON_USER_SCHEMA])).toEqual([
      { Location: null, Named: 'Unknown', Fixed: 'HQ' },
      { Location: 'Aarhus,', Named: 'Aarhus ()', Fixed: 'HQ' },
      { Location: null, Named: 'Unknown', Fixed: 'HQ' },
    ]);
    // A required core attribute built only of empty parts is empty, as a blank field is.
    expect(mapOne(person({ a: '', b: '' }), { givenName: { template: '{a} {b}' } }).problems).toEqual([expect.objectContaining({ field: 'givenName', message: 'is empty (mapped from template "{a} {b}")' })]);
  });

  it('reports a field that holds an object instead of text', () => {
    const report = mapOne(person({ team: { name: 'x' } }), { attributes: { Team: 'team' } });
    expect(report.problems).toEqual([expect.objectContaining({ field: 'Team', message: 'expected a text value in "team", found an object' })]);
  });
});

describe('transforms', () => {
  it('trims by default and keeps inner spaces when trim is off', () => {
    expect(peakonOf(mapOne(person({ team: '  Data  ' }), { attributes: { Team: 'team' } }))).toEqual({ Team: 'Data' });
    expect(peakonOf(mapOne(person({ team: '  Data  ' }), { attributes: { Team: { field: 'team', trim: false } } }))).toEqual({ Team: '  Data  ' });
  });

  it('lower-cases and upper-cases', () => {
    const report = mapOne(person({ a: 'MiXeD', b: 'MiXeD' }), { attributes: { A: { field: 'a', case: 'lower' }, B: { field: 'b', case: 'upper' } } });
    expect(peakonOf(report)).toEqual({ A: 'mixed', B: 'MIXED' });
  });

  it('maps values through a value map (M → Male)', () => {
    const report = mapOne(person({ gender: 'M' }), { attributes: { Gender: { field: 'gender', map: { M: 'Male', F: 'Female' } } } });
    expect(peakonOf(report)).toEqual({ Gender: 'Male' });
  });

  it('finds a map key written in composed form (NFC) for a decomposed HR value (NFD, a macOS export), and the other way round', () => {
    const composed = 'Z\u00fcrich';
    const decomposed = 'Zu\u0308rich';
    for (const [written, read] of [[composed, decomposed], [decomposed, composed]] as const) {
      const report = mapOne(person({ site: read }), { attributes: { Site: { field: 'site', map: { [written]: 'ZH', Basel: 'BS' } } } });
      expect(report.problems).toEqual([]);
      expect(peakonOf(report)).toEqual({ Site: 'ZH' });
    }
    // An exact key still wins over another spelling that composes alike.
    const both = { field: 'site', map: { [composed]: 'composed', [decomposed]: 'decomposed' } };
    expect(peakonOf(mapOne(person({ site: decomposed }), { attributes: { Site: both } }))).toEqual({ Site: 'decomposed' });
  });

  it('uses the fallback for a value the map does not list', () => {
    const report = mapOne(person({ gender: 'Q' }), { attributes: { Gender: { field: 'gender', map: { M: 'Male' }, fallback: 'Other' } } });
    expect(peakonOf(report)).toEqual({ Gender: 'Other' });
  });

  it('rejects the record when a value is not in the map and there is no fallback', () => {
    const report = mapOne(person({ gender: 'Q' }), { attributes: { Gender: { field: 'gender', map: { M: 'Male', F: 'Female' } } } });
    expect(report.employees).toEqual([]);
    expect(report.problems).toEqual([expect.objectContaining({ recordRef: 'row 2', field: 'Gender', message: '"Q" is not one of the mapped values (M, F)' })]);
  });

  it('parses a date in the given format and writes ISO 8601', () => {
    const report = mapOne(person({ dob: '7/3/1990' }), { attributes: { 'Date of Birth': { field: 'dob', date: 'D/M/YYYY' } } });
    expect(peakonOf(report)).toEqual({ 'Date of Birth': '1990-03-07' });
  });

  it('accepts an ISO timestamp with the ISO format and keeps only the date', () => {
    const report = mapOne(person({ start: '2021-04-01T09:00:00Z' }), { attributes: { Tenure: { field: 'start', date: 'ISO' } } });
    expect(peakonOf(report)).toEqual({ Tenure: '2021-04-01' });
  });

  it('uses the default when the HRIS value is empty, and sends null for an empty attribute without one', () => {
    const report = mapOne(person({ team: '   ', unit: '' }), { attributes: { Team: { field: 'team', default: 'Unassigned' }, Unit: 'unit' } });
    expect(peakonOf(report)).toEqual({ Team: 'Unassigned', Unit: null });
  });

  it('lists onlyOnCreate attributes as SCIM paths in createOnly', () => {
    const report = mapOne(person({ start: '2020-01-02', loc: 'da' }), {
      locale: { field: 'loc', onlyOnCreate: true },
      attributes: { Tenure: { field: 'start', date: 'ISO', onlyOnCreate: true } },
    });
    expect(report.employees[0]?.createOnly).toEqual(['locale', `${PEAKON_USER_SCHEMA}:Tenure`]);
  });

  it('treats a number attribute as an integer', () => {
    const report = mapOne(person({ level: ' 7 ' }), { attributes: { Level: { field: 'level', type: 'number' } } });
    expect(peakonOf(report)).toEqual({ Level: 7 });
  });
});

describe('the SCIM body', () => {
  it('keeps userName as written and lower-cases only the employee key', () => {
    const report = mapOne(person({ email: 'Ada.Lovelace@Example.com' }));
    expect(report.employees[0]?.employeeKey).toBe('ada.lovelace@example.com');
    expect(report.employees[0]?.user.userName).toBe('Ada.Lovelace@Example.com');
  });

  it('leaves out the enterprise and Peakon schemas when nothing uses them', () => {
    const report = mapOne(person());
    expect(report.employees[0]?.user.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User']);
    expect(report.employees[0]?.user).not.toHaveProperty([ENTERPRISE_USER_SCHEMA]);
  });

  it('keys employees by employee number when matching.key is employeeNumber', () => {
    const config = configWith({ employeeNumber: 'number' }, { matching: { key: 'employeeNumber' } });
    const report = mapEmployees([person({ number: 'A-17' })], config);
    expect(report.employees[0]?.employeeKey).toBe('A-17');
    expect(report.employees[0]?.user[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: 'A-17' });
  });

  it('maps active from a status through a value map and defaults to active when unmapped', () => {
    const mapped = mapOne(person({ status: 'Terminated' }), { active: { field: 'status', map: { Active: true, Terminated: false } } });
    expect(mapped.employees[0]?.user.active).toBe(false);
    expect(mapOne(person()).employees[0]?.user.active).toBe(true);
  });

  it('names records that are not from a CSV by position and HRIS id', () => {
    const config = configWith({}, { source: { type: 'rest', url: 'http://127.0.0.1:1/employees' } });
    const report = mapEmployees([person(), person({ id: '77', email: 'bad' })], config);
    expect(report.problems[0]?.recordRef).toBe('record 2 (id 77)');
  });
});
