/**
 * `peakon-sync unlock` checks a lock run (its holder, that holder's status) and then terminates it. If the holder
 * releases the lock in between and another sync takes the tenant, the lock is a new run under the same workflow ID:
 * unlock must leave it alone, and say so.
 */
import { checkTenantLock, terminateCheckedLock, unlockTenant } from '../../client/commands/unlock';
import { tenantLockWorkflowId } from '../../workflows/ids';
import { releaseTenantLockSignal, type TenantLockEnd } from '../../workflows/lock';
import { usePipelineTests } from '../harness/pipeline';

describe('unlock terminates only the lock run it checked', () => {
  const pipeline = usePipelineTests();

  it('leaves the lock of a sync that took the tenant after the check running, and says the lock changed', async () => {
    const fixture = await pipeline.fixture();
    const { client, taskQueue } = pipeline.temporal;
    const tenant = fixture.config.tenant;
    const lockId = tenantLockWorkflowId(tenant);
    const lockFor = (holderRunId: string) => client.workflow.start('tenantLockWorkflow', { taskQueue, workflowId: lockId, args: [{ holderRunId, leaseMs: 600_000 }] });
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const first = await lockFor(`peakon-sync/${tenant}/gone`);
        const checked = await checkTenantLock(client, tenant);
        expect(checked).toMatchObject({ runId: first.firstExecutionRunId, holderRunId: `peakon-sync/${tenant}/gone`, holderStatus: 'NOT_FOUND' });
        if (!checked) return;
        // Meanwhile: the holder releases the lock, and another sync takes the tenant.
        await first.signal(releaseTenantLockSignal);
        expect((await first.result()) as TenantLockEnd).toEqual({ ended: 'released' });
        const second = await lockFor(`peakon-sync/${tenant}/next`);

        await expect(terminateCheckedLock(client, checked, false)).rejects.toThrow(`the lock of tenant ${tenant} changed while unlock was checking it: the lock held by sync peakon-sync/${tenant}/gone ended by itself, and sync peakon-sync/${tenant}/next (not_found) has taken the tenant since; nothing was terminated`);
        expect((await second.describe()).status.name).toBe('RUNNING');

        // The lock checked ended and nobody took the tenant: unlocked already, nothing terminated.
        const checkedSecond = await checkTenantLock(client, tenant);
        expect(checkedSecond?.runId).toBe(second.firstExecutionRunId);
        if (!checkedSecond) return;
        await second.signal(releaseTenantLockSignal);
        await second.result();
        expect(await terminateCheckedLock(client, checkedSecond, false)).toBe(`tenant ${tenant} is not locked: the lock held by sync peakon-sync/${tenant}/next ended by itself while unlock was checking it; nothing was terminated`);

        // The lock checked is still there: it is terminated, as before.
        const third = await lockFor(`peakon-sync/${tenant}/stale`);
        expect(await unlockTenant(client, tenant, false)).toBe(`tenant ${tenant} unlocked (the holder, sync peakon-sync/${tenant}/stale, is not_found)`);
        expect((await third.describe()).status.name).toBe('TERMINATED');
      })(),
    );
  });
});
