import { employeeSteps, formatEmployeeSteps } from '../../client/employee-workflows';
import { generateEncryptionKey } from '../../codec/keys';
import type { SyncReport } from '../../sync/report';
import { generateOrg, leaves, type GeneratedEmployee } from '../fixtures/org';
import { usePipelineTests, withoutLeaverGuard } from '../harness/pipeline';

/** `status <run> --employee <key>`: an employee's steps in a run, found by the keyed ref the worker named them by. */
describe('status --employee (employeeSteps)', () => {
  const pipeline = usePipelineTests();

  it('finds a leaver\'s step (workflow …/leave/<ref>) in the run that deactivated them', async () => {
    const fixture = await pipeline.fixture();
    withoutLeaverGuard(fixture);
    const org = generateOrg(6, 2);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    const leaver = leaves(org)[0] as GeneratedEmployee;
    const second: SyncReport = await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        fixture.writeEmployees(org.filter((employee) => employee !== leaver));
        return (await fixture.startSync()).result() as Promise<SyncReport>;
      })(),
    );
    expect(second.counts).toMatchObject({ deactivated: 1 });
    const { ref, steps } = await employeeSteps(pipeline.temporal.client, second.runId, leaver.work_email);
    expect(steps).toEqual([expect.objectContaining({ phase: 'leave', workflowId: `${second.runId}/leave/${ref}`, status: 'COMPLETED', outcome: expect.objectContaining({ status: 'deactivated' }) })]);
    expect(formatEmployeeSteps(leaver.work_email, ref, steps)).toContain(`${leaver.work_email} leave: deactivated`);
  });

  it('finds an employee in a run from before a key rotation (the old key in PEAKON_SYNC_ENCRYPTION_OLD_KEYS)', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(4, 2);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    // The run names its employees with the key current then (this process's).
    const report: SyncReport = await workers.runUntil(fixture.startSync().then((handle) => handle.result()));
    const email = org[1]?.work_email ?? '';
    const before = await employeeSteps(pipeline.temporal.client, report.runId, email);
    expect(before.steps).toEqual([expect.objectContaining({ phase: 'create', status: 'COMPLETED' })]);

    const oldKey = process.env.PEAKON_SYNC_ENCRYPTION_KEY as string;
    const rotated = { ...process.env, PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey(), PEAKON_SYNC_ENCRYPTION_OLD_KEYS: `${generateEncryptionKey()}, ${oldKey}` };
    const after = await employeeSteps(pipeline.temporal.client, report.runId, email, rotated);
    expect(after).toEqual({ ref: before.ref, steps: [expect.objectContaining({ phase: 'create', workflowId: `${report.runId}/create/${before.ref}`, outcome: expect.objectContaining({ status: 'created', employeeKey: email }) })] });

    // Someone the run never had: nothing, under the current key's ref.
    const nobody = await employeeSteps(pipeline.temporal.client, report.runId, 'nobody@example.com', rotated);
    expect(nobody.steps).toEqual([]);
    expect(nobody.ref).not.toBe((await employeeSteps(pipeline.temporal.client, report.runId, 'nobody@example.com')).ref);
  });
});
