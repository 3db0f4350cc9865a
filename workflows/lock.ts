import { TerminatedFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { CancellationScope, ParentClosePolicy, condition, defineQuery, defineSignal, log, patched, setHandler, startChild, upsertMemo, type ChildWorkflowHandle, type SignalDefinition } from '@temporalio/workflow';
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

/**
 * patched() marker of a run whose tenant lock outlives the run's cancel (2026-12): the cancelled run keeps the tenant
 * until it has stopped its partitions, written its report and released the lock. A run started before this cancelled
 * its lock at once when it was cancelled (its history holds that RequestCancelExternal); replayed, it does so again.
 * See docs/versioning.md.
 */
const LOCK_OUTLIVES_RUN_CANCEL_PATCH = 'tenant-lock-outlives-run-cancel';

/** A lock this run holds: renewed in the background until released. */
export interface HeldTenantLock {
  release(): Promise<void>;
  /**
   * Calls `listener` once if the lock is lost before this run releases it: the lock workflow ended (its lease expired,
   * e.g. after a worker outage longer than the lease, or an operator terminated it), or a renewal found it gone or held
   * by another run. Another run may then hold the tenant: the caller must stop writing.
   */
  onLost(listener: (why: string) => void): void;
}

/**
 * Takes the tenant's lock for this run, or says another run holds it. While held, the lease is renewed every third of
 * its length. A renewal or release that finds the lock gone (expired, or terminated by an operator) is not an error in
 * itself; the lock's end, or the failed renewal, is reported through `onLost`. Observing the lock's end adds no
 * command: its completion reaches this run's history whether or not the run looks at it.
 *
 * `whileHeld` runs once the lock is taken and at every renewal, on whichever worker runs this run then (replays
 * included): the run's one workflow task that recurs however the rest of the run is stuck. It must add no command.
 */
export async function holdTenantLock(tenant: string, runId: string, leaseMs: number, whileHeld: () => void = () => undefined): Promise<HeldTenantLock | 'held-elsewhere'> {
  // Decided as the lock starts: the scope it starts in is what a cancel of the run reaches.
  const outlivesCancel = patched(LOCK_OUTLIVES_RUN_CANCEL_PATCH);
  const start = () =>
    startChild(tenantLockWorkflow, {
      workflowId: tenantLockWorkflowId(tenant),
      args: [{ holderRunId: runId, leaseMs }],
      // Whatever ends this run (completion, failure, termination) frees the tenant.
      parentClosePolicy: ParentClosePolicy.TERMINATE,
    });
  let lock: ChildWorkflowHandle<typeof tenantLockWorkflow>;
  try {
    // Out of the run's cancellable scope: a cancelled run still stops its partitions and writes its report and
    // ownership, so the tenant stays locked until release() ends the lock, not from the moment of the cancel.
    lock = await (outlivesCancel ? CancellationScope.nonCancellable(start) : start());
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'held-elsewhere';
    throw error;
  }
  let released = false;
  let lost: string | undefined;
  let lostListener: ((why: string) => void) | undefined;
  // A lock started before the patch is cancelled with its run (it is the run's child): that is the run letting go, not
  // losing it. A lock that outlives the cancel ends before release() only when it is lost, cancelled run or not: a
  // cancelled run still finishing must then, like any other, record no ownership.
  const runScope = CancellationScope.current();
  const lose = (why: string) => {
    if (released || lost !== undefined || (!outlivesCancel && runScope.consideredCancelled)) return;
    lost = why;
    lostListener?.(why);
  };
  // The lock's signals go to this run's own child only (Temporal refuses them if another run's lock now has the ID),
  // and the lock's end is this child's result.
  const lockId = tenantLockWorkflowId(tenant);
  void lock.result().then(
    (end) => lose(end.ended === 'expired' ? `the lease of the tenant lock ${lockId} expired: this run did not renew it for ${leaseMs / 1000} s (no worker ran it, e.g. an outage)` : `the tenant lock ${lockId} ended before this run released it`),
    (error: unknown) => lose(error instanceof Error && error.cause instanceof TerminatedFailure ? `the tenant lock ${lockId} was terminated (e.g. \`peakon-sync unlock --force\`)` : `the tenant lock ${lockId} ended: ${error instanceof Error ? error.message : String(error)}`),
  );
  const signalIfThere = async (signal: SignalDefinition<[]>) => {
    try {
      await lock.signal(signal);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.warn('the tenant lock is gone (expired, terminated, or another run holds it)', { tenant, error: message });
      if (signal === renewTenantLockSignal) lose(`renewing the tenant lock ${lockId} failed (it expired, was terminated, or another run holds it): ${message}`);
    }
  };
  whileHeld();
  // Not cancellable with the run: cancelling a sync must not stop it from renewing until it has released the lock.
  const renewing = CancellationScope.nonCancellable(async () => {
    while (!(await condition(() => released, Math.max(1, Math.floor(leaseMs / 3))))) {
      await signalIfThere(renewTenantLockSignal);
      whileHeld();
    }
  });
  return {
    release: () =>
      CancellationScope.nonCancellable(async () => {
        released = true;
        await renewing;
        await signalIfThere(releaseTenantLockSignal);
      }),
    onLost: (listener) => {
      lostListener = listener;
      if (lost !== undefined) listener(lost);
    },
  };
}
