/**
 * References with `matchOn: employeeNumber` fold letter case as duplicates and employee refs do (emailMatchKey): `E100`
 * and `e100` are one employee number (two records holding them are duplicates), so a manager field holding `e100`
 * points to the employee numbered `E100`.
 */
import { mapEmployees } from '../../mapping/map';
import { configWith, person } from './helpers';

const byNumber = configWith({ employeeNumber: 'number', attributes: { Manager: { employeeRef: 'manager', matchOn: 'employeeNumber' } } });

describe('matchOn: employeeNumber', () => {
  it('resolves a manager number written in another letter case (and with spaces) to the manager\'s email', () => {
    const boss = person({ number: 'E100', email: 'boss@example.com', manager: '' });
    const report = mapEmployees([person({ number: 'E200', manager: ' e100 ' }), boss], byNumber);
    expect(report.problems).toEqual([]);
    expect(report.employees[0]?.references).toEqual({ Manager: 'boss@example.com' });
    expect(report.employees[0]?.warnings).toEqual([]);
  });

  it('still resolves when matching on the employee number (the matching key) too', () => {
    const config = configWith({ employeeNumber: 'number', attributes: { Manager: { employeeRef: 'manager', matchOn: 'employeeNumber' } } }, { matching: { key: 'employeeNumber' } });
    const boss = person({ number: 'e100', email: 'boss@example.com', manager: '' });
    const report = mapEmployees([person({ number: 'E200', manager: 'E100' }), boss], config);
    expect(report.employees[0]?.references).toEqual({ Manager: 'boss@example.com' });
  });

  it('knows the employee themself in another letter case', () => {
    const report = mapEmployees([person({ number: 'E7', manager: 'e7' })], byNumber);
    expect(report.employees[0]?.references).toEqual({});
    expect(report.employees[0]?.warnings).toEqual(['Manager: employeeNumber "e7" is the employee themself; Manager left out']);
  });

  it('names the rejected record a differently cased number points to, rather than "not in the HRIS read"', () => {
    const report = mapEmployees([person({ number: 'E100', email: 'broken', manager: '' }), person({ number: 'E200', manager: 'e100' })], byNumber);
    expect(report.employees[0]?.warnings).toEqual(['Manager: employeeNumber "e100" is row 2, which is not synced (rejected or out of scope); Manager left out']);
  });

  it('still says "not in the HRIS read" for a number nobody holds', () => {
    const report = mapEmployees([person({ number: 'E200', manager: 'E999' })], byNumber);
    expect(report.employees[0]?.warnings).toEqual(['Manager: employeeNumber "E999" is not in the HRIS read; Manager left out']);
  });
});
