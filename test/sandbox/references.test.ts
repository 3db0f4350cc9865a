import { PEAKON_USER_SCHEMA, type ScimUser } from '../../scim/resources';
import { asError, asUser, createEmployee, employee, patchOp, scim, useSandbox } from './helpers';

/**
 * Employee attributes (Manager) are references to an employee, as in Peakon (peakon-scim.md: "the email of another
 * employee who already exists"; an unknown employee is a 400), not text: the sandbox serves the referenced employee's
 * current userName, and checks every write's references against the employees that exist now.
 */
describe('sandbox employee references (Manager)', () => {
  const sandbox = useSandbox();
  const read = async (user: ScimUser): Promise<ScimUser> => asUser(await scim(sandbox(), 'GET', `/Users/${user.id}`));
  const put = (user: ScimUser, email: string, peakon?: Record<string, string>) =>
    scim(sandbox(), 'PUT', `/Users/${user.id}`, { body: employee(email, peakon ? { peakon } : {}) });

  it('serves the manager\'s current userName after the manager is renamed', async () => {
    const anna = await createEmployee(sandbox(), 'anna@x.com');
    const bob = await createEmployee(sandbox(), 'bob@x.com', { peakon: { Manager: 'anna@x.com' } });
    expect((await put(anna, 'anna.new@x.com')).status).toBe(200);
    expect((await read(bob))[PEAKON_USER_SCHEMA]).toEqual({ Manager: 'anna.new@x.com' });
    expect(sandbox().users().find((user) => user.id === bob.id)?.[PEAKON_USER_SCHEMA]).toEqual({ Manager: 'anna.new@x.com' });
    const listed = await scim(sandbox(), 'GET', `/Users?filter=${encodeURIComponent('userName eq "bob@x.com"')}`);
    expect(listed.body).toMatchObject({ Resources: [{ [PEAKON_USER_SCHEMA]: { Manager: 'anna.new@x.com' } }] });
  });

  it('rejects a write naming an email no employee has, also when it is the value the user had before', async () => {
    const anna = await createEmployee(sandbox(), 'anna@x.com');
    const bob = await createEmployee(sandbox(), 'bob@x.com', { peakon: { Manager: 'anna@x.com' } });
    await put(anna, 'anna.new@x.com');
    const stale = await put(bob, 'bob@x.com', { Manager: 'anna@x.com' });
    expect(stale.status).toBe(400);
    expect(asError(stale).detail).toMatch(/Manager must be the email of an existing employee; no employee "anna@x.com" exists/);
    expect((await scim(sandbox(), 'POST', '/Users', { body: employee('eve@x.com', { peakon: { Manager: 'anna@x.com' } }) })).status).toBe(400);
    // Read, change, write back: what the sandbox served is always accepted.
    const served = await read(bob);
    const rewritten = await scim(sandbox(), 'PUT', `/Users/${bob.id}`, { body: { ...served, displayName: 'Bob' } });
    expect(rewritten.status).toBe(200);
    expect(asUser(rewritten)[PEAKON_USER_SCHEMA]).toEqual({ Manager: 'anna.new@x.com' });
  });

  it('serves a reference to a deleted employee as absent, for good, and rejects writes naming the deleted email', async () => {
    const anna = await createEmployee(sandbox(), 'anna@x.com');
    const bob = await createEmployee(sandbox(), 'bob@x.com', { peakon: { Manager: 'anna@x.com', Team: 'Core' } });
    const carl = await createEmployee(sandbox(), 'carl@x.com', { peakon: { Manager: 'anna@x.com' } });
    expect((await scim(sandbox(), 'DELETE', `/Users/${anna.id}`)).status).toBe(204);
    expect((await read(bob))[PEAKON_USER_SCHEMA]).toEqual({ Team: 'Core' });
    const carlNow = await read(carl);
    expect(carlNow[PEAKON_USER_SCHEMA]).toBeUndefined();
    expect(carlNow.schemas).not.toContain(PEAKON_USER_SCHEMA);
    expect((await put(bob, 'bob@x.com', { Manager: 'anna@x.com', Team: 'Core' })).status).toBe(400);
    const deactivated = await scim(sandbox(), 'PATCH', `/Users/${bob.id}`, { body: patchOp({ op: 'replace', path: 'active', value: false }) });
    expect(deactivated.status).toBe(200);
    // Someone new with the old address is someone else: the old reference does not come back to life.
    await createEmployee(sandbox(), 'anna@x.com');
    expect((await read(carl))[PEAKON_USER_SCHEMA]).toBeUndefined();
  });

  it('serves a reference written with a secondary email as the employee\'s userName', async () => {
    await scim(sandbox(), 'POST', '/Users', {
      body: { ...employee('anna@x.com'), emails: [{ value: 'anna@x.com', type: 'work', primary: true }, { value: 'anna.private@y.com', type: 'home' }] },
    });
    const bob = await createEmployee(sandbox(), 'bob@x.com', { peakon: { Manager: 'ANNA.PRIVATE@y.com' } });
    expect(bob[PEAKON_USER_SCHEMA]).toEqual({ Manager: 'anna@x.com' });
  });

  it('accepts an employee as their own Manager (the spec names no rule against it) and follows their rename', async () => {
    const bob = await createEmployee(sandbox(), 'bob@x.com');
    const self = await put(bob, 'bob@x.com', { Manager: 'bob@x.com' });
    expect(self.status).toBe(200);
    const renamed = await scim(sandbox(), 'PATCH', `/Users/${bob.id}`, {
      body: patchOp({ op: 'replace', value: { userName: 'bob.new@x.com', emails: [{ value: 'bob.new@x.com', type: 'work', primary: true }] } }),
    });
    expect(asUser(renamed)[PEAKON_USER_SCHEMA]).toEqual({ Manager: 'bob.new@x.com' });
  });
});

describe('sandbox employee references with putClearsOmitted: false', () => {
  const sandbox = useSandbox({ putClearsOmitted: false });

  it('keeps a reference the PUT omits, served as the manager\'s current userName', async () => {
    const anna = await createEmployee(sandbox(), 'anna@x.com');
    const bob = await createEmployee(sandbox(), 'bob@x.com', { peakon: { Manager: 'anna@x.com' } });
    await scim(sandbox(), 'PUT', `/Users/${anna.id}`, { body: employee('anna.new@x.com') });
    const kept = await scim(sandbox(), 'PUT', `/Users/${bob.id}`, { body: { ...employee('bob@x.com'), displayName: 'Bob' } });
    expect(kept.status).toBe(200);
    expect(asUser(kept)[PEAKON_USER_SCHEMA]).toEqual({ Manager: 'anna.new@x.com' });
  });
});
