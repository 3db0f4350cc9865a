import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { tenantLockWorkflowId } from '../../workflows/ids';
import type { TenantLockState } from '../../workflows/lock';
import { connectClient } from '../temporal-client';

/**
 * Frees a tenant's sync lock by hand. The lock has a lease and frees itself when its run stops renewing it; this is for
 * an operator who cannot wait. It refuses while the holding run is still running, unless forced.
 */
export async function unlockTenant(client: Client, tenant: string, force: boolean): Promise<string> {
  const lock = client.workflow.getHandle(tenantLockWorkflowId(tenant));
  let running: boolean;
  try {
    running = (await lock.describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return `tenant ${tenant} is not locked`;
    throw error;
  }
  if (!running) return `tenant ${tenant} is not locked`;
  const { holderRunId } = await lock.query<TenantLockState>('holder');
  const holderStatus = await client.workflow
    .getHandle(holderRunId)
    .describe()
    .then((description) => description.status.name, () => 'NOT_FOUND');
  if (holderStatus === 'RUNNING' && !force) {
    throw new Error(`tenant ${tenant} is locked by sync ${holderRunId}, which is still running: cancel it (peakon-sync cancel '${holderRunId}') or unlock with --force`);
  }
  await lock.terminate(`unlocked by an operator (holder ${holderRunId} is ${holderStatus.toLowerCase()}${force ? ', forced' : ''})`);
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
