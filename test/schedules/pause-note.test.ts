import { Command } from 'commander';
import { registerScheduleCommand } from '../../client/commands/schedule';
import { noteAfter } from '../../client/schedules/pause';
import { connectToDevServer, devServerAddress, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';

/** Runs `peakon-sync schedule …` in this process and returns what it printed on stdout. */
async function schedule(...args: string[]): Promise<string> {
  const program = new Command('peakon-sync').exitOverride();
  registerScheduleCommand(program);
  const printed: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  });
  try {
    await program.parseAsync(['node', 'peakon-sync', 'schedule', ...args]);
  } finally {
    spy.mockRestore();
  }
  return printed.join('');
}

describe('noteAfter', () => {
  it('keeps the note when no new one is given, and says what happened only when there was none', () => {
    expect(noteAfter('unpaused', 'HR export broken, see INC-42', undefined)).toBe('HR export broken, see INC-42');
    expect(noteAfter('paused', 'owned by the People team', '')).toBe('owned by the People team');
    expect(noteAfter('unpaused', undefined, undefined)).toBe('unpaused with peakon-sync schedule unpause');
    expect(noteAfter('paused', 'unpaused with peakon-sync schedule unpause', undefined)).toBe('paused with peakon-sync schedule pause');
  });

  it('appends an unpause note to the pause note, and a pause note to the standing note', () => {
    expect(noteAfter('unpaused', 'HR export broken, see INC-42', 'export fixed')).toBe('HR export broken, see INC-42; unpaused: export fixed');
    expect(noteAfter('unpaused', '', 'export fixed')).toBe('export fixed');
    expect(noteAfter('paused', 'owned by the People team', 'maintenance')).toBe('owned by the People team; paused: maintenance');
    expect(noteAfter('paused', 'paused with peakon-sync schedule pause', 'maintenance')).toBe('maintenance');
  });
});

describe('peakon-sync schedule pause / unpause (against a real Temporal server)', () => {
  let temporal: TemporalTestContext;
  const savedEnvironment = { ...process.env };
  const scheduleId = `test-pause-note-${Date.now().toString(36)}`;

  beforeAll(async () => {
    temporal = await connectToDevServer();
    process.env.TEMPORAL_ADDRESS = devServerAddress();
    process.env.TEMPORAL_NAMESPACE = TEST_NAMESPACE;
    // Paused throughout, or started on a queue no worker polls: nothing runs.
    await temporal.client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '1h' }] },
      action: { type: 'startWorkflow', workflowType: 'syncTenantWorkflow', taskQueue: `${temporal.taskQueue}-nobody`, args: [] },
      state: { paused: true, note: 'HR export broken, see INC-42' },
    });
  });
  afterAll(async () => {
    await temporal.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    process.env = savedEnvironment;
    await temporal.close();
  });

  const state = async () => (await temporal.client.schedule.getHandle(scheduleId).describe()).state;

  it("keeps the operator's note through unpause and pause, and appends an unpause note to it", async () => {
    expect(await schedule('unpause', scheduleId)).toContain(`unpaused ${scheduleId}`);
    expect(await state()).toMatchObject({ paused: false, note: 'HR export broken, see INC-42' });

    await schedule('pause', scheduleId);
    expect(await state()).toMatchObject({ paused: true, note: 'HR export broken, see INC-42' });

    await schedule('unpause', scheduleId, '--note', 'export fixed');
    expect(await state()).toMatchObject({ paused: false, note: 'HR export broken, see INC-42; unpaused: export fixed' });
  });
});
