import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { SyncReport } from '../../sync/report';
import { generateOrg, type GeneratedEmployee } from '../fixtures/org';
import { usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { devServerAddress } from '../harness/temporal';
import type { ScimUser } from '../../scim/resources';
import { ENTERPRISE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/resources';

const CLI = path.resolve(__dirname, '../../dist/client/cli.js');

/** The state a finished sync must leave, whatever happened on the way: one user per employee, every attribute set. */
function expectConverged(users: ScimUser[], employees: GeneratedEmployee[]): void {
  const userNames = users.map((user) => user.userName);
  expect(new Set(userNames).size).toBe(userNames.length);
  expect(users).toHaveLength(employees.length);
  const emailById = new Map(employees.map((employee) => [employee.employee_id, employee.work_email]));
  for (const employee of employees) {
    const user = users.find((candidate) => candidate.userName === employee.work_email);
    expect(user?.[ENTERPRISE_USER_SCHEMA]?.employeeNumber).toBe(employee.employee_number);
    expect(user?.[PEAKON_USER_SCHEMA]?.Team).toBe(employee.team);
    expect(user?.[PEAKON_USER_SCHEMA]?.Manager ?? '').toBe(employee.manager_id ? emailById.get(employee.manager_id) : '');
  }
}

describe('sync pipeline under faults', () => {
  const pipeline = usePipelineTests();

  it('converges without duplicates when 20% of requests fail with 503 and some POSTs land but answer an error', async () => {
    const fixture = await pipeline.fixture({ sandbox: { faults: { seed: 7, faultRate: 0.2, commitThenFailRate: 0.2 } } });
    const employees = generateOrg(60, 4);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    const report: SyncReport = await workers.runUntil((await fixture.startSync()).result());
    expect(report.failures).toEqual([]);
    const ops = fixture.sandbox.ops();
    // The faults really happened: failed answers, and POSTs that were applied although the client saw an error.
    expect(ops.filter((op) => (op.status ?? 0) >= 500).length).toBeGreaterThan(10);
    const postsAnsweredCreated = ops.filter((op) => op.method === 'POST' && op.status === 201).length;
    expect(postsAnsweredCreated).toBeLessThan(employees.length);
    expect(report.counts.created).toBe(employees.length);
    expectConverged(fixture.sandbox.users(), employees);
  });
});

describe('sync pipeline when the worker process dies', () => {
  const pipeline = usePipelineTests();
  const workers: ChildProcess[] = [];
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });
  afterAll(() => {
    for (const worker of workers) worker.kill('SIGKILL');
  });

  /** The real `peakon-sync worker` command in its own process, so that it can be killed like a crashing host. */
  function startWorkerProcess(fixture: PipelineFixture): ChildProcess {
    const worker = spawn(process.execPath, [CLI, 'worker'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: devServerAddress(),
        TEMPORAL_NAMESPACE: 'default',
        PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue,
        PEAKON_SYNC_STATE_DIR: fixture.stateDirectory,
        PEAKON_TOKEN: fixture.sandbox.token,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    workers.push(worker);
    return worker;
  }

  it('completes with the same final state and no duplicates after SIGKILL during phase 1 and a restart', async () => {
    const fixture = await pipeline.fixture({ sandbox: { faults: { latencyMs: 40 } } });
    const employees = generateOrg(80, 4);
    fixture.writeEmployees(employees);
    const first = startWorkerProcess(fixture);
    const handle = await fixture.startSync();
    const deadline = Date.now() + 60_000;
    while (fixture.sandbox.ops().filter((op) => op.method === 'POST').length < 15) {
      if (Date.now() > deadline) throw new Error('phase 1 did not start within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const postsBeforeRestart = fixture.sandbox.ops().filter((op) => op.method === 'POST').length;
    expect(postsBeforeRestart).toBeLessThan(employees.length);
    expect(fixture.sandbox.ops().some((op) => op.method === 'PUT')).toBe(false);

    startWorkerProcess(fixture);
    const report: SyncReport = await handle.result();
    expect(report.failures).toEqual([]);
    expect(report.counts.created).toBe(employees.length);
    expectConverged(fixture.sandbox.users(), employees);
  });
});
