import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SyncReport } from '../../sync/report';
import { approveLeaversUpdate } from '../../workflows/sync';
import { generateOrg } from '../fixtures/org';
import { BUILT_CLI as CLI, runBuiltCli } from '../harness/cli';
import { usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { devServerAddress } from '../harness/temporal';
import { eventually } from '../harness/wait';
import { startWorkerProcess, stopWorkerProcesses } from '../harness/worker-process';

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

  /**
   * Starts the CLI, waits up to 30 s for the no-worker hint on stderr (its first check is immediate; the rest is Node's
   * start, loading the client and starting the run, a few seconds on a busy machine), checks it is still waiting, then
   * kills it.
   */
  async function expectNoWorkerHint(args: string[], taskQueue: string): Promise<string> {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...syncEnv(taskQueue) } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const started = Date.now();
      while (!stderr.includes('no worker is polling') && child.exitCode === null && Date.now() - started < 30_000) await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stderr).toContain(`no worker is polling task queue "${taskQueue}" on ${devServerAddress()} (namespace default): start one with \`peakon-sync worker\``);
      // Still waiting for a worker: it has not exited.
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill();
      await exited;
    }
    return stdout + stderr;
  }

  it('sync --wait, sync --dry-run and status <running run> with no worker on the task queue say so, and keep waiting', async () => {
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

  it('sync --wait whose only worker dies mid-run says so on stderr, says so when a worker polls again, and then completes', async () => {
    const fixture = await pipeline.fixture();
    const taskQueue = pipeline.temporal.taskQueue;
    const startWorker = () => startWorkerProcess({ PEAKON_SYNC_TASK_QUEUE: taskQueue, PEAKON_SYNC_STATE_DIR: fixture.stateDirectory, PEAKON_TOKEN: fixture.sandbox.token });
    // 10 synced employees, then 3 of them (30%) gone from the HR read: the leaver guard holds the run for a person's
    // decision, a run still going with no activity in flight while its worker is away.
    const org = generateOrg(10, 3);
    fixture.writeEmployees(org);
    const first = startWorker();
    let child: ReturnType<typeof spawn> | undefined;
    let runId: string | undefined;
    try {
      const synced: SyncReport = await (await fixture.startSync()).result();
      expect(synced.counts.created).toBe(org.length);
      const managers = new Set(org.map((employee) => employee.manager_id));
      const gone = org.filter((employee) => !managers.has(employee.employee_id)).slice(0, 3);
      fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));

      const cliProcess = spawn(process.execPath, [CLI, 'sync', '--config', configFile(fixture), '--wait'], { env: { ...process.env, ...syncEnv(taskQueue) } });
      child = cliProcess;
      let stderr = '';
      let stdout = '';
      cliProcess.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      cliProcess.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => cliProcess.on('exit', resolve));
      /** Polls the CLI's stderr (bounded): every wait here is for output, never a fixed sleep. */
      const printed = (what: string, text: string, timeoutMs: number) =>
        eventually(`${what} on stderr (so far: ${JSON.stringify(stderr)})`, async () => {
          if (cliProcess.exitCode !== null) throw new Error(`sync --wait exited ${cliProcess.exitCode} before ${what}; stderr: ${stderr}`);
          return stderr.includes(text) ? true : undefined;
        }, timeoutMs);

      await printed('the held run', 'awaiting approval:', 60_000);
      runId = /started (\S+) on task queue/.exec(stdout + stderr)?.[1];
      expect(runId).toBeDefined();
      // The worker dies as under an OOM kill, while the run waits.
      first.process.kill('SIGKILL');
      await new Promise((resolve) => (first.process.exitCode !== null || first.process.signalCode !== null ? resolve(undefined) : first.process.once('exit', resolve)));

      const where = `task queue "${taskQueue}" on ${devServerAddress()} (namespace default)`;
      const goneHint = `no worker is polling ${where} any more (none polled for 90 s: stopped, killed or cut off?): start one with \`peakon-sync worker\`; the run continues when one polls`;
      // The server lists a dead worker for minutes: 90 s without a poll after its last one (35-95 s after the kill).
      await printed('the worker-gone hint', goneHint, 240_000);
      // A query nobody answers fails after about 30 s: two in a row, about a minute.
      await printed('the progress warning', `progress of ${runId} could not be read for `, 240_000);
      expect(stderr).toContain(`most likely no worker polls task queue "${taskQueue}" (stopped, killed or overloaded): start one with \`peakon-sync worker\`; this command keeps waiting`);
      expect(cliProcess.exitCode).toBeNull();

      startWorker();
      await printed('the worker-back hint', `a worker is polling ${where} again`, 120_000);
      await printed('progress read again', `progress of ${runId} can be read again`, 120_000);
      if (!runId) throw new Error('no run ID');
      await expect(pipeline.temporal.client.workflow.getHandle(runId).executeUpdate(approveLeaversUpdate)).resolves.toMatchObject({ decision: 'approved', leavers: 3 });
      const exitCode = await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error(`sync --wait did not exit within 120 s; stderr: ${stderr}`)), 120_000).unref())]);
      expect(exitCode).toBe(0);
      expect(stdout).toMatch(/— completed/);

      // Each change said once; the start-up hint not at all (a worker polled at first).
      const count = (text: string) => stderr.split(text).length - 1;
      expect(count(goneHint)).toBe(1);
      expect(count(`a worker is polling ${where}`)).toBe(1);
      expect(count(`progress of ${runId} could not be read`)).toBe(1);
      expect(stderr).not.toContain(`(namespace default): start one with`);
      // No personal data in the warnings.
      const warnings = stderr.split('\n').filter((line) => line.includes('worker is polling') || line.includes('progress of'));
      expect(warnings).toHaveLength(4);
      for (const line of warnings) for (const employee of org) expect(line).not.toContain(employee.work_email);
    } finally {
      child?.kill();
      if (runId) await pipeline.temporal.client.workflow.getHandle(runId).terminate('test cleanup').catch(() => undefined);
      await stopWorkerProcesses();
    }
  }, 600_000);

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
