import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const releaseTenantLockSignal = defineSignal('release');

export interface TenantLockInput {
  /** The sync run holding the lock, shown in the Temporal UI. */
  holderRunId: string;
}

/**
 * A tenant's sync lock. Its workflow ID is fixed per tenant, and Temporal refuses a second running workflow with the
 * same ID: a sync that cannot start it knows another sync of the tenant is running, whether a schedule or a person
 * started that one. The holder releases it with a signal; if the holder dies, its parent-close policy terminates it.
 */
export async function tenantLockWorkflow(_input: TenantLockInput): Promise<void> {
  let released = false;
  setHandler(releaseTenantLockSignal, () => {
    released = true;
  });
  await condition(() => released);
}
