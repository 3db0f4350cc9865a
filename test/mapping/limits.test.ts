import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { readAllRecords } from '../../hris/source';
import { MAX_QUOTED_LENGTH, MAX_RECORD_BYTES, MAX_VALUE_BYTES } from '../../mapping/limits';
import { mapEmployees } from '../../mapping/map';
import { formatMappingReport } from '../../mapping/summary';
import { configWith, mapOne, person } from './helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'peakon-limits-'));

describe('a single oversized record cannot stop the run', () => {
  it('rejects a 10 MB first_name read from a CSV, naming row and field, and maps the other rows', async () => {
    const file = path.join(dir, 'huge-name.csv');
    const huge = 'A'.repeat(10 * 1024 * 1024);
    writeFileSync(file, `employee_id,work_email,first_name,last_name\n1,ada@example.com,Ada,Lovelace\n2,bob@example.com,${huge},Builder\n3,cy@example.com,Cy,Young\n`);
    const records = await readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file })));
    const report = mapEmployees(records, configWith({ id: 'employee_id', email: 'work_email', givenName: 'first_name', familyName: 'last_name' }));

    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 2', 'row 4']);
    expect(report.problems).toEqual([
      {
        recordRef: 'row 3',
        employeeKey: 'bob@example.com',
        sourceId: '2',
        field: 'givenName',
        message: `10,485,760 bytes from "first_name" is longer than the ${MAX_VALUE_BYTES.toLocaleString('en-US')} allowed for one value`,
      },
    ]);
    expect(formatMappingReport(report)).toContain('row 3 (bob@example.com), givenName: 10,485,760 bytes from "first_name"');
    // What travels through Temporal stays small: the plan carries the problems and the employees.
    expect(JSON.stringify(report).length).toBeLessThan(4096);
  });

  it.each([
    ['id', { id: 'x'.repeat(257) }, {}, 'id'],
    ['given name', { first: 'é'.repeat(257) }, {}, 'givenName'],
    ['family name', { last: 'x'.repeat(257) }, {}, 'familyName'],
    ['employee number', { number: '9'.repeat(257) }, { employeeNumber: 'number' }, 'employeeNumber'],
    ['option value', { team: 'x'.repeat(257) }, { attributes: { Team: 'team' } }, 'Team'],
    ['department (any mapped string)', { dept: 'ø'.repeat(MAX_VALUE_BYTES / 2 + 1) }, { department: 'dept' }, 'department'],
    ['manager reference', { manager: 'x'.repeat(257) }, { attributes: { Manager: { employeeRef: 'manager' } } }, 'Manager'],
  ])('rejects an over-long %s and names the field', (_case, overrides, mapping, field) => {
    const report = mapOne(person(overrides), mapping);
    expect(report.employees).toEqual([]);
    expect(report.problems).toEqual([expect.objectContaining({ recordRef: 'row 2', field, message: expect.stringMatching(/^[\d,]+ (characters|bytes)( from "\w+")? is longer than/) })]);
  });

  it.each([
    ['id', { id: 'x'.repeat(256) }, {}],
    ['given name of 256 characters (emoji count once)', { first: '😀'.repeat(256) }, {}],
    ['department of exactly 4 KB', { dept: 'x'.repeat(MAX_VALUE_BYTES) }, { department: 'dept' }],
  ])('accepts an %s at the limit', (_case, overrides, mapping) => {
    expect(mapOne(person(overrides), mapping).problems).toEqual([]);
  });

  it('rejects emails beyond RFC 5321: 64 bytes before the @, 254 in all', () => {
    const local64 = 'a'.repeat(64);
    const domain = `${'d'.repeat(62)}.${'e'.repeat(62)}.${'f'.repeat(62)}.com`;
    expect(mapOne(person({ email: `${local64}@example.com` })).problems).toEqual([]);
    expect(mapOne(person({ email: `${local64}a@example.com` })).problems).toEqual([
      expect.objectContaining({ field: 'email', message: expect.stringContaining('the part before the @ is 65 bytes, more than the 64 allowed') }),
    ]);
    // Counted in UTF-8 bytes, as they travel: 33 × "ø" is 66 bytes.
    expect(mapOne(person({ email: `${'ø'.repeat(33)}@example.com` })).problems[0]?.message).toContain('66 bytes');
    const long = `${'a'.repeat(60)}@${domain}`;
    expect(long.length).toBe(253);
    expect(mapOne(person({ email: long })).problems).toEqual([]);
    expect(mapOne(person({ email: `ab${long}` })).problems).toEqual([expect.objectContaining({ field: 'email', message: expect.stringContaining('255 bytes, more than the 254 allowed') })]);
    expect(mapOne(person({ email: `a@${'d'.repeat(64)}.com` })).problems[0]?.message).toContain('1 to 63 characters');
  });

  it('rejects a record whose mapped data together exceeds the per-record cap, naming the largest values', () => {
    const attributes = Object.fromEntries(Array.from({ length: 40 }, (_unused, index) => [`A${index}`, `a${index}`]));
    const values = Object.fromEntries(Array.from({ length: 40 }, (_unused, index) => [`a${index}`, '😀'.repeat(256)]));
    const report = mapEmployees([person(values), person()], configWith({ attributes }));
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 3']);
    expect(report.problems).toEqual([
      expect.objectContaining({
        recordRef: 'row 2',
        // Its HR id too, as every rejected record's: the Peakon user carrying it as externalId is not a leaver.
        sourceId: expect.any(String),
        field: 'record',
        message: expect.stringMatching(new RegExp(`^the mapped data is [\\d,]+ bytes, more than the ${MAX_RECORD_BYTES.toLocaleString('en-US')} allowed for one employee \\(largest: A\\d+ 1,024 bytes`)),
      }),
    ]);
  });

  it('never copies a long value into a problem message', () => {
    const cases = [
      mapOne(person({ loc: 'x'.repeat(4000) }), { locale: 'loc' }),
      mapOne(person({ email: `${'x'.repeat(3000)}@example.com` })),
      mapOne(person({ dob: '9'.repeat(4000) }), { attributes: { 'Date of Birth': { field: 'dob', date: 'DD/MM/YYYY' } } }),
      mapOne(person({ status: 's'.repeat(4000) }), { active: { field: 'status', map: { Active: true } } }),
      mapOne(person({ level: '1.'.repeat(2000) }), { attributes: { Level: { field: 'level', type: 'number' } } }),
    ];
    for (const report of cases) {
      expect(report.problems).toHaveLength(1);
      expect(report.problems[0]?.message.length).toBeLessThan(MAX_QUOTED_LENGTH + 200);
      expect(report.problems[0]?.message).toMatch(/…" \(\d+ characters\)/);
    }
  });

  it('leaves an over-long HRIS id out of the record name of a JSON source', () => {
    const config = configWith({}, { source: { type: 'rest', url: 'http://127.0.0.1:1/employees' } });
    const report = mapEmployees([person({ id: 'i'.repeat(1000) })], config);
    expect(report.problems).toEqual([expect.objectContaining({ recordRef: 'record 1', field: 'id' })]);
  });
});
