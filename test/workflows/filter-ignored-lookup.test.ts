/**
 * sync.discovery: filter against a server that ignores the filter of one lookup: the lookup for employee X is answered
 * with another Peakon user, Y. Taking Y as X's match would write X's data over Y and own Y. End to end: Temporal dev
 * server, the sandbox over real HTTP (fault `ignoreFilterFor`): X fails with 'filter was not applied', nothing is
 * written to Y, Y is not in the ownership ledger, and everyone else syncs as usual.
 */
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { ledgerStoreFromEnv } from '../../ownership/store';
import { ENTERPRISE_USER_SCHEMA } from '../../scim/resources';
import type { SyncReport } from '../../sync/report';
import { defaultPayloadDirectory } from '../../worker/environment';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';
import { usePipelineTests, withoutLeaverGuard } from '../harness/pipeline';

/** Someone nobody reports to: no manager reference to them is in play. */
function leaf(org: GeneratedEmployee[]): GeneratedEmployee {
  const managers = new Set(org.map((employee) => employee.manager_id));
  const found = org.find((employee) => !managers.has(employee.employee_id));
  if (!found) throw new Error('the generated org has no leaf');
  return found;
}

describe('sync.discovery: filter, a lookup answered with the wrong person (the server ignored the filter)', () => {
  const pipeline = usePipelineTests();

  it('fails that employee naming the user returned; that user is neither written nor owned; the others sync', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    fixture.config.sync.discovery = 'filter';
    const org = generateOrg(6, 2);
    const x = leaf(org);
    fixture.writeEmployees(org);
    // Y: a Peakon user the HR file does not hold (an admin, say), first in the tenant: what an unfiltered page starts with.
    const [y] = fixture.sandbox.seedUsers([
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_SCHEMA],
        userName: 'peakon.admin@example.com',
        externalId: 'ADMIN-1',
        name: { givenName: 'Pat', familyName: 'Admin' },
        emails: [{ value: 'peakon.admin@example.com', primary: true }],
        active: true,
        [ENTERPRISE_USER_SCHEMA]: { employeeNumber: 'A-1', department: 'IT' },
      },
    ]);
    if (!y) throw new Error('not seeded');
    const yBefore = fixture.sandbox.users().find((user) => user.id === y.id);
    fixture.sandbox.setFaults({ ignoreFilterFor: [x.work_email] });
    const ledger = ledgerStoreFromEnv(process.env, defaultPayloadDirectory());

    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());

    // X fails, saying why and naming the user the server returned; everyone else is created.
    expect(report.counts).toMatchObject({ created: org.length - 1, failed: 1 });
    const lines = (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees;
    const xLine = lines.find((line) => line.employeeKey === x.work_email);
    expect(xLine).toMatchObject({ status: 'failed', error: expect.stringContaining(`the server returned user ${y.id}, which does not match`) });
    expect(xLine?.error).toContain('the filter was not applied');
    // The lookup for X did reach the sandbox and was answered unfiltered (the fault is what this test is about).
    const xLookups = fixture.sandbox.ops().filter((op) => op.method === 'GET' && decodeURIComponent(op.path).includes(`"${x.work_email}"`));
    expect(xLookups.length).toBeGreaterThan(0);

    // Nothing at all written to Y; Y is as it was, and nobody was created for X.
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET' && op.path.includes(y.id))).toEqual([]);
    expect(fixture.sandbox.users().find((user) => user.id === y.id)).toEqual(yBefore);
    expect(fixture.sandbox.users().filter((user) => user.userName === x.work_email || user.externalId === x.employee_id)).toEqual([]);

    // The others synced as usual: each in Peakon under their HR id.
    for (const employee of org.filter((candidate) => candidate !== x)) {
      expect(fixture.sandbox.users().filter((user) => user.externalId === employee.employee_id).map((user) => user.userName)).toEqual([employee.work_email]);
    }

    // Y is not owned (never a leaver the connector would deactivate or delete); the users the run created are.
    const owned = (await ledger.read(fixture.config.tenant)).owned;
    expect(owned).not.toContain(y.id);
    const created = fixture.sandbox.users().filter((user) => user.id !== y.id).map((user) => user.id);
    expect([...owned].sort()).toEqual([...created].sort());
  });
});
