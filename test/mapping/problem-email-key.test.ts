import { mapEmployees } from '../../mapping/map';
import { configWith, person } from './helpers';

/**
 * A rejected record under `matching.key: employeeNumber` carries its email (emailMatchKey) on its problems when the
 * email is valid: the plan keeps the Peakon user holding it from being taken for a leaver (LeaverContext.retainedEmailKeys,
 * sync/plan.ts planLeavers), as it does the holder of a valid record's skipped create. Under email matching the
 * employeeKey is that key already, and the problems are as before.
 */
describe('record problems carry the email key under employee-number matching', () => {
  const byNumber = configWith({ employeeNumber: 'number' }, { matching: { key: 'employeeNumber' } });

  it('an invalid record (empty given name) names its employee number, HR id and email key', () => {
    const report = mapEmployees([person({ id: '77', number: 'E200', email: 'C@X.com', first: '' }), person({ number: 'E1' })], byNumber);
    expect(report.employees).toHaveLength(1);
    expect(report.problems).toEqual([{ recordRef: 'row 2', employeeKey: 'E200', sourceId: '77', emailKey: 'c@x.com', field: 'givenName', message: expect.stringContaining('is empty') }]);
  });

  it('an invalid email gives no email key', () => {
    const report = mapEmployees([person({ id: '78', number: 'E201', email: 'not an email', first: '' })], byNumber);
    expect(report.problems.length).toBeGreaterThan(0);
    for (const problem of report.problems) expect(problem).not.toHaveProperty('emailKey');
  });

  it('records rejected as duplicates carry theirs', () => {
    const report = mapEmployees([person({ id: 'a', number: 'E300', email: 'a@x.com' }), person({ id: 'b', number: 'E300', email: 'b@x.com' })], byNumber);
    expect(report.problems.map((problem) => [problem.sourceId, problem.emailKey])).toEqual([
      ['a', 'a@x.com'],
      ['b', 'b@x.com'],
    ]);
  });

  it('a record whose scope field cannot be read carries it too', () => {
    const config = configWith({ employeeNumber: 'number', scope: { include: [[{ field: 'country', equals: 'DK' }]] } }, { matching: { key: 'employeeNumber' } });
    const report = mapEmployees([person({ id: 'dk', number: 'E400', email: 'dk@x.com', country: 'D\uFFFDK' })], config);
    expect(report.problems).toEqual([expect.objectContaining({ employeeKey: 'E400', sourceId: 'dk', emailKey: 'dk@x.com', field: 'country' })]);
  });

  it('under email matching the problems are as before: the employeeKey is the email key', () => {
    const report = mapEmployees([person({ id: '79', email: 'C@X.com', first: '' })], configWith());
    expect(report.problems).toEqual([{ recordRef: 'row 2', employeeKey: 'c@x.com', sourceId: '79', field: 'givenName', message: expect.stringContaining('is empty') }]);
  });
});
