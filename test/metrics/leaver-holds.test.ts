/**
 * `peakon_sync_leaver_holds_total`: a run whose leaver guard held writes and nobody decided in time is counted with
 * `decision="timed_out"` when it ends, so an alert can fire (the run itself ends `completed`). The real `peakon-sync
 * worker` (built dist/, with the workflow interceptor and its sink) serving /metrics, a real dev server, the sandbox.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONNECTOR_METRICS, LEAVER_HOLDS, RUNS } from '../../metrics/definitions';
import type { SyncReport } from '../../sync/report';
import { generateOrg, leaves } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { startWorkerProcess, stopWorkerProcesses } from '../harness/worker-process';
import { eventually } from '../harness/wait';
import { scrape, select, total, totalsBy } from './prometheus-text';
import { freePort } from '../../devserver/ports';

describe('peakon_sync_leaver_holds_total', () => {
  const pipeline = usePipelineTests();
  afterAll(() => stopWorkerProcesses());

  it('counts a run whose held leaver writes were dropped by the guard\'s timeout as decision="timed_out"; a run that held none is not counted', async () => {
    const fixture = await pipeline.fixture({ tenant: `leaver-holds-${Date.now().toString(36)}` });
    fixture.config.leavers = { ...fixture.config.leavers, guard: { ...fixture.config.leavers.guard, timeout: 2_000 } };
    const org = generateOrg(10, 3);
    fixture.writeEmployees(org);
    const endpoint = `http://127.0.0.1:${await freePort()}/metrics`;
    const worker = startWorkerProcess({
      PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue,
      PEAKON_SYNC_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'peakon-sync-holds-')),
      PEAKON_TOKEN: fixture.sandbox.token,
      PEAKON_SYNC_METRICS_ADDRESS: new URL(endpoint).host,
    });
    await eventually('the worker to poll', async () => (worker.stdout().includes('"message":"worker polling"') ? true : undefined));

    const first: SyncReport = await (await fixture.startSync()).result();
    expect(first.counts.created).toBe(10);
    // 3 of 10 gone: more than the default guard's maxShare (20%), held; nobody decides within 2 s.
    const gone = leaves(org).slice(0, 3);
    fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
    const second: SyncReport = await (await fixture.startSync()).result();
    expect(second).toMatchObject({ status: 'completed', leavers: { held: true, decision: 'timed out' } });

    const tenant = fixture.config.tenant;
    const metrics = await eventually('both runs to be counted', async () => {
      const scraped = await scrape(endpoint);
      return total(scraped, RUNS.name, { tenant }) === 2 ? scraped : undefined;
    });
    // The run says completed; the hold it dropped is what alerts.
    expect(totalsBy(metrics, RUNS.name, 'status', { tenant })).toEqual({ completed: 2 });
    expect(totalsBy(metrics, LEAVER_HOLDS.name, 'decision', { tenant })).toEqual({ timed_out: 1 });
    expect(select(metrics, LEAVER_HOLDS.name, { tenant }).map((sample) => Object.keys(sample.labels).sort())).toEqual([['decision', 'namespace', 'taskQueue', 'tenant', 'workflowType']]);
    expect(metrics.types.get(LEAVER_HOLDS.name)).toBe('counter');
    expect(CONNECTOR_METRICS).toContain(LEAVER_HOLDS);
    for (const employee of gone) expect(metrics.text).not.toContain(employee.work_email);
  }, 180_000);
});
