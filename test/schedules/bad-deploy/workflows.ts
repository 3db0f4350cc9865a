// A bad deploy, bundled only by test/schedules/stuck-run.test.ts: every workflow as it is, except that
// scheduledSyncWorkflow now waits a moment before its first step. New runs work; a scheduled run started by the real
// code replays a StartTimer where its history has an activity scheduled, so its workflow task fails with a
// non-determinism error and is retried forever: the run is stuck without ending, as after a real incompatible deploy.
// Never registered by a production worker.
import { sleep } from '@temporalio/workflow';
import { scheduledSyncWorkflow as currentScheduledSyncWorkflow } from '../../../workflows/scheduled';

export * from '../../../workflows';

export async function scheduledSyncWorkflow(...args: Parameters<typeof currentScheduledSyncWorkflow>): ReturnType<typeof currentScheduledSyncWorkflow> {
  await sleep('1 second');
  return await currentScheduledSyncWorkflow(...args);
}
