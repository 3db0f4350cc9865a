import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { depthOf, generateOrg } from '../fixtures/org';
import { createPipelineFixture, type PipelineFixture } from '../harness/pipeline';
import { connectToDevServer, type TemporalTestContext } from '../harness/temporal';

describe('sync pipeline against the sandbox over HTTP', () => {
  let temporal: TemporalTestContext;
  let fixture: PipelineFixture;
  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    await temporal.close();
  });
  afterEach(async () => {
    await fixture?.close();
  });

  it('creates 200 employees of a five-level org with every attribute and the right Manager, every PUT after the last POST', async () => {
    fixture = await createPipelineFixture(temporal);
    const employees = generateOrg(200, 5);
    expect(depthOf(employees)).toBe(5);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());

    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ created: 200, failed: 0 });
    const users = fixture.sandbox.users();
    expect(users).toHaveLength(200);
    const byEmail = new Map(users.map((user) => [user.userName, user]));
    const emailById = new Map(employees.map((employee) => [employee.employee_id, employee.work_email]));
    for (const employee of employees) {
      const user = byEmail.get(employee.work_email);
      expect(user).toBeDefined();
      expect(user?.schemas).toEqual(expect.arrayContaining([CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA]));
      expect(user?.externalId).toBe(employee.employee_id);
      expect(user?.[ENTERPRISE_USER_SCHEMA]?.employeeNumber).toBe(employee.employee_number);
      expect(user?.locale).toBe(employee.locale);
      expect(user?.timezone).toBe(employee.timezone);
      expect(user?.[PEAKON_USER_SCHEMA]?.Team).toBe(employee.team);
      expect(user?.[PEAKON_USER_SCHEMA]?.Manager ?? '').toBe(employee.manager_id ? emailById.get(employee.manager_id) : '');
    }
    const writes = fixture.sandbox.ops().filter((op) => op.method === 'POST' || op.method === 'PUT');
    const lastPost = writes.map((op) => op.method).lastIndexOf('POST');
    const firstPut = writes.map((op) => op.method).indexOf('PUT');
    expect(lastPost).toBeGreaterThanOrEqual(0);
    expect(firstPut).toBeGreaterThan(lastPost);
  });
});
