import { EMPLOYEE_NUMBER_PATH } from '../../scim/resources';
import { eqFilter, employeeNumberFilter, externalIdFilter, userNameFilter } from '../../scim/filter';

describe('SCIM filter expressions', () => {
  it('escapes quotes and backslashes in values with JSON string rules', () => {
    expect(eqFilter('userName', 'a"b\\c')).toBe('userName eq "a\\"b\\\\c"');
  });

  it('escapes control characters so a value cannot break out of its literal', () => {
    expect(eqFilter('externalId', 'x\ny\u0001')).toBe('externalId eq "x\\ny\\u0001"');
  });

  it('keeps non-ASCII characters as they are', () => {
    expect(eqFilter('userName', 'søren@æøå.dk')).toBe('userName eq "søren@æøå.dk"');
  });

  it('writes booleans, numbers and null as JSON literals', () => {
    expect(eqFilter('active', false)).toBe('active eq false');
    expect(eqFilter('meta.version', 3)).toBe('meta.version eq 3');
    expect(eqFilter('externalId', null)).toBe('externalId eq null');
  });

  it('matches by userName (work email)', () => {
    expect(userNameFilter('Ada.Lovelace@acme.com')).toBe('userName eq "Ada.Lovelace@acme.com"');
  });

  it('matches by the URN-qualified enterprise employee number, always as a string', () => {
    expect(employeeNumberFilter(1042)).toBe(`${EMPLOYEE_NUMBER_PATH} eq "1042"`);
    expect(employeeNumberFilter('E-7')).toBe('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "E-7"');
  });

  it('filters on externalId', () => {
    expect(externalIdFilter('hris-1')).toBe('externalId eq "hris-1"');
  });

  it('rejects attribute paths that would inject filter syntax', () => {
    expect(() => eqFilter('userName pr or userName', 'x')).toThrow(/attribute path/);
    expect(() => eqFilter('', 'x')).toThrow(/attribute path/);
    expect(() => eqFilter('emails[type eq "work"]', 'x')).toThrow(/attribute path/);
  });

  it('rejects non-finite numbers', () => {
    expect(() => eqFilter('meta.version', Number.NaN)).toThrow(/finite/);
  });
});
