import { mapEmployees } from '../../mapping/map';
import { configWith, mapOne, person } from './helpers';

/** Records as a JSON source hands them over: JSON.parse of the HR system's text, big numbers already rounded. */
const fromJson = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;
const BEYOND = 'is a number beyond 2^53 (exact digits lost in JSON)';

describe('numbers beyond 2^53 read from JSON', () => {
  it('rejects an id beyond 2^53, naming the field, without printing the rounded number, and keeps the other records', () => {
    const report = mapEmployees([person(), person(fromJson('{"id": 12345678901234567890}')), person()], configWith());
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 2', 'row 4']);
    expect(report.problems).toEqual([expect.objectContaining({ recordRef: 'row 3', field: 'id', message: expect.stringContaining(`"id" ${BEYOND}`) })]);
    expect(report.problems[0]?.message).toContain('have the HR system send it as a string');
    expect(report.problems[0]?.message).not.toMatch(/1234567890123456/);
  });

  it('rejects two ids that JSON rounds to the same number, rather than syncing two people as one', () => {
    const report = mapEmployees([person(fromJson('{"id": 9007199254740993}')), person(fromJson('{"id": 9007199254740992}'))], configWith());
    expect(report.employees).toEqual([]);
    // Today's duplicate check would also stop them, but as "two records share the id 9007199254740992": neither's id.
    expect(report.problems).toEqual([
      expect.objectContaining({ recordRef: 'row 2', field: 'id', message: expect.stringContaining(BEYOND) }),
      expect.objectContaining({ recordRef: 'row 3', field: 'id', message: expect.stringContaining(BEYOND) }),
    ]);
  });

  it('rejects an employee number beyond 2^53, naming the field', () => {
    const report = mapOne(person(fromJson('{"number": -12345678901234567890}')), { employeeNumber: 'number' });
    expect(report.employees).toEqual([]);
    expect(report.problems).toEqual([expect.objectContaining({ field: 'employeeNumber', message: expect.stringContaining(`"number" ${BEYOND}`) })]);
  });

  it('rejects an employee number beyond 2^53 when it is the matching key', () => {
    const report = mapEmployees([person(fromJson('{"number": 1e21}'))], configWith({ employeeNumber: 'number' }, { matching: { key: 'employeeNumber' } }));
    expect(report.problems).toEqual([expect.objectContaining({ field: 'employeeNumber', message: expect.stringContaining(BEYOND) })]);
  });

  it('rejects a manager reference (employeeRef) beyond 2^53, naming the attribute, instead of pointing at whoever has the rounded id', () => {
    // The manager's id, as text, is what JSON rounds the reference to: read on, it would resolve to this person.
    const rounded = person({ id: String(fromJson('{"n": 12345678901234567891}')['n']), email: 'wrong.boss@example.com' });
    const report = mapEmployees([person(fromJson('{"manager": 12345678901234567891}')), rounded], configWith({ attributes: { Manager: { employeeRef: 'manager' } } }));
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 3']);
    expect(report.problems).toEqual([expect.objectContaining({ recordRef: 'row 2', field: 'Manager', message: expect.stringContaining(`"manager" ${BEYOND}`) })]);
  });

  it('rejects a number beyond 2^53 inside a template, naming the field it came from', () => {
    const report = mapOne(person(fromJson('{"code": 98765432109876543210}')), { id: { template: 'HR-{code}' } });
    expect(report.problems).toEqual([expect.objectContaining({ field: 'id', message: expect.stringContaining(`"code" ${BEYOND}`) })]);
  });

  it('rejects a scope field beyond 2^53, naming the field, instead of dropping the person out of scope (and so into the leavers)', () => {
    const config = configWith({ scope: { include: [[{ field: 'costCenter', equals: '12345678901234567891' }], [{ field: 'unit', in: ['90071992547409931'] }]] } });
    const report = mapEmployees(
      [person(fromJson('{"id": "a", "costCenter": 12345678901234567891}')), person(fromJson('{"id": "b", "unit": 90071992547409931}')), person({ id: 'c', costCenter: '12345678901234567891' })],
      config,
    );
    expect(report.employees.map((employee) => employee.sourceId)).toEqual(['c']);
    expect(report.excluded).toBe(0);
    expect(report.problems).toEqual([
      expect.objectContaining({ recordRef: 'row 2', sourceId: 'a', field: 'costCenter', message: expect.stringContaining(`"costCenter" ${BEYOND}`) }),
      expect.objectContaining({ recordRef: 'row 3', sourceId: 'b', field: 'unit', message: expect.stringContaining(`"unit" ${BEYOND}`) }),
    ]);
    expect(report.problems[0]?.message).toContain('(the scope rules read it)');
    expect(report.problems.map((problem) => problem.message).join(' ')).not.toMatch(/1234567890123456|900719925474099/);
  });

  it('scopes a safe integer from JSON as its text, as before', () => {
    const report = mapEmployees([person(fromJson('{"costCenter": 9007199254740991}')), person(fromJson('{"costCenter": 42}'))], configWith({ scope: { include: [[{ field: 'costCenter', equals: '9007199254740991' }]] } }));
    expect(report.problems).toEqual([]);
    expect(report.excluded).toBe(1);
    expect(report.employees).toHaveLength(1);
  });

  it('still maps safe integers exactly as text, up to 2^53 - 1, and resolves a manager given as a number', () => {
    const boss = person(fromJson('{"id": 9007199254740991, "number": -9007199254740991, "email": "boss@example.com"}'));
    const report = mapEmployees(
      [person(fromJson('{"id": 42, "number": 1043, "manager": 9007199254740991}')), boss],
      configWith({ employeeNumber: 'number', attributes: { Manager: { employeeRef: 'manager' } } }),
    );
    expect(report.problems).toEqual([]);
    expect(report.employees.map((employee) => [employee.sourceId, employee.user.externalId])).toEqual([['42', '42'], ['9007199254740991', '9007199254740991']]);
    expect(report.employees.map((employee) => employee.user['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']?.employeeNumber)).toEqual(['1043', '-9007199254740991']);
    expect(report.employees[0]?.references).toEqual({ Manager: 'boss@example.com' });
  });

  it('keeps a fractional id as JavaScript writes it (1.5 → "1.5"), as before', () => {
    const report = mapOne(person(fromJson('{"id": 1.5}')));
    expect(report.problems).toEqual([]);
    expect(report.employees[0]?.sourceId).toBe('1.5');
  });
});
