/**
 * `schedule list` (and `schedule update <tenant>`, which falls back to it) in a namespace shared with other tools: a
 * schedule made without the connector's codec (a plain memo) is left out when it starts another workflow type, and
 * shows an unknown tenant when it starts one of ours; neither fails the command (real Temporal dev server). `describe`,
 * `update`, `pause`, `unpause`, `trigger` and `delete` refuse the other tool's schedule by its ID, and leave it as it is.
 */
import { Client } from '@temporalio/client';
import { z } from 'zod';
import { findSyncSchedule } from '../../client/schedules/inspect';
import { SCHEDULED_SYNC_WORKFLOW_TYPE } from '../../client/schedules/options';
import { runCliInProcess } from '../harness/cli';
import { connectToDevServer, devServerAddress, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import { eventually } from '../harness/wait';

const ListJsonSchema = z.array(z.object({ scheduleId: z.string(), tenant: z.string().optional(), paused: z.boolean() }));

describe('schedule list beside schedules of other tools', () => {
  let temporal: TemporalTestContext;
  const savedEnvironment = { ...process.env };
  const suffix = Date.now().toString(36);
  const tenant = `foreign-test-${suffix}`;
  const ours = `test-ours-${suffix}`;
  const foreign = `test-other-tool-${suffix}`;
  const plainMemoSync = `test-plain-memo-${suffix}`;
  // Another tool's schedule with no payload at all (no memo, no arguments): the connector's codec decodes it.
  const foreignReadable = `test-other-tool-readable-${suffix}`;

  beforeAll(async () => {
    temporal = await connectToDevServer();
    process.env.TEMPORAL_ADDRESS = devServerAddress();
    process.env.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
    // Another tool's client: the same namespace, no codec, so its memos are plain JSON.
    const otherTool = new Client({ connection: temporal.connection, namespace: TEST_NAMESPACE });
    // All paused, on a queue no worker polls: nothing runs.
    const nobody = `${temporal.taskQueue}-nobody`;
    await otherTool.schedule.create({
      scheduleId: foreign,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'otherToolReportWorkflow', taskQueue: nobody, args: [] },
      memo: { owner: 'reporting-team' },
      state: { paused: true },
    });
    await otherTool.schedule.create({
      scheduleId: foreignReadable,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'otherToolCleanupWorkflow', taskQueue: nobody, args: [] },
      state: { paused: true },
    });
    // Our workflow type, but a memo the connector's codec refuses (plain, as an earlier unencrypted deployment wrote).
    await otherTool.schedule.create({
      scheduleId: plainMemoSync,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: SCHEDULED_SYNC_WORKFLOW_TYPE, taskQueue: nobody, args: [] },
      memo: { tenant: 'plain' },
      state: { paused: true },
    });
    await temporal.client.schedule.create({
      scheduleId: ours,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: SCHEDULED_SYNC_WORKFLOW_TYPE, taskQueue: nobody, args: [] },
      memo: { tenant },
      state: { paused: true },
    });
    // The list reads visibility, a second or so behind: wait until it holds all three (read raw, without any codec),
    // so that the assertions below are not passed by a list that has not seen the other tool's schedules yet.
    await eventually('visibility to list the three schedules', async () => {
      const seen = new Set<string>();
      let nextPageToken: Uint8Array | undefined;
      do {
        const page = await temporal.client.workflowService.listSchedules({ namespace: TEST_NAMESPACE, ...(nextPageToken ? { nextPageToken } : {}) });
        for (const entry of page.schedules ?? []) if (entry.scheduleId) seen.add(entry.scheduleId);
        nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
      } while (nextPageToken);
      return [ours, foreign, plainMemoSync].every((id) => seen.has(id)) ? true : undefined;
    });
  });
  afterAll(async () => {
    await Promise.all([ours, foreign, plainMemoSync, foreignReadable].map((id) => temporal.client.schedule.getHandle(id).delete().catch(() => undefined)));
    process.env = savedEnvironment;
    await temporal.close();
  });

  it('lists this connector\'s schedules, leaves out the other tool\'s, and shows a memo it cannot read as an unknown tenant', async () => {
    const rows = ListJsonSchema.parse(JSON.parse(await runCliInProcess('schedule', 'list', '--json')));
    expect(rows.map((row) => row.scheduleId)).not.toContain(foreign);
    expect(rows.find((row) => row.scheduleId === ours)).toEqual({ scheduleId: ours, tenant, paused: true });
    expect(rows.find((row) => row.scheduleId === plainMemoSync)).toEqual({ scheduleId: plainMemoSync, paused: true });

    const table = await runCliInProcess('schedule', 'list');
    expect(table).toMatch(/^SCHEDULE\s+TENANT\s+WHEN\s+STATE\s+NEXT RUN\s+LAST RUN$/m);
    expect(table).toMatch(new RegExp(`^${ours}\\s+${tenant}\\s+every 1h\\s+paused\\s+—\\s+—$`, 'm'));
    expect(table).toMatch(new RegExp(`^${plainMemoSync}\\s+\\?\\s+every 1h\\s+paused\\s+—\\s+—$`, 'm'));
    expect(table).not.toContain(foreign);
  });

  it('refuses to pause, unpause, trigger or delete another tool\'s schedule, naming it, and leaves it as it was', async () => {
    const notOurs = `schedule ${foreign} is not a peakon-sync schedule (it starts workflow type otherToolReportWorkflow, not a sync of this connector): left as it is`;
    const before = await temporal.client.workflowService.describeSchedule({ namespace: TEST_NAMESPACE, scheduleId: foreign });
    await expect(runCliInProcess('schedule', 'unpause', foreign)).rejects.toThrow(notOurs);
    await expect(runCliInProcess('schedule', 'pause', foreign, '--note', 'mine now')).rejects.toThrow(notOurs);
    await expect(runCliInProcess('schedule', 'trigger', foreign)).rejects.toThrow(notOurs);
    await expect(runCliInProcess('schedule', 'delete', foreign)).rejects.toThrow(notOurs);
    // Still there, still paused with its own (empty) note, and nothing started.
    const after = await temporal.client.workflowService.describeSchedule({ namespace: TEST_NAMESPACE, scheduleId: foreign });
    expect(after.schedule?.state?.paused).toBe(true);
    expect(after.schedule?.state?.notes ?? '').toBe(before.schedule?.state?.notes ?? '');
    expect(Number(after.info?.actionCount ?? 0)).toBe(0);
    // A schedule of ours whose memo this codec cannot read is still this connector's: pause and unpause take it.
    expect(await runCliInProcess('schedule', 'unpause', plainMemoSync)).toContain(`unpaused ${plainMemoSync}`);
    expect(await runCliInProcess('schedule', 'pause', plainMemoSync)).toContain(`paused ${plainMemoSync}`);
  });

  it.each([
    ['whose memo this codec cannot read', () => foreign, 'otherToolReportWorkflow'],
    ['that this codec can read (no payloads)', () => foreignReadable, 'otherToolCleanupWorkflow'],
  ])('refuses to describe or update another tool\'s schedule %s, naming it, and leaves it as it was', async (_, id, workflowType) => {
    const scheduleId = id();
    const notOurs = `schedule ${scheduleId} is not a peakon-sync schedule (it starts workflow type ${workflowType}, not a sync of this connector): left as it is`;
    const before = await temporal.client.workflowService.describeSchedule({ namespace: TEST_NAMESPACE, scheduleId });
    await expect(runCliInProcess('schedule', 'describe', scheduleId)).rejects.toThrow(notOurs);
    await expect(runCliInProcess('schedule', 'describe', scheduleId, '--json')).rejects.toThrow(notOurs);
    await expect(runCliInProcess('schedule', 'update', scheduleId, '--note', 'mine now')).rejects.toThrow(notOurs);
    await expect(runCliInProcess('schedule', 'update', scheduleId, '--every', '30m')).rejects.toThrow(notOurs);
    // Unchanged: its spec, action, memo, state and counters are as the other tool made them.
    const after = await temporal.client.workflowService.describeSchedule({ namespace: TEST_NAMESPACE, scheduleId });
    expect(after.schedule).toEqual(before.schedule);
    expect(after.memo).toEqual(before.memo);
    expect(after.conflictToken).toEqual(before.conflictToken);
    expect(Number(after.info?.actionCount ?? 0)).toBe(0);
  });

  it('finds a tenant\'s only schedule through the list (what `schedule update <tenant>` falls back to)', async () => {
    await expect(findSyncSchedule(temporal.client, tenant)).resolves.toBe(ours);
  });
});
