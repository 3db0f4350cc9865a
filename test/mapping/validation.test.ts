import { PEAKON_USER_SCHEMA } from '../../scim/resources';
import { mapEmployees } from '../../mapping/map';
import { configWith, mapOne, person } from './helpers';

const withManager = { attributes: { Manager: { employeeRef: 'manager' } } };

describe('per-record validation', () => {
  it.each([
    ['missing', ''],
    ['without a domain', 'ada@'],
    ['with a space', 'ada lovelace@example.com'],
  ])('rejects an email that is %s and names the record and field', (_case, email) => {
    const report = mapOne(person({ email }));
    expect(report.employees).toEqual([]);
    expect(report.problems).toEqual([expect.objectContaining({ recordRef: 'row 2', field: 'email' })]);
  });

  it('rejects a missing given name and a missing family name, reporting both', () => {
    const report = mapOne(person({ first: ' ', last: '' }));
    expect(report.problems.map((problem) => problem.field)).toEqual(['givenName', 'familyName']);
    expect(report.problems[0]?.employeeKey).toMatch(/@example\.com$/);
  });

  it('takes a name of only invisible characters (zero-width space, BOM, joiners, controls) for the missing name it is', () => {
    const report = mapEmployees([person({ first: '\u200b' }), person({ last: ' \ufeff\u200d\u2060 ' }), person({ first: '\u0007', last: '\u00ad' }), person({ first: 'Ada\u200b' })], configWith());
    expect(report.problems.map((problem) => [problem.recordRef, problem.field, problem.message])).toEqual([
      ['row 2', 'givenName', 'is empty (mapped from "first")'],
      ['row 3', 'familyName', 'is empty (mapped from "last")'],
      ['row 4', 'givenName', 'is empty (mapped from "first")'],
      ['row 4', 'familyName', 'is empty (mapped from "last")'],
    ]);
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 5']);
    // An optional attribute so filled is no value: its default, or cleared; a template made of such parts too.
    const attributes = { Team: 'team', Level: { field: 'level', default: 'n/a' }, Site: { template: '{a}-{b}' } };
    const optional = mapOne(person({ team: '\u200b', level: '\u200e', a: '\u200b', b: '' }), { attributes });
    expect(optional.problems).toEqual([]);
    expect(optional.employees[0]?.user).toMatchObject({ [PEAKON_USER_SCHEMA]: { Team: null, Level: 'n/a', Site: null } });
    // With trim off white space stays a value, invisible characters alone do not.
    const untrimmed = mapEmployees([person({ team: ' ' }), person({ team: '\u200b' })], configWith({ attributes: { Team: { field: 'team', trim: false } } }));
    expect(untrimmed.employees.map((employee) => employee.user[PEAKON_USER_SCHEMA])).toEqual([{ Team: ' ' }, { Team: null }]);
  });

  it('rejects a locale that is not a BCP 47 tag and canonicalises one that is (en_gb → en-GB)', () => {
    const bad = mapOne(person({ loc: 'english!' }), { locale: 'loc' });
    expect(bad.problems).toEqual([expect.objectContaining({ field: 'locale', message: expect.stringContaining('BCP 47') })]);
    expect(mapOne(person({ loc: 'en_gb' }), { locale: 'loc' }).employees[0]?.user.locale).toBe('en-GB');
  });

  it('rejects a time zone that is not an IANA zone, including a bare UTC offset', () => {
    for (const tz of ['Mars/Olympus_Mons', '+01:00']) {
      const report = mapOne(person({ tz }), { timezone: 'tz' });
      expect(report.problems).toEqual([expect.objectContaining({ field: 'timezone', message: expect.stringContaining('IANA') })]);
    }
    expect(mapOne(person({ tz: 'europe/copenhagen' }), { timezone: 'tz' }).employees[0]?.user.timezone).toBe('Europe/Copenhagen');
  });

  it.each([
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['Europe/Kyiv', 'Europe/Kyiv'],
    ['America/Nuuk', 'America/Nuuk'],
    ['Asia/Ho_Chi_Minh', 'Asia/Ho_Chi_Minh'],
    ['europe/copenhagen', 'Europe/Copenhagen'],
    ['asia/kolkata', 'Asia/Kolkata'],
    ['EUROPE/KYIV', 'Europe/Kyiv'],
    ['Asia/Calcutta', 'Asia/Calcutta'],
    ['utc', 'UTC'],
  ])('sends the known current time zone %s as the HR system spells it, letter case corrected (%s), never ICU\'s alias', (tz, sent) => {
    const report = mapOne(person({ tz }), { timezone: 'tz' });
    expect(report.problems).toEqual([]);
    expect(report.employees[0]?.user.timezone).toBe(sent);
  });

  it.each([
    ['us/eastern', 'America/New_York'],
    ['US/Eastern', 'America/New_York'],
    ['etc/utc', 'UTC'],
    ['Etc/UTC', 'UTC'],
    ['gmt', 'UTC'],
    ['est5edt', 'America/New_York'],
    ['canada/eastern', 'America/Toronto'],
  ])('sends a link or legacy time zone %s as ICU resolves it (%s), not as written', (tz, sent) => {
    const report = mapOne(person({ tz }), { timezone: 'tz' });
    expect(report.problems).toEqual([]);
    expect(report.employees[0]?.user.timezone).toBe(sent);
  });

  it.each(['BST', 'IST', 'AST', 'pst', 'SystemV/EST5'])('refuses the abbreviation %s, which ICU would map to one of the zones it can mean (BST → Asia/Dhaka)', (tz) => {
    const report = mapOne(person({ tz }), { timezone: 'tz' });
    expect(report.employees).toEqual([]);
    expect(report.problems).toEqual([expect.objectContaining({ field: 'timezone', message: expect.stringContaining('is an abbreviation, not an IANA time zone') })]);
  });

  it('sends every time zone ICU knows the same whatever its letter case', () => {
    const sentAs = (tz: string) => mapOne(person({ tz }), { timezone: 'tz' }).employees[0]?.user.timezone;
    const zones = Intl.supportedValuesOf('timeZone');
    const differing = zones.filter((zone) => sentAs(zone.toLowerCase()) !== sentAs(zone) || sentAs(zone.toUpperCase()) !== sentAs(zone));
    expect(differing).toEqual([]);
  });

  it('rejects a date that does not parse, including an impossible calendar date', () => {
    for (const dob of ['1990-03-07', '31/02/1990']) {
      const report = mapOne(person({ dob }), { attributes: { 'Date of Birth': { field: 'dob', date: 'DD/MM/YYYY' } } });
      expect(report.problems).toEqual([expect.objectContaining({ field: 'Date of Birth', message: `"${dob}" is not a date in the format DD/MM/YYYY` })]);
    }
  });

  it('rejects a date attribute given without a format when the value is not ISO', () => {
    const report = mapOne(person({ start: '01/02/2020' }), { attributes: { Tenure: { field: 'start', type: 'date' } } });
    expect(report.problems[0]?.message).toContain('not an ISO 8601 date');
  });

  it('rejects a separation date attribute (the termination date, without leavers.terminationDate) mapped without a format whose value is not ISO, rather than sending it while nobody leaves', () => {
    const mapping = { attributes: { 'Separation date': 'end' } };
    const report = mapEmployees([person({ end: '31/12/2024' }), person({ end: '2024-12-31' }), person({ end: '' })], configWith(mapping));
    expect(report.problems).toEqual([
      expect.objectContaining({ recordRef: 'row 2', field: 'Separation date', message: expect.stringContaining('"31/12/2024" is not an ISO 8601 date (YYYY-MM-DD); give the input format with `date`') }),
    ]);
    expect(report.employees.map((employee) => [employee.recordRef, employee.terminationDate])).toEqual([['row 3', '2024-12-31'], ['row 4', undefined]]);
    // With leavers.terminationDate the attribute is not the termination date: an option as any other.
    const elsewhere = mapEmployees([person({ end: '31/12/2024', left: '2024-12-31' })], configWith(mapping, { leavers: { terminationDate: 'left' } }));
    expect(elsewhere.problems).toEqual([]);
    expect(elsewhere.employees[0]?.terminationDate).toBe('2024-12-31');
  });

  it('rejects a number attribute that is not an integer', () => {
    const report = mapOne(person({ level: '4.5' }), { attributes: { Level: { field: 'level', type: 'number' } } });
    expect(report.problems).toEqual([expect.objectContaining({ field: 'Level', message: '"4.5" is not a whole number' })]);
  });

  it('rejects an option value longer than 256 characters and accepts exactly 256', () => {
    expect(mapOne(person({ team: 'x'.repeat(257) }), { attributes: { Team: 'team' } }).problems[0]?.field).toBe('Team');
    expect(mapOne(person({ team: 'ø'.repeat(256) }), { attributes: { Team: 'team' } }).problems).toEqual([]);
  });

  it('rejects a status the active map does not know', () => {
    const report = mapOne(person({ status: 'On leave' }), { active: 'status' });
    expect(report.problems).toEqual([expect.objectContaining({ field: 'active', message: expect.stringContaining('not true or false') })]);
  });

  it('rejects an empty mapped status (a blank cell, a REST record without the field) rather than taking it for active, which would reactivate a leaver', () => {
    const active = { field: 'status', map: { Active: true, Terminated: false } };
    const report = mapEmployees([person({ status: '' }), person({ status: '  ' }), person(), person({ status: 'Active' })], configWith({ active }));
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 5']);
    expect(report.problems).toEqual(
      ['row 2', 'row 3', 'row 4'].map((recordRef) =>
        expect.objectContaining({ recordRef, employeeKey: expect.stringMatching(/@example\.com$/), field: 'active', message: expect.stringContaining('is empty (mapped from "status"): an empty status is neither active nor inactive') }),
      ),
    );
    // What an empty status means can be said; and without mapping.active everyone is active, as before.
    expect(mapOne(person({ status: '' }), { active: { ...active, default: true } }).employees[0]?.user.active).toBe(true);
    expect(mapOne(person({ status: '' }), { active: { ...active, default: false } }).employees[0]?.user.active).toBe(false);
    expect(mapOne(person({ status: '' })).employees[0]?.user.active).toBe(true);
  });

  it('rejects C1 control characters (a Windows-1252 export read as Latin-1), naming record, field and code point, and keeps the other records', () => {
    const mapping = { attributes: { Allowance: 'allowance' } };
    const report = mapEmployees(
      [person({ last: 'O\u0092Brien' }), person({ allowance: 'Price \u0080' }), person({ last: 'Smith\u0085' }), person({ last: 'O\u2019Brien', allowance: 'Price \u20AC' })],
      configWith(mapping),
    );
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 5']);
    expect(report.problems).toEqual([
      expect.objectContaining({ recordRef: 'row 2', field: 'familyName', message: expect.stringContaining('"last" contains the control character U+0092 at character 1 (byte 0x92 is \u2019 in Windows-1252)') }),
      expect.objectContaining({ recordRef: 'row 3', field: 'Allowance', message: expect.stringContaining('U+0080 at character 6 (byte 0x80 is \u20AC in Windows-1252)') }),
      expect.objectContaining({ recordRef: 'row 4', field: 'familyName', message: expect.stringContaining('U+0085') }),
    ]);
    for (const problem of report.problems) expect(problem.message).toContain('probably Windows-1252 read as Latin-1, which `source.encoding: windows1252` reads');
  });

  it('keeps the other records when one is rejected', () => {
    const report = mapEmployees([person(), person({ email: 'nope' }), person()], configWith());
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 2', 'row 4']);
    expect(report.problems.map((problem) => problem.recordRef)).toEqual(['row 3']);
  });
});

describe('duplicates across the read', () => {
  it('reports both records and writes neither when two share an email (case-insensitively)', () => {
    const report = mapEmployees([person({ email: 'Same@example.com' }), person(), person({ email: 'same@example.com' })], configWith());
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 3']);
    expect(report.problems).toEqual([
      expect.objectContaining({ recordRef: 'row 2', field: 'email', message: expect.stringContaining('also used by row 4') }),
      expect.objectContaining({ recordRef: 'row 4', field: 'email', message: expect.stringContaining('also used by row 2') }),
    ]);
  });

  it('reports both records and writes neither when two share an employee number', () => {
    const report = mapEmployees([person({ number: '42' }), person({ number: '42' })], configWith({ employeeNumber: 'number' }));
    expect(report.employees).toEqual([]);
    expect(report.problems.map((problem) => [problem.recordRef, problem.field])).toEqual([
      ['row 2', 'employeeNumber'],
      ['row 3', 'employeeNumber'],
    ]);
  });

  it('reports both records when two share an HRIS id', () => {
    const report = mapEmployees([person({ id: 'X' }), person({ id: 'X' })], configWith());
    expect(report.employees).toEqual([]);
    expect(report.problems.map((problem) => problem.field)).toEqual(['id', 'id']);
  });
});

describe('employee references (Manager)', () => {
  it('resolves the manager id to the manager\'s email within the same read', () => {
    const boss = person({ id: 'B', email: 'Boss@Example.com' });
    const report = mapEmployees([person({ manager: 'B' }), boss], configWith(withManager));
    expect(report.employees[0]?.references).toEqual({ Manager: 'Boss@Example.com' });
    expect(report.employees[1]?.references).toEqual({});
  });

  it('resolves by employee number or email when matchOn says so', () => {
    const boss = person({ number: 'N1', email: 'boss@example.com' });
    const byNumber = mapEmployees([person({ number: 'N2', manager: 'N1' }), boss], configWith({ employeeNumber: 'number', attributes: { Manager: { employeeRef: 'manager', matchOn: 'employeeNumber' } } }));
    expect(byNumber.employees[0]?.references).toEqual({ Manager: 'boss@example.com' });
    const byEmail = mapEmployees([person({ manager: 'BOSS@example.com' }), boss], configWith({ attributes: { Manager: { employeeRef: 'manager', matchOn: 'email' } } }));
    expect(byEmail.employees[0]?.references).toEqual({ Manager: 'boss@example.com' });
  });

  it('leaves Manager out with a warning when the manager id is not in the read', () => {
    const report = mapEmployees([person({ manager: 'ghost' })], configWith(withManager));
    expect(report.problems).toEqual([]);
    expect(report.employees[0]?.references).toEqual({});
    expect(report.employees[0]?.warnings).toEqual(['Manager: HRIS id "ghost" is not in the HRIS read; Manager left out']);
  });

  it('leaves Manager out with a warning naming the row when the manager was rejected', () => {
    const report = mapEmployees([person({ id: 'B', email: 'broken' }), person({ manager: 'B' })], configWith(withManager));
    expect(report.employees[0]?.warnings).toEqual([expect.stringContaining('is row 2, which is not synced')]);
  });

  it('warns about a self-manager and leaves Manager out', () => {
    const report = mapEmployees([person({ id: 'S', manager: 'S' })], configWith(withManager));
    expect(report.employees[0]?.references).toEqual({});
    expect(report.employees[0]?.warnings).toEqual([expect.stringContaining('is the employee themself')]);
  });

  it('warns on every member of a management cycle, leaves their Manager out, and keeps reports into the cycle', () => {
    const records = [
      person({ id: 'A', manager: 'C' }),
      person({ id: 'B', manager: 'A' }),
      person({ id: 'C', manager: 'B' }),
      person({ id: 'D', manager: 'A', email: 'd@example.com' }),
    ];
    const report = mapEmployees(records, configWith(withManager));
    const [a, b, c, d] = report.employees;
    for (const member of [a, b, c]) {
      expect(member?.references).toEqual({});
      expect(member?.warnings).toEqual([expect.stringMatching(/^Manager: management cycle row \d → row \d → row \d → row \d/)]);
    }
    expect(d?.references).toEqual({ Manager: a?.user.userName });
    expect(d?.warnings).toEqual([]);
  });

  it('treats an empty manager field as no manager, without a warning', () => {
    const report = mapEmployees([person({ manager: '' })], configWith(withManager));
    expect(report.employees[0]?.warnings).toEqual([]);
  });
});
