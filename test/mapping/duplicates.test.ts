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

  it('names at most five others in each member of a large group (a placeholder number shared by thousands), and rejects them all', () => {
    // Every member listing every other would be text growing with the square of the group: 10,000 sharing `N/A`
    // would pass the largest string a plan result can be encoded into, and fail the run instead of these records.
    const shared = Array.from({ length: 10_000 }, (_, index) => person({ id: `p${index}`, number: 'N/A' }));
    const report = mapEmployees([...shared, person({ id: 'own', number: 'E1' })], byNumber);
    expect(report.employees.map((employee) => employee.sourceId)).toEqual(['own']);
    expect(report.problems).toHaveLength(10_000);
    expect(report.problems[0]?.message).toBe('the employee number "n/a" (written "N/A") is also used by row 3, row 4, row 5, row 6, row 7 and 9994 more; none of these 10000 records is written');
    expect(report.problems[9_999]?.message).toBe('the employee number "n/a" (written "N/A") is also used by row 2, row 3, row 4, row 5, row 6 and 9994 more; none of these 10000 records is written');
    expect(Math.max(...report.problems.map((problem) => problem.message.length))).toBeLessThan(200);
  });

  it('names every other member of a small group', () => {
    const report = mapEmployees([person({ id: 'a', number: 'E7' }), person({ id: 'b', number: 'E7' }), person({ id: 'c', number: 'E7' })], byNumber);
    expect(report.problems.map((problem) => problem.message)).toEqual([
      'the employee number "e7" (written "E7") is also used by row 3, row 4; none of these 3 records is written',
      'the employee number "e7" (written "E7") is also used by row 2, row 4; none of these 3 records is written',
      'the employee number "e7" (written "E7") is also used by row 2, row 3; none of these 3 records is written',
    ]);
  });

  it('keeps employee numbers that differ in more than case apart', () => {
    const report = mapEmployees([person({ number: 'E100' }), person({ number: 'E1000' })], byNumber);
    expect(report.problems).toEqual([]);
    expect(report.employees).toHaveLength(2);
  });
});
