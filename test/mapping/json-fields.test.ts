/**
 * A REST read in which no record holds a field the mapping reads: a renamed or withheld field is one bad read, not an
 * attribute silently removed from every Peakon user. Pure mapping over records as a JSON source returns them.
 */
import { SourceReadError } from '../../hris/source';
import { mapEmployees } from '../../mapping/map';
import { configWith, person } from './helpers';

const rest = { source: { type: 'rest', url: 'https://hr.example.com/api/employees' } };
const mapping = { department: { field: 'department' }, attributes: { Manager: { employeeRef: 'manager_id' } } };

function read(records: Array<Record<string, unknown>>, overrides: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return () => mapEmployees(records.map((record) => person(record as Record<string, string>)), configWith({ ...mapping, ...overrides }, { ...rest, ...extra }));
}

describe('a REST read without a field the mapping reads', () => {
  it('fails when no record holds it, naming the field, the setting and a near key, and quoting no value', () => {
    const renamed = read([{ Department: 'Sales', manager_id: '' }, { Department: 'Finance', manager_id: '1' }]);
    expect(renamed).toThrow(SourceReadError);
    expect(renamed).toThrow(/none of the 2 records the REST source read holds the field "department", read by mapping\.department \(did you mean "Department"\?\)/);
    expect(renamed).not.toThrow(/Sales|Finance/);
  });

  it('names every missing field at once (a manager reference too: Manager would be removed from everyone)', () => {
    expect(read([{ dept: 'Sales' }, { dept: 'Finance' }])).toThrow(/2 fields the config reads:\n {2}- "department".*\n {2}- "manager_id", read by mapping\.attributes\.Manager/);
  });

  it('reads on when some record holds it, even as null (the key is there), or when a single record lacks it', () => {
    expect(read([{ department: 'Sales', manager_id: '' }, { manager_id: '' }])).not.toThrow();
    expect(read([{ department: null, manager_id: null }, { manager_id: '' }])).not.toThrow();
    expect(read([{ manager_id: '' }])).not.toThrow();
    // One record beside a list entry that was not an employee object (its `{}` stand-in): still a single record.
    expect(() => mapEmployees([person({ manager_id: '' }), {}], configWith(mapping, rest))).not.toThrow();
  });

  it('does not check a setting with a default (empty is expected), a template\'s fields or the leavers\' termination date', () => {
    const records = [{ department: 'Sales', manager_id: '' }, { department: 'Finance', manager_id: '' }];
    expect(read(records, { locale: { field: 'language', default: 'en' } })).not.toThrow();
    expect(read(records, { attributes: { ...mapping.attributes, Title: { template: '{title} {suffix}' } } })).not.toThrow();
    expect(read(records, {}, { leavers: { action: 'deactivate', terminationDate: { field: 'left_on', date: 'ISO' } } })).not.toThrow();
    expect(read(records, { attributes: { ...mapping.attributes, Title: { field: 'title' } } })).toThrow(/"title", read by mapping\.attributes\.Title/);
  });

  it('does not check what may be empty for everyone on a given day: the separation date and reason attributes (nobody leaving), scope conditions', () => {
    const records = [{ department: 'Sales', manager_id: '' }, { department: 'Finance', manager_id: '' }];
    // The sample config's way: the termination date is the mapped Separation date, read by the leavers from it.
    const separation = { 'Separation date': { field: 'termination_date', date: 'ISO' }, 'Separation reason': { field: 'termination_reason' } };
    expect(read(records, { attributes: { ...mapping.attributes, ...separation } })).not.toThrow();
    const renamedSeparation = { leavers: { action: 'separate', separation: { dateAttribute: 'Left on', reasonAttribute: 'Why' } } };
    expect(read(records, { attributes: { ...mapping.attributes, 'Left on': { field: 'left_on', date: 'ISO' }, Why: { field: 'why' } } }, renamedSeparation)).not.toThrow();
    expect(read(records, { scope: { exclude: [[{ field: 'contract_end', notEmpty: true }]] } })).not.toThrow();
  });

  it('leaves CSV reads to the column check (a CSV row always has every column)', () => {
    const csv = () => mapEmployees([person({ department: 'Sales' }), person({ department: 'Sales' })], configWith({ attributes: { Title: { field: 'title' } } }));
    expect(csv).toThrow(/has no column "title"/);
  });
});
