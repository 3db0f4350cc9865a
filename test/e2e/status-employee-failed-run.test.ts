/**
 * `status <run> --employee <key>` of a one-person run that failed: `sync --employee` for a person whose HR record is
 * invalid fails the whole run at planning (EmployeeNotFound, naming the field), and `status` of that run for the same
 * person then says the run failed and why, not that the plan found nothing to write; it exits 1, as for any failed
 * run. The CLI's own commands (in this process), a real Temporal dev server, the sandbox.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateOrg } from '../fixtures/org';
import { runCliInProcess, useCliEnvironment } from '../harness/cli';
import { usePipelineTests } from '../harness/pipeline';

describe('status <run> --employee of a failed one-person run', () => {
  const pipeline = usePipelineTests();
  useCliEnvironment();

  it("prints the run's failure (the invalid field named) and exits 1", async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(4, 2);
    const invalid = org[1];
    if (!invalid) throw new Error('the fixture has too few employees');
    fixture.writeEmployees(org.map((employee) => (employee === invalid ? { ...employee, date_of_birth: 'not a date' } : employee)));
    const config = path.join(fixture.stateDirectory, 'connector.json');
    writeFileSync(config, JSON.stringify(fixture.config));
    process.env.PEAKON_SYNC_TASK_QUEUE = pipeline.temporal.taskQueue;
    const workers = await fixture.startWorkers();

    // `sync --employee` ends with the run's failure: its plan refused the record.
    const synced = await workers.runUntil(runCliInProcess('sync', '--config', config, '--employee', invalid.work_email, '--quiet').then(() => undefined, (error: unknown) => error));
    const said = synced instanceof Error ? synced.message : String(synced);
    expect(said).toMatch(new RegExp(`^sync (\\S+/employee/\\S+) failed: employee ${escape(invalid.work_email)} is invalid in the HR system: .*Date of Birth`));
    const runId = /^sync (\S+) failed: /.exec(said)?.[1] ?? '';

    const printed = (await runCliInProcess('status', runId, '--employee', invalid.work_email)).trim();
    expect(printed).toMatch(new RegExp(`^${escape(invalid.work_email)} \\(e-[0-9a-f]{16}\\): no workflow in this run; the run ended failed: employee ${escape(invalid.work_email)} is invalid in the HR system: .*Date of Birth`));
    expect(printed).not.toContain('the plan found nothing to write');
    expect(printed.split('\n')).toHaveLength(1);
    expect(process.exitCode).toBe(1);

    // --json carries the same: how the run ended and why.
    const json = JSON.parse(await runCliInProcess('status', runId, '--employee', invalid.work_email, '--json')) as { steps: unknown[]; inRun?: { source: string; status: string; message: string } };
    expect(json).toMatchObject({ steps: [], inRun: { source: 'run failed', status: 'failed', message: expect.stringContaining('Date of Birth') } });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
