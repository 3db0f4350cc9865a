/**
 * A termination date before the person's start date (the mapped Tenure) belongs to an earlier employment: HR systems
 * keep the last termination date when someone is hired again. Pure mapping; the end-to-end rehire is in
 * test/leavers/leavers.test.ts.
 */
import { PEAKON_USER_SCHEMA } from '../../scim/resources';
import { configWith, person } from './helpers';
import { mapEmployees } from '../../mapping/map';

const attributes = {
  Tenure: { field: 'start', date: 'ISO' },
  'Separation date': { field: 'end', date: 'ISO' },
};

function mapped(record: Record<string, string>, withTenure = true) {
  const config = configWith({ attributes: withTenure ? attributes : { 'Separation date': attributes['Separation date'] } });
  const report = mapEmployees([person(record)], config);
  expect(report.problems).toEqual([]);
  const [employee] = report.employees;
  if (!employee) throw new Error('not mapped');
  return { terminationDate: employee.terminationDate, peakon: employee.user[PEAKON_USER_SCHEMA] };
}

describe('rehires: which termination date counts', () => {
  it('a termination before the start date is an earlier employment: no termination date, and the separation date is cleared', () => {
    expect(mapped({ start: '2026-11-01', end: '2026-06-15' })).toEqual({ terminationDate: undefined, peakon: { Tenure: '2026-11-01', 'Separation date': null } });
  });

  it('a termination on or after the start date is the current employment\'s and stands', () => {
    expect(mapped({ start: '2026-11-01', end: '2026-11-01' })).toEqual({ terminationDate: '2026-11-01', peakon: { Tenure: '2026-11-01', 'Separation date': '2026-11-01' } });
    expect(mapped({ start: '2020-01-01', end: '2026-06-15' }).terminationDate).toBe('2026-06-15');
  });

  it('without a mapped start date (or an empty one) nothing can tell an earlier employment: the date decides as before', () => {
    expect(mapped({ end: '2026-06-15' }, false)).toEqual({ terminationDate: '2026-06-15', peakon: { 'Separation date': '2026-06-15' } });
    expect(mapped({ start: '', end: '2026-06-15' }).terminationDate).toBe('2026-06-15');
  });

  it('leavers.terminationDate from its own HR field follows the same rule', () => {
    const config = configWith({ attributes: { Tenure: attributes.Tenure } }, { leavers: { action: 'deactivate', terminationDate: { field: 'left', date: 'ISO' } } });
    const report = mapEmployees([person({ start: '2026-11-01', left: '2026-06-15' }), person({ start: '2020-01-01', left: '2026-06-15' })], config);
    expect(report.employees.map((employee) => employee.terminationDate)).toEqual([undefined, '2026-06-15']);
  });
});
