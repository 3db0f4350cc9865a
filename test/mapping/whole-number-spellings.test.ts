import { mapEmployees } from '../../mapping/map';
import { PEAKON_USER_SCHEMA, ScimUserSchema, type ScimUser } from '../../scim/resources';
import { composeUpdate } from '../../sync/payloads';
import type { DesiredState } from '../../sync/types';
import { configWith, mapOne, person } from './helpers';

const LEVEL = { attributes: { Level: { field: 'level', type: 'number' } } };

describe('a number attribute written as a whole number with a zero fraction (pandas/Excel: an integer column with blanks)', () => {
  it('accepts "3.0", "3.00" and "-2.0" and sends the numbers 3, 3 and -2, as it does the JSON number 3.0', () => {
    const report = mapEmployees([person({ level: '3.0' }), person({ level: '3.00' }), person({ level: '-2.0' }), person(JSON.parse('{"level": 3.0}') as Record<string, unknown>)], configWith(LEVEL));
    expect(report.problems).toEqual([]);
    expect(report.employees.map((employee) => employee.user[PEAKON_USER_SCHEMA]?.['Level'])).toEqual([3, 3, -2, 3]);
  });

  it('still rejects "3.5", a fraction, naming the record and the field, and keeps the other records', () => {
    const report = mapEmployees([person({ level: '3.5' }), person({ level: '3.0' })], configWith(LEVEL));
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 3']);
    expect(report.problems).toEqual([expect.objectContaining({ recordRef: 'row 2', field: 'Level', message: expect.stringContaining('"3.5" is not a whole number') })]);
  });

  it('still rejects an exponent ("1e3"), a bare point ("3.") and a fraction of zeros beyond 2^53, naming the field', () => {
    for (const level of ['1e3', '3.', '.0', '9007199254740993.0']) {
      const report = mapOne(person({ level }), LEVEL);
      expect(report.problems).toEqual([expect.objectContaining({ field: 'Level', message: expect.stringContaining(`"${level}" is not a whole number`) })]);
    }
  });
});

describe('a number attribute Peakon holds as text', () => {
  /** The Peakon user as read (SCIM schema applied), holding `Level` as given. */
  const peakonUser = (level: unknown): ScimUser =>
    ScimUserSchema.parse({
      id: 'u-1',
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', PEAKON_USER_SCHEMA],
      userName: 'ada@example.com',
      emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      externalId: 'hr-1',
      active: true,
      [PEAKON_USER_SCHEMA]: { Level: level },
    });

  /** The desired state the mapping makes of an HR record whose level cell reads `level`. */
  const desiredFor = (level: string): DesiredState => {
    const report = mapOne(person({ id: 'hr-1', email: 'ada@example.com', level }), LEVEL);
    const employee = report.employees[0];
    if (!employee) throw new Error(`not mapped: ${JSON.stringify(report.problems)}`);
    return { user: employee.user, references: employee.references, createOnly: employee.createOnly, sourceId: employee.sourceId };
  };

  it('sees no change between Peakon\'s "3.0" or "3" and the mapped 3 (HR "3.0" or "3"), so nothing is written each run', () => {
    for (const held of ['3.0', '3', 3]) {
      for (const cell of ['3.0', '3']) {
        for (const method of ['patch', 'put'] as const) {
          const { changes } = composeUpdate(desiredFor(cell), peakonUser(held), method);
          expect({ held, cell, method, changes }).toEqual({ held, cell, method, changes: [] });
        }
      }
    }
  });

  it('still writes a different number, and text that is not the number', () => {
    expect(composeUpdate(desiredFor('3.0'), peakonUser('4'), 'patch').changes).toEqual([{ field: 'Level', from: '4', to: 3, peakon: true }]);
    expect(composeUpdate(desiredFor('3'), peakonUser('3.5'), 'patch').changes).toEqual([{ field: 'Level', from: '3.5', to: 3, peakon: true }]);
    expect(composeUpdate(desiredFor('3'), peakonUser('three'), 'patch').changes).toEqual([{ field: 'Level', from: 'three', to: 3, peakon: true }]);
    expect(composeUpdate(desiredFor('0'), peakonUser(''), 'patch').changes).toEqual([{ field: 'Level', from: '', to: 0, peakon: true }]);
  });
});
