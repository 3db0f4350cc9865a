import { mapEmployees } from '../../mapping/map';
import { configWith, person } from './helpers';

/**
 * README's example: `active` maps status Active/Terminated, and `scope.include` keeps only those two. A record whose
 * status is empty fails the include rule only because nothing is there: whether it is in scope cannot be told. Counted
 * as excluded, its person's owned Peakon user would be a leaver ("no longer in scope of the HR read"); without the scope
 * the empty status rejects the record as invalid, and an invalid record is still employed. So it is a problem that
 * says who the record is, as a scope field that cannot be read is (scope.test.ts).
 */
describe('scope: an include rule failing only on an empty field', () => {
  const readmeScope = { include: [[{ field: 'status', in: ['Active', 'Terminated'] }]] };
  const active = { field: 'status', map: { Active: true, Terminated: false } };
  const map = (scope: unknown, records: Record<string, unknown>[]) => mapEmployees(records.map((record) => person(record as Record<string, string>)), configWith({ active, scope }));

  it('README example, a blank status: a problem naming the record and the field, not excluded', () => {
    const report = map(readmeScope, [
      { id: 'e1', status: 'Active', email: 'e1@example.com' },
      { id: 'e2', status: '  ', email: 'Blank@Example.com' },
    ]);
    expect(report.employees.map((employee) => employee.sourceId)).toEqual(['e1']);
    expect(report.excluded).toBe(0);
    expect(report.problems).toEqual([
      {
        recordRef: 'row 3',
        employeeKey: 'blank@example.com',
        sourceId: 'e2',
        field: 'status',
        message: '"status" is empty, and the scope rules read it: cannot tell whether this record is in scope (an include or exclude rule with `empty: true` says what an empty value means)',
      },
    ]);
  });

  it('a value of only invisible characters (zero-width space) and a field the record lacks are empty too', () => {
    const report = map(readmeScope, [{ id: 'zwsp', status: '\u200b' }, { id: 'absent' }]);
    expect(report.excluded).toBe(0);
    expect(report.problems.map((problem) => [problem.sourceId, problem.field])).toEqual([
      ['zwsp', 'status'],
      ['absent', 'status'],
    ]);
  });

  it('an exclude rule `{ field: status, empty: true }` says what empty means: excluded, no problem', () => {
    const report = map({ ...readmeScope, exclude: [[{ field: 'status', empty: true }]] }, [{ id: 'e1', status: 'Active' }, { id: 'e2', status: '' }]);
    expect(report.employees.map((employee) => employee.sourceId)).toEqual(['e1']);
    expect(report.excluded).toBe(1);
    expect(report.problems).toEqual([]);
  });

  it('an include rule `{ field: status, empty: true }` says it too: in scope (and then rejected by the active mapping, as without a scope)', () => {
    const report = map({ include: [...readmeScope.include, [{ field: 'status', empty: true }]] }, [{ id: 'e2', status: '' }]);
    expect(report.excluded).toBe(0);
    expect(report.problems).toEqual([expect.objectContaining({ sourceId: 'e2', field: 'active' })]);
  });

  it('an include `notEmpty` condition failing on an empty value is decided: excluded', () => {
    const report = map({ include: [[{ field: 'status', notEmpty: true }]] }, [{ id: 'e2', status: '' }]);
    expect(report).toMatchObject({ excluded: 1, problems: [] });
  });

  it('an include failing on a value that is there (status Contractor) is excluded, as before', () => {
    const report = map(readmeScope, [{ id: 'c1', status: 'Contractor' }, { id: 'e1', status: 'Active' }]);
    expect(report.employees.map((employee) => employee.sourceId)).toEqual(['e1']);
    expect(report).toMatchObject({ excluded: 1, problems: [] });
  });

  it('a rule failing on a value that is there as well as on an empty one is decided: excluded', () => {
    const report = map({ include: [[{ field: 'status', equals: 'Active' }, { field: 'country', equals: 'DK' }]] }, [{ id: 'se', status: '', country: 'SE' }]);
    expect(report).toMatchObject({ excluded: 1, problems: [] });
  });

  it('one include rule undecided by an empty field is enough, though another fails on a value: a problem', () => {
    const report = map({ include: [[{ field: 'country', equals: 'DK' }], [{ field: 'status', equals: 'Active' }]] }, [{ id: 'se', status: '', country: 'SE' }]);
    expect(report.excluded).toBe(0);
    expect(report.problems).toEqual([expect.objectContaining({ sourceId: 'se', field: 'status' })]);
  });

  it('an exclude rule that holds is decided first: excluded, even with the include field empty', () => {
    const report = map({ ...readmeScope, exclude: [[{ field: 'country', equals: 'US' }]] }, [{ id: 'us', status: '', country: 'US' }]);
    expect(report).toMatchObject({ excluded: 1, problems: [] });
  });
  describe('an exclude rule holding only because a field it compares is empty', () => {
    // `notEquals: Active` (or a pattern matching "") holds on an empty status too: excluded so, a current employee
    // whose status cell was left blank would be a leaver, as with the include rule above.
    const notActive = { exclude: [[{ field: 'status', notEquals: 'Active' }]] };

    it('is undecided: a problem naming the field, not excluded', () => {
      const report = map(notActive, [{ id: 'e1', status: 'Active' }, { id: 'e2', status: '' }, { id: 'gone', status: 'Terminated' }]);
      expect(report.employees.map((employee) => employee.sourceId)).toEqual(['e1']);
      expect(report.excluded).toBe(1);
      expect(report.problems).toEqual([expect.objectContaining({ sourceId: 'e2', field: 'status', message: expect.stringContaining('"status" is empty, and the scope rules read it') })]);
    });

    it('a pattern matching the empty value is undecided too; one also holding on a value that is there is decided', () => {
      expect(map({ exclude: [[{ field: 'status', matches: '^(?!Active$)' }]] }, [{ id: 'e2', status: '' }]).problems).toEqual([expect.objectContaining({ sourceId: 'e2', field: 'status' })]);
      const both = map({ exclude: [[{ field: 'status', notEquals: 'Active' }, { field: 'country', equals: 'US' }]] }, [{ id: 'us', status: '', country: 'US' }, { id: 'se', status: '', country: 'SE' }]);
      // US: held only through the empty status, so undecided; SE: the country fails the rule, so it does not exclude
      // (in scope, then rejected by the active mapping for its empty status, as without a scope).
      expect(both.problems.map((problem) => [problem.sourceId, problem.field])).toEqual([
        ['us', 'status'],
        ['se', 'active'],
      ]);
      expect(both.excluded).toBe(0);
    });

    it('every include rule failing on a value that is there decides it: excluded, whatever the exclude rule', () => {
      const report = map({ ...notActive, include: [[{ field: 'country', equals: 'DK' }]] }, [{ id: 'se', status: '', country: 'SE' }]);
      expect(report).toMatchObject({ excluded: 1, problems: [] });
    });
  });
  describe('what is still decided', () => {
    it('a row that names nobody (no email, no id: a vacancy line, a heading) with the scope field empty is excluded, not a problem that would hold every run\'s leavers', () => {
      const report = map(readmeScope, [{ id: 'e1', status: 'Active', email: 'e1@example.com' }, { id: '', email: '', first_name: 'Open position: Sales Engineer', status: '' }]);
      expect(report.employees.map((employee) => employee.sourceId)).toEqual(['e1']);
      expect(report).toMatchObject({ excluded: 1, problems: [] });
    });

    it('a value compared with "" says what empty means: `equals: ""`, `in: ["", …]` and `notEquals: ""` decide', () => {
      expect(map({ exclude: [[{ field: 'status', equals: '' }]] }, [{ id: 'e2', status: '' }])).toMatchObject({ excluded: 1, problems: [] });
      expect(map({ exclude: [[{ field: 'status', in: ['', 'Contractor'] }]] }, [{ id: 'e2', status: '' }])).toMatchObject({ excluded: 1, problems: [] });
      expect(map({ include: [[{ field: 'status', notEquals: '' }]] }, [{ id: 'e2', status: '' }])).toMatchObject({ excluded: 1, problems: [] });
      // A value of only invisible characters is empty to these comparisons too, as to `empty: true` and the mapping:
      // `in: ["", Active]` keeps it in scope (then the active mapping rejects it), never out of scope into a leaver.
      for (const invisible of ['\u200b', '\u00ad']) {
        const report = map({ include: [[{ field: 'status', in: ['', 'Active'] }]] }, [{ id: 'zw', status: invisible }]);
        expect(report.excluded).toBe(0);
        expect(report.problems).toEqual([expect.objectContaining({ sourceId: 'zw', field: 'active' })]);
      }
    });
  });
});
