/**
 * An empty result of `default` or `map` ("" or, trimmed, white space) is no value, as an empty HRIS value is: the
 * attribute is null in the desired user (an update clears it, a create leaves it out), never the text "" (which a date
 * or number attribute refuses, and an option attribute would get as a PATCH replace with "" rather than a remove).
 */
import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { SourceReadError } from '../../hris/source';
import { mapEmployees } from '../../mapping/map';
import { buildPlan } from '../../sync/plan';
import { configWith, mapOne, person } from './helpers';

const TEAM = `${PEAKON_USER_SCHEMA}:Team`;

describe('default: "" is no value', () => {
  it.each([
    ['date', { field: 'start', date: 'ISO', default: '' }],
    ['number', { field: 'start', type: 'number', default: '' }],
    ['option', { field: 'start', default: '' }],
    ['option, white space trimmed', { field: 'start', default: '  ' }],
  ])('on an attribute of type %s: an empty HRIS value is null (a clear), not "" and not a rejected record', (_kind, spec) => {
    const report = mapOne(person({ start: ' ' }), { attributes: { Start: spec } });
    expect(report.problems).toEqual([]);
    expect(report.employees[0]?.user[PEAKON_USER_SCHEMA]).toEqual({ Start: null });
  });

  it('keeps the white space of a default when trim is off (the HRIS value would keep it too)', () => {
    const report = mapOne(person({ team: '' }), { attributes: { Team: { field: 'team', trim: false, default: ' ' } } });
    expect(report.employees[0]?.user[PEAKON_USER_SCHEMA]).toEqual({ Team: ' ' });
  });

  it('on an optional core attribute (department): null, as an emptied department is', () => {
    const [employee] = mapOne(person({ dept: '' }), { department: { field: 'dept', default: '' } }).employees;
    expect(employee?.user[ENTERPRISE_USER_SCHEMA]).toEqual({ department: null });
  });

  it('a non-empty default is still the value', () => {
    const report = mapOne(person({ start: '' }), { attributes: { Start: { field: 'start', default: 'n/a' } } });
    expect(report.employees[0]?.user[PEAKON_USER_SCHEMA]).toEqual({ Start: 'n/a' });
  });
});

describe('a map entry or fallback of "" is no value', () => {
  const gender = { attributes: { Gender: { field: 'gender', map: { M: 'Male', F: 'Female', U: '' } } } };

  it('Gender U: "" maps to null, M to Male', () => {
    const report = mapEmployees([person({ gender: 'U' }), person({ gender: 'M' })], configWith(gender));
    expect(report.problems).toEqual([]);
    expect(report.employees.map((employee) => employee.user[PEAKON_USER_SCHEMA])).toEqual([{ Gender: null }, { Gender: 'Male' }]);
  });

  it('fallback: "" maps every unmapped value to null', () => {
    const report = mapOne(person({ gender: 'X' }), { attributes: { Gender: { field: 'gender', map: { M: 'Male' }, fallback: '' } } });
    expect(report.problems).toEqual([]);
    expect(report.employees[0]?.user[PEAKON_USER_SCHEMA]).toEqual({ Gender: null });
  });

  it('on a date attribute: "" is no date to parse, not a rejected record', () => {
    const report = mapOne(person({ start: 'unknown' }), { attributes: { Start: { field: 'start', map: { unknown: '' }, fallback: '2020-01-01', date: 'ISO' } } });
    expect(report.problems).toEqual([]);
    expect(report.employees[0]?.user[PEAKON_USER_SCHEMA]).toEqual({ Start: null });
  });

  it('plan: an existing user whose Team maps to "" gets a PATCH remove, not a replace with ""', () => {
    const config = configWith({ attributes: { Team: { field: 'team', map: { A: 'Alpha', none: '' } } } });
    const mapped = mapEmployees([person({ email: 'ann@example.com', team: 'none' })], config);
    const current = JSON.parse(JSON.stringify(mapped.employees[0]?.user)) as ScimUser;
    const existing = { ...current, id: 'u-ann', [PEAKON_USER_SCHEMA]: { Team: 'Alpha' } } as ScimUser;
    const [entry] = buildPlan(mapped.employees, [existing], { matchingKey: 'email', updateMethod: 'patch', refOf: (key) => `r-${key}` }).entries;
    expect(entry?.changes).toEqual([{ field: 'Team', from: 'Alpha', to: null, peakon: true }]);
    expect(entry?.update?.write).toEqual({ method: 'patch', operations: [{ op: 'remove', path: TEAM }] });
  });
});

describe('a REST read without a field the mapping reads', () => {
  const rest = { source: { type: 'rest', url: 'https://hr.example.com/api/employees' } };
  const read = (mapping: Record<string, unknown>) => () => mapEmployees([person(), person()], configWith(mapping, rest));

  it('advises default: "" for a field that may be empty for everyone, and that advice reads on with the attribute cleared', () => {
    expect(read({ attributes: { Start: { field: 'start', date: 'ISO' } } })).toThrow(SourceReadError);
    expect(read({ attributes: { Start: { field: 'start', date: 'ISO' } } })).toThrow('give the setting `default: ""` (no value: the attribute is cleared in Peakon');
    const report = read({ attributes: { Start: { field: 'start', date: 'ISO', default: '' } } })();
    expect(report.problems).toEqual([]);
    expect(report.employees.map((employee) => employee.user[PEAKON_USER_SCHEMA])).toEqual([{ Start: null }, { Start: null }]);
  });
});
