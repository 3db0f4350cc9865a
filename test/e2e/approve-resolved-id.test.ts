/**
 * `approve` / `reject` given another workflow ID of a run (one of its partitions), as `status` and `cancel` take it:
 * the answer goes to the run that ID resolves to, and the command says so. The tenant lock's ID is refused: it names
 * whichever run holds the lock now. The built
 * CLI, a real Temporal dev server, the sandbox over HTTP.
 */
import { existsSync } from 'node:fs';
import { partitionWorkflowId, tenantLockWorkflowId } from '../../workflows/ids';
import { syncProgressQuery } from '../../workflows/sync';
import { generateOrg, leaves } from '../fixtures/org';
import { BUILT_CLI as CLI, runBuiltCli } from '../harness/cli';
import { usePipelineTests } from '../harness/pipeline';
import { progressOf } from '../harness/progress';
import { devServerAddress } from '../harness/temporal';

const cli = runBuiltCli;

describe('peakon-sync approve / reject <a lock or partition ID of the run>', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('refuses the tenant lock\'s ID naming the run that holds it, approves through a partition of the next held run, and answers only that run', async () => {
    const fixture = await pipeline.fixture();
    const env = { TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue };
    const org = generateOrg(10, 3);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const gone = leaves(org).slice(0, 3);
        const staying = org.filter((employee) => !gone.includes(employee));
        fixture.writeEmployees(staying);

        // The held run keeps the tenant lock while it waits, but the lock names whichever run holds it when the command
        // runs, not necessarily the one whose leavers were reviewed: refused, naming the run to answer by its own ID.
        const first = await fixture.startSync();
        await progressOf(first, (progress) => progress.phase === 'awaiting approval');
        const lockId = tenantLockWorkflowId(fixture.config.tenant);
        const refused = await cli(['reject', lockId], env);
        expect(refused.exitCode).toBe(1);
        expect(refused.stdout).toBe('');
        expect(refused.stderr).toContain(`cannot reject ${lockId}: ${lockId} is the tenant lock, held by (or last held by) run ${first.workflowId}: answer that run by its own ID`);
        expect((await first.query(syncProgressQuery)).phase).toBe('awaiting approval');
        const rejected = await cli(['reject', first.workflowId], env);
        expect(rejected.stdout).toBe('rejected: 3 held leaver write(s) dropped; nobody was deactivated\n');
        expect(rejected.exitCode).toBe(0);
        await first.result();
        expect(fixture.sandbox.users().filter((user) => user.active === false)).toHaveLength(0);

        // The next run holds them again; one changed name gives it an update partition before the hold.
        const [renamed, ...rest] = staying;
        if (!renamed) throw new Error('no employee');
        fixture.writeEmployees([{ ...renamed, last_name: `${renamed.last_name}-renamed` }, ...rest]);
        const second = await fixture.startSync();
        await progressOf(second, (progress) => progress.phase === 'awaiting approval');
        const partition = partitionWorkflowId(second.workflowId, 'update', 0, 0);
        const approved = await cli(['approve', partition, '--json'], env);
        expect(approved.exitCode).toBe(0);
        expect(approved.stderr).toContain(`approving run ${second.workflowId} (resolved from ${partition}, a partition of that run)`);
        expect(JSON.parse(approved.stdout)).toMatchObject({ decision: 'approved', leavers: 3, deactivated: 3, resolvedFrom: { kind: 'partition', workflowId: partition, status: 'completed' } });
        expect(fixture.sandbox.users().filter((user) => user.active === false)).toHaveLength(3);
      })(),
    );
  }, 180_000);
});
