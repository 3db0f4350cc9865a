/**
 * `schedule pause` / `unpause` work on a schedule this CLI cannot decode (its memo and stored config encrypted under a
 * key it does not hold: an old key dropped, or another deployment's): an operator stopping a failing schedule needs
 * only its plain note and state, read raw. Against the real dev server.
 */
import { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { generateEncryptionKey } from '../../codec/keys';
import { connectorDataConverterFromEnv } from '../../worker/environment';
import { runCliInProcess, useCliEnvironment } from '../harness/cli';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';

describe('peakon-sync schedule pause / unpause of a schedule under a key this CLI does not hold', () => {
  useCliEnvironment();
  let temporal: TemporalTestContext;
  const scheduleId = `test-pause-other-key-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    temporal = await connectToDevServer();
    // Created with another key: the memo and the run's argument are encrypted under it.
    const otherKey = new Client({ connection: temporal.connection, namespace: TEST_NAMESPACE, dataConverter: connectorDataConverterFromEnv({ ...process.env, PEAKON_SYNC_ENCRYPTION_KEY: generateEncryptionKey() }) });
    await otherKey.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'scheduledSyncWorkflow', taskQueue: `nobody-polls-${randomUUID()}`, args: [{ tenant: 'acme', config: 'stored under the other key' }] },
      memo: { tenant: 'acme' },
      state: { note: 'owned by the People team' },
    });
  });
  afterAll(async () => {
    await temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await temporal.close();
  });

  const rawState = async () => (await temporal.client.workflowService.describeSchedule({ namespace: TEST_NAMESPACE, scheduleId })).schedule?.state;

  it('pauses and unpauses it, keeping its note, though this CLI cannot decode it', async () => {
    // The SDK's describe decodes the memo and the argument: with this CLI's key it cannot.
    await expect(temporal.client.schedule.getHandle(scheduleId).describe()).rejects.toThrow();

    expect(await runCliInProcess('schedule', 'pause', scheduleId)).toBe(`paused ${scheduleId} (note: owned by the People team)\n`);
    expect(await rawState()).toMatchObject({ paused: true, notes: 'owned by the People team' });

    expect(await runCliInProcess('schedule', 'unpause', scheduleId, '--note', 'export fixed')).toBe(`unpaused ${scheduleId} (note: owned by the People team; unpaused: export fixed)\n`);
    expect(await rawState()).toMatchObject({ paused: false, notes: 'owned by the People team; unpaused: export fixed' });

    await expect(runCliInProcess('schedule', 'pause', `${scheduleId}-missing`)).rejects.toThrow(`no schedule ${scheduleId}-missing: see peakon-sync schedule list`);
  }, 60_000);
});
