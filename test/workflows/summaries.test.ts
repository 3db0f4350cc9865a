/**
 * Summaries that tell the truth: the counts a person reads (dry run and first sync) match the plan and what the
 * Peakon sandbox actually received, and a single-employee dry run says what it would do.
 */
import { formatReport } from '../../client/format-report';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

describe('run summaries', () => {
  const pipeline = usePipelineTests();

  it('a dry run shows what is planned; the first sync shows what was done, equal to the sandbox\'s counters', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(12, 3);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const dry: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        expect(dry.planned).toMatchObject({ create: 12, update: 0 });
        const dryText = formatReport(dry);
        expect(dryText).toMatch(/created:\s+12 planned/);
        expect(dryText).not.toMatch(/created:\s+0\b/);

        const single: SyncReport = await (await fixture.startSync({ dryRun: true, employeeKey: org[3]?.work_email ?? '' })).result();
        expect(single.trace?.at(-1)).toMatch(/^result: dry run, nothing written: planned create 1/);

        const before = fixture.sandbox.ops().length;
        const first: SyncReport = await (await fixture.startSync()).result();
        const ops = fixture.sandbox.ops().slice(before);
        const posts = ops.filter((op) => op.method === 'POST').length;
        expect(first.counts.created).toBe(posts);
        expect(first.counts.created).toBe(12);
        // Writes after the create (references a create could not carry) are part of "created", not "updated".
        expect(first.counts.updated).toBe(0);
        expect(first.operations).toBe(ops.length);
        const text = formatReport(first);
        expect(text).toMatch(/created:\s+12\n/);
        expect(text).toContain(`SCIM operations: ${ops.length}`);

        fixture.writeEmployees(org.map((employee, index) => (index < 2 ? { ...employee, team: 'Moved' } : employee)));
        const changed: SyncReport = await (await fixture.startSync()).result();
        expect(changed.planned).toMatchObject({ update: 2, unchanged: 10 });
        expect(changed.counts).toMatchObject({ updated: 2, unchanged: 10 });
      })(),
    );
  });
});
