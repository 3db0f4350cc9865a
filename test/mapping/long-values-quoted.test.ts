/**
 * Messages quote at most MAX_QUOTED_LENGTH (80) characters of a value (mapping/limits.ts quoted()): they travel in the
 * plan's result, workflow history, logs and the CLI. An email (up to 254 bytes), an employee number or HRIS id (up to
 * 256 characters) and a manager pointer (up to 256) are valid at lengths far past it, so the duplicate and reference
 * messages that quote them must cut them too.
 */
import { MAX_QUOTED_LENGTH } from '../../mapping/limits';
import { mapEmployees } from '../../mapping/map';
import { configWith, person } from './helpers';

/** `value` as quoted() quotes a value longer than MAX_QUOTED_LENGTH: its first 80 characters and its length. */
const cut = (value: string) => `"${value.slice(0, MAX_QUOTED_LENGTH)}…" (${value.length} characters)`;

// 200 characters each, all valid: a 64-character local part and 63-character domain labels.
const longEmail = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.example`;
const longNumber = `E${'1'.repeat(199)}`;
const longId = `id-${'7'.repeat(197)}`;
const longManager = `m-${'9'.repeat(198)}`;

describe('long values in duplicate and reference messages', () => {
  it('cuts a duplicate email and an HRIS id to 80 characters, with their length', () => {
    expect([longEmail, longNumber, longId, longManager].map((value) => value.length)).toEqual([200, 200, 200, 200]);
    const report = mapEmployees([person({ email: longEmail.toUpperCase() }), person({ email: longEmail }), person({ id: longId }), person({ id: longId })], configWith());
    expect(report.problems.map((problem) => [problem.recordRef, problem.field, problem.message])).toEqual([
      ['row 2', 'email', `the email ${cut(longEmail)} is also used by row 3; neither record is written`],
      ['row 3', 'email', `the email ${cut(longEmail)} is also used by row 2; neither record is written`],
      ['row 4', 'id', `the HRIS id ${cut(longId)} is also used by row 5; neither record is written`],
      ['row 5', 'id', `the HRIS id ${cut(longId)} is also used by row 4; neither record is written`],
    ]);
    const messages = report.problems.map((problem) => problem.message).join('\n');
    expect(messages).not.toContain(longEmail);
    expect(messages).not.toContain(longId);
  });

  it('cuts a duplicate employee number, and the form a record wrote it in, to 80 characters', () => {
    const config = configWith({ employeeNumber: 'number' }, { matching: { key: 'employeeNumber' } });
    const report = mapEmployees([person({ number: longNumber }), person({ number: longNumber.toLowerCase() })], config);
    expect(report.problems.map((problem) => problem.message)).toEqual([
      `the employee number ${cut(longNumber.toLowerCase())} (written ${cut(longNumber)}) is also used by row 3; neither record is written`,
      `the employee number ${cut(longNumber.toLowerCase())} is also used by row 2; neither record is written`,
    ]);
    expect(report.problems.map((problem) => problem.message).join('\n')).not.toContain(longNumber.slice(1));
  });

  it('cuts a manager pointer to 80 characters in its warnings', () => {
    const byId = configWith({ attributes: { Manager: { employeeRef: 'manager' } } });
    const byEmail = configWith({ attributes: { Manager: { employeeRef: 'manager', matchOn: 'email' } } });
    expect(mapEmployees([person({ manager: longManager })], byId).employees[0]?.warnings).toEqual([`Manager: HRIS id ${cut(longManager)} is not in the HRIS read; Manager left out`]);
    expect(mapEmployees([person({ id: longId, manager: longId })], byId).employees[0]?.warnings).toEqual([`Manager: HRIS id ${cut(longId)} is the employee themself; Manager left out`]);
    const rejected = mapEmployees([person({ email: longEmail, first: '' }), person({ manager: longEmail })], byEmail);
    expect(rejected.employees[0]?.warnings).toEqual([`Manager: email ${cut(longEmail)} is row 2, which is not synced (rejected or out of scope); Manager left out`]);
  });

  it('still quotes a short value whole', () => {
    const report = mapEmployees([person({ id: 'E1' }), person({ id: 'E1' })], configWith());
    expect(report.problems[0]?.message).toBe('the HRIS id "E1" is also used by row 3; neither record is written');
  });
});
