import { ENTERPRISE_USER_SCHEMA } from '../../scim/resources';
import { asError, asUser, createEmployee, employee, patchOp, scim, useSandbox } from './helpers';

/**
 * The enterprise extension's manager (RFC 7643 §4.3) names the manager's User by id. Peakon's doc expects 400 for an
 * unknown manager (../shared/peakon-scim.md, Errors), so the sandbox must not store one that names nobody.
 */
describe('sandbox enterprise manager', () => {
  const sandbox = useSandbox();
  const withManager = (email: string, manager: Record<string, unknown>) => {
    const body = employee(email);
    return { ...body, schemas: [...body.schemas, ENTERPRISE_USER_SCHEMA], [ENTERPRISE_USER_SCHEMA]: { manager } };
  };

  it('rejects a POST whose manager.value is no user id with 400 invalidValue, storing nothing', async () => {
    const result = await scim(sandbox(), 'POST', '/Users', { body: withManager('report@example.com', { value: 'no-such-id' }) });
    expect(result.status).toBe(400);
    expect(asError(result)).toMatchObject({ scimType: 'invalidValue', detail: expect.stringContaining('no user "no-such-id" exists') });
    expect(sandbox().users()).toEqual([]);
  });

  it('rejects a manager without a value, and a manager named by email instead of id', async () => {
    const boss = await createEmployee(sandbox(), 'boss@example.com');
    for (const manager of [{ displayName: 'Boss' }, { value: boss.userName }]) {
      const result = await scim(sandbox(), 'POST', '/Users', { body: withManager('report@example.com', manager) });
      expect(result.status).toBe(400);
    }
    expect(sandbox().users()).toHaveLength(1);
  });

  it('accepts an existing user id as manager.value, on POST and PATCH, and rejects a PATCH to an unknown one', async () => {
    const boss = await createEmployee(sandbox(), 'boss@example.com');
    const created = await scim(sandbox(), 'POST', '/Users', { body: withManager('report@example.com', { value: boss.id }) });
    expect(created.status).toBe(201);
    const report = asUser(created);
    expect(report[ENTERPRISE_USER_SCHEMA]?.manager?.value).toBe(boss.id);

    const bad = await scim(sandbox(), 'PATCH', `/Users/${report.id}`, { body: patchOp({ op: 'replace', path: `${ENTERPRISE_USER_SCHEMA}:manager`, value: { value: 'no-such-id' } }) });
    expect(bad.status).toBe(400);
    expect(sandbox().users().find((user) => user.id === report.id)?.[ENTERPRISE_USER_SCHEMA]?.manager?.value).toBe(boss.id);

    const other = await createEmployee(sandbox(), 'other@example.com');
    const good = await scim(sandbox(), 'PATCH', `/Users/${report.id}`, { body: patchOp({ op: 'replace', path: `${ENTERPRISE_USER_SCHEMA}:manager`, value: { value: other.id } }) });
    expect(good.status).toBe(200);
    expect(asUser(good)[ENTERPRISE_USER_SCHEMA]?.manager?.value).toBe(other.id);
  });

  it('still takes a write of the user as read after their manager was deleted (the value is unchanged)', async () => {
    const boss = await createEmployee(sandbox(), 'boss@example.com');
    const report = asUser(await scim(sandbox(), 'POST', '/Users', { body: withManager('report@example.com', { value: boss.id }) }));
    expect((await scim(sandbox(), 'DELETE', `/Users/${boss.id}`)).status).toBe(204);
    const deactivated = await scim(sandbox(), 'PATCH', `/Users/${report.id}`, { body: patchOp({ op: 'replace', path: 'active', value: false }) });
    expect(deactivated.status).toBe(200);
  });
});
