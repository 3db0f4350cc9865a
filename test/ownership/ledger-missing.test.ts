/**
 * A tenant whose ownership ledger was lost (a container started without its volume, the payload store moved) looks
 * like a first run: nothing else says so, and everyone who left before that run stays active for good. The run's report
 * warns whenever the ledger records nobody (as a missing one reads) while Peakon already holds users. Real dev server, real sandbox.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { ledgerStoreFromEnv } from '../../ownership/store';
import type { SyncReport } from '../../sync/report';
import { defaultPayloadDirectory } from '../../worker/environment';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, withoutLeaverGuard } from '../harness/pipeline';

const noCompleteRun = (report: SyncReport) => report.warnings.filter((warning) => warning.includes('records nobody yet'));

describe('a lost ownership ledger', () => {
  const pipeline = usePipelineTests();

  it('is said in the report: on a first run into a tenant with users, again once the ledger is gone, and never while it holds a completed run', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    fixture.sandbox.seedUsers([{ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'hand.made@example.org', name: { givenName: 'Hand', familyName: 'Made' }, emails: [{ value: 'hand.made@example.org', primary: true }], active: true }]);
    fixture.writeEmployees(generateOrg(6, 2));
    const ledger = ledgerStoreFromEnv(process.env, defaultPayloadDirectory());
    const tenant = fixture.config.tenant;
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.status).toBe('completed');
        const [warning] = noCompleteRun(first);
        expect(warning).toContain(`the ownership ledger of tenant ${tenant} (in ${ledger.location})`);
        expect(warning).toContain('Peakon already holds 1 user(s)');
        expect(warning).toContain(`restore ${tenant}.ledger there`);
        expect(warning).not.toContain('hand.made@example.org');

        const second: SyncReport = await (await fixture.startSync()).result();
        expect(second.status).toBe('completed');
        expect(noCompleteRun(second)).toEqual([]);

        // The ledger lost (both versions a folder keeps): the next run is a "first run" again, and says so.
        const file = path.join(ledger.location, `${tenant}.ledger`);
        rmSync(file);
        rmSync(`${file}.prev`, { force: true });
        const third: SyncReport = await (await fixture.startSync()).result();
        expect(third.status).toBe('completed');
        expect(noCompleteRun(third)).toHaveLength(1);
        expect(noCompleteRun(third)[0]).toContain('Peakon already holds 7 user(s)');

        // A ledger that owns users but records no completed run (every run so far held or stopped before the end) is
        // not a lost one: no warning run after run.
        rmSync(file);
        rmSync(`${file}.prev`, { force: true });
        const someone = fixture.sandbox.users()[0]?.id ?? '';
        await ledger.record(tenant, { owned: [someone], deleted: [] });
        expect((await ledger.read(tenant)).lastCompleteRead).toBeUndefined();
        const fourth: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        expect(noCompleteRun(fourth)).toEqual([]);
      })(),
    );
  });

  it('is not said on a first load into an empty tenant: nobody there can be missed', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(4, 2));
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first: SyncReport = await (await fixture.startSync()).result();
        expect(first.status).toBe('completed');
        expect(first.counts.created).toBe(4);
        expect(noCompleteRun(first)).toEqual([]);
      })(),
    );
  });
});
