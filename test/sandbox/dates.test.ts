import { PEAKON_USER_SCHEMA } from '../../scim/resources';
import { asList, asUser, createEmployee, scim, useSandbox } from './helpers';

/**
 * Peakon's guidance: a past Separation date makes a person inactive, and so does a future Tenure (start) date. The
 * sandbox follows it from the day it is given (never the real clock: fixed test dates would change meaning over time).
 */
describe('the sandbox with a day: dates decide who is active', () => {
  const sandbox = useSandbox({ today: '2026-12-01' });

  it('serves a future start or a past separation as inactive, in write answers, reads and listings; the stored value stays', async () => {
    const hire = await createEmployee(sandbox(), 'future.hire@example.com', { peakon: { Tenure: '2027-01-10' } });
    expect(hire.active).toBe(false);
    const leaver = await createEmployee(sandbox(), 'left@example.com', { peakon: { 'Separation date': '2026-11-30' } });
    expect(leaver.active).toBe(false);
    const staying = await createEmployee(sandbox(), 'stays@example.com', { peakon: { Tenure: '2020-01-01', 'Separation date': '2026-12-02' } });
    expect(staying.active).toBe(true);

    expect(asUser(await scim(sandbox(), 'GET', `/Users/${hire.id}`)).active).toBe(false);
    const listed = asList(await scim(sandbox(), 'GET', '/Users'));
    expect(Object.fromEntries(listed.Resources.map((user) => [user.userName, user.active]))).toEqual({ 'future.hire@example.com': false, 'left@example.com': false, 'stays@example.com': true });
    // What was written is kept: the day moves on, and the hire is active from their start date.
    expect(sandbox().users().find((user) => user.id === hire.id)?.active).toBe(true);
    sandbox().setToday('2027-01-10');
    expect(asUser(await scim(sandbox(), 'GET', `/Users/${hire.id}`)).active).toBe(true);
    // A PATCH answer follows the dates too.
    const patched = asUser(await scim(sandbox(), 'PATCH', `/Users/${staying.id}`, { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: `${PEAKON_USER_SCHEMA}:Separation date`, value: '2027-01-01' }] } }));
    expect(patched.active).toBe(false);
    // Without a day, the stored value is served.
    sandbox().setToday(undefined);
    expect(asUser(await scim(sandbox(), 'GET', `/Users/${hire.id}`)).active).toBe(true);
  });
});
