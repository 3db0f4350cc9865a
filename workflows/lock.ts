import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { CancellationScope, ParentClosePolicy, condition, defineQuery, defineSignal, log, setHandler, startChild, upsertMemo, type ChildWorkflowHandle, type SignalDefinition } from '@temporalio/workflow';
import { tenantLockWorkflowId } from './ids';

export const releaseTenantLockSignal = defineSignal('release');
export const renewTenantLockSignal = defineSignal('renew');
export const tenantLockHolderQuery = defineQuery<TenantLockState>('holder');

export interface TenantLockInput {
  /** The sync run holding the lock, shown in the Temporal UI. */
  holderRunId: string;
  /** The lock ends by itself when its holder has not renewed it for this long. */
  leaseMs: number;
}

export interface TenantLockState {
  holderRunId: string;
  leaseMs: number;
}

export type TenantLockEnd = { ended: 'released' } | { ended: 'expired'; message: string };

/**
 * A tenant's sync lock, with a lease. Its workflow ID is fixed per tenant and Temporal refuses a second running
 * workflow with the same ID, so a sync that cannot start it knows another sync of the tenant is running, whoever
 * started it. The holder renews the lease while it runs and releases the lock when it ends; its parent-close policy
 * ends the lock if the holder ends any other way. A holder that hangs without ending — a workflow stuck on a
 * non-determinism error after a deploy does exactly that — stops renewing, and the lock expires instead of holding the
 * tenant forever.
 */
export async function tenantLockWorkflow(input: TenantLockInput): Promise<TenantLockEnd> {
  let released = false;
  let renewals = 0;
  setHandler(releaseTenantLockSignal, () => {
    released = true;
  });
  setHandler(renewTenantLockSignal, () => {
    renewals += 1;
  });
  setHandler(tenantLockHolderQuery, () => ({ holderRunId: input.holderRunId, leaseMs: input.leaseMs }));
  upsertMemo({ holderRunId: input.holderRunId });
  for (;;) {
    const seen = renewals;
    const signalled = await condition(() => released || renewals !== seen, input.leaseMs);
    if (released) return { ended: 'released' };
    if (!signalled) {
      const message = `lease expired: sync ${input.holderRunId} did not renew the lock for ${Math.round(input.leaseMs / 1000)} s (it is stuck or gone); the tenant is free again`;
      log.warn(message);
      upsertMemo({ holderRunId: input.holderRunId, expired: message });
      return { ended: 'expired', message };
    }
  }
}

/** A lock this run holds: renewed in the background until released. */
export interface HeldTenantLock {
  release(): Promise<void>;
}

/**
 * Takes the tenant's lock for this run, or says another run holds it. While held, the lease is renewed every third of
 * its length; a renewal or release that finds the lock gone (expired, or terminated by an operator) is not an error:
 * the run goes on and its result is unaffected.
 */
export async function holdTenantLock(tenant: string, runId: string, leaseMs: number): Promise<HeldTenantLock | 'held-elsewhere'> {
  let lock: ChildWorkflowHandle<typeof tenantLockWorkflow>;
  try {
    lock = await startChild(tenantLockWorkflow, {
      workflowId: tenantLockWorkflowId(tenant),
      args: [{ holderRunId: runId, leaseMs }],
      // Whatever ends this run (completion, failure, termination) frees the tenant.
      parentClosePolicy: ParentClosePolicy.TERMINATE,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'held-elsewhere';
    throw error;
  }
  let released = false;
  const signalIfThere = async (signal: SignalDefinition<[]>) => {
    try {
      await lock.signal(signal);
    } catch (error) {
      log.warn('the tenant lock is gone (expired or terminated); the run goes on', { tenant, error: error instanceof Error ? error.message : String(error) });
    }
  };
  // Not cancellable with the run: cancelling a sync must not stop it from renewing until it has released the lock.
  const renewing = CancellationScope.nonCancellable(async () => {
    while (!(await condition(() => released, Math.max(1, Math.floor(leaseMs / 3))))) await signalIfThere(renewTenantLockSignal);
  });
  return {
    release: () =>
      CancellationScope.nonCancellable(async () => {
        released = true;
        await renewing;
        await signalIfThere(releaseTenantLockSignal);
      }),
  };
}
