/**
 * What `status` and `runs` say of a run that Temporal ended (terminated) rather than the run itself, with the CLI's own
 * commands (in this process), a real Temporal dev server and the sandbox over HTTP. The run's memo changes only when
 * its status does (workflows/sync.ts `publish`): a run terminated mid-write has its start's zeros there, which are not
 * what it wrote; and a run terminated while writing its report has its final status there, which is not how it ended.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { generateOrg } from '../fixtures/org';
import { runCliInProcess, useCliEnvironment } from '../harness/cli';
import { TEST_TUNING, usePipelineTests } from '../harness/pipeline';
import { progressOf } from '../harness/progress';
import { eventually } from '../harness/wait';

const RunsJsonSchema = z.array(z.object({ workflowId: z.string(), execution: z.string(), outcomeText: z.string() }));

describe('status / runs of a run Temporal ended: the memo is read by its status', () => {
  const pipeline = usePipelineTests();
  useCliEnvironment();

  /** The `runs <tenant>` row of `workflowId` once `execution` shows in visibility (a second or so behind). */
  async function runsRow(tenant: string, workflowId: string, execution: string) {
    return eventually(`${workflowId} ${execution} in runs`, async () => RunsJsonSchema.parse(JSON.parse(await runCliInProcess('runs', tenant, '--json'))).find((run) => run.workflowId === workflowId && run.execution === execution));
  }

  it('a run terminated mid-write: runs shows no counts while it runs, and status does not say it wrote nothing', async () => {
    // Slow writes, one partition of 10 at a time: the first partition has written its employees while the run goes on.
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 200 } } });
    fixture.writeEmployees(generateOrg(30, 3));
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, maxConcurrentPartitions: 1, partitionSize: 10 };
    process.env.PEAKON_SYNC_TASK_QUEUE = pipeline.temporal.taskQueue;
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync();
        const runId = handle.workflowId;
        await progressOf(handle, (progress) => progress.partitionsDone >= 1 && progress.employeesDone >= 10);
        // The scenario: employees written, the memo still at the start's zeros.
        expect((await handle.describe()).memo).toMatchObject({ status: 'running', counts: { created: 0 } });

        const running = await runsRow(fixture.config.tenant, runId, 'RUNNING');
        expect(running.outcomeText).not.toMatch(/created 0/);
        expect(running.outcomeText).toBe(`running (its counts show once it ends; its progress: peakon-sync status '${runId}')`);

        await handle.terminate('stuck, says the operator');
        const printed = (await runCliInProcess('status', runId)).trimEnd().split('\n');
        expect(printed[0]).toBe(`${runId} ended terminated: stuck, says the operator`);
        expect(printed[1]).toMatch(/^ {2}before it ended: what it wrote is not recorded \(/);
        expect(printed.join('\n')).not.toContain('no employee written');
        expect(process.exitCode).toBe(1);
        const json = JSON.parse(await runCliInProcess('status', runId, '--json')) as Record<string, unknown>;
        expect(json).toMatchObject({ runId, status: 'terminated', countsNotRecorded: true });
        expect(json).not.toHaveProperty('counts');
        expect((await runsRow(fixture.config.tenant, runId, 'TERMINATED')).outcomeText).toBe('terminated (the run ended without a report)');
      })(),
    );
  });

  it('a run terminated while writing its report: runs says terminated, not completed; status gives the counts it published', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(5, 2));
    // A file where the tenant's report folder goes: the report step fails and is retried (every 2 s here) after the
    // run published `completed`.
    writeFileSync(path.join(fixture.stateDirectory, fixture.config.tenant), 'not a folder');
    process.env.PEAKON_SYNC_TASK_QUEUE = pipeline.temporal.taskQueue;
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, scimRetry: { initialIntervalMs: 2_000, maximumIntervalMs: 2_000, maximumAttempts: 25 } } });
        const runId = handle.workflowId;
        await eventually('the run published completed, its report still being written', async () => {
          const description = await handle.describe();
          return description.status.name === 'RUNNING' && (description.memo as { status?: string } | undefined)?.status === 'completed' ? true : undefined;
        });
        await handle.terminate('stuck in its report, says the operator');

        expect((await runsRow(fixture.config.tenant, runId, 'TERMINATED')).outcomeText).toBe('terminated after it recorded completed (its report may not have been written)');
        const printed = (await runCliInProcess('status', runId)).trimEnd().split('\n');
        expect(printed).toEqual([`${runId} ended terminated: stuck in its report, says the operator`, expect.stringMatching(/^ {2}before it ended: created 5; \d+ SCIM operations$/)]);
      })(),
    );
  });
});
