/**
 * The guard as an operator meets it: `status` of a held run says what waits and how to answer; `approve` applies the
 * held leaver writes and prints what they did; a second answer is refused with a reason. The built CLI, a real
 * Temporal dev server, the sandbox over HTTP.
 */
import { existsSync } from 'node:fs';
import { syncProgressQuery } from '../../workflows/sync';
import { generateOrg, leaves } from '../fixtures/org';
import { BUILT_CLI as CLI, runBuiltCli } from '../harness/cli';
import { TEST_TUNING, usePipelineTests } from '../harness/pipeline';
import { progressOf } from '../harness/progress';
import { devServerAddress } from '../harness/temporal';

const cli = runBuiltCli;

describe('peakon-sync approve / reject', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('status shows the held leavers and the commands; approve applies them and says so; approve again answers as the first, reject is refused', async () => {
    const fixture = await pipeline.fixture();
    const env = { TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue };
    const org = generateOrg(10, 3);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const gone = leaves(org).slice(0, 3);
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        const handle = await fixture.startSync();
        for (let tries = 0; (await handle.query(syncProgressQuery)).phase !== 'awaiting approval'; tries += 1) {
          if (tries > 300) throw new Error('the run never waited for approval');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const status = await cli(['status', handle.workflowId], env);
        expect(status.exitCode).toBe(0);
        expect(status.stdout + status.stderr).toContain('awaiting approval: 3 leaver write(s) held');
        expect(status.stdout + status.stderr).toContain(`peakon-sync approve ${handle.workflowId}`);
        for (const employee of gone) expect(status.stdout + status.stderr).toContain(employee.work_email);

        const approved = await cli(['approve', handle.workflowId], env);
        expect(approved).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('approved: 3 held leaver write(s) applied — deactivated 3') });
        // An approve run again (the first one interrupted, say) gets the first one's answer, also once the run has
        // ended, and writes nothing; the other answer is refused.
        await handle.result();
        const writes = fixture.sandbox.ops().filter((op) => op.method !== 'GET').length;
        const again = await cli(['approve', handle.workflowId], env);
        expect(again).toMatchObject({ exitCode: 0, stdout: approved.stdout });
        const reject = await cli(['reject', handle.workflowId], env);
        expect(reject.exitCode).toBe(1);
        expect(reject.stderr).toMatch(/^cannot reject /);
        expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toHaveLength(writes);
        expect(fixture.sandbox.users().filter((user) => user.active === false)).toHaveLength(3);
      })(),
    );
  });

  it('approve exits 1 when the approved leaver writes did not all happen (here: each one failed)', async () => {
    const fixture = await pipeline.fixture();
    const env = { TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue };
    const org = generateOrg(10, 3);
    fixture.writeEmployees(org);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        await (await fixture.startSync()).result();
        const gone = leaves(org).slice(0, 3);
        fixture.writeEmployees(org.filter((employee) => !gone.includes(employee)));
        // No retries: once Peakon fails every request, each held write fails at its first attempt (3 outcomes: far
        // below the circuit breaker's 20, so the leaver phase runs to its end with 3 failures).
        const handle = await fixture.startSync({ tuning: { ...TEST_TUNING, scimRetry: { initialIntervalMs: 50, maximumIntervalMs: 50, maximumAttempts: 1 } } });
        await progressOf(handle, (progress) => progress.phase === 'awaiting approval');
        fixture.sandbox.setFaults({ faultRate: 1 });
        const approved = await cli(['approve', handle.workflowId], env);
        expect(approved.stdout).toContain('approved: 3 held leaver write(s) ran — deactivated 0, deleted 0, failed 3');
        expect(approved.exitCode).toBe(1);
        expect(fixture.sandbox.users().filter((user) => user.active === false)).toHaveLength(0);
      })(),
    );
  });
});
