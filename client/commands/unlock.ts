import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { tenantLockWorkflowId } from '../../workflows/ids';
import type { TenantLockState } from '../../workflows/lock';
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
  let runId: string;
  try {
    const description = await client.workflow.getHandle(lockId).describe();
    if (description.status.name !== 'RUNNING') return undefined;
    runId = description.runId;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
  // The run just described, not whatever run has the ID by the time the query is answered.
  const { holderRunId } = await client.workflow.getHandle(lockId, runId).query<TenantLockState>('holder');
  const holderStatus = await client.workflow
    .getHandle(holderRunId)
    .describe()
    .then((description) => description.status.name, () => 'NOT_FOUND');
  return { tenant, runId, holderRunId, holderStatus };
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
      const connected = await connectClient();
      try {
        process.stdout.write(`${await unlockTenant(connected.client, tenant, options.force ?? false)}\n`);
      } finally {
        await connected.close();
      }
    });
}
