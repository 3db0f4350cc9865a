/**
 * A run that fails after writing (a partition failed; its report counts what the finished partitions did) adds those
 * counts to `peakon_sync_employees_total`, as a completed run's report would: the people it created exist in Peakon
 * whether or not the run ended well. The real `peakon-sync worker` (built dist/, with the workflow interceptor and its
 * sink) serving /metrics, a real dev server, the sandbox over HTTP; an operator's terminate fails the partition.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../devserver/ports';
import { EMPLOYEES, RUNS } from '../../metrics/definitions';
import type { SyncReport } from '../../sync/report';
import { partitionWorkflowId } from '../../workflows/ids';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, withoutLeaverGuard } from '../harness/pipeline';
import { eventually } from '../harness/wait';
import { startWorkerProcess, stopWorkerProcesses } from '../harness/worker-process';
import { scrape, totalsBy } from './prometheus-text';

describe('peakon_sync_employees_total of a failed run', () => {
  const pipeline = usePipelineTests();
  afterAll(() => stopWorkerProcesses());

  it('adds the counts its report gives (the waves and the partition that finished) under runs_total status="failed"', async () => {
    const fixture = await pipeline.fixture({ tenant: `failed-run-counts-${Date.now().toString(36)}`, sandbox: { faults: { latencyMs: 100 } } });
    // Waves of 1, 6 and 33 creates; the last in partitions of 10, two at a time.
    const employees = generateOrg(40, 3);
    withoutLeaverGuard(fixture);
    fixture.writeEmployees(employees);
    fixture.config.sync = { ...fixture.config.sync, maxConcurrentEmployees: 2, maxConcurrentPartitions: 2, partitionSize: 10 };
    const stateDirectory = mkdtempSync(path.join(tmpdir(), 'peakon-sync-failed-counts-'));
    const endpoint = `http://127.0.0.1:${await freePort()}/metrics`;
    const worker = startWorkerProcess({
      PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue,
      PEAKON_SYNC_STATE_DIR: stateDirectory,
      PEAKON_TOKEN: fixture.sandbox.token,
      PEAKON_SYNC_METRICS_ADDRESS: new URL(endpoint).host,
    });
    await eventually('the worker to poll', async () => (worker.stdout().includes('"message":"worker polling"') ? true : undefined));

    const handle = await fixture.startSync();
    const posts = () => fixture.sandbox.ops().filter((op) => op.method === 'POST').length;
    // Once the last wave's first two partitions are writing, an operator terminates the first of them.
    await eventually('two partitions of the last wave writing', async () => (posts() >= 7 + 4 ? true : undefined), 60_000, 50);
    await pipeline.temporal.client.workflow.getHandle(partitionWorkflowId(handle.workflowId, 'create', 2, 0)).terminate('test: a partition fails');
    const failure = await handle.result().then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);

    // The worker's report, where its failure says it is.
    const reportPath = /\(report: (\S+\.json)\)$/.exec((failure as WorkflowFailedError).cause?.message ?? '')?.[1];
    expect(reportPath).toBeDefined();
    const written = (JSON.parse(readFileSync(reportPath ?? '', 'utf8')) as { summary: SyncReport }).summary;
    expect(written.status).toBe('failed');
    expect(written.counts.created).toBe(7 + 10);

    const tenant = fixture.config.tenant;
    const metrics = await eventually('the run to be counted', async () => {
      const scraped = await scrape(endpoint);
      return totalsBy(scraped, RUNS.name, 'status', { tenant })['failed'] === 1 ? scraped : undefined;
    });
    const byOutcome = totalsBy(metrics, EMPLOYEES.name, 'outcome', { tenant });
    const { created, updated, deactivated, deleted, unchanged, failed, skipped } = written.counts;
    expect(byOutcome).toEqual({ created, updated, deactivated, deleted, unchanged, failed, skipped });
    expect(byOutcome['created']).toBe(17);
    for (const employee of employees) expect(metrics.text).not.toContain(employee.work_email);
  }, 180_000);
});
