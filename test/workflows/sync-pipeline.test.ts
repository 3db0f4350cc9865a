import { appendFileSync } from 'node:fs';
import { CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/resources';
import { MAX_CREATE_WAVES } from '../../sync/plan';
import type { SyncReport } from '../../sync/report';
import { depthOf, generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

describe('sync pipeline against the sandbox over HTTP', () => {
  const pipeline = usePipelineTests();

  it('creates 200 employees of a five-level org with every attribute and the right Manager in one POST each, managers first', async () => {
    const fixture = await pipeline.fixture();
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
    // Managers are created in earlier waves than their reports, so every create carries its Manager (the sandbox, like
    // Peakon, rejects a reference to someone who does not exist yet): no second write for anybody.
    const writes = fixture.sandbox.ops().filter((op) => op.method !== 'GET');
    expect(writes.map((op) => `${op.method} ${op.status}`)).toEqual(Array.from({ length: 200 }, () => 'POST 201'));
    expect(report.operations).toBe(fixture.sandbox.ops().length);
  });

  it('writes in phase 2, after every create, the references a create could not carry (a chain deeper than the waves)', async () => {
    const fixture = await pipeline.fixture();
    // A management chain of MAX_CREATE_WAVES + 2 people: the last two share the last wave with their manager.
    const chain = generateOrg(MAX_CREATE_WAVES + 2, 2).map((employee, index, all) => ({ ...employee, manager_id: index === 0 ? '' : (all[index - 1]?.employee_id ?? '') }));
    fixture.writeEmployees(chain);
    const workers = await fixture.startWorkers();
    const result: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(result.failures).toEqual([]);
    expect(result.counts).toMatchObject({ created: chain.length, failed: 0 });
    const methods = fixture.sandbox.ops().filter((op) => op.method !== 'GET').map((op) => op.method);
    expect(methods.filter((method) => method === 'POST')).toHaveLength(chain.length);
    expect(methods.filter((method) => method === 'PATCH')).toHaveLength(2);
    expect(methods.indexOf('PATCH')).toBeGreaterThan(methods.lastIndexOf('POST'));
    const byEmail = new Map(fixture.sandbox.users().map((user) => [user.userName, user]));
    chain.forEach((employee, index) => expect(byEmail.get(employee.work_email)?.[PEAKON_USER_SCHEMA]?.Manager ?? '').toBe(index === 0 ? '' : chain[index - 1]?.work_email));
  });
});

describe('sync pipeline: repeated runs, bad records, bad tokens, failed managers', () => {
  const pipeline = usePipelineTests();

  it('creates nobody, duplicates nobody and writes nothing when the same sync runs again', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(40, 3));
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.counts.created).toBe(40);
        const opsAfterFirst = fixture.sandbox.ops().length;
        const second: SyncReport = await (await fixture.startSync()).result();
        expect(second.counts).toMatchObject({ created: 0, updated: 0, unchanged: 40, failed: 0 });
        const secondRunOps = fixture.sandbox.ops().slice(opsAfterFirst);
        expect(secondRunOps.filter((op) => op.method !== 'GET')).toEqual([]);
        expect(second.operations).toBe(secondRunOps.length);
      })(),
    );
    expect(fixture.sandbox.users()).toHaveLength(40);
  });

  it('updates only what changed in the HR system, and reports old → new', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(20, 3);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const second: SyncReport = await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const moved = employees.map((employee, index) => (index === 3 ? { ...employee, team: 'Platform' } : employee));
        fixture.writeEmployees(moved);
        return (await fixture.startSync()).result();
      })(),
    );
    expect(second.counts).toMatchObject({ created: 0, updated: 1, unchanged: 19 });
    const changed = fixture.sandbox.users().find((user) => user.userName === employees[3]?.work_email);
    expect(changed?.[PEAKON_USER_SCHEMA]?.Team).toBe('Platform');
    // One PATCH of the one changed attribute; nothing else is written.
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET' && op.method !== 'POST').map((op) => op.method)).toEqual(['PATCH']);
  });

  it('reports a record with an invalid email as failed with the reason and syncs everyone else', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(12, 3);
    const broken = employees.findIndex((employee) => employee.manager_id !== '' && !employees.some((other) => other.manager_id === employee.employee_id));
    employees[broken] = { ...(employees[broken] as (typeof employees)[number]), work_email: 'not-an-email' };
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(report.counts).toMatchObject({ created: 11, failed: 1 });
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]?.reason).toMatch(/email/i);
    expect(report.failures[0]?.reason).toMatch(/row \d+/);
    expect(fixture.sandbox.users()).toHaveLength(11);
  });

  it('reports the records a plan read before Peakon refused its token (no mapped attribute: no preflight read, the listing first), not counting blank lines', async () => {
    const fixture = await pipeline.fixture({ workerToken: 'wrong-token' });
    fixture.config.mapping.attributes = {};
    fixture.writeEmployees(generateOrg(10, 2));
    // Blank lines (one of spaces) at the end of the export: rows that keep row numbers, not records read.
    appendFileSync((fixture.config.source as { path: string }).path, '\n\n   \n');
    const report: SyncReport = await (await fixture.startWorkers()).runUntil((await fixture.startSync()).result());
    expect(report.status).toBe('quarantined');
    expect(report.employees).toBe(10);
    expect(report.operations).toBe(fixture.sandbox.ops().length);
    expect(fixture.sandbox.ops().map((op) => op.status)).toEqual([401]);
  });

  it('quarantines the run quickly with an authentication message when the token is wrong, writing nothing; with the token fixed the next run completes', async () => {
    // The worker resolves its token per activity from this object: fixing it below is fixing the worker's secret.
    const access: { workerToken?: string } = { workerToken: 'wrong-token' };
    const fixture = await pipeline.fixture(access);
    fixture.writeEmployees(generateOrg(10, 2));
    const workers = await fixture.startWorkers();
    const started = Date.now();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(report.status).toBe('quarantined');
    expect(report.message).toMatch(/authentication failed/i);
    expect(JSON.stringify(report)).not.toContain('wrong-token');
    expect(fixture.sandbox.users()).toHaveLength(0);
    // What the stopped plan read and sent is reported: refused at its first request (the preflight, which comes before
    // the HR read), it read no record, and every request the sandbox answered is counted.
    expect(report.employees).toBe(0);
    expect(fixture.sandbox.ops().length).toBeGreaterThan(0);
    expect(report.operations).toBe(fixture.sandbox.ops().length);
    // Refused at its first read, it sent nothing after the refusal: no write at all, and no request past the first 401.
    const refused = fixture.sandbox.ops().findIndex((op) => op.status === 401);
    expect(refused).toBeGreaterThanOrEqual(0);
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
    expect(fixture.sandbox.ops().slice(refused + 1)).toEqual([]);

    // The token fixed, the next run reads Peakon first and completes what the quarantined run left.
    delete access.workerToken;
    const before = fixture.sandbox.ops().length;
    const next: SyncReport = await (await fixture.startWorkers()).runUntil((await fixture.startSync()).result());
    expect(next.status).toBe('completed');
    expect(next.counts).toMatchObject({ created: 10, failed: 0 });
    const nextOps = fixture.sandbox.ops().slice(before);
    expect(nextOps[0]?.method).toBe('GET');
    expect(nextOps.filter((op) => op.status === 401)).toEqual([]);
    expect(fixture.sandbox.users()).toHaveLength(10);
  });

  it('still updates the reports of a manager who cannot be created, and reports the unresolved Manager', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(6, 2);
    const manager = employees.find((employee) => employee.manager_id === '');
    if (!manager) throw new Error('fixture has no top manager');
    // Someone already holds the manager's employee number in Peakon: Peakon would answer the manager's POST with 409,
    // so the plan skips it (naming the holder) instead of sending a create refused on every run.
    fixture.sandbox.seedUsers([
      { schemas: [CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA], userName: 'squatter@example.com', emails: [{ value: 'squatter@example.com', primary: true }], name: { givenName: 'S', familyName: 'Q' }, [ENTERPRISE_USER_SCHEMA]: { employeeNumber: manager.employee_number } },
    ]);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(report.failures).toEqual([]);
    expect(report.counts).toMatchObject({ created: 5, skipped: 1, failed: 0 });
    expect(fixture.sandbox.ops().filter((op) => op.method === 'POST' && (op.status ?? 0) >= 400)).toEqual([]);
    const reports = employees.filter((employee) => employee.manager_id === manager.employee_id);
    expect(reports.length).toBeGreaterThan(0);
    for (const direct of reports) {
      const user = fixture.sandbox.users().find((candidate) => candidate.userName === direct.work_email);
      expect(user?.[PEAKON_USER_SCHEMA]?.Team).toBe(direct.team);
      expect(report.warnings.some((warning) => warning.startsWith(direct.work_email) && warning.includes(`Manager (${manager.work_email})`))).toBe(true);
    }
  });

  it('leaves out a Manager who left before reaching Peakon, once, instead of re-sending it on every run', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(12, 3);
    const leaver = employees.find((employee) => employee.manager_id !== '' && employees.some((other) => other.manager_id === employee.employee_id))!;
    const reports = employees.filter((employee) => employee.manager_id === leaver.employee_id);
    fixture.writeEmployees(employees.map((employee) => (employee === leaver ? { ...employee, status: 'Terminated', termination_date: '01/06/2026' } : employee)));
    const workers = await fixture.startWorkers();
    const [first, second]: SyncReport[] = await workers.runUntil((async () => [await (await fixture.startSync()).result(), await (await fixture.startSync()).result()])());
    expect(first?.counts).toMatchObject({ created: 11, skipped: 1, failed: 0 });
    for (const report of reports) expect(first?.warnings.some((warning) => warning.startsWith(report.work_email) && warning.includes(`Manager (${leaver.work_email}) left out`))).toBe(true);
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET' && (op.status ?? 0) >= 400)).toEqual([]);
    expect(second?.counts).toMatchObject({ created: 0, updated: 0, unchanged: 11, skipped: 1 });
  });

  it('does not create an inactive employee it discovers missing with a filter', async () => {
    const fixture = await pipeline.fixture();
    fixture.config.sync.discovery = 'filter';
    const employees = generateOrg(4, 2);
    fixture.writeEmployees(employees.map((employee, index) => (index === 3 ? { ...employee, status: 'Terminated' } : employee)));
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(report.counts).toMatchObject({ created: 3, skipped: 1 });
    expect(fixture.sandbox.users().map((user) => user.userName)).not.toContain(employees[3]?.work_email);
  });

  it('with filter discovery leaves people the HR system marks inactive active, unless leavers.action is off: the guard cannot count them', async () => {
    const fixture = await pipeline.fixture();
    fixture.config.sync.discovery = 'filter';
    const employees = generateOrg(4, 2);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        expect(((await (await fixture.startSync()).result()) as SyncReport).counts.created).toBe(4);
        // A botched export marks everyone Terminated: nobody is switched off.
        fixture.writeEmployees(employees.map((employee) => ({ ...employee, status: 'Terminated' })));
        const opsBefore = fixture.sandbox.ops().length;
        const held: SyncReport = await (await fixture.startSync()).result();
        expect(held.counts).toMatchObject({ skipped: 4, updated: 0, deactivated: 0 });
        expect(held.warnings.some((warning) => warning.includes('people the HR system marks inactive are left active'))).toBe(true);
        // The schema read only: no discovery, no write.
        expect(fixture.sandbox.ops().slice(opsBefore).map((op) => op.method)).toEqual(['GET']);
        expect(fixture.sandbox.users().every((user) => user.active !== false)).toBe(true);

        // leavers.action: off says the deployment wants them switched off as ordinary updates, unguarded.
        fixture.config.leavers = { ...fixture.config.leavers, action: 'off' };
        const off: SyncReport = await (await fixture.startSync()).result();
        expect(off.counts).toMatchObject({ updated: 4 });
        expect(fixture.sandbox.users().every((user) => user.active === false)).toBe(true);
      })(),
    );
  });

  it('discovers every employee with a filter, as Peakon\'s guide describes, when discovery is "filter"', async () => {
    const fixture = await pipeline.fixture();
    fixture.config.sync.discovery = 'filter';
    fixture.writeEmployees(generateOrg(10, 2));
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(report.counts).toMatchObject({ created: 10, failed: 0 });
    const filters = fixture.sandbox.ops().filter((op) => op.method === 'GET' && op.path.includes('filter='));
    // One by the matching key each; nobody found, one more each by HR id (externalId) before the create: no renames.
    expect(filters).toHaveLength(20);
    expect(filters.filter((op) => decodeURIComponent(op.path).includes('externalId eq'))).toHaveLength(10);
    expect(fixture.sandbox.users()).toHaveLength(10);
  });
});

describe('sync pipeline preflight', () => {
  const pipeline = usePipelineTests();

  it('stops before any write, naming each mapped attribute the tenant lacks', async () => {
    const fixture = await pipeline.fixture({ sandbox: { schema: [{ name: 'Team', type: 'option' }, { name: 'Manager', type: 'employee' }] } });
    fixture.writeEmployees(generateOrg(5, 2));
    const workers = await fixture.startWorkers();
    const failure = await workers.runUntil((await fixture.startSync()).result().then(() => undefined, (error: unknown) => error));
    const message = (failure as { cause?: { message?: string } }).cause?.message ?? '';
    expect(message).toContain('does not fit the tenant');
    expect(message).toContain('"Gender"');
    expect(message).toContain('"Date of Birth"');
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
  });

  it('with leavers.action: separate, also checks the separation attributes every leaver write carries (before, each leaver failed, run after run)', async () => {
    const fixture = await pipeline.fixture();
    // Neither separation attribute is mapped; the tenant (the sandbox's default schema) has "Separation date", not this.
    const { 'Separation date': _date, 'Separation reason': _reason, ...attributes } = fixture.config.mapping.attributes;
    fixture.config.mapping = { ...fixture.config.mapping, attributes };
    fixture.config.leavers = { ...fixture.config.leavers, action: 'separate', separation: { dateAttribute: 'Termination date', reasonAttribute: 'Separation reason', reason: 'Voluntary' } };
    fixture.writeEmployees(generateOrg(5, 2));
    const workers = await fixture.startWorkers();
    const failure = await workers.runUntil((await fixture.startSync()).result().then(() => undefined, (error: unknown) => error));
    const message = (failure as { cause?: { message?: string } }).cause?.message ?? '';
    expect(message).toContain('leavers.separation.dateAttribute: Peakon has no attribute "Termination date"');
    expect(message).toContain('did you mean "Separation date"?');
    expect(message).not.toContain('reasonAttribute');
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
  });
});
