/**
 * Summaries that tell the truth: the counts a person reads (dry run and first sync) match the plan and what the
 * Peakon sandbox actually received, and a single-employee dry run says what it would do.
 */
import { formatReport } from '../../client/format-report';
import type { SyncReport } from '../../sync/report';
import { generateOrg, leaves } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

describe('run summaries', () => {
  const pipeline = usePipelineTests();

  it('a dry run shows what is planned; the first sync and a sync of changes and a leaver show what was done, equal to what the sandbox received', async () => {
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

        // Two changes and a leaver (nobody reports to them; one of twelve is within the sample's leavers guard).
        const leaver = leaves(org).at(-1);
        if (!leaver) throw new Error('the org has no employee without reports');
        const leaverUserId = fixture.sandbox.users().find((user) => user.userName === leaver.work_email)?.id;
        expect(leaverUserId).toBeDefined();
        const staying = org.filter((employee) => employee !== leaver);
        fixture.writeEmployees(staying.map((employee, index) => (index < 2 ? { ...employee, team: 'Moved' } : employee)));
        const beforeChange = fixture.sandbox.ops().length;
        const changed: SyncReport = await (await fixture.startSync()).result();
        expect(changed.status).toBe('completed');
        expect(changed.planned).toMatchObject({ update: 2, unchanged: 9 });
        expect(changed.counts).toMatchObject({ created: 0, updated: 2, deactivated: 1, unchanged: 9, failed: 0 });
        // What was done, equal to what Peakon received: every write of this sync is an update or the leaver's deactivation.
        const changeOps = fixture.sandbox.ops().slice(beforeChange);
        const writes = changeOps.filter((op) => op.method !== 'GET');
        expect(writes.every((op) => op.method === 'PATCH' || op.method === 'PUT')).toBe(true);
        const isLeaver = (op: { path: string }) => new URL(op.path, fixture.sandbox.origin).pathname.endsWith(`/Users/${leaverUserId ?? ''}`);
        expect(changed.counts.updated).toBe(writes.filter((op) => !isLeaver(op)).length);
        expect(changed.counts.deactivated).toBe(writes.filter(isLeaver).length);
        expect(changed.operations).toBe(changeOps.length);
        expect(fixture.sandbox.users().find((user) => user.id === leaverUserId)?.active).toBe(false);
        const changedText = formatReport(changed);
        expect(changedText).toMatch(/updated:\s+2\n/);
        expect(changedText).toMatch(/deactivated:\s+1\n/);
        expect(changedText).toContain(`SCIM operations: ${changeOps.length}`);
      })(),
    );
  });
});
