import { FULL_CHAOS, runChaos, type ChaosSummary } from '../../bench/chaos';

/**
 * The reduced form of `npm run chaos` for CI: 60 employees, worker processes running the real CLI, a Temporal dev
 * server of its own (SQLite file), 10% 5xx, 5% hangs past the client timeout and 5% commit-then-fail; one worker
 * SIGKILLed during the creates and the Temporal server stopped and restarted later in the same phase; then a re-sync
 * with 10% moved teams, another worker SIGKILLed during its updates. Every mapped attribute of every employee is
 * compared with the HR file.
 *
 * The seed is FULL_CHAOS's fixed 42, and the sandbox draws each request's fault in arrival order whatever its kind
 * (sandbox/faults.ts): requests #24 and #27 hang in every run (the first load alone sends more than 60), and request #3,
 * one of the first load's first POSTs (the plan's few reads all come before them), is committed then failed. The assertions below
 * on each fault kind hold for this seed; a change of seed, rates or request order that loses one fails here, loudly.
 */
describe('chaos: faults, killed workers and a Temporal server restart', () => {
  it('converges to the HR file, field by field, without duplicates', async () => {
    const lines: string[] = [];
    let summary: ChaosSummary | undefined;
    try {
      summary = await runChaos({
        ...FULL_CHAOS,
        employees: 60,
        workers: 2,
        events: [
          { action: 'kill-worker', during: 'creates', at: 0.3 },
          { action: 'restart-server', during: 'creates', at: 0.6 },
          { action: 'kill-worker', during: 'updates', at: 0.3 },
        ],
        runDeadlineMs: 150_000,
        log: (line) => lines.push(`${new Date().toISOString()} ${line}`),
      });
    } finally {
      process.stderr.write(`chaos (reduced):\n${lines.join('\n')}\n${JSON.stringify(summary ?? null)}\n`);
    }
    expect(summary.problems).toEqual([]);
    // Both kills fired while their run was still writing (a kill the run outpaced counts in missedEvents, checked below).
    expect(summary.kills.map((kill) => kill.during)).toEqual(['creates', 'updates']);
    expect(summary.serverRestarts).toHaveLength(1);
    expect(summary.unexpectedWorkerExits).toEqual([]);
    expect(summary.faultsInjected.failed5xx).toBeGreaterThan(0);
    expect(summary.faultsInjected.hangs).toBeGreaterThan(0);
    expect(summary.faultsInjected.commitThenFailByMethod.POST ?? 0).toBeGreaterThan(0);
    // The re-sync through its kill: every moved employee updated once in the report, nothing created.
    expect(summary.changedEmployees).toBeGreaterThan(0);
    expect(summary.runs[1]?.counts).toMatchObject({ created: 0, updated: summary.changedEmployees, failed: 0 });
    expect(summary.checks).toMatchObject({ usersFound: summary.activeEmployees, missingUsers: 0, duplicateUserNames: 0, fieldMismatches: 0, deletes: 0, unexpectedWriteStatuses: 0, missedEvents: 0 });
    expect(summary.runs.map((run) => run.counts.failed)).toEqual([0, 0]);
  }, 240_000);
});
