/**
 * `schedule trigger` after the trigger succeeded (client/schedules/trigger.ts), with an injected client: a look at the
 * schedule that fails then (a dropped connection) does not fail the command, since the run is started; it points at
 * `runs <tenant>`, the tenant read from the schedule's plain workflow ID. No server: the real trigger is in
 * test/e2e/runs-cli.test.ts.
 */
import { ServiceError, type Client } from '@temporalio/client';
import { formatTriggeredRun, triggerSyncSchedule } from '../../client/schedules/trigger';

function unavailable(): ServiceError {
  return new ServiceError('Failed to describe schedule', { cause: Object.assign(new Error('14 UNAVAILABLE: connection dropped'), { code: 14, details: 'connection dropped', metadata: {} }) });
}

describe('schedule trigger: the schedule unreadable after the trigger', () => {
  it('succeeds all the same, pointing at peakon-sync runs <tenant>', async () => {
    const describeSchedule = jest.fn(async () => {
      if (describeSchedule.mock.calls.length > 1) throw unavailable();
      // Memo and config are encrypted with a key this CLI may not hold: only the plain parts are read.
      return { schedule: { action: { startWorkflow: { workflowType: { name: 'scheduledSyncWorkflow' }, workflowId: 'peakon-sync/acme/scheduled-peakon-sync-acme' } } }, info: { recentActions: [], runningWorkflows: [] } };
    });
    const trigger = jest.fn(async () => undefined);
    // The SDK's describe (which decodes the memo and config), failing the same way after the trigger: not to be relied on.
    let described = 0;
    const describe = jest.fn(async () => {
      described += 1;
      if (described > 1) throw unavailable();
      return { scheduleId: 'peakon-sync-acme', memo: { tenant: 'acme' }, info: { recentActions: [], runningActions: [] } };
    });
    const client = {
      options: { namespace: 'default' },
      workflowService: { describeSchedule },
      schedule: { getHandle: () => ({ trigger, describe }) },
      withDeadline: (_deadline: number | Date, fn: () => Promise<unknown>) => fn(),
    } as unknown as Client;
    const triggered = await triggerSyncSchedule(client, 'peakon-sync-acme', 600);
    expect(trigger).toHaveBeenCalledTimes(1);
    expect(describe).not.toHaveBeenCalled();
    expect(describeSchedule.mock.calls.length).toBeGreaterThan(2);
    expect(triggered).toEqual({ scheduleId: 'peakon-sync-acme', tenant: 'acme', started: [], unlisted: true });
    expect(formatTriggeredRun(triggered)).toBe('triggered peakon-sync-acme; its run is not listed yet: find it with peakon-sync runs acme');
    expect(formatTriggeredRun({ scheduleId: 'legacy', started: [], unlisted: true })).toBe('triggered legacy; its run is not listed yet: find it with peakon-sync runs <tenant>');
  });

  it('says a schedule that is not there is not there', async () => {
    const client = {
      options: { namespace: 'default' },
      workflowService: { describeSchedule: async () => Promise.reject(Object.assign(new Error('5 NOT_FOUND: schedule not found'), { code: 5 })) },
    } as unknown as Client;
    await expect(triggerSyncSchedule(client, 'nope', 600)).rejects.toThrow('no schedule nope: see peakon-sync schedule list');
  });
});
