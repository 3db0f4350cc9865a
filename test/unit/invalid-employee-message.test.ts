/** A single-employee sync's failure for an invalid HR record: the record, and its problems (the first few, the rest counted). */
import { INVALID_RECORD_PROBLEMS_SHOWN, invalidEmployeeMessage } from '../../activities/plan';

describe('invalidEmployeeMessage', () => {
  it('lists the first few problems and counts the rest; one problem is told as before, with its record', () => {
    const problem = (field: string) => ({ recordRef: 'row 7', employeeKey: 'a@example.com', field, message: `${field} is wrong` });
    const others = [{ recordRef: 'row 9', employeeKey: 'b@example.com', field: 'Other', message: 'not this record' }];
    expect(invalidEmployeeMessage('a@example.com', 'row 7', [problem('Locale'), ...others])).toBe('employee a@example.com is invalid in the HR system: row 7: Locale: Locale is wrong');
    const fields = ['A', 'B', 'C', 'D', 'E'];
    const message = invalidEmployeeMessage('a@example.com', 'row 7', [...others, ...fields.map(problem)]);
    expect(INVALID_RECORD_PROBLEMS_SHOWN).toBe(3);
    expect(message).toBe('employee a@example.com is invalid in the HR system: row 7 has 5 problems: (1) A: A is wrong; (2) B: B is wrong; (3) C: C is wrong; and 2 more');
  });
});
