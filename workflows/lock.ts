import { TerminatedFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { CancellationScope, ParentClosePolicy, condition, defineQuery, defineSignal, log, patched, setHandler, startChild, upsertMemo, type ChildWorkflowHandle } from '@temporalio/workflow';
import { tenantLockWorkflowId } from './ids';

/** A renewal that also changes the lease from now on (the holder stretches it while it waits for an approval). */
export interface TenantLockLeaseChange {
  leaseMs: number;
}

export const releaseTenantLockSignal = defineSignal('release');
export const renewTenantLockSignal = defineSignal<[TenantLockLeaseChange?]>('renew');
export const tenantLockHolderQuery = defineQuery<TenantLockState>('holder');

export interface TenantLockInput {
  /** The sync run holding the lock, shown in the Temporal UI. */
  holderRunId: string;
  /** The lock ends by itself when its holder has not renewed it for this long. */
  leaseMs: number;
}

export interface TenantLockState {
  holderRunId: string;
  /** The lease now in force (the input's, unless a renewal changed it). */
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
 *
 * This type is what runs started before lease changes existed hold (and replay); their holders never send one.
 * Holders since start `stretchableTenantLockWorkflow`, the same lock under a name a worker of an older release does not
 * register: such a worker would run the lock without understanding a changed lease and let it expire under a holder
 * that renews at the stretched pace. A task of the new type that reaches an old worker fails and is retried until a
 * worker that knows it takes it.
 */
export async function tenantLockWorkflow(input: TenantLockInput): Promise<TenantLockEnd> {
  return await runTenantLock(input);
}

/** The tenant lock whose renewals may change its lease (`TenantLockLeaseChange`); see `tenantLockWorkflow`. */
export async function stretchableTenantLockWorkflow(input: TenantLockInput): Promise<TenantLockEnd> {
  return await runTenantLock(input);
}

async function runTenantLock(input: TenantLockInput): Promise<TenantLockEnd> {
  let released = false;
  let renewals = 0;
  let leaseMs = input.leaseMs;
  setHandler(releaseTenantLockSignal, () => {
    released = true;
  });
  setHandler(renewTenantLockSignal, (change) => {
    renewals += 1;
    // A signal's argument is outside input: a lease that is not a positive number of milliseconds is ignored.
    if (change !== undefined && Number.isFinite(change.leaseMs) && change.leaseMs >= 1) leaseMs = change.leaseMs;
  });
  setHandler(tenantLockHolderQuery, () => ({ holderRunId: input.holderRunId, leaseMs }));
  upsertMemo({ holderRunId: input.holderRunId });
  for (;;) {
    const seen = renewals;
    const signalled = await condition(() => released || renewals !== seen, leaseMs);
    if (released) return { ended: 'released' };
    if (!signalled) {
      const message = `lease expired: sync ${input.holderRunId} did not renew the lock for ${Math.round(leaseMs / 1000)} s (it is stuck or gone); the tenant is free again`;
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

/**
 * patched() marker of a run whose lock is a `stretchableTenantLockWorkflow` (2026-12): its lease can be stretched while
 * the run waits for a person (`HeldTenantLock.stretchLease`). A run started before this holds a `tenantLockWorkflow`
 * and renews it at its one lease throughout; replayed, it does so again. See docs/versioning.md.
 */
const STRETCHABLE_LEASE_PATCH = 'tenant-lock-stretchable-lease';

/**
 * patched() marker of a run whose release waits for its lock to end (2026-12). The lock is the run's child with the
 * TERMINATE parent-close policy: a run that closed right after sending the release signal, before the lock's worker had
 * handled it, had its lock terminated by the server instead of released (the tenant was freed either way, but the
 * Temporal UI showed a terminated lock nobody had terminated). A run started before this closes right after the signal;
 * replayed, it does so again. See docs/versioning.md.
 */
const RELEASE_AWAITS_LOCK_END_PATCH = 'tenant-lock-release-awaits-end';

/**
 * How long a release waits for the lock to end. The lock ends in its next workflow task, normally within a second; a
 * lock no worker can run (stuck after a bad deploy) must not keep its run open: the run then closes and the
 * parent-close policy ends the lock.
 */
const LOCK_END_WAIT_MS = 60_000;

/** A lock this run holds: renewed in the background until released. */
export interface HeldTenantLock {
  release(): Promise<void>;
  /**
   * Calls `listener` once if the lock is lost before this run releases it: the lock workflow ended (its lease expired,
   * e.g. after a worker outage longer than the lease, or an operator terminated it), or a renewal found it gone or held
   * by another run. Another run may then hold the tenant: the caller must stop writing.
   */
  onLost(listener: (why: string) => void): void;
  /**
   * Renews the lock at once with a lease of `leaseMs` (never shorter than the run's own lease), and from then on every
   * third of it; `undefined` goes back to the run's own lease. For a run that waits days for a person: every renewal
   * adds about ten events to its history, so at the run's lease a 3-day wait alone would pass Temporal's 10,240-event
   * warning. The price is that a run stuck during the wait frees its tenant only after the longer lease. A no-op for a
   * run whose lock predates stretchable leases.
   */
  stretchLease(leaseMs: number | undefined): void;
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
  const stretchable = patched(STRETCHABLE_LEASE_PATCH);
  const options = {
    workflowId: tenantLockWorkflowId(tenant),
    args: [{ holderRunId: runId, leaseMs }] as [TenantLockInput],
    // Whatever ends this run (completion, failure, termination) frees the tenant.
    parentClosePolicy: ParentClosePolicy.TERMINATE,
  };
  const start = () => (stretchable ? startChild(stretchableTenantLockWorkflow, options) : startChild(tenantLockWorkflow, options));
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
  /** The lease the lock holds this run to, and whether the lock is yet to hear of a change to it. */
  let currentLeaseMs = leaseMs;
  let leaseChanged = false;
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
  let lockEnded = false;
  const lockEnds = (why: string) => {
    lockEnded = true;
    lose(why);
  };
  void lock.result().then(
    (end) => lockEnds(end.ended === 'expired' ? `the lease of the tenant lock ${lockId} expired: this run did not renew it for ${currentLeaseMs / 1000} s (no worker ran it, e.g. an outage)` : `the tenant lock ${lockId} ended before this run released it`),
    (error: unknown) => lockEnds(error instanceof Error && error.cause instanceof TerminatedFailure ? `the tenant lock ${lockId} was terminated (e.g. \`peakon-sync unlock --force\`)` : `the tenant lock ${lockId} ended: ${error instanceof Error ? error.message : String(error)}`),
  );
  const signalIfThere = async (send: () => Promise<void>, renewal: boolean) => {
    try {
      await send();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.warn('the tenant lock is gone (expired, terminated, or another run holds it)', { tenant, error: message });
      if (renewal) lose(`renewing the tenant lock ${lockId} failed (it expired, was terminated, or another run holds it): ${message}`);
    }
  };
  const renew = () => {
    if (!leaseChanged) return lock.signal(renewTenantLockSignal);
    leaseChanged = false;
    return lock.signal(renewTenantLockSignal, { leaseMs: currentLeaseMs });
  };
  whileHeld();
  // Not cancellable with the run: cancelling a sync must not stop it from renewing until it has released the lock.
  // A stretched (or restored) lease wakes the loop to tell the lock at once, before the old pace would have.
  const renewing = CancellationScope.nonCancellable(async () => {
    for (;;) {
      await condition(() => released || leaseChanged, Math.max(1, Math.floor(currentLeaseMs / 3)));
      if (released) return;
      await signalIfThere(renew, true);
      whileHeld();
    }
  });
  return {
    release: () =>
      CancellationScope.nonCancellable(async () => {
        released = true;
        await renewing;
        await signalIfThere(() => lock.signal(releaseTenantLockSignal), false);
        // The run may close next: see RELEASE_AWAITS_LOCK_END_PATCH.
        if (patched(RELEASE_AWAITS_LOCK_END_PATCH)) await condition(() => lockEnded, LOCK_END_WAIT_MS);
      }),
    onLost: (listener) => {
      lostListener = listener;
      if (lost !== undefined) listener(lost);
    },
    stretchLease: (stretchedMs) => {
      const next = Math.max(leaseMs, stretchedMs ?? leaseMs);
      if (!stretchable || next === currentLeaseMs) return;
      currentLeaseMs = next;
      leaseChanged = true;
    },
  };
}
