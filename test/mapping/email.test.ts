import { emailMatchKey } from '../../mapping/email';
import { mapEmployees } from '../../mapping/map';
import { configWith, mapOne, person } from './helpers';

describe('email normalisation (IDNA to ASCII, then case)', () => {
  it.each([
    'anna@exämple.com',
    'Anna@EXÄMPLE.com',
    'anna@xn--exmple-cua.com',
    'ANNA@XN--EXMPLE-CUA.COM',
    'anna@exa\u0308mple.com', // "ä" written as a + combining diaeresis
    ' anna@ｅｘäｍｐｌｅ.com ', // full-width letters
  ])('gives %j the key anna@xn--exmple-cua.com', (email) => {
    expect(emailMatchKey(email)).toBe('anna@xn--exmple-cua.com');
  });

  it('keeps the local part (NFC), and keys text that is not an address by its lower case', () => {
    expect(emailMatchKey('Jöns@Example.com')).toBe('jöns@example.com');
    expect(emailMatchKey('Not An Address')).toBe('not an address');
  });

  it('sends an internationalised domain in its ASCII form and keeps an ASCII domain as written', () => {
    const idn = mapOne(person({ email: 'Anna@EXÄMPLE.com' })).employees[0];
    expect(idn?.user.userName).toBe('Anna@xn--exmple-cua.com');
    expect(idn?.user.emails).toEqual([{ value: 'Anna@xn--exmple-cua.com', type: 'work', primary: true }]);
    expect(idn?.employeeKey).toBe('anna@xn--exmple-cua.com');
    expect(mapOne(person({ email: 'Ada@Example.com' })).employees[0]?.user.userName).toBe('Ada@Example.com');
  });

  it('reports both records of one mailbox written in its Unicode and ASCII forms, and writes neither', () => {
    const report = mapEmployees([person({ id: 'unicode', email: 'anna@exämple.com' }), person(), person({ id: 'ascii', email: 'anna@xn--exmple-cua.com' })], configWith());
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 3']);
    expect(report.problems).toEqual([
      {
        recordRef: 'row 2',
        employeeKey: 'anna@xn--exmple-cua.com',
        sourceId: 'unicode',
        field: 'email',
        message: 'the email "anna@xn--exmple-cua.com" (written "anna@exämple.com") is also used by row 4; neither record is written',
      },
      {
        recordRef: 'row 4',
        employeeKey: 'anna@xn--exmple-cua.com',
        sourceId: 'ascii',
        field: 'email',
        message: 'the email "anna@xn--exmple-cua.com" is also used by row 2; neither record is written',
      },
    ]);
  });

  it('resolves a manager referenced by email in the other form, and sends the manager\'s address as Peakon holds it', () => {
    const boss = person({ email: 'boss@exämple.com' });
    const report = mapEmployees([person({ manager: 'BOSS@xn--exmple-cua.com' }), boss], configWith({ attributes: { Manager: { employeeRef: 'manager', matchOn: 'email' } } }));
    expect(report.employees[0]?.references).toEqual({ Manager: 'boss@xn--exmple-cua.com' });
    expect(report.employees[0]?.warnings).toEqual([]);
  });

  it('matches a Peakon user stored in either form (the key sync/plan compares, given emailMatchKey on its side)', () => {
    const employee = mapOne(person({ email: 'Anna@exämple.com' })).employees[0];
    for (const stored of ['anna@exämple.com', 'ANNA@xn--exmple-cua.com']) expect(emailMatchKey(stored)).toBe(employee?.employeeKey);
  });

  it.each([
    ['anna\u200b@example.com', 'U+200B'],
    ['an\u00adna@example.com', 'U+00AD'],
    ['an\u200dna@example.com', 'U+200D'],
    ['anna@exam\u2060ple.com', 'U+2060'],
    ['\u200eanna@example.com', 'U+200E'],
  ])('rejects %j, which looks like an ordinary address but holds an invisible character (%s)', (email, codePoint) => {
    expect(mapOne(person({ email })).problems).toEqual([expect.objectContaining({ field: 'email', message: expect.stringContaining(`is not a valid email address: it contains the invisible character ${codePoint}`) })]);
  });

  it('rejects an address whose domain is not a valid internationalised domain name', () => {
    expect(mapOne(person({ email: 'anna@xn--zzzzzz.com' })).problems).toEqual([
      expect.objectContaining({ field: 'email', message: '"anna@xn--zzzzzz.com" is not a valid email address: its domain is not a valid (internationalised) domain name' }),
    ]);
    expect(mapOne(person({ email: 'anna@example..com' })).problems[0]?.field).toBe('email');
  });
});
