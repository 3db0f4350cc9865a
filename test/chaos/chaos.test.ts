import { FULL_CHAOS, runChaos, type ChaosSummary } from '../../bench/chaos';

/**
 * The reduced form of `npm run chaos` for CI: 60 employees, worker processes running the real CLI, a Temporal dev
 * server of its own (SQLite file), 10% 5xx, 5% hangs past the client timeout and 5% commit-then-fail; one worker
 * SIGKILLed during the creates and the Temporal server stopped and restarted later in the same phase; then a re-sync
 * with 10% moved teams. Every mapped attribute of every employee is compared with the HR file.
 */
describe('chaos: faults, a killed worker and a Temporal server restart', () => {
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
        ],
        runDeadlineMs: 150_000,
        log: (line) => lines.push(`${new Date().toISOString()} ${line}`),
      });
    } finally {
      process.stderr.write(`chaos (reduced):\n${lines.join('\n')}\n${JSON.stringify(summary ?? null)}\n`);
    }
    expect(summary.problems).toEqual([]);
    expect(summary.kills).toHaveLength(1);
    expect(summary.serverRestarts).toHaveLength(1);
    expect(summary.unexpectedWorkerExits).toEqual([]);
    expect(summary.faultsInjected.failed5xx).toBeGreaterThan(0);
    expect(summary.checks).toMatchObject({ usersFound: summary.activeEmployees, missingUsers: 0, duplicateUserNames: 0, fieldMismatches: 0, deletes: 0, unexpectedWriteStatuses: 0, missedEvents: 0 });
    expect(summary.runs.map((run) => run.counts.failed)).toEqual([0, 0]);
  }, 240_000);
});
