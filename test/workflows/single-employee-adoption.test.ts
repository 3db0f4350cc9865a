/**
 * An on-demand single-employee sync (`peakon-sync sync --employee <key>`) that matches a Peakon user the ownership
 * ledger does not hold owns it from then on, as a whole-tenant run does, and says so in its report line (`adopted`),
 * not silently. End to end: Temporal dev server, sandbox over real HTTP.
 */
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { ledgerStoreFromEnv } from '../../ownership/store';
import type { SyncReport } from '../../sync/report';
import { defaultPayloadDirectory } from '../../worker/environment';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

const reportLine = (report: SyncReport, employeeKey: string) => (JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees.find((line) => line.employeeKey === employeeKey);

describe('a single-employee sync that matches a user the connector does not own', () => {
  const pipeline = usePipelineTests();

  it.each([
    // Made by hand (or another tool): no HR id, so the sync also looks the person up by HR id.
    ['without an externalId', false],
    // Carrying the record's HR id (say, written by a run whose ledger was lost): found by key, no second lookup.
    ["carrying the record's HR id", true],
  ])('adopts it and says so in its report line (a user %s)', async (_kind, withHrId) => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(3, 2);
    // The top of the org: no manager to be in Peakon first.
    const person = org.find((employee) => employee.manager_id === '')!;
    fixture.writeEmployees(org);
    const ledger = ledgerStoreFromEnv(process.env, defaultPayloadDirectory());
    const [seeded] = fixture.sandbox.seedUsers([
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: person.work_email,
        ...(withHrId ? { externalId: person.employee_id } : {}),
        name: { givenName: 'Made', familyName: 'By Hand' },
        emails: [{ value: person.work_email, primary: true }],
        active: true,
      },
    ]);
    if (!seeded) throw new Error('not seeded');
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        // The dry run previews the adoption and owns nobody.
        const preview: SyncReport = await (await fixture.startSync({ dryRun: true, employeeKey: person.work_email })).result();
        expect(preview.plan?.find((line) => line.employeeKey === person.work_email)).toMatchObject({ action: 'update', adopted: true });
        expect((await ledger.read(fixture.config.tenant)).owned).not.toContain(seeded.id);

        const single: SyncReport = await (await fixture.startSync({ employeeKey: person.work_email })).result();
        expect(single.status).toBe('completed');
        expect(single.counts).toMatchObject({ created: 0, updated: 1, failed: 0 });
        expect(reportLine(single, person.work_email)).toMatchObject({ action: 'update', status: 'updated', adopted: true });
        expect((await ledger.read(fixture.config.tenant)).owned).toContain(seeded.id);
        expect(fixture.sandbox.users()).toHaveLength(1);

        // Owned now: the next one-person sync of them is no adoption.
        fixture.writeEmployees(org.map((employee) => (employee === person ? { ...employee, team: 'Moved' } : employee)));
        const again: SyncReport = await (await fixture.startSync({ employeeKey: person.work_email })).result();
        expect(again.counts).toMatchObject({ updated: 1, failed: 0 });
        expect(reportLine(again, person.work_email)).toMatchObject({ action: 'update', status: 'updated' });
        expect(reportLine(again, person.work_email)).not.toHaveProperty('adopted');
      })(),
    );
  });
});
