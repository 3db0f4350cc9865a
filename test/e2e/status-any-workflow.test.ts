import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SyncReport } from '../../sync/report';
import { employeeRef } from '../../sync/employee-ref';
import { employeeRefKeyFromEnv } from '../../worker/create-worker';
import { employeeWorkflowId, partitionWorkflowId, tenantLockWorkflowId } from '../../workflows/ids';
import type { TenantLockInput } from '../../workflows/lock';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { devServerAddress } from '../harness/temporal';

const CLI = path.resolve(__dirname, '../../dist/client/cli.js');
const run = promisify(execFile);

interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

async function status(args: string[], taskQueue: string): Promise<CliResult> {
  const env = { ...process.env, TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: taskQueue };
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, 'status', ...args], { env });
    return { stdout, stderr, exitCode: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, exitCode: failed.code };
  }
}

/** Operators copy IDs from the Temporal UI: a partition's, an employee's or the lock's must lead to the run, not to a TypeError. */
describe('peakon-sync status <any workflow ID of a run>', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('shows the parent run of a partition or an employee step, the run holding a lock, and a one-line error for an unknown ID', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(4, 2);
    fixture.writeEmployees(employees);
    const { taskQueue } = pipeline.temporal;
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync();
        const report = (await handle.result()) as SyncReport;
        expect(report.status).toBe('completed');
        const runId = handle.workflowId;

        const partition = partitionWorkflowId(runId, 'create', 0, 0);
        const fromPartition = await status([partition], taskQueue);
        expect(fromPartition.stderr).not.toMatch(/TypeError/);
        expect(fromPartition.stdout).toContain(`${partition} is partition create/wave-0/partition-0 of run ${runId}; the partition is completed`);
        expect(fromPartition.stdout).toMatch(/— completed/);
        expect(fromPartition.exitCode).toBe(0);

        const ref = employeeRef(employeeRefKeyFromEnv().employeeRefKey, fixture.config.tenant, employees[0]?.work_email ?? '');
        const employee = employeeWorkflowId(runId, 'create', ref);
        const fromEmployee = await status([employee, '--json'], taskQueue);
        expect(fromEmployee.exitCode).toBe(0);
        expect(JSON.parse(fromEmployee.stdout)).toMatchObject({ runId, status: 'completed', resolvedFrom: { kind: 'employee', workflowId: employee, status: 'completed' } });

        // The run released its lock when it ended: the lock names its last holder.
        const freeLock = await status([tenantLockWorkflowId(fixture.config.tenant)], taskQueue);
        expect(freeLock.stdout).toContain(`it was last held by run ${runId}`);
        expect(freeLock.exitCode).toBe(0);

        // A lock still held answers the `holder` query.
        const heldLockId = tenantLockWorkflowId(`${fixture.config.tenant}-held`);
        const lock = await pipeline.temporal.client.workflow.start('tenantLockWorkflow', { taskQueue, workflowId: heldLockId, args: [{ holderRunId: runId, leaseMs: 60_000 } satisfies TenantLockInput] });
        try {
          const heldLock = await status([heldLockId], taskQueue);
          expect(heldLock.stdout).toContain(`${heldLockId} is held by run ${runId}`);
          expect(heldLock.stdout).toMatch(/— completed/);
          expect(heldLock.exitCode).toBe(0);
        } finally {
          await lock.terminate('test cleanup');
        }

        const unknown = await status([`${runId}/create/wave-9/partition-9`], taskQueue);
        expect(unknown.exitCode).toBe(1);
        expect(unknown.stdout).toBe('');
        expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
        expect(unknown.stderr).toMatch(/^no workflow peakon-sync\/\S+ in namespace default on \S+: expected a sync run/);
      })(),
    );
  });
});
