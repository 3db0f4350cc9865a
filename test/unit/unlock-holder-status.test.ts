/**
 * `peakon-sync unlock` may terminate a lock without --force only when the sync holding it no longer runs. Only
 * Temporal saying there is no such workflow means "gone": a describe of the holder that fails for any other reason
 * (Temporal unavailable for a moment, a deadline, a permission) says nothing about the holder, and must stop unlock
 * before it terminates the lock of a sync that may still be running. And the holder is read from the lock's memo, so
 * that no worker is needed to find it. (The real server, without a worker: test/workflows/unlock-without-worker.test.ts.)
 */
import { ServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { unlockTenant } from '../../client/commands/unlock';
import { tenantLockWorkflowId } from '../../workflows/ids';

const tenant = 'acme';
const lockId = tenantLockWorkflowId(tenant);
const holder = 'peakon-sync/acme/2026-12-01T02:00:00Z';

/** A gRPC failure as @temporalio/client wraps it (a ServiceError whose cause carries the gRPC code). */
function grpcFailure(code: number, message: string): ServiceError {
  return new ServiceError('Failed to describe workflow', { cause: Object.assign(new Error(`${code} ${message}`), { code, details: message }) });
}

/**
 * A client with one running lock of `tenant`: its memo names `holder` unless `memo` is false. Describing the holder
 * gives `holderDescribe`; the lock's `holder` query gives `query`. Records what was terminated.
 */
function clientWith(options: { holderDescribe: () => Promise<unknown>; memo?: boolean; query?: () => Promise<unknown> }) {
  const terminated: string[] = [];
  const queried: string[] = [];
  const client = {
    workflow: {
      getHandle: (workflowId: string, runId?: string) => {
        if (workflowId === lockId) {
          return {
            describe: async () => ({ workflowId, runId: 'lock-run-1', type: 'stretchableTenantLockWorkflow', status: { name: 'RUNNING' }, memo: options.memo === false ? {} : { holderRunId: holder }, taskQueue: 'peakon-sync' }),
            query: async () => {
              queried.push(`${workflowId}@${runId ?? ''}`);
              return (options.query ?? (async () => ({ holderRunId: holder, leaseMs: 60_000 })))();
            },
            terminate: async () => {
              terminated.push(`${workflowId}@${runId ?? ''}`);
            },
          };
        }
        if (workflowId === holder) return { describe: options.holderDescribe };
        return { describe: () => Promise.reject(new WorkflowNotFoundError('not found', workflowId, runId)) };
      },
    },
  } as unknown as Client;
  return { client, terminated, queried };
}

describe('unlock: what the holder check may conclude', () => {
  it.each([
    [14, 'UNAVAILABLE: connection refused'],
    [4, 'DEADLINE_EXCEEDED: context deadline exceeded'],
    [7, 'PERMISSION_DENIED: Request unauthorized'],
  ])('a holder describe failing with gRPC %i is an error, not "holder gone", with --force too: nothing is terminated', async (code, message) => {
    const { client, terminated } = clientWith({ holderDescribe: () => Promise.reject(grpcFailure(code, message)) });
    for (const force of [false, true]) {
      await expect(unlockTenant(client, tenant, force)).rejects.toThrow(`cannot tell whether sync ${holder}, which holds the lock of tenant ${tenant}, still runs: Failed to describe workflow: ${code} ${message}; nothing was terminated, try again`);
    }
    expect(terminated).toEqual([]);
  });

  it('a holder Temporal has no workflow of is gone: the lock run checked is terminated', async () => {
    const { client, terminated } = clientWith({ holderDescribe: () => Promise.reject(new WorkflowNotFoundError('workflow not found', holder, undefined)) });
    expect(await unlockTenant(client, tenant, false)).toBe(`tenant ${tenant} unlocked (the holder, sync ${holder}, is not_found)`);
    expect(terminated).toEqual([`${lockId}@lock-run-1`]);
  });

  it('a holder still running refuses unlock without --force', async () => {
    const { client, terminated } = clientWith({ holderDescribe: async () => ({ status: { name: 'RUNNING' } }) });
    await expect(unlockTenant(client, tenant, false)).rejects.toThrow(`tenant ${tenant} is locked by sync ${holder}, which is still running`);
    expect(terminated).toEqual([]);
  });

  it('the holder comes from the lock memo: no query (which needs a worker) is sent', async () => {
    const { client, terminated, queried } = clientWith({ holderDescribe: async () => ({ status: { name: 'RUNNING' } }) });
    expect(await unlockTenant(client, tenant, true)).toBe(`tenant ${tenant} unlocked (the holder, sync ${holder}, is running)`);
    expect(queried).toEqual([]);
    expect(terminated).toEqual([`${lockId}@lock-run-1`]);
  });

  it('a lock without a memo is queried; a query nobody answers is an error that names the task queue, and nothing is terminated', async () => {
    const answered = clientWith({ memo: false, query: async () => ({ holderRunId: holder, leaseMs: 60_000 }), holderDescribe: async () => ({ status: { name: 'COMPLETED' } }) });
    expect(await unlockTenant(answered.client, tenant, false)).toBe(`tenant ${tenant} unlocked (the holder, sync ${holder}, is completed)`);
    expect(answered.queried).toEqual([`${lockId}@lock-run-1`]);

    const unanswered = clientWith({ memo: false, query: () => Promise.reject(grpcFailure(4, 'DEADLINE_EXCEEDED: context deadline exceeded')), holderDescribe: async () => ({ status: { name: 'COMPLETED' } }) });
    await expect(unlockTenant(unanswered.client, tenant, true)).rejects.toThrow(`cannot tell which sync holds ${lockId}: its memo names no holder and the holder query got no answer (is a worker polling task queue "peakon-sync"?)`);
    expect(unanswered.terminated).toEqual([]);
  });
});
