import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import type { HrisRecord } from '../../hris/source';
import { mapEmployees } from '../../mapping/map';
import { buildPlan } from '../../sync/plan';
import type { UpdateMethod } from '../../sync/types';
import { parseStoredConfig } from '../../activities/config';
import { checkWrittenNow } from '../../config/load';
import type { ConnectorConfig } from '../../config/schema';
import { configWith, mapOne, person } from './helpers';

/**
 * What the HR system empties is cleared in Peakon (null in the desired user, which the diff turns into a PATCH
 * `remove`): an emptied manager (the old manager must stop seeing the person's results) and emptied optional core
 * attributes (a person must leave the old department's segment). A reference that leads nowhere usable is not a
 * clear: Peakon's value stays, with a warning, as before.
 */
const MANAGER = `${PEAKON_USER_SCHEMA}:Manager`;
const managerConfig = (spec: Record<string, unknown> = {}) => configWith({ attributes: { Manager: { employeeRef: 'manager', ...spec }, Team: 'team' } });

/** Peakon's user as an earlier sync left it: the mapped state (without references) plus `extra` laid over. */
function peakonUser(id: string, user: object, peakon: Record<string, string> = {}, enterprise: Record<string, string> = {}): ScimUser {
  const base = JSON.parse(JSON.stringify(user)) as ScimUser;
  const result = { ...base, id, [PEAKON_USER_SCHEMA]: { ...(base[PEAKON_USER_SCHEMA] ?? {}), ...peakon } } as ScimUser;
  for (const [name, value] of Object.entries(result[PEAKON_USER_SCHEMA] ?? {})) if (value === null) delete result[PEAKON_USER_SCHEMA]?.[name];
  if (Object.keys(enterprise).length > 0) result[ENTERPRISE_USER_SCHEMA] = { ...enterprise };
  return result;
}

function plan(records: HrisRecord[], current: (mapped: ReturnType<typeof mapEmployees>) => ScimUser[], config = managerConfig(), updateMethod: UpdateMethod = 'patch') {
  const mapped = mapEmployees(records, config);
  return buildPlan(mapped.employees, current(mapped), { matchingKey: 'email', updateMethod, refOf: (key) => `r-${key}` });
}

describe('an emptied employee reference (Manager)', () => {
  it('is null in the desired user, not a reference to resolve, and without a warning', () => {
    const report = mapEmployees([person({ manager: '  ', team: 'A' })], managerConfig());
    const [employee] = report.employees;
    expect(employee?.user[PEAKON_USER_SCHEMA]).toEqual({ Manager: null, Team: 'A' });
    expect(employee?.references).toEqual({});
    expect(employee?.warnings).toEqual([]);
  });

  it('is left out (Peakon keeps its value) when the target is unknown, not synced or the person themself', () => {
    const rejected = person({ email: 'not-an-email', team: 'A' });
    const self = person({ team: 'A' });
    self['manager'] = self['id'];
    const records = [person({ manager: 'nobody', team: 'A' }), person({ manager: String(rejected['id']), team: 'A' }), rejected, self];
    const report = mapEmployees(records, managerConfig());
    expect(report.employees).toHaveLength(3);
    for (const employee of report.employees) {
      expect(employee.user[PEAKON_USER_SCHEMA]).toEqual({ Team: 'A' });
      expect(employee.references).toEqual({});
      expect(employee.warnings).toEqual([expect.stringContaining('Manager')]);
    }
  });

  it('plan: an existing user whose manager was emptied gets Manager old → null, written as a PATCH remove', () => {
    const records = [person({ email: 'ann@example.com', manager: '', team: 'A' })];
    const result = plan(records, (mapped) => [peakonUser('u-ann', mapped.employees[0]?.user ?? {}, { Manager: 'old.boss@example.com' })]);
    const [entry] = result.entries;
    expect(entry?.action).toBe('update');
    expect(entry?.changes).toEqual([{ field: 'Manager', from: 'old.boss@example.com', to: null, peakon: true }]);
    expect(entry?.update?.write).toEqual({ method: 'patch', operations: [{ op: 'remove', path: MANAGER }] });
    // An ordinary attribute change: not among the references a rejected write would drop.
    expect(entry?.update?.references).toEqual({});
  });

  it('plan: a PUT sends Manager null (clear), and a user without a manager is unchanged', () => {
    const records = [person({ email: 'ann@example.com', manager: '', team: 'A' }), person({ email: 'bob@example.com', manager: '', team: 'A' })];
    const result = plan(records, (mapped) => [peakonUser('u-ann', mapped.employees[0]?.user ?? {}, { Manager: 'old.boss@example.com' }), peakonUser('u-bob', mapped.employees[1]?.user ?? {})], managerConfig(), 'put');
    const ann = result.entries.find((entry) => entry.peakonUserId === 'u-ann');
    const bob = result.entries.find((entry) => entry.peakonUserId === 'u-bob');
    expect(ann?.update?.write.method === 'put' && ann.update.write.body[PEAKON_USER_SCHEMA]).toEqual({ Manager: null, Team: 'A' });
    expect(bob?.action).toBe('unchanged');
  });

  it('plan: an unknown manager leaves Peakon\'s Manager as it is (no change, a warning)', () => {
    const records = [person({ email: 'ann@example.com', manager: 'nobody', team: 'A' })];
    const result = plan(records, (mapped) => [peakonUser('u-ann', mapped.employees[0]?.user ?? {}, { Manager: 'old.boss@example.com' })]);
    expect(result.entries[0]?.action).toBe('unchanged');
    expect(result.entries[0]?.warnings).toEqual([expect.stringContaining('not in the HRIS read')]);
  });
});

describe('onlyOnCreate on an employee reference', () => {
  it('lists the attribute in createOnly, and an empty one is not a clear', () => {
    const boss = person({ team: 'A', manager: '' });
    const report = mapEmployees([boss, person({ manager: String(boss['id']), team: 'A' })], managerConfig({ onlyOnCreate: true }));
    const [first, second] = report.employees;
    expect(first?.createOnly).toEqual([MANAGER]);
    expect(first?.user[PEAKON_USER_SCHEMA]).toEqual({ Team: 'A' });
    expect(second?.createOnly).toEqual([MANAGER]);
    expect(second?.references).toEqual({ Manager: boss['email'] });
  });

  it.each<UpdateMethod>(['patch', 'put'])('plan (%s): an existing user keeps Peakon\'s Manager; a new user is created with it', (method) => {
    const boss = person({ email: 'boss@example.com', team: 'A', manager: '' });
    const ann = person({ email: 'ann@example.com', manager: String(boss['id']), team: 'A' });
    const newHire = person({ email: 'new@example.com', manager: String(boss['id']), team: 'A' });
    const config = managerConfig({ onlyOnCreate: true });
    const result = plan(
      [boss, ann, newHire],
      (mapped) => [
        peakonUser('u-boss', mapped.employees[0]?.user ?? {}),
        peakonUser('u-other', { ...mapped.employees[0]?.user, userName: 'other@example.com', emails: [{ value: 'other@example.com', primary: true }], externalId: 'x' }),
        peakonUser('u-ann', mapped.employees[1]?.user ?? {}, { Manager: 'other@example.com' }),
      ],
      config,
      method,
    );
    expect(result.entries.find((entry) => entry.peakonUserId === 'u-ann')?.action).toBe('unchanged');
    const created = result.entries.find((entry) => entry.action === 'create');
    expect(created?.create?.createBody[PEAKON_USER_SCHEMA]?.['Manager']).toBe('boss@example.com');
  });
});

describe('emptied optional core attributes', () => {
  const mapping = { employeeNumber: 'number', department: 'dept', locale: 'locale', timezone: 'tz' };
  const empty = { number: '', dept: ' ', locale: '', tz: '' };

  it('are null in the desired user (a clear), not left out; an empty locale or time zone is left out (Peakon may default them)', () => {
    const [employee] = mapOne(person(empty), mapping).employees;
    expect('locale' in (employee?.user ?? {})).toBe(false);
    expect('timezone' in (employee?.user ?? {})).toBe(false);
    expect(employee?.user[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: null, department: null });
    expect(employee?.user.schemas).toContain(ENTERPRISE_USER_SCHEMA);
  });

  it('are left out when onlyOnCreate (Peakon keeps its value), and a default still applies', () => {
    const [employee] = mapOne(person(empty), { department: { field: 'dept', onlyOnCreate: true }, locale: { field: 'locale', default: 'en' } }).employees;
    expect(employee?.user[ENTERPRISE_USER_SCHEMA]).toBeUndefined();
    expect(employee?.user.locale).toBe('en');
    expect('timezone' in (employee?.user ?? {})).toBe(false);
  });

  it('an empty employee number that is the matching key still rejects the record (never null)', () => {
    const config = configWith(mapping, { matching: { key: 'employeeNumber' } });
    const report = mapEmployees([person(empty)], config);
    expect(report.employees).toEqual([]);
    expect(report.problems).toEqual([expect.objectContaining({ field: 'employeeNumber', message: expect.stringContaining('is empty') })]);
  });

  it('plan: an existing user whose department and employee number were emptied gets PATCH removes; locale and time zone are kept', () => {
    const records = [person({ email: 'ann@example.com', ...empty })];
    const config = configWith(mapping);
    const mappedUser = (mapped: ReturnType<typeof mapEmployees>) => {
      const user = JSON.parse(JSON.stringify(mapped.employees[0]?.user)) as ScimUser;
      return [{ ...user, id: 'u-ann', locale: 'da', timezone: 'Europe/Copenhagen', [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'E1', department: 'Sales' } } as ScimUser];
    };
    const [entry] = plan(records, mappedUser, config).entries;
    expect(entry?.changes).toEqual([
      { field: 'employeeNumber', from: 'E1', to: null },
      { field: 'department', from: 'Sales', to: null },
    ]);
    expect(entry?.update?.write).toEqual({
      method: 'patch',
      operations: [
        { op: 'remove', path: `${ENTERPRISE_USER_SCHEMA}:employeeNumber` },
        { op: 'remove', path: `${ENTERPRISE_USER_SCHEMA}:department` },
      ],
    });
  });

  it('plan: a new user is created without them (nothing to clear), and an unchanged empty one is no change', () => {
    const records = [person({ email: 'new@example.com', ...empty }), person({ email: 'ann@example.com', ...empty })];
    const config = configWith(mapping);
    const entries = plan(records, (mapped) => [{ ...(JSON.parse(JSON.stringify(mapped.employees[1]?.user)) as ScimUser), id: 'u-ann', locale: undefined, timezone: undefined, [ENTERPRISE_USER_SCHEMA]: undefined } as ScimUser], config).entries;
    const created = entries.find((entry) => entry.action === 'create');
    expect(created?.create?.createBody).not.toHaveProperty('locale');
    expect(created?.create?.createBody).not.toHaveProperty('timezone');
    expect(created?.create?.createBody).not.toHaveProperty([ENTERPRISE_USER_SCHEMA]);
    expect(entries.find((entry) => entry.peakonUserId === 'u-ann')?.action).toBe('unchanged');
  });
});

describe('config: transforms an employeeRef attribute cannot apply', () => {
  /** A config a person hands the CLI now (validate, sync, schedule create/update): checked by checkWrittenNow. */
  const handedNow = (config: ConnectorConfig) => checkWrittenNow(config, 'config file acme.yaml');

  it.each([
    ['case', { case: 'lower' }],
    ['map', { map: { a: 'b' } }],
    ['default', { default: 'x' }],
    ['fallback', { fallback: 'x' }],
    ['date', { date: 'ISO' }],
    ['type', { type: 'option' }],
    ['trim', { trim: false }],
  ])('refuses %s in a config handed to the CLI, naming the attribute; a schedule\'s stored config with it still runs', (key, extra) => {
    expect(() => handedNow(managerConfig(extra))).toThrow(`mapping.attributes.Manager.${key}: has no effect with employeeRef`);
    // Stored before the rule (the option was silently ignored then): every run validates it with the schema alone.
    expect(() => parseStoredConfig({ storedConfig: { tenant: 'test', peakon: { baseUrl: 'http://127.0.0.1:1/scim/v2' }, source: { type: 'csv', path: 'unused.csv' }, mapping: { id: 'id', email: 'email', givenName: 'first', familyName: 'last', attributes: { Manager: { employeeRef: 'manager', ...extra } } } } })).not.toThrow();
  });

  it('accepts employeeRef with matchOn and onlyOnCreate; refuses matchOn on a value attribute', () => {
    expect(() => handedNow(managerConfig({ matchOn: 'email', onlyOnCreate: true }))).not.toThrow();
    expect(() => handedNow(configWith({ attributes: { Team: { field: 'team', matchOn: 'email' } } }))).toThrow('mapping.attributes.Team.matchOn: applies only with employeeRef');
  });
});
