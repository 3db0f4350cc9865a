import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { devServerAddress } from '../harness/temporal';

const CLI = path.resolve(__dirname, '../../dist/client/cli.js');
const run = promisify(execFile);

/** `peakon-sync sync` exactly as a person runs it: the built CLI in its own process, a worker polling the queue. */
describe('peakon-sync sync (the command)', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  async function syncCommand(fixture: PipelineFixture, args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const configFile = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(configFile, JSON.stringify(fixture.config));
    const env = { ...process.env, TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue };
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, 'sync', '--config', configFile, ...args], { env });
      return { stdout, stderr, exitCode: 0 };
    } catch (error) {
      const failed = error as { stdout: string; stderr: string; code: number };
      return { stdout: failed.stdout, stderr: failed.stderr, exitCode: failed.code };
    }
  }

  it('--wait prints progress lines on stderr, then the report and a per-employee table, and exits 0', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(12, 3);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const result = await workers.runUntil(syncCommand(fixture, ['--wait']));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/^phase (1|2) \(.+\): \d+\/\d+ employees/m);
    expect(result.stdout).toMatch(/— completed/);
    expect(result.stdout).toMatch(/created: +12/);
    expect(result.stdout).toContain(`${employees[0]?.work_email}`);
    expect(result.stdout).toMatch(/create +created +\d+ attributes/);
  });

  it('--wait --json prints only the report as JSON on stdout and exits 1 on an invalid record with --fail-on invalid-records', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(6, 2);
    fixture.writeEmployees(employees.map((employee, index) => (index === 5 ? { ...employee, work_email: 'broken' } : employee)));
    const workers = await fixture.startWorkers();
    const result = await workers.runUntil(syncCommand(fixture, ['--wait', '--json', '--fail-on', 'invalid-records']));
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as SyncReport;
    expect(report.counts).toMatchObject({ created: 5, failed: 1 });
    expect(report.failures[0]?.reason).toMatch(/email/);
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const fixture = await pipeline.fixture();
    fixture.writeEmployees(generateOrg(5, 2));
    const workers = await fixture.startWorkers();
    const result = await workers.runUntil(syncCommand(fixture, ['--dry-run']));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('dry run: nothing written');
    expect(result.stdout.match(/ create +planned /g)).toHaveLength(5);
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
  });

  it('status --employee finds an employee\'s workflows in a run by email, though their IDs carry only the keyed ref', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(6, 2);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil(fixture.startSync().then((handle) => handle.result()));
    const email = employees[2]?.work_email ?? '';
    const env = { ...process.env, TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default' };
    const { stdout } = await run(process.execPath, [CLI, 'status', report.runId, '--employee', email, '--json'], { env });
    const found = JSON.parse(stdout) as { employeeRef: string; steps: Array<{ phase: string; workflowId: string; outcome?: { status: string; employeeKey: string } }> };
    expect(found.employeeRef).toMatch(/^e-[0-9a-f]{16}$/);
    expect(found.steps).toHaveLength(1);
    expect(found.steps[0]).toMatchObject({ phase: 'create', workflowId: `${report.runId}/create/${found.employeeRef}`, outcome: { status: 'created', employeeKey: email } });
    expect(found.steps[0]?.workflowId).not.toContain('@');
  });
});
