import { checkMappingAgainstSchema, checkSeparationAgainstSchema, type SeparationWrites } from '../../mapping/preflight';
import type { SchemaAttribute } from '../../scim/resources';
import { configWith } from './helpers';

const tenantSchema: SchemaAttribute[] = [
  { name: 'Gender', type: 'string', description: 'Peakon type: option. A string of at most 256 characters.' },
  { name: 'Start', type: 'string' },
  { name: 'Manager', type: 'reference', referenceTypes: ['User'] },
  { name: 'Date of Birth', type: 'dateTime' },
  { name: 'Headcount', type: 'integer' },
  { name: 'Locked', type: 'string', mutability: 'readOnly' },
];

function check(attributes: Record<string, unknown>): string[] {
  return checkMappingAgainstSchema(configWith({ attributes }).mapping, tenantSchema);
}

describe('checkMappingAgainstSchema (preflight against the tenant schema)', () => {
  it('accepts a mapping whose attributes all exist with compatible types', () => {
    expect(
      check({
        Gender: 'g',
        Manager: { employeeRef: 'manager_id' },
        'Date of Birth': { field: 'dob', date: 'DD/MM/YYYY' },
        Headcount: { field: 'n', type: 'number' },
      }),
    ).toEqual([]);
  });

  it('reports an attribute Peakon does not define and suggests the exact spelling for a case slip', () => {
    expect(check({ 'date of birth': { field: 'dob', date: 'ISO' }, Region: 'r' })).toEqual([
      expect.stringContaining('did you mean "Date of Birth"?'),
      expect.stringContaining('Peakon has no attribute "Region"; the tenant defines "Gender", "Start", "Manager"'),
    ]);
  });

  it('suggests the closest attribute for a misspelling', () => {
    expect(check({ Managr: { employeeRef: 'manager_id' } })).toEqual([expect.stringContaining('Peakon has no attribute "Managr"; did you mean "Manager"?')]);
  });

  it('reports an employeeRef mapped onto a non-reference attribute', () => {
    expect(check({ Gender: { employeeRef: 'manager_id' } })).toEqual([expect.stringContaining('mapped as an employee attribute, but Peakon\'s "Gender" takes option values')]);
  });

  it('reports an option mapped onto a reference, a date and an integer attribute', () => {
    expect(check({ Manager: 'm', 'Date of Birth': 'dob', Headcount: 'n' })).toHaveLength(3);
  });

  it('reports a date mapped onto a string attribute and a number onto a date', () => {
    expect(check({ Gender: { field: 'g', date: 'ISO' }, 'Date of Birth': { field: 'n', type: 'number' } })).toEqual([
      expect.stringContaining('mapped as a date attribute'),
      expect.stringContaining('mapped as a number attribute'),
    ]);
  });

  it('accepts a date or an employee reference on a plain SCIM string whose Peakon kind the schema does not state', () => {
    expect(check({ Start: { field: 's', date: 'ISO' } })).toEqual([]);
    expect(check({ Start: { employeeRef: 'manager_id' } })).toEqual([]);
    expect(check({ Start: { field: 's', type: 'number' } })).toEqual([expect.stringContaining('takes option or date or employee values')]);
  });

  it('reports an attribute that is read-only in Peakon', () => {
    expect(check({ Locked: 'x' })).toEqual([expect.stringContaining('is read-only')]);
  });
});

describe('checkSeparationAgainstSchema (leavers.action: separate)', () => {
  const schema: SchemaAttribute[] = [
    ...tenantSchema,
    { name: 'Termination date', type: 'string', description: 'Peakon type: date.' },
    { name: 'Separation reason', type: 'string', description: 'Peakon type: option.', canonicalValues: ['Voluntary', 'Involuntary'] },
    { name: 'Exit note', type: 'string', description: 'Peakon type: employee.' },
  ];
  const separation = (overrides: Partial<SeparationWrites> = {}): SeparationWrites => ({ dateAttribute: 'Termination date', reasonAttribute: 'Separation reason', reason: 'Voluntary', ...overrides });
  const checkSeparation = (writes: SeparationWrites, attributes: Record<string, unknown> = {}) => checkSeparationAgainstSchema(writes, configWith({ attributes }).mapping, schema);

  it('accepts separation attributes the tenant has, with a reason among its options', () => {
    expect(checkSeparation(separation())).toEqual([]);
    expect(checkSeparation(separation({ reason: undefined, reasonAttribute: 'Nowhere' }))).toEqual([]);
  });

  it('names the setting of an attribute the tenant lacks, of the wrong kind, or a reason that is not an option', () => {
    expect(checkSeparation(separation({ dateAttribute: 'Separation date' }))).toEqual([expect.stringMatching(/^leavers\.separation\.dateAttribute: Peakon has no attribute "Separation date" .*did you mean "Termination date"\?$/)]);
    expect(checkSeparation(separation({ dateAttribute: 'Exit note' }))).toEqual(['leavers.separation.dateAttribute: Peakon\'s "Exit note" takes employee values, not a date']);
    expect(checkSeparation(separation({ reason: 'Retired' }))).toEqual(['leavers.separation.reason: "Retired" is not an option of Peakon\'s "Separation reason" ("Voluntary", "Involuntary")']);
    expect(checkSeparation(separation({ reasonAttribute: 'Start', reason: 'Voluntary' }))).toEqual([]);
  });

  it('leaves attributes the mapping sets to the mapping check, but checks the configured reason against the options anyway', () => {
    expect(checkSeparation(separation({ dateAttribute: 'Separation date' }), { 'Separation date': { field: 'left', date: 'ISO' } })).toEqual([]);
    // The sample config maps the reason and configures one too: the configured one is written for leavers gone from the read.
    expect(checkSeparation(separation({ reason: 'Retired' }), { 'Separation reason': 'reason' })).toEqual(['leavers.separation.reason: "Retired" is not an option of Peakon\'s "Separation reason" ("Voluntary", "Involuntary")']);
  });
});
