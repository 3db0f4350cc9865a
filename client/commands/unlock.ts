import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import type { Command } from 'commander';
import { tenantLockWorkflowId } from '../../workflows/ids';
import { checkedTenantName } from '../../config/schema';
import type { TenantLockState } from '../../workflows/lock';
import { lockHolderFromDescription } from '../employee-workflows';
import { errorText } from '../errors';
import { connectClient } from '../temporal-client';

/** One run of a tenant's lock, as `unlock` found it: the run it may terminate, and nothing else. */
export interface CheckedTenantLock {
  tenant: string;
  /** The lock workflow's run that was described and queried. */
  runId: string;
  /** The sync run holding it, and that run's status when checked (`NOT_FOUND` if gone). */
  holderRunId: string;
  holderStatus: string;
}

/**
 * Frees a tenant's sync lock by hand. The lock has a lease and frees itself when its run stops renewing it; this is for
 * an operator who cannot wait. It refuses while the holding run is still running, unless forced.
 */
export async function unlockTenant(client: Client, tenant: string, force: boolean): Promise<string> {
  const checked = await checkTenantLock(client, tenant);
  if (!checked) return `tenant ${tenant} is not locked`;
  if (checked.holderStatus === 'RUNNING' && !force) {
    throw new Error(`tenant ${tenant} is locked by sync ${checked.holderRunId}, which is still running: cancel it (peakon-sync cancel '${checked.holderRunId}') or unlock with --force`);
  }
  return terminateCheckedLock(client, checked, force);
}

/** The tenant's running lock run and its holder, or undefined when the tenant is not locked. */
export async function checkTenantLock(client: Client, tenant: string): Promise<CheckedTenantLock | undefined> {
  const lockId = tenantLockWorkflowId(tenant);
  let description: WorkflowExecutionDescription;
  try {
    description = await client.workflow.getHandle(lockId).describe();
    if (description.status.name !== 'RUNNING') return undefined;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
  const { runId } = description;
  const holderRunId = await lockHolderOf(client, lockId, description);
  const holderStatus = await holderStatusOf(client, tenant, holderRunId);
  return { tenant, runId, holderRunId, holderStatus };
}

/**
 * The sync run holding a running lock, read without a worker where the server can tell: the holder the lock wrote into
 * its memo (decoded by the client's data converter, which decrypts it), else its parent (a lock is its holder's child).
 * Only a lock that has done neither (its first task not yet run, started by hand) is asked through the `holder` query,
 * which needs a worker; a query nobody answers fails with a message that says so.
 */
async function lockHolderOf(client: Client, lockId: string, description: Pick<WorkflowExecutionDescription, 'runId' | 'memo' | 'parentExecution' | 'taskQueue'>): Promise<string> {
  const named = lockHolderFromDescription(description);
  if (named !== undefined) return named;
  try {
    // The run just described, not whatever run has the ID by the time the query is answered.
    return (await client.workflow.getHandle(lockId, description.runId).query<TenantLockState>('holder')).holderRunId;
  } catch (error) {
    throw new Error(`cannot tell which sync holds ${lockId}: its memo names no holder and the holder query got no answer (is a worker polling task queue "${description.taskQueue}"?): ${errorText(error)}; nothing was terminated`, { cause: error });
  }
}

/**
 * The holder's Temporal status (`RUNNING`, `COMPLETED`, …), or `NOT_FOUND` when Temporal has no such workflow (gone
 * past retention, or never started). Any other failure to describe it (Temporal unavailable, a deadline, a permission)
 * says nothing about the holder: it is an error, never "gone", or unlock would terminate the lock of a sync still
 * running.
 */
async function holderStatusOf(client: Client, tenant: string, holderRunId: string): Promise<string> {
  try {
    return (await client.workflow.getHandle(holderRunId).describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'NOT_FOUND';
    throw new Error(`cannot tell whether sync ${holderRunId}, which holds the lock of tenant ${tenant}, still runs: ${errorText(error)}; nothing was terminated, try again`, { cause: error });
  }
}


/**
 * Terminates the lock run that was checked, and only that run. Between the check and the terminate its holder may have
 * released it and another sync may have taken the tenant: that sync's lock is a new run under the same workflow ID,
 * which a terminate by ID alone would end, stopping a sync nobody checked (it would end lock_lost).
 */
export async function terminateCheckedLock(client: Client, checked: CheckedTenantLock, force: boolean): Promise<string> {
  const { tenant, holderRunId, holderStatus } = checked;
  const lockId = tenantLockWorkflowId(tenant);
  try {
    await client.workflow.getHandle(lockId, checked.runId).terminate(`unlocked by an operator (holder ${holderRunId} is ${holderStatus.toLowerCase()}${force ? ', forced' : ''})`);
  } catch (error) {
    // The checked run had already ended (released, or its lease expired): there was nothing of it left to terminate.
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    const now = await checkTenantLock(client, tenant);
    if (!now) return `tenant ${tenant} is not locked: the lock held by sync ${holderRunId} ended by itself while unlock was checking it; nothing was terminated`;
    throw new Error(`the lock of tenant ${tenant} changed while unlock was checking it: the lock held by sync ${holderRunId} ended by itself, and sync ${now.holderRunId} (${now.holderStatus.toLowerCase()}) has taken the tenant since; nothing was terminated. Run unlock again if that lock must go too`);
  }
  return `tenant ${tenant} unlocked (the holder, sync ${holderRunId}, is ${holderStatus.toLowerCase()})`;
}

export function registerUnlockCommand(program: Command): void {
  program
    .command('unlock <tenant>')
    .description("free a tenant's sync lock; refuses while the sync holding it still runs, unless --force")
    .option('--force', 'unlock even though the holding sync still runs (that sync then stops, ending lock_lost)')
    .action(async (tenant: string, options: { force?: boolean }) => {
      // A mistyped name (`Acme`) would name a lock that cannot exist, and "not locked" would be the answer.
      const name = checkedTenantName(tenant);
      const connected = await connectClient();
      try {
        process.stdout.write(`${await unlockTenant(connected.client, name, options.force ?? false)}\n`);
      } finally {
        await connected.close();
      }
    });
}
