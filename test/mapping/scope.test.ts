import { mapEmployees } from '../../mapping/map';
import { configWith, person } from './helpers';

function keptIds(scope: unknown, records = [
  person({ id: 'dk', country: 'DK', type: 'Employee', email: 'dk@example.com' }),
  person({ id: 'se', country: 'SE', type: 'Contractor', email: 'se@example.com' }),
  person({ id: 'no', country: 'NO', type: 'Employee', email: 'no@example.com', end: '2024-01-01' }),
]) {
  const report = mapEmployees(records, configWith({ scope }));
  return { ids: report.employees.map((employee) => employee.sourceId), excluded: report.excluded, problems: report.problems };
}

describe('scoping rules', () => {
  it('keeps everyone without a scope', () => {
    expect(keptIds(undefined).ids).toEqual(['dk', 'se', 'no']);
  });

  it('includes only records matching an include rule (equals), counting the rest as excluded, not as problems', () => {
    expect(keptIds({ include: [[{ field: 'country', equals: 'DK' }]] })).toEqual({ ids: ['dk'], excluded: 2, problems: [] });
  });

  it('includes when any rule matches (in, matches)', () => {
    expect(keptIds({ include: [[{ field: 'country', in: ['SE'] }], [{ field: 'email', matches: '^no@' }]] }).ids).toEqual(['se', 'no']);
  });

  it('requires every condition of a rule to hold', () => {
    expect(keptIds({ include: [[{ field: 'type', equals: 'Employee' }, { field: 'country', notEquals: 'DK' }]] }).ids).toEqual(['no']);
  });

  it('excludes records matching an exclude rule (empty / notEmpty) even when included', () => {
    expect(keptIds({ exclude: [[{ field: 'end', notEmpty: true }]] }).ids).toEqual(['dk', 'se']);
    expect(keptIds({ include: [[{ field: 'type', equals: 'Employee' }]], exclude: [[{ field: 'end', empty: true }]] }).ids).toEqual(['no']);
  });

  it('does not validate excluded records', () => {
    const result = keptIds({ exclude: [[{ field: 'type', equals: 'Contractor' }]] }, [person({ type: 'Contractor', email: 'broken' }), person()]);
    expect(result.problems).toEqual([]);
    expect(result.excluded).toBe(1);
  });

  it('a record whose scope field is damaged is a problem that still says who it is (its key and id keep its Peakon user from being taken for a leaver)', () => {
    const result = keptIds({ include: [[{ field: 'country', equals: 'DK' }]] }, [person({ id: 'dk-1', country: 'D\uFFFDK', email: 'Damaged@Example.com' }), person({ id: 'dk-2', country: 'D\uFFFDK', email: 'not an email' })]);
    expect(result.problems).toEqual([
      expect.objectContaining({ recordRef: expect.any(String), field: 'country', employeeKey: 'damaged@example.com', sourceId: 'dk-1' }),
      expect.objectContaining({ field: 'country', sourceId: 'dk-2' }),
    ]);
    expect(result.problems[1]).not.toHaveProperty('employeeKey');
  });

  it('a scope field holding a C1 control character (Windows-1252 read as Latin-1) is a problem, not a silent exclusion', () => {
    const result = keptIds({ include: [[{ field: 'country', equals: 'DK' }]] }, [person({ id: 'dk-1', country: 'D\u0096K' }), person({ id: 'dk-2', country: 'DK' })]);
    expect(result.ids).toEqual(['dk-2']);
    expect(result.problems).toEqual([expect.objectContaining({ field: 'country', sourceId: 'dk-1', message: expect.stringContaining('U+0096') })]);
  });

  it('reads a value of only invisible characters (zero-width space, BOM) as empty, as the mapping does: notEmpty on it does not exclude', () => {
    const records = () => [person({ id: 'zwsp', end: '\u200b' }), person({ id: 'bom', end: '\ufeff ' }), person({ id: 'left', end: '2024-01-01' }), person({ id: 'none', end: '' })];
    expect(keptIds({ exclude: [[{ field: 'end', notEmpty: true }]] }, records()).ids).toEqual(['zwsp', 'bom', 'none']);
    expect(keptIds({ include: [[{ field: 'end', empty: true }]] }, records()).ids).toEqual(['zwsp', 'bom', 'none']);
  });

  it('compares composed (NFC) text on both sides: a macOS export\'s decomposed "Zürich" (NFD) is the config\'s "Zürich", and the other way round', () => {
    const composed = 'Z\u00fcrich';
    const decomposed = 'Zu\u0308rich';
    const records = () => [person({ id: 'nfd', city: decomposed }), person({ id: 'nfc', city: composed }), person({ id: 'other', city: 'Zurich' })];
    for (const written of [composed, decomposed]) {
      expect(keptIds({ include: [[{ field: 'city', equals: written }]] }, records())).toEqual({ ids: ['nfd', 'nfc'], excluded: 1, problems: [] });
      expect(keptIds({ include: [[{ field: 'city', in: ['Basel', written] }]] }, records()).ids).toEqual(['nfd', 'nfc']);
      expect(keptIds({ include: [[{ field: 'city', matches: `^${written}$` }]] }, records()).ids).toEqual(['nfd', 'nfc']);
      expect(keptIds({ exclude: [[{ field: 'city', notEquals: written }]] }, records()).ids).toEqual(['nfd', 'nfc']);
    }
  });

  it('skips a row of empty cells: no problem, no employee, and the rows after it keep their numbers', () => {
    const report = mapEmployees([person({ id: 'a' }), { id: '', email: ' ', first: '', last: '' }, person({ id: 'b' })], configWith({}));
    expect(report.problems).toEqual([]);
    expect(report.employees.map((employee) => [employee.sourceId, employee.recordRef])).toEqual([['a', 'row 2'], ['b', 'row 4']]);
  });
});
