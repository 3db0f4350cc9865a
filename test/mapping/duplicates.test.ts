import { mapEmployees } from '../../mapping/map';
import { employeeRef } from '../../sync/employee-ref';
import { configWith, person } from './helpers';

describe('records that share a key', () => {
  const byNumber = configWith({ employeeNumber: 'number' }, { matching: { key: 'employeeNumber' } });

  it('reports two employee numbers that differ only in letter case, and writes neither: they would share one employee ref', () => {
    // The ref (and so every workflow ID of the employee) folds the matching key's case.
    expect(employeeRef(undefined, 'test', 'E100')).toBe(employeeRef(undefined, 'test', 'e100'));
    const report = mapEmployees([person({ id: 'upper', number: 'E100' }), person({ id: 'other', number: 'E200' }), person({ id: 'lower', number: 'e100' })], byNumber);
    expect(report.employees.map((employee) => employee.sourceId)).toEqual(['other']);
    expect(report.problems.map((problem) => [problem.sourceId, problem.field, problem.message])).toEqual([
      ['upper', 'employeeNumber', 'the employee number "e100" (written "E100") is also used by row 4; neither record is written'],
      ['lower', 'employeeNumber', 'the employee number "e100" is also used by row 2; neither record is written'],
    ]);
  });

  it('keeps employee numbers that differ in more than case apart', () => {
    const report = mapEmployees([person({ number: 'E100' }), person({ number: 'E1000' })], byNumber);
    expect(report.problems).toEqual([]);
    expect(report.employees).toHaveLength(2);
  });
});
