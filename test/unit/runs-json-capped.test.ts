/**
 * `peakon-sync runs` reads at most RUNS_READ_CAP runs. The table says when it stopped there; with `--json` the same
 * note goes to stderr, and stdout stays the JSON alone. Reaching the cap for real takes 2,000 runs of one tenant, so
 * this tests what the command prints for a capped and an uncapped read.
 */
import { RUNS_READ_CAP, tenantRunsOutput, type TenantRun } from '../../client/commands/runs';

const run: TenantRun = {
  workflowId: 'peakon-sync/acme/2026-12-01T02:00:00Z',
  runId: 'run-1',
  workflowType: 'syncTenantWorkflow',
  startedAt: new Date('2026-12-01T02:00:00Z'),
  closedAt: new Date('2026-12-01T02:01:00Z'),
  execution: 'COMPLETED',
  outcome: { status: 'completed', counts: { created: 1, updated: 0, deactivated: 0, unchanged: 0, skipped: 0, failed: 0 }, failures: 0, operations: 2 },
};
const note = `(read the first ${RUNS_READ_CAP} runs visibility returned; older runs may be missing)`;

describe('runs: the note that the read was capped', () => {
  it('goes to stderr with --json, and stdout is the runs as JSON alone', () => {
    const output = tenantRunsOutput('acme', [run], true, true);
    expect(output.stderr).toBe(`${note}\n`);
    const parsed = JSON.parse(output.stdout) as Array<Record<string, unknown>>;
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).toMatchObject({ workflowId: run.workflowId, execution: 'COMPLETED', outcomeText: expect.any(String) as unknown });
    expect(output.stdout).not.toContain('read the first');
  });

  it('is not written when the read was not capped (--json or not)', () => {
    expect(tenantRunsOutput('acme', [run], false, true).stderr).toBe('');
    const text = tenantRunsOutput('acme', [run], false, false);
    expect(text.stderr).toBe('');
    expect(text.stdout).not.toContain('read the first');
  });

  it('ends the table, on stdout, without --json (as before)', () => {
    const text = tenantRunsOutput('acme', [run], true, false);
    expect(text.stderr).toBe('');
    expect(text.stdout).toContain(`\n${note}\n`);
  });
});
