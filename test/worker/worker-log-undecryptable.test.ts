/**
 * A run started by a client whose encryption key the worker lacks: the worker's JSON log says why it cannot process
 * the run (the codec's message names the key id and the variable to set, no HR data), not just the error's name.
 * The built `peakon-sync worker` against the real dev server; the run is started with another key.
 */
import { Client } from '@temporalio/client';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectorDataConverter } from '../../codec/data-converter';
import { generateEncryptionKey, readEncryptionKeys } from '../../codec/keys';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { startWorkerProcess, stopWorkerProcesses } from '../harness/worker-process';
import { eventually } from '../harness/wait';

describe('the worker log when a run was encrypted with a key the worker lacks', () => {
  let temporal: TemporalTestContext;
  beforeAll(async () => {
    temporal = await connectToDevServer();
  });
  afterAll(async () => {
    await stopWorkerProcesses();
    await temporal.close();
  });

  it('names the missing key and what to set, and no value of the run', async () => {
    const taskQueue = `${temporal.taskQueue}-other-key-${Date.now().toString(36)}`;
    const worker = startWorkerProcess({ PEAKON_SYNC_TASK_QUEUE: taskQueue, PEAKON_SYNC_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'peakon-sync-other-key-')) });
    await eventually('the worker to poll', async () => (worker.stdout().includes('"message":"worker polling"') ? true : undefined), 60_000);

    const otherKey = generateEncryptionKey();
    const otherKeyId = readEncryptionKeys({ PEAKON_SYNC_ENCRYPTION_KEY: otherKey })!.current.id;
    const client = new Client({ connection: temporal.connection, namespace: TEST_NAMESPACE, dataConverter: connectorDataConverter({ ...process.env, PEAKON_SYNC_ENCRYPTION_KEY: otherKey }) });
    const handle = await client.workflow.start('syncTenantWorkflow', { taskQueue, workflowId: `peakon-sync/other-key-${Date.now().toString(36)}/run`, args: [{ note: 'ada@example.com' }] });
    try {
      const line = await eventually(`the worker to log the failed activation (so far: ${worker.stdout()})`, async () =>
        worker
          .stdout()
          .split('\n')
          .find((logged) => logged.includes('"Failed to process Workflow Activation"') && logged.includes(handle.firstExecutionRunId)),
      );
      const entry = JSON.parse(line) as { level: string; error: Record<string, unknown> };
      expect(entry.level).toBe('error');
      expect(entry.error).toEqual({ name: 'PayloadDecryptionError', message: `payload encrypted with key ${otherKeyId}, which is not configured; set PEAKON_SYNC_ENCRYPTION_KEY or add it to PEAKON_SYNC_ENCRYPTION_OLD_KEYS` });
      expect(worker.stdout()).not.toContain('ada@example.com');
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  }, 90_000);
});
