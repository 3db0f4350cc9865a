/**
 * A reference by HRIS id holds the id as the HR record does; a record's own id went through mapping.id's transforms.
 * When mapping.id reads one field, the reference is put through the same spec before it is looked up, so a manager
 * field holding `a1` finds the record whose id `case: upper` made `A1` (it was warned "not in the HRIS read").
 */
import { mapEmployees } from '../../mapping/map';
import { configWith, person } from './helpers';

const upperIds = configWith({ id: { field: 'id', case: 'upper' }, attributes: { Manager: { employeeRef: 'manager' } } });

describe('references by HRIS id when mapping.id transforms the id', () => {
  it('resolves a manager id written as the HR record holds it to the manager\'s email', () => {
    const report = mapEmployees([person({ id: 'a1', email: 'boss@example.com', manager: '' }), person({ id: 'a2', manager: ' a1 ' })], upperIds);
    expect(report.problems).toEqual([]);
    expect(report.employees.map((employee) => employee.sourceId)).toEqual(['A1', 'A2']);
    expect(report.employees[1]?.references).toEqual({ Manager: 'boss@example.com' });
    expect(report.employees[1]?.warnings).toEqual([]);
  });

  it('applies a dotted field path\'s spec too (the id of nested JSON)', () => {
    const config = configWith({ id: { field: 'work.id', case: 'lower' }, attributes: { Manager: { employeeRef: 'manager' } } });
    const report = mapEmployees([person({ work: { id: 'B1' }, email: 'boss@example.com', manager: '' }), person({ work: { id: 'B2' }, manager: 'B1' })], config);
    expect(report.employees[1]?.references).toEqual({ Manager: 'boss@example.com' });
  });

  it('knows the employee themself', () => {
    const report = mapEmployees([person({ id: 'a7', manager: 'a7' })], upperIds);
    expect(report.employees[0]?.warnings).toEqual(['Manager: HRIS id "a7" is the employee themself; Manager left out']);
  });

  it('names the rejected record the id points to, and the value as the HR record holds it', () => {
    const report = mapEmployees([person({ id: 'a1', email: 'broken', manager: '' }), person({ id: 'a2', manager: 'a1' })], upperIds);
    expect(report.employees[0]?.warnings).toEqual(['Manager: HRIS id "a1" is row 2, which is not synced (rejected or out of scope); Manager left out']);
  });

  it('still says "not in the HRIS read" for an id nobody holds', () => {
    const report = mapEmployees([person({ id: 'a2', manager: 'a9' })], upperIds);
    expect(report.employees[0]?.warnings).toEqual(['Manager: HRIS id "a9" is not in the HRIS read; Manager left out']);
  });

  it('compares a reference as written when mapping.id is a template (a manager column holding the built id resolves)', () => {
    const config = configWith({ id: { template: 'ACME-{id}' }, attributes: { Manager: { employeeRef: 'manager' } } });
    const report = mapEmployees([person({ id: '42', email: 'boss@example.com', manager: '' }), person({ id: '43', manager: 'ACME-42' })], config);
    expect(report.employees[1]?.references).toEqual({ Manager: 'boss@example.com' });
  });
});
