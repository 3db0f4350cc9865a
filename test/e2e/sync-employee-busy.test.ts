/**
 * `sync --employee` of a tenant another run holds: the run finds the tenant lock held and ends `skipped`, having done
 * nothing. A whole-tenant sync skipped so exits 0 (the other run does the work); a one-person sync exits 1 and says on
 * stderr that the tenant was busy, since the person asked for was not synced; `status` and `cancel` of that run later say
 * and exit the same. Built CLI, real dev server and sandbox.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SyncReport } from '../../sync/report';
import { tenantLockWorkflowId } from '../../workflows/ids';
import { generateOrg } from '../fixtures/org';
import { BUILT_CLI, runBuiltCli as cli } from '../harness/cli';
import { usePipelineTests, type PipelineFixture } from '../harness/pipeline';
import { devServerAddress } from '../harness/temporal';

describe('sync --employee while another run holds the tenant', () => {
  const pipeline = usePipelineTests();
  beforeAll(() => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  const env = (): NodeJS.ProcessEnv => ({ TEMPORAL_ADDRESS: devServerAddress(), TEMPORAL_NAMESPACE: 'default', PEAKON_SYNC_TASK_QUEUE: pipeline.temporal.taskQueue });

  /** The run ID `sync` printed when it started the run. */
  function startedRunId(stdout: string): string {
    const id = /^started (\S+) on task queue/m.exec(stdout)?.[1];
    if (id === undefined) throw new Error(`no "started" line in: ${stdout}`);
    return id;
  }

  function configFile(fixture: PipelineFixture): string {
    const file = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(file, JSON.stringify(fixture.config));
    return file;
  }

  it('exits 1 with a line on stderr saying the tenant was busy; a whole-tenant sync skipped so still exits 0', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(3, 2);
    fixture.writeEmployees(employees);
    const email = employees[1]?.work_email ?? '';
    const { client, taskQueue } = pipeline.temporal;
    // Another run's lock, as a running sync holds it (on a queue no worker polls: it holds until terminated).
    const holder = `peakon-sync/${fixture.config.tenant}/holder`;
    const lock = await client.workflow.start('tenantLockWorkflow', { taskQueue: `${taskQueue}-nobody`, workflowId: tenantLockWorkflowId(fixture.config.tenant), args: [{ holderRunId: holder, leaseMs: 600_000 }], memo: { holderRunId: holder } });
    try {
      const workers = await fixture.startWorkers();
      const config = configFile(fixture);
      await workers.runUntil(
        (async () => {
          const one = await cli(['sync', '--config', config, '--employee', email, '--quiet'], env());
          expect(one.stdout).toMatch(/— skipped/);
          expect(one.stdout).toContain(`peakon-sync status '${tenantLockWorkflowId(fixture.config.tenant)}'`);
          expect(one.stderr).toContain(`the employee was not synced: tenant ${fixture.config.tenant} was busy (another run of it is running; the report's message names it); retry once that run ends`);
          expect(one.exitCode).toBe(1);
          const employeeRunId = startedRunId(one.stdout);
          expect(employeeRunId).toContain('/employee/');

          // Followed up later (`sync` lost Temporal while waiting, a script checking on the run): the run's own code,
          // as `sync --employee` gave it, and the same line.
          const status = await cli(['status', employeeRunId], env());
          expect(status.stdout).toMatch(/— skipped/);
          expect(status.stderr).toContain(`the employee was not synced: tenant ${fixture.config.tenant} was busy`);
          expect(status.exitCode).toBe(1);
          // cancel of that run, which had ended: nothing cancelled, said on stderr with --json, and the run's code.
          const cancel = await cli(['cancel', employeeRunId, '--json'], env());
          expect((JSON.parse(cancel.stdout) as SyncReport).status).toBe('skipped');
          expect(cancel.stderr).toContain(`${employeeRunId} had already ended skipped: nothing was cancelled`);
          expect(cancel.stderr).toContain(`the employee was not synced: tenant ${fixture.config.tenant} was busy`);
          expect(cancel.exitCode).toBe(1);

          // --json: stdout is the report alone, the line is on stderr all the same.
          const json = await cli(['sync', '--config', config, '--employee', email, '--quiet', '--json'], env());
          expect((JSON.parse(json.stdout) as SyncReport).status).toBe('skipped');
          expect(json.stderr).toContain('the employee was not synced');
          expect(json.exitCode).toBe(1);

          // A whole-tenant run that finds the tenant busy leaves the work to the run holding it: exit 0, no such line.
          const whole = await cli(['sync', '--config', config, '--wait', '--quiet'], env());
          expect(whole.stdout).toMatch(/— skipped/);
          expect(whole.stderr).not.toContain('was not synced');
          expect(whole.exitCode).toBe(0);
          const wholeStatus = await cli(['status', startedRunId(whole.stdout)], env());
          expect(wholeStatus.stderr).not.toContain('was not synced');
          expect(wholeStatus.exitCode).toBe(0);
        })(),
      );
      expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
    } finally {
      await lock.terminate('test over').catch(() => undefined);
    }
    // Six CLI processes one after the other: each may take several seconds to start on a busy machine.
  }, 360_000);
});
