/**
 * `schedule describe` of a schedule one of whose runs has a memo this CLI cannot decode (encrypted with a key no longer
 * configured): that run shows as memo unreadable, with the codec's reason naming the key, and the rest of the schedule
 * is described. The CLI in-process against the real dev server.
 */
import { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { generateEncryptionKey } from '../../codec/keys';
import { connectorDataConverterFromEnv } from '../../worker/environment';
import { runCliInProcess, useCliEnvironment } from '../harness/cli';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { eventually } from '../harness/wait';

const DescribeJsonSchema = z.object({
  scheduleId: z.string(),
  recentRuns: z.array(z.object({ workflowId: z.string(), execution: z.string(), memoUnreadable: z.string().optional() })),
});

describe('peakon-sync schedule describe with a run whose memo this CLI cannot decode', () => {
  useCliEnvironment();
  let temporal: TemporalTestContext;
  let otherKey: Client;
  const scheduleId = `test-describe-other-key-${randomUUID().slice(0, 8)}`;
  let runWorkflowId: string | undefined;

  beforeAll(async () => {
    temporal = await connectToDevServer();
    otherKey = new Client({ connection: temporal.connection, namespace: TEST_NAMESPACE, dataConverter: connectorDataConverterFromEnv({ ...process.env, PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() }) });
    // The run is started with a memo encrypted under the other key (as a worker of that key would have written it);
    // nobody polls its queue, so it stays running.
    const handle = await otherKey.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'scheduledSyncWorkflow', taskQueue: `nobody-polls-${randomUUID()}`, args: [], memo: { status: 'running' } },
      state: { paused: true },
    });
    await handle.trigger();
    runWorkflowId = await eventually('the triggered run', async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId);
    // The schedule itself then holds nothing encrypted, so only the run's memo is unreadable here.
    await handle.update((previous) => ({ ...previous, action: { ...previous.action, memo: undefined } }));
  });
  afterAll(async () => {
    if (runWorkflowId) await temporal.client.workflow.getHandle(runWorkflowId).terminate('test cleanup').catch(() => undefined);
    await temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await temporal.close();
  });

  it('describes the schedule, showing that run as memo unreadable with the key the codec names', async () => {
    const printed = await runCliInProcess('schedule', 'describe', scheduleId);
    expect(printed).toContain(`Schedule ${scheduleId}`);
    const runLine = printed.split('Recent runs')[1]?.split('\n').find((line) => line.includes(runWorkflowId ?? '?'));
    expect(runLine).toMatch(/RUNNING \(memo unreadable: payload encrypted with key \S+, which is not configured; set PEAKON_SYNC_ENCRYPTION_KEY or add it to \S+\)/);

    const json = DescribeJsonSchema.parse(JSON.parse(await runCliInProcess('schedule', 'describe', scheduleId, '--json')));
    expect(json.recentRuns).toEqual([expect.objectContaining({ workflowId: runWorkflowId, execution: 'RUNNING', memoUnreadable: expect.stringMatching(/^payload encrypted with key \S+, which is not configured/) })]);
  }, 60_000);
});
