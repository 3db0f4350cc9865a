/**
 * `schedule pause --note` adds its reason to the schedule's standing note (as `unpause --note` does) instead of
 * replacing it: "owner: HR-IT" survives a pause. The CLI in-process against the real dev server.
 */
import { randomUUID } from 'node:crypto';
import { runCliInProcess, useCliEnvironment } from '../harness/cli';
import { connectToDevServer, type TemporalTestContext } from '../harness/temporal';

describe('peakon-sync schedule pause --note (against a real Temporal server)', () => {
  useCliEnvironment();
  let temporal: TemporalTestContext;
  const scheduleId = `test-pause-append-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    temporal = await connectToDevServer();
    // Started on a queue no worker polls: nothing runs.
    await temporal.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'scheduledSyncWorkflow', taskQueue: `nobody-polls-${randomUUID()}`, args: [] },
      state: { note: 'owner: HR-IT' },
    });
  });
  afterAll(async () => {
    await temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await temporal.close();
  });

  const state = async () => (await temporal.client.schedule.getHandle(scheduleId).describe()).state;

  it('keeps the standing note and appends the reason for the pause, then the unpause note after it', async () => {
    expect(await runCliInProcess('schedule', 'pause', scheduleId, '--note', 'HR export broken, see INC-42')).toBe(`paused ${scheduleId} (note: owner: HR-IT; paused: HR export broken, see INC-42)\n`);
    expect(await state()).toMatchObject({ paused: true, note: 'owner: HR-IT; paused: HR export broken, see INC-42' });

    await runCliInProcess('schedule', 'unpause', scheduleId, '--note', 'export fixed');
    expect(await state()).toMatchObject({ paused: false, note: 'owner: HR-IT; paused: HR export broken, see INC-42; unpaused: export fixed' });
  }, 60_000);
});
