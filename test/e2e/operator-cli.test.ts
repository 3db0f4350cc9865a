import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { BUILT_CLI as CLI, runBuiltCli } from '../harness/cli';
import { usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { devServerAddress } from '../harness/temporal';

const cli = runBuiltCli;

/** The operator's experience: exit codes a scheduler can use, no silent hangs, the address in connection errors. */
describe('peakon-sync for operators (exit codes, hints, errors)', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  function configFile(fixture: PipelineFixture): string {
    const file = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(file, JSON.stringify(fixture.config));
    return file;
  }

  function syncEnv(taskQueue: string): NodeJS.ProcessEnv {
    return { TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: taskQueue };
  }

  it('sync --wait exits 0 on a clean run, and status on that run exits 0 too', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(4, 2));
    const workers = await fixture.startWorkers();
    const result = await workers.runUntil(cli(['sync', '--config', configFile(fixture), '--wait', '--json', '--quiet'], syncEnv(pipeline.temporal.taskQueue)));
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout) as SyncReport;
    expect(report.status).toBe('completed');
    const status = await cli(['status', report.runId], syncEnv(pipeline.temporal.taskQueue));
    expect(status.exitCode).toBe(0);
  });

  it('sync --wait exits 2 when the only failure is an invalid HR record, and 1 with --fail-on invalid-records', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(4, 2);
    fixture.writeEmployees(employees.map((employee, index) => (index === 3 ? { ...employee, work_email: 'broken' } : employee)));
    const workers = await fixture.startWorkers();
    const env = syncEnv(pipeline.temporal.taskQueue);
    const file = configFile(fixture);
    // One worker run for both syncs: a worker runs once.
    const { invalid, strict } = await workers.runUntil(
      (async () => ({
        invalid: await cli(['sync', '--config', file, '--wait', '--json', '--quiet'], env),
        strict: await cli(['sync', '--config', file, '--wait', '--quiet', '--fail-on', 'invalid-records'], env),
      }))(),
    );
    const report = JSON.parse(invalid.stdout) as SyncReport;
    expect(report.status).toBe('completed_with_failures');
    expect(report.failures).toEqual([expect.objectContaining({ phase: 'plan', errorType: 'InvalidRecord' })]);
    expect(invalid.exitCode).toBe(2);
    // The re-sync meets the invalid record again; --fail-on makes that exit 1.
    expect(strict.stdout).toMatch(/— completed_with_failures/);
    expect(strict.exitCode).toBe(1);
    // The first run, read back by `status`, exits the same way.
    expect((await cli(['status', report.runId], env)).exitCode).toBe(2);
    expect((await cli(['status', report.runId, '--fail-on', 'invalid-records'], env)).exitCode).toBe(1);
  });

  /** Starts the CLI, waits up to 10 s for the no-worker hint on stderr, checks it is still waiting, then kills it. */
  async function expectNoWorkerHint(args: string[], taskQueue: string): Promise<string> {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...syncEnv(taskQueue) } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const started = Date.now();
      while (!stderr.includes('no worker is polling') && child.exitCode === null && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stderr).toContain(`no worker is polling task queue "${taskQueue}" on ${devServerAddress()} (namespace default): start one with \`peakon-sync worker\``);
      // Still waiting for a worker: it has not exited.
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill();
      await exited;
    }
    return stdout + stderr;
  }

  it('sync --wait, sync --dry-run and status <running run> with no worker on the task queue say so within 10 s, and keep waiting', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(2, 2));
    const file = configFile(fixture);
    const taskQueue = `${pipeline.temporal.taskQueue}-nobody-${Date.now().toString(36)}`;
    const runIds: string[] = [];
    try {
      for (const mode of ['--wait', '--dry-run']) {
        const output = await expectNoWorkerHint(['sync', '--config', file, mode], taskQueue);
        const runId = /started (\S+) on task queue/.exec(output)?.[1];
        expect(runId).toBeDefined();
        if (runId) runIds.push(runId);
        // Another run of the tenant may start only once the first ends.
        if (runId) await pipeline.temporal.client.workflow.getHandle(runId).terminate('test: no worker');
      }
      const running = await pipeline.temporal.client.workflow.start('syncTenantWorkflow', { taskQueue, workflowId: `${runIds[0]}-status`, args: [] });
      runIds.push(running.workflowId);
      await expectNoWorkerHint(['status', running.workflowId], taskQueue);
    } finally {
      // The runs would wait forever for a worker: end them.
      for (const runId of runIds) await pipeline.temporal.client.workflow.getHandle(runId).terminate('test cleanup').catch(() => undefined);
    }
  });

  it('names the address and namespace it tried when Temporal is unreachable', async () => {
    const result = await cli(['status', 'peakon-sync/nobody/run'], { TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_NAMESPACE: 'default' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^cannot reach Temporal at 127\.0\.0\.1:1 \(namespace default\): /);
    expect(result.stderr).not.toContain('PEAKON_SYNC_PROXY');
    // Behind a proxy set for the worker only, the CLI says which variables its own (grpc) connection reads.
    const behindProxy = await cli(['status', 'peakon-sync/nobody/run'], { TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_PROXY: 'http://proxy.corp.example:3128', https_proxy: '', grpc_proxy: '' });
    expect(behindProxy.stderr).toContain("the CLI's Temporal connection does not use PEAKON_SYNC_PROXY: set grpc_proxy or https_proxy (lower case) for it");
  }, 60_000);
});
