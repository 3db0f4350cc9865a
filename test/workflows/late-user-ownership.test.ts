/**
 * Who a create that was skipped makes owned: nobody. A user someone else created between the plan's listing and this
 * run's create (a 409, another externalId) is left as it is this run and adopted by the next, whose report says
 * `adopted` — owning it at once would adopt it silently. End to end: Temporal dev server, sandbox over real HTTP.
 */
import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import { ledgerStoreFromEnv } from '../../ownership/store';
import type { SyncReport } from '../../sync/report';
import { defaultPayloadDirectory } from '../../worker/environment';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

describe('a user someone else creates between the plan and its create', () => {
  const pipeline = usePipelineTests();

  it('is not owned by the run that skipped it; the next sync adopts it and owns it then', async () => {
    // Latency holds every request 500 ms, so the user seeded right after the listing is there before the POST lands.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 500 } } });
    const employees = generateOrg(4, 2);
    const [, , , late] = employees as [GeneratedEmployee, GeneratedEmployee, GeneratedEmployee, GeneratedEmployee];
    fixture.writeEmployees(employees);
    const ledger = ledgerStoreFromEnv(process.env, defaultPayloadDirectory());
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const run = await fixture.startSync();
        const listed = Date.now() + 30_000;
        while (!fixture.sandbox.ops().some((op) => op.method === 'GET' && op.path.includes('/Users') && !op.path.includes('filter') && typeof op.status === 'number')) {
          if (Date.now() > listed) throw new Error('the plan never listed the tenant');
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        const [seeded] = fixture.sandbox.seedUsers([{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: late.work_email, externalId: 'OKTA-00u1', name: { givenName: 'Set', familyName: 'By Okta' }, emails: [{ value: late.work_email, primary: true }], active: true }]);
        if (!seeded) throw new Error('not seeded');
        const first: SyncReport = await run.result();
        expect(first.counts).toMatchObject({ created: 3, skipped: 1, failed: 0 });
        // Skipped with the reason, in the report file's line for them, and not adopted by this run.
        const lateLine = (JSON.parse(readFileSync(first.reportPath ?? '', 'utf8')) as RunReportFile).employees.find((line) => line.employeeKey === late.work_email);
        expect(lateLine).toMatchObject({ action: 'create', status: 'skipped', error: expect.stringMatching(/created in Peakon by someone else after this run read the tenant: the next sync adopts/) });
        expect(lateLine).not.toHaveProperty('adopted');
        const afterFirst = (await ledger.read(fixture.config.tenant)).owned;
        expect(afterFirst).toHaveLength(3);
        expect(afterFirst).not.toContain(seeded.id);

        // What the next sync does with them, in its own words: an adoption.
        const preview: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        expect(preview.plan?.find((line) => line.employeeKey === late.work_email)).toMatchObject({ action: 'update', adopted: true });
        const second: SyncReport = await (await fixture.startSync()).result();
        expect(second.counts).toMatchObject({ created: 0, updated: 1, failed: 0 });
        // And says so in the run's own report file, not only in the preview: the late user's line is an adoption.
        const adoptedLine = (JSON.parse(readFileSync(second.reportPath ?? '', 'utf8')) as RunReportFile).employees.find((line) => line.employeeKey === late.work_email);
        expect(adoptedLine).toMatchObject({ action: 'update', status: 'updated', adopted: true });
        expect(adoptedLine).not.toHaveProperty('error');
        expect((await ledger.read(fixture.config.tenant)).owned).toContain(seeded.id);
      })(),
    );
  });
});
