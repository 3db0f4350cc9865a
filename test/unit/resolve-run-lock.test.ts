import type { Client } from '@temporalio/client';
import { resolveRun } from '../../client/employee-workflows';
import type { ConnectedClient } from '../../client/temporal-client';

/**
 * A client whose only workflow is one tenant lock of `type` (ended unless `status` says otherwise), held by
 * `holderRunId` (its memo). A stand-in for Temporal's describe: this checks which calls resolveRun makes. The lock's
 * `holder` query fails as it does with no worker polling (the lock answers queries only through a worker).
 */
function clientWithEndedLock(type: string, holderRunId: string, status = 'COMPLETED'): ConnectedClient {
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        describe: async () => ({ workflowId, runId: 'lock-run', type, status: { name: status }, memo: { holderRunId }, taskQueue: 'peakon-sync' }),
        query: async () => {
          throw new Error('no worker polling task queue peakon-sync');
        },
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

  // An operator looks up a lock when something is stuck, often with no worker up: the memo names the holder.
  it('leads from a running lock to its holder without a worker (from its memo, not the holder query)', async () => {
    const hints: string[] = [];
    const resolved = await resolveRun(clientWithEndedLock('stretchableTenantLockWorkflow', holder, 'RUNNING'), lockId, { write: (text: string) => hints.push(text) });
    expect(resolved).toEqual({ runId: holder, member: { kind: 'lock', workflowId: lockId, status: 'running', summary: `${lockId} is held by run ${holder}` } });
    expect(hints).toEqual([]);
  });
});
