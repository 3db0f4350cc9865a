import type { Client } from '@temporalio/client';
import { resolveRun } from '../../client/employee-workflows';
import type { ConnectedClient } from '../../client/temporal-client';

/** A client whose only workflow is one ended tenant lock of `type`, last held by `holderRunId` (its memo). */
function clientWithEndedLock(type: string, holderRunId: string): ConnectedClient {
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        describe: async () => ({ workflowId, type, status: { name: 'COMPLETED' }, memo: { holderRunId }, taskQueue: 'peakon-sync' }),
      }),
    },
  } as unknown as Client;
  return { client, namespace: 'default', address: 'localhost:7233', close: async () => undefined };
}

describe('status <tenant lock ID>', () => {
  const lockId = 'peakon-sync/acme/lock';
  const holder = 'peakon-sync/acme/2026-12-01T02:00:00Z';

  // Runs since the stretchable lease (workflows/lock.ts, patch tenant-lock-stretchable-lease) hold a lock of the new
  // type: `status` must still lead from it to the run, as it does for the locks of older runs.
  it.each(['tenantLockWorkflow', 'stretchableTenantLockWorkflow'])('leads from a %s to the run that held it', async (type) => {
    const resolved = await resolveRun(clientWithEndedLock(type, holder), lockId, { write: () => true });
    expect(resolved).toEqual({ runId: holder, member: { kind: 'lock', workflowId: lockId, status: 'completed', summary: `${lockId} is free (the lock ended completed); it was last held by run ${holder}` } });
  });
});
