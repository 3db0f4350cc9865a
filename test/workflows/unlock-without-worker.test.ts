/**
 * `peakon-sync unlock` with no worker polling: the lock answers no `holder` query then (a query nobody answers fails
 * after the server's 30 s deadline), but it wrote its holder into its memo as it started. unlock reads the holder from
 * there: it still refuses while that holder runs, and --force terminates the lock, both within seconds.
 */
import { unlockTenant } from '../../client/commands/unlock';
import { tenantLockWorkflowId } from '../../workflows/ids';
import type { TenantLockInput } from '../../workflows/lock';
import { usePipelineTests } from '../harness/pipeline';
import { eventually } from '../harness/wait';

describe('unlock without a worker', () => {
  const pipeline = usePipelineTests();

  it('finds the holder in the lock memo: refuses while it runs, and --force terminates the lock', async () => {
    const fixture = await pipeline.fixture();
    const { client, taskQueue } = pipeline.temporal;
    const tenant = fixture.config.tenant;
    // The holder: a run that stays running (on a queue nobody polls).
    const holder = await client.workflow.start('syncTenantWorkflow', { taskQueue: `${taskQueue}-nobody`, workflowId: `peakon-sync/${tenant}/held`, args: [] });
    try {
      const workers = await fixture.startWorkers();
      const lock = await workers.runUntil(
        (async () => {
          const started = await client.workflow.start('stretchableTenantLockWorkflow', { taskQueue, workflowId: tenantLockWorkflowId(tenant), args: [{ holderRunId: holder.workflowId, leaseMs: 600_000 } satisfies TenantLockInput] });
          // The lock's first task has run: its memo names the holder.
          await eventually('the lock memo', async () => ((await started.describe()).memo?.['holderRunId'] === holder.workflowId ? true : undefined), 30_000);
          return started;
        })(),
      );
      // The worker has shut down: nobody answers a query now.
      const began = Date.now();
      await expect(unlockTenant(client, tenant, false)).rejects.toThrow(`tenant ${tenant} is locked by sync ${holder.workflowId}, which is still running`);
      expect(await unlockTenant(client, tenant, true)).toBe(`tenant ${tenant} unlocked (the holder, sync ${holder.workflowId}, is running)`);
      expect(Date.now() - began).toBeLessThan(15_000);
      expect((await lock.describe()).status.name).toBe('TERMINATED');
    } finally {
      await holder.terminate('test cleanup').catch(() => undefined);
    }
  });
});
