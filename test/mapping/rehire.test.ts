/**
 * A termination date before the person's start date (the mapped Tenure) belongs to an earlier employment once that
 * start date has come: HR systems keep the last termination date when someone is hired again. The mapping carries
 * both dates; the plan's rule (sync/leavers.ts currentEmployment) decides with the run's day. End to end:
 * test/leavers/leavers.test.ts.
 */
import { PEAKON_USER_SCHEMA } from '../../scim/resources';
import { LeaversSchema } from '../../config/schema';
import { currentEmployment, type LeaverContext } from '../../sync/leavers';
import { buildPlan } from '../../sync/plan';
import { mapEmployees } from '../../mapping/map';
import type { DesiredEmployee } from '../../mapping/employee';
import { configWith, person } from './helpers';

const attributes = {
  Tenure: { field: 'start', date: 'ISO' },
  'Separation date': { field: 'end', date: 'ISO' },
};

function mapped(record: Record<string, string>, withTenure = true): DesiredEmployee {
  const config = configWith({ attributes: withTenure ? attributes : { 'Separation date': attributes['Separation date'] } });
  const report = mapEmployees([person(record)], config);
  expect(report.problems).toEqual([]);
  const [employee] = report.employees;
  if (!employee) throw new Error('not mapped');
  return employee;
}

/** As the plan decides it, with an HR status the mapping maps and that says active (a rehire's), unless told otherwise. */
const on = (employee: DesiredEmployee, today: string, hrStatus: 'active' | 'inactive' | 'unmapped' = 'active') => {
  const decided = currentEmployment(employee, today, 'Separation date', hrStatus);
  return { terminationDate: decided.terminationDate, separation: decided.user[PEAKON_USER_SCHEMA]?.['Separation date'] };
};

describe('rehires: which termination date counts', () => {
  it('the mapping carries the start date (Tenure) beside the termination date, both as written', () => {
    expect(mapped({ start: '2026-11-01', end: '2026-06-15' })).toMatchObject({ startDate: '2026-11-01', terminationDate: '2026-06-15' });
  });

  it('once the new start date has come, a termination before it is an earlier employment: no termination date, the separation date cleared', () => {
    const rehire = mapped({ start: '2026-11-01', end: '2026-06-15' });
    expect(on(rehire, '2026-11-01')).toEqual({ terminationDate: undefined, separation: null });
    expect(on(rehire, '2027-03-01')).toEqual({ terminationDate: undefined, separation: null });
  });

  it('before the new start date the old termination still decides (between employments: a seasonal worker is a leaver until the next season)', () => {
    const seasonal = mapped({ start: '2027-03-01', end: '2026-12-15' });
    expect(on(seasonal, '2026-12-01')).toEqual({ terminationDate: '2026-12-15', separation: '2026-12-15' });
    expect(on(seasonal, '2026-12-20')).toEqual({ terminationDate: '2026-12-15', separation: '2026-12-15' });
  });

  it('only an HR status that says active makes it a rehire: a withdrawn offer (hired for June 1, withdrawn on May 15) looks the same by its dates', () => {
    const withdrawn = mapped({ start: '2026-06-01', end: '2026-05-15' });
    expect(on(withdrawn, '2026-06-02', 'inactive')).toEqual({ terminationDate: '2026-05-15', separation: '2026-05-15' });
    expect(on(withdrawn, '2026-06-02', 'active')).toEqual({ terminationDate: undefined, separation: null });
  });

  it('the plan asks for the mapped HR status: without one, or with an inactive one, the termination date decides', () => {
    const rehire = mapped({ start: '2026-11-01', end: '2026-06-15' });
    const options = { matchingKey: 'email' as const, updateMethod: 'patch' as const, refOf: (key: string) => key, today: '2026-12-01', leaverSettings: LeaversSchema.parse({}) };
    const planned = (employee: DesiredEmployee, hrStatusMapped: boolean) => buildPlan([employee], [], { ...options, hrStatusMapped }).entries[0]?.action;
    expect(planned(rehire, true)).toBe('create');
    expect(planned(rehire, false)).toBe('skip');
    // Without a mapped status the person is told why they stay a leaver, run after run, until someone maps it.
    expect(buildPlan([rehire], [], { ...options, hrStatusMapped: false }).entries[0]?.warnings).toContainEqual(expect.stringContaining('the mapping maps none (mapping.active), so the termination date decides'));
    expect(buildPlan([rehire], [], { ...options, hrStatusMapped: true }).entries[0]?.warnings ?? []).toEqual([]);
    // In a whole-tenant run with leavers on, the leaver's line carries it too.
    const owned = { id: 'u1', schemas: rehire.user.schemas, userName: rehire.user.userName, active: true };
    const leavers: LeaverContext = { today: '2026-12-01', owned: new Set(['u1']), retainedKeys: new Set(), retainedSourceIds: new Set(), unidentifiedRecords: 0, readCount: 1 };
    const [leaver] = buildPlan([rehire], [owned], { ...options, leavers, hrStatusMapped: false }).entries;
    expect(leaver).toMatchObject({ action: 'deactivate', warnings: [expect.stringContaining('a rehire or a withdrawn offer')] });
    // Someone Peakon holds active whose HR status says inactive, with the same dates (a withdrawn offer created ahead
    // of its start): the termination date has come, so they are left as they are by this leaver-less plan, not
    // planned as an ordinary update, and their separation date is not cleared.
    const inactive = { ...rehire, user: { ...rehire.user, active: false } };
    const inPeakon = { id: 'u1', schemas: rehire.user.schemas, userName: rehire.user.userName, active: true };
    const [entry] = buildPlan([inactive], [inPeakon], { ...options, hrStatusMapped: true }).entries;
    expect(entry).toMatchObject({ action: 'skip', reason: expect.stringContaining('termination date 2026-06-15 has come') });
  });

  it('a termination on or after the start date is the current employment\'s and stands', () => {
    expect(on(mapped({ start: '2026-11-01', end: '2026-11-01' }), '2026-12-01')).toEqual({ terminationDate: '2026-11-01', separation: '2026-11-01' });
    expect(on(mapped({ start: '2020-01-01', end: '2026-06-15' }), '2026-12-01')).toEqual({ terminationDate: '2026-06-15', separation: '2026-06-15' });
  });

  it('without a mapped start date (or an empty one) nothing can tell an earlier employment: the date decides', () => {
    expect(on(mapped({ end: '2026-06-15' }, false), '2026-12-01')).toEqual({ terminationDate: '2026-06-15', separation: '2026-06-15' });
    expect(on(mapped({ start: '', end: '2026-06-15' }), '2026-12-01').terminationDate).toBe('2026-06-15');
  });

  it('leavers.terminationDate from its own HR field follows the same rule; an unmapped separation attribute is left alone', () => {
    const config = configWith({ attributes: { Tenure: attributes.Tenure } }, { leavers: { action: 'deactivate', terminationDate: { field: 'left', date: 'ISO' } } });
    const report = mapEmployees([person({ start: '2026-11-01', left: '2026-06-15' }), person({ start: '2020-01-01', left: '2026-06-15' })], config);
    const decided = report.employees.map((employee) => currentEmployment(employee, '2026-12-01', 'Separation date', 'active'));
    expect(decided.map((employee) => employee.terminationDate)).toEqual([undefined, '2026-06-15']);
    expect(decided.map((employee) => employee.user[PEAKON_USER_SCHEMA])).toEqual([{ Tenure: '2026-11-01' }, { Tenure: '2020-01-01' }]);
  });
});
