import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BUDGET_OPERATIONS_PER_HOUR, CONNECTOR_METRICS, EMPLOYEES, LEAVER_HOLDS, NO_RESPONSE_STATUS, RUN_DURATION, RUNS, RUNS_TERMINATED, SCIM_OPERATIONS, SCIM_RATE_LIMITED } from '../../metrics/definitions';
import { WorkerEnvironmentSchema } from '../../worker/environment';
import { emptyCounts, type SyncReport } from '../../sync/report';
import type { OperationLogEntry } from '../../sandbox/ops-log';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';
import { usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { startWorkerProcess, stopWorkerProcesses, type WorkerProcess } from '../harness/worker-process';
import { scrape, select, total, totalsBy, type Scrape } from './prometheus-text';
import { freePort } from '../../devserver/ports';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value, or fails naming what it waited for (with the probe's last complaint). */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
    await sleep(200);
  }
}

/** The sandbox's own view of what it was sent: requests per method and status (`none`: no answer was sent). */
function sandboxOperations(fixture: PipelineFixture): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of fixture.sandbox.ops()) counts[operationKey(op.method, op.status)] = (counts[operationKey(op.method, op.status)] ?? 0) + 1;
  return counts;
}

/** The connector's view, from the worker's /metrics: the same keys. */
function connectorOperations(metrics: Scrape, tenant: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const sample of select(metrics, SCIM_OPERATIONS.name, { tenant })) {
    if (sample.value === 0) continue;
    const key = `${sample.labels.method} ${sample.labels.status}`;
    counts[key] = (counts[key] ?? 0) + sample.value;
  }
  return counts;
}

const operationKey = (method: string, status: OperationLogEntry['status']) => `${method} ${status ?? NO_RESPONSE_STATUS}`;

function withChangedDepartments(employees: GeneratedEmployee[], count: number): GeneratedEmployee[] {
  return employees.map((employee, index) => (index < count ? { ...employee, department: `${employee.department} (reorganised)` } : employee));
}

describe('the worker\'s Prometheus endpoint (PEAKON_SYNC_METRICS_ADDRESS)', () => {
  const pipeline = usePipelineTests();
  afterAll(() => stopWorkerProcesses());

  it('counts exactly the SCIM operations Peakon received (by tenant, method and status, 5xx retries and 429s included), runs by status and employees by outcome', async () => {
    const suffix = Date.now().toString(36);
    // 10% of requests answered 500/503 and retried: the counters must include every failed attempt.
    const flaky = await pipeline.fixture({ tenant: `metrics-flaky-${suffix}`, sandbox: { faults: { faultRate: 0.1, seed: 7 } } });
    // Four operations an hour: the plan's two reads and two creates pass, every other create is answered 429.
    const limited = await pipeline.fixture({ tenant: `metrics-limited-${suffix}`, sandbox: { quotaPerHour: 4 } });
    const flakyEmployees = generateOrg(30, 3);
    flaky.writeEmployees(flakyEmployees);
    limited.writeEmployees(generateOrg(10, 2, { domain: 'limited.example.com' }));

    const endpoint = `http://127.0.0.1:${await freePort()}/metrics`;
    const worker: WorkerProcess = startWorkerProcess({
      PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue,
      PEAKON_SYNC_STATE_DIR: mkdtempSync(path.join(tmpdir(), 'peakon-sync-metrics-')),
      PEAKON_TOKEN: flaky.sandbox.token,
      PEAKON_SYNC_METRICS_ADDRESS: new URL(endpoint).host,
    });
    await eventually('the worker to poll', async () => (worker.stdout().includes('"message":"worker polling"') ? true : undefined));
    expect(worker.stdout()).toContain(`"metrics":"${endpoint}"`);
    const idle = await scrape(endpoint);
    // The SDK's own worker metrics are served on the same endpoint.
    expect(idle.samples.some((sample) => sample.name.startsWith('temporal_'))).toBe(true);

    const first: SyncReport = await (await flaky.startSync()).result();
    expect(first.status).toBe('completed');
    expect(first.counts.created).toBe(30);
    flaky.writeEmployees(withChangedDepartments(flakyEmployees, 4));
    // The operator lowers the tenant's budget: the gauge must follow it, though the re-sync runs no create.
    flaky.config.peakon = { ...flaky.config.peakon, operationsPerHour: flaky.config.peakon.operationsPerHour - 1 };
    const second: SyncReport = await (await flaky.startSync()).result();
    expect(second.status).toBe('completed');
    expect(second.counts).toMatchObject({ created: 0, updated: 4, unchanged: 26 });
    expect(flaky.sandbox.ops().some((op) => op.status !== null && op.status >= 500)).toBe(true);

    const waiting = await limited.startSync();
    await eventually('the limited tenant to be answered 429', async () => (limited.sandbox.ops().some((op) => op.status === 429) ? true : undefined));

    // Every request of both tenants, as the sandbox logged it; the rate-limited run now waits out Retry-After (an hour)
    // and sends nothing more, so both views settle.
    const settled = await eventually('the connector\'s counters to match the sandbox\'s', async () => {
      const metrics = await scrape(endpoint);
      expect(connectorOperations(metrics, flaky.config.tenant)).toEqual(sandboxOperations(flaky));
      expect(connectorOperations(metrics, limited.config.tenant)).toEqual(sandboxOperations(limited));
      return metrics;
    });
    expect(first.operations + second.operations).toBe(flaky.sandbox.ops().length);
    const rateLimited = limited.sandbox.ops().filter((op) => op.status === 429).length;
    expect(rateLimited).toBeGreaterThan(0);
    expect(total(settled, SCIM_RATE_LIMITED.name, { tenant: limited.config.tenant })).toBe(rateLimited);
    expect(total(settled, SCIM_RATE_LIMITED.name, { tenant: flaky.config.tenant })).toBe(0);
    // The budget next to what was spent: a dashboard divides one by the other.
    for (const fixture of [flaky, limited]) {
      // One series per tenant, at the budget of the latest run (not one per activity type, some still at an old one).
      const budget = select(settled, BUDGET_OPERATIONS_PER_HOUR.name, { tenant: fixture.config.tenant });
      expect(budget.map((sample) => sample.value)).toEqual([fixture.config.peakon.operationsPerHour]);
    }

    await waiting.cancel();
    const cancelled: SyncReport = await waiting.result();
    expect(cancelled.status).toBe('cancelled');

    const final = await eventually('three runs to be counted', async () => {
      const metrics = await scrape(endpoint);
      const runs = select(metrics, RUNS.name).map((sample) => `${sample.labels.tenant} ${sample.labels.status}: ${sample.value}`);
      if (total(metrics, RUNS.name) !== 3) throw new Error(`runs counted so far: ${runs.join(', ') || 'none'}`);
      return metrics;
    });
    expect(totalsBy(final, RUNS.name, 'status', { tenant: flaky.config.tenant, dry_run: 'false' })).toEqual({ completed: 2 });
    expect(totalsBy(final, RUNS.name, 'status', { tenant: limited.config.tenant, dry_run: 'false' })).toEqual({ cancelled: 1 });
    expect(total(final, `${RUN_DURATION.name}_count`, { tenant: flaky.config.tenant, status: 'completed' })).toBe(2);
    expect(total(final, `${RUN_DURATION.name}_sum`, { tenant: flaky.config.tenant, status: 'completed' })).toBeGreaterThan(0);
    expect(final.types.get(RUN_DURATION.name)).toBe('histogram');

    // Employees by outcome: the two reports' counts added up, every outcome present (zeros included).
    const expectedOutcomes: Record<string, number> = {};
    for (const report of [first, second]) for (const [outcome, count] of Object.entries(report.counts)) expectedOutcomes[outcome] = (expectedOutcomes[outcome] ?? 0) + count;
    expect(totalsBy(final, EMPLOYEES.name, 'outcome', { tenant: flaky.config.tenant })).toEqual(expectedOutcomes);
    expect(totalsBy(final, EMPLOYEES.name, 'outcome', { tenant: limited.config.tenant })).toEqual(Object.fromEntries(Object.entries(cancelled.counts)));

    // The counters did not move after they matched: nothing was sent twice or counted late.
    expect(connectorOperations(final, flaky.config.tenant)).toEqual(sandboxOperations(flaky));
    expect(connectorOperations(final, limited.config.tenant)).toEqual(sandboxOperations(limited));

    // Counts, never people: no email, name or HRIS id of anyone synced appears on the endpoint.
    for (const employee of flakyEmployees) {
      for (const personal of [employee.work_email, employee.employee_id, `${employee.first_name} ${employee.last_name}`]) expect(final.text).not.toContain(personal);
    }
    // Every connector metric the endpoint serves is one docs/metrics.md documents; all are served here but the leaver
    // holds, counted only once a run's guard held leaver writes (test/metrics/leaver-holds.test.ts), and the runs a
    // sweep terminated (test/metrics/runs-terminated.test.ts).
    const documented = new Set(CONNECTOR_METRICS.map((metric) => metric.name).filter((name) => name !== LEAVER_HOLDS.name && name !== RUNS_TERMINATED.name));
    const served = new Set(final.samples.map((sample) => sample.name.replace(/_(bucket|sum|count)$/, '')).filter((name) => name.startsWith('peakon_sync_')));
    expect([...served].sort()).toEqual([...documented].sort());
  }, 300_000);
});

describe('PEAKON_SYNC_METRICS_ADDRESS', () => {
  it('takes IP:PORT (IPv4, or IPv6 in brackets), and names the variable when it is anything else', () => {
    for (const address of ['0.0.0.0:9464', '127.0.0.1:9464', '[::]:9464', '[::1]:1']) expect(WorkerEnvironmentSchema.safeParse({ PEAKON_SYNC_METRICS_ADDRESS: address }).success).toBe(true);
    expect(WorkerEnvironmentSchema.parse({ PEAKON_SYNC_METRICS_ADDRESS: '' }).PEAKON_SYNC_METRICS_ADDRESS).toBeUndefined();
    for (const address of ['localhost:9464', '9464', '0.0.0.0', '0.0.0.0:0', '0.0.0.0:70000', '::1:9464', '[127.0.0.1]:9464', 'http://0.0.0.0:9464']) {
      const parsed = WorkerEnvironmentSchema.safeParse({ PEAKON_SYNC_METRICS_ADDRESS: address });
      expect({ address, valid: parsed.success }).toEqual({ address, valid: false });
    }
  });

  it('stops `peakon-sync worker` with a message naming the variable', async () => {
    const worker = startWorkerProcess({ PEAKON_SYNC_METRICS_ADDRESS: 'localhost:9464' });
    let stderr = '';
    worker.process.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => worker.process.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/PEAKON_SYNC_METRICS_ADDRESS: expected IP:PORT/);
  });
});

describe('PEAKON_SYNC_METRICS_ADDRESS on a port the worker cannot bind', () => {
  it('stops `peakon-sync worker` at start with a message naming the variable', async () => {
    // Something already listens there (another worker, another exporter).
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const worker = startWorkerProcess({ PEAKON_SYNC_METRICS_ADDRESS: `127.0.0.1:${port}` });
      let stderr = '';
      worker.process.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => worker.process.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain('PEAKON_SYNC_METRICS_ADDRESS');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 60_000);
});

describe('docs/metrics.md', () => {
  it('documents every connector metric with its labels, and every employee outcome a run report counts', () => {
    const docs = readFileSync(path.resolve(__dirname, '../../docs/metrics.md'), 'utf8');
    for (const metric of CONNECTOR_METRICS) {
      const row = docs.split('\n').find((line) => line.includes(`\`${metric.name}\``));
      expect({ metric: metric.name, documented: row !== undefined }).toEqual({ metric: metric.name, documented: true });
      for (const label of metric.labels) expect({ metric: metric.name, label, documented: row?.includes(`\`${label}\``) }).toEqual({ metric: metric.name, label, documented: true });
    }
    for (const outcome of Object.keys(emptyCounts())) expect({ outcome, documented: docs.includes(`\`${outcome}\``) }).toEqual({ outcome, documented: true });
  });
});
