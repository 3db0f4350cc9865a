// A stand-in bundled only by test/worker/running-syncs.test.ts: a sync whose every workflow task fails, as a run does
// after a bad deploy breaks its replay. A plain Error (not an ApplicationFailure) fails the task, not the workflow, so
// the server retries it for ever and the run stays running. Never registered by a production worker.
export async function syncTenantWorkflow(): Promise<never> {
  throw new Error('this run is stuck: its workflow task fails at every attempt');
}
