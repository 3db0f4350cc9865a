import path from 'node:path';
import { loadConfigFile } from '../../config/load';
import { LeaversSchema, type ConnectorConfig } from '../../config/schema';
import { mapEmployees } from '../../mapping/map';
import type { DesiredEmployee } from '../../mapping/employee';
import { emailMatchKey } from '../../mapping/email';
import { PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { employeeRefFor } from '../../sync/employee-ref';
import { composeUpdate } from '../../sync/payloads';
import { buildPlan, desiredForFound, usersOwnedByPlan, type HrIdLookup, type PlanOptions } from '../../sync/plan';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';

/**
 * Runs that see only part of Peakon: a single-employee sync (`sync --employee`: one lookup) and filter discovery (Peakon
 * unknown to the plan; phase 1 compares what it finds with `desiredIfFound`, activities/employee.ts). They apply the
 * rules a whole-tenant plan applies to what they see. End to end: test/leavers/leavers.test.ts.
 */
describe('plan: single-employee syncs and filter discovery', () => {
  const sample = loadConfigFile(path.resolve('examples/sample-config.yaml'));
  // The separation attributes are the connector's to write (`separate`), not the mapping's.
  const { 'Separation date': _date, 'Separation reason': _reason, ...attributes } = sample.mapping.attributes;
  const config: ConnectorConfig = { ...sample, mapping: { ...sample.mapping, attributes } };
  const separate = LeaversSchema.parse({ action: 'separate', separation: { dateAttribute: 'Separation date', reasonAttribute: 'Separation reason', reason: 'Voluntary' } });
  const org = generateOrg(4, 2);
  const person = org[3] as GeneratedEmployee;
  const mapped = (records: GeneratedEmployee[] = org, with_: ConnectorConfig = config) => mapEmployees(records as unknown as Record<string, unknown>[], with_).employees;
  const desiredOf = (employees: DesiredEmployee[], employee: GeneratedEmployee) => employees.find((candidate) => candidate.sourceId === employee.employee_id) as DesiredEmployee;
  const options = (extra: Partial<PlanOptions> = {}): PlanOptions => ({ matchingKey: 'email', updateMethod: 'patch', refOf: employeeRefFor(undefined, 'acme'), currentIsWholeTenant: false, today: '2026-12-01', leaverSettings: separate, ...extra });
  /** The person as `separate` left them: inactive, with the separation date and reason it wrote. */
  const separated = (employee: DesiredEmployee): ScimUser => ({ ...employee.user, id: 'u-1', active: false, [PEAKON_USER_SCHEMA]: { ...employee.user[PEAKON_USER_SCHEMA], 'Separation date': '2026-10-31', 'Separation reason': 'Voluntary' } }) as ScimUser;

  describe('a returner under leavers.action: separate has the separation cleared (Peakon switches off anyone whose separation date has passed)', () => {
    it('sync --employee: the reactivation clears the separation date and reason', () => {
      const desired = desiredOf(mapped(), person);
      const plan = buildPlan([desired], [separated(desired)], options());
      expect(plan.entries).toHaveLength(1);
      expect(plan.entries[0]?.action).toBe('update');
      // Named a returner in its line, as a whole-tenant run names one.
      expect(plan.entries[0]).toMatchObject({ returner: true, reason: expect.stringContaining('returner') });
      expect(plan.entries[0]?.changes).toEqual(expect.arrayContaining([{ field: 'active', from: false, to: true }, { field: 'Separation date', from: '2026-10-31', to: null, peakon: true }, { field: 'Separation reason', from: 'Voluntary', to: null, peakon: true }]));
      expect(plan.entries[0]?.update?.write).toEqual({ method: 'patch', operations: expect.arrayContaining([{ op: 'replace', path: 'active', value: true }, { op: 'remove', path: `${PEAKON_USER_SCHEMA}:Separation date` }, { op: 'remove', path: `${PEAKON_USER_SCHEMA}:Separation reason` }]) });
    });

    it('also when the address keeps its IDN spelling because a duplicate holds the other one (the respelling is left out, the clears are not)', () => {
      const ascii = 'anna@xn--exmple-cua.com';
      const base = desiredOf(mapped(), person);
      const desired: DesiredEmployee = { ...base, employeeKey: emailMatchKey(ascii), user: { ...base.user, userName: ascii, emails: [{ value: ascii, type: 'work', primary: true }] } };
      const own = { ...separated(desired), userName: 'anna@exämple.com', emails: [{ value: 'anna@exämple.com', type: 'work', primary: true }] } as ScimUser;
      const duplicate = { schemas: own.schemas, id: 'u-2', userName: ascii, emails: [{ value: ascii, primary: true }], active: false } as ScimUser;
      const plan = buildPlan([desired], [duplicate, own], options());
      const entry = plan.entries.find((candidate) => candidate.recordRef === desired.recordRef);
      expect(entry).toMatchObject({ action: 'update', peakonUserId: 'u-1' });
      expect(entry?.changes).toEqual(expect.arrayContaining([{ field: 'active', from: false, to: true }, { field: 'Separation date', from: '2026-10-31', to: null, peakon: true }, { field: 'Separation reason', from: 'Voluntary', to: null, peakon: true }]));
      expect(entry?.changes.some((change) => change.field === 'userName' || change.field === 'email')).toBe(false);
      expect(entry?.warnings.join()).toContain("the address's other spelling is held by Peakon user u-2");
    });

    it('sync.discovery: filter: the update phase 1 builds for the inactive user it finds clears them too; an active user found is not touched', () => {
      const desired = desiredOf(mapped(), person);
      const plan = buildPlan([desired], undefined, options({ currentIsWholeTenant: true }));
      const wanted = plan.entries[0]?.create?.desiredIfFound;
      expect(plan.entries[0]?.action).toBe('discover');
      if (!wanted) throw new Error('no desiredIfFound');
      const found = separated(desired);
      const update = composeUpdate(desiredForFound(wanted, found), found, 'patch');
      expect(update.changes).toEqual(expect.arrayContaining([{ field: 'active', from: false, to: true }, { field: 'Separation date', from: '2026-10-31', to: null, peakon: true }, { field: 'Separation reason', from: 'Voluntary', to: null, peakon: true }]));
      // Someone active in Peakon with a separation the HR system does not give is left as it is (only returners clear).
      const active = { ...found, active: true };
      expect(composeUpdate(desiredForFound(wanted, active), active, 'patch').changes).toEqual([]);
    });

    it('not under deactivate, and not what the mapping sets itself', () => {
      const desired = desiredOf(mapped(), person);
      const deactivate = buildPlan([desired], [separated(desired)], options({ leaverSettings: LeaversSchema.parse({}) }));
      expect(deactivate.entries[0]?.changes).toEqual([{ field: 'active', from: false, to: true }]);
      // Rehired with a leaving date already agreed: the mapping writes it, the reason is still cleared.
      const records = org.map((employee) => (employee === person ? { ...employee, termination_date: '31/12/2026' } : employee));
      const mappedDate = desiredOf(mapped(records, { ...config, mapping: { ...config.mapping, attributes: { ...attributes, ...(_date ? { 'Separation date': _date } : {}) } } }), person);
      const changes = buildPlan([mappedDate], [separated(mappedDate)], options()).entries[0]?.changes;
      expect(changes).toEqual(expect.arrayContaining([{ field: 'Separation date', from: '2026-10-31', to: '2026-12-31', peakon: true }, { field: 'Separation reason', from: 'Voluntary', to: null, peakon: true }]));
    });
  });

  describe('sync.discovery: filter and a future hire Peakon holds inactive until their start date (Tenure)', () => {
    const withTenure: ConnectorConfig = { ...config, mapping: { ...config.mapping, attributes: { ...attributes, Tenure: { field: 'start_date', date: 'DD/MM/YYYY', matchOn: 'id', trim: true, onlyOnCreate: false } } } };
    const records = org.map((employee) => ({ ...employee, start_date: employee === person ? '10/01/2027' : '01/01/2020' }));
    const desired = desiredOf(mapped(records, withTenure), person);
    /** Created by an earlier run; Peakon serves them inactive until their start date. */
    const found = { ...desired.user, id: 'u-1', active: false } as ScimUser;
    const foundUpdate = (today: string) => {
      const plan = buildPlan([desired], undefined, options({ currentIsWholeTenant: true, today }));
      const wanted = plan.entries[0]?.create?.desiredIfFound;
      if (!wanted) throw new Error('no desiredIfFound');
      return composeUpdate(desiredForFound(wanted, found), found, 'patch');
    };

    it('is not reactivated before that day (Peakon would undo it, and every run would send it again)', () => {
      expect(foundUpdate('2026-12-01').changes).toEqual([]);
      expect(foundUpdate('2027-01-09').changes).toEqual([]);
    });

    it('from their start date on, an inactive user found is a returner like any other: reactivated', () => {
      expect(foundUpdate('2027-01-10').changes).toEqual([{ field: 'active', from: false, to: true }]);
    });
  });

  describe('sync --employee for a person whose email changed in the HR system (a rename)', () => {
    const before = desiredOf(mapped(), person);
    /** Their Peakon user, as an earlier run created it under the old email (externalId: their HR id). */
    const old = { ...before.user, id: 'u-old' } as ScimUser;
    const renamedTo = 'new.address@example.com';
    const records = mapped(org.map((employee) => (employee === person ? { ...employee, work_email: renamedTo } : employee)));
    const after = desiredOf(records, person);
    const lookup = (extra: Partial<HrIdLookup> = {}): HrIdLookup => ({ users: [old], total: 1, owned: new Set([old.id]), readKeys: new Set(records.map((employee) => employee.employeeKey)), recordsWithHrId: 1, ...extra });
    /** The key lookup (new email) found nobody: `current` is empty, as activities/plan.ts hands it over. */
    const planOf = (hrIdLookup?: HrIdLookup) => buildPlan([after], [], options(hrIdLookup ? { hrIdLookup } : {}));

    it('the owned, active user with their HR id is renamed in place: an update of userName and emails, not a second user', () => {
      const plan = planOf(lookup());
      expect(plan.entries).toHaveLength(1);
      expect(plan.entries[0]).toMatchObject({ action: 'update', peakonUserId: old.id, reason: expect.stringContaining('matched by HR id (externalId)') });
      expect(plan.entries[0]?.changes.map((change) => change.field)).toEqual(expect.arrayContaining(['userName', 'email']));
      expect(plan.entries[0]?.create).toBeUndefined();
      expect(usersOwnedByPlan(plan.entries)).toEqual([old.id]);
    });

    it('without a ledger the externalId is taken as the connector\'s; nobody with the HR id: a new hire, created', () => {
      expect(planOf(lookup({ owned: undefined })).entries[0]).toMatchObject({ action: 'update', peakonUserId: old.id });
      expect(planOf(lookup({ users: [], total: 0, owned: undefined })).entries[0]?.action).toBe('create');
    });

    it.each([
      ['not owned by the connector', { owned: new Set<string>() }, 'does not own it'],
      ['inactive', { users: [{ ...old, active: false }] }, 'is inactive'],
      ['one of two users with the HR id', { users: [old, { ...old, id: 'u-twin' }], total: 2 }, 'u-old, u-twin hold'],
      ['more users with it than the page held', { total: 3 }, 'u-old, … hold'],
      ['a user another record matches by key', { users: [{ ...old, userName: (records[0] as DesiredEmployee).user.userName }] }, 'another HR record has its email'],
      ['a user whose HR id two records carry', { recordsWithHrId: 2 }, '2 records of the HR read carry'],
      ['an answer that ignored the filter', { users: [], total: 0, filterIgnored: true }, 'did not apply the externalId filter'],
    ] as const)('a user found that may not be renamed (%s) is not created beside it: skipped, pointing to a whole-tenant sync', (_case, extra, why) => {
      const plan = planOf(lookup(extra as Partial<HrIdLookup>));
      expect(plan.entries).toHaveLength(1);
      expect(plan.entries[0]).toMatchObject({ action: 'skip', changes: [] });
      expect(plan.entries[0]?.reason).toContain(why);
      expect(plan.entries[0]?.reason).toContain('run a whole-tenant sync');
      expect(plan.waves).toBe(0);
      expect(usersOwnedByPlan(plan.entries)).toEqual([]);
    });
  });
});
