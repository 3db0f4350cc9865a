/**
 * The exit code and the failure list when the list is capped: invalid records with several field problems each must not
 * push failed writes out of the list and then make the run look like "fix the HR data" (exit 2).
 */
import type { PlanResult } from '../../activities/plan';
import { EXIT_INVALID_RECORDS, EXIT_LEAVERS_HELD, exitCodeFor, worstExitCode, formatEmployeeTable, formatReport } from '../../client/format-report';
import type { EmployeeReportLine } from '../../sync/employee-report';
import { emptyCounts, REPORT_FAILURE_CAP, type FailureLine, type PartitionSummary, type SyncReport } from '../../sync/report';
import { applyPartition, applyPlan } from '../../workflows/sync';

function emptyReport(): SyncReport {
  return { tenant: 'acme', runId: 'peakon-sync/acme/run', status: 'running', dryRun: false, employees: 0, counts: emptyCounts(), operations: 0, failures: [], failuresTotal: 0, warnings: [], ownedUsersNotInSource: 0 };
}

/** A plan with `invalid` records of three field problems each, and `valid` employees to create. */
function plan(invalid: number, valid: number): PlanResult {
  const problems = Array.from({ length: invalid }, (_, record) =>
    ['email', 'employeeId', 'Manager'].map((field) => ({ recordRef: `row ${record + 2}`, employeeKey: `bad${record}@example.com`, field, message: `${field} is invalid` })),
  ).flat();
  return {
    entries: [],
    counts: { employees: valid, create: valid, update: 0, unchanged: 0, discover: 0, skip: 0, deactivate: 0, delete: 0, invalid },
    waves: 1,
    problems,
    warnings: [],
    operations: 1,
    ownedUsersNotInSource: 0,
  };
}

/** A create partition in which `failed` of `size` employees failed to write. */
function partition(index: number, size: number, failed: number): PartitionSummary {
  const failures: FailureLine[] = Array.from({ length: failed }, (_, n) => ({ employeeKey: `write${index}-${n}@example.com`, phase: 'create', reason: 'Peakon answered 400', errorType: 'InvalidRequest' }));
  return { phase: 'create', partition: index, counts: { ...emptyCounts(), created: size - failed, failed }, operations: size, failures, failuresTotal: failed, warnings: [] };
}

/** What the workflow does: the plan, then its partitions, then the status it ends with. */
function run(invalid: number, partitions: PartitionSummary[]): SyncReport {
  const report = emptyReport();
  applyPlan(report, plan(invalid, partitions.reduce((sum, summary) => sum + summary.counts.created + summary.counts.failed, 0)));
  for (const summary of partitions) applyPartition(report, summary);
  report.status = report.failuresTotal > 0 ? 'completed_with_failures' : 'completed';
  return report;
}

describe('exit code and failure list of a run with many invalid records', () => {
  it('400 invalid records × 3 field problems and 100 failed writes: every failure listed once, exit 1', () => {
    const report = run(400, [partition(0, 150, 100)]);
    expect(report.failuresTotal).toBe(500);
    // One line per failed employee: the invalid records' 1,200 field problems no longer fill the list.
    expect(report.failures).toHaveLength(500);
    expect(report.failures[0]?.reason).toBe('row 2, email: email is invalid; employeeId: employeeId is invalid; Manager: Manager is invalid');
    expect(report.failures.filter((failure) => failure.phase === 'create')).toHaveLength(100);
    expect(exitCodeFor(report)).toBe(1);
    const text = formatReport(report);
    expect(text).toContain('✗ write0-99@example.com [create] Peakon answered 400');
    expect(text).not.toMatch(/… and \d+ more/);
  });

  it('a capped list says how many failed employees it leaves out, and a write failure behind the cap still exits 1', () => {
    const report = run(1_050, [partition(0, 200, 100)]);
    expect(report.failures).toHaveLength(REPORT_FAILURE_CAP);
    expect(report.failures.every((failure) => failure.phase === 'plan')).toBe(true);
    expect(new Set(report.failures.map((failure) => failure.employeeKey)).size).toBe(REPORT_FAILURE_CAP);
    expect(formatReport(report)).toContain('… and 150 more (every one is in the report file)');
    expect(formatReport({ ...report, reportPath: '/reports/acme/run.jsonl' })).toContain('… and 150 more (every one is in the report file: /reports/acme/run.jsonl)');
    expect(exitCodeFor(report)).toBe(1);
  });

  it('only invalid records, however many: exit 2 (1 with --fail-on invalid-records)', () => {
    const report = run(1_500, [partition(0, 200, 0)]);
    expect(report.status).toBe('completed_with_failures');
    expect(report.failures).toHaveLength(REPORT_FAILURE_CAP);
    expect(formatReport(report)).toContain('… and 500 more');
    expect(exitCodeFor(report)).toBe(EXIT_INVALID_RECORDS);
    expect(exitCodeFor(report, { failOn: 'invalid-records' })).toBe(1);
  });

  it('a report of a run that listed one line per field problem (before this change) still exits 1 on a failed write', () => {
    // What `status` reads back from such a run: 1,000 lines, all from the plan, for 400 records; 100 writes failed.
    const lines: FailureLine[] = Array.from({ length: REPORT_FAILURE_CAP }, (_, n) => ({ employeeKey: `bad${Math.floor(n / 3)}@example.com`, phase: 'plan', reason: 'field problem', errorType: 'InvalidRecord' }));
    const report: SyncReport = { ...emptyReport(), status: 'completed_with_failures', counts: { ...emptyCounts(), created: 50, failed: 500 }, failures: lines, failuresTotal: 500, planned: { create: 150, invalid: 400 } };
    expect(exitCodeFor(report)).toBe(1);
    expect(exitCodeFor({ ...report, counts: { ...emptyCounts(), created: 150, failed: 400 }, failuresTotal: 400 })).toBe(EXIT_INVALID_RECORDS);
  });
});

describe('the terminal report of a run with no employee line to show', () => {
  it('prints no employee table, not a header over no rows (a run stopped before its plan, or nothing changed)', () => {
    const stopped = { ...emptyReport(), status: 'quarantined' as const, plan: [] };
    expect(formatReport(stopped)).not.toMatch(/employee\s+action\s+status/);
    const unchanged = { employeeKey: 'ada@example.com', action: 'unchanged', status: 'unchanged', changes: [] } as unknown as EmployeeReportLine;
    expect(formatEmployeeTable([unchanged])).toBe('');
    expect(formatEmployeeTable([{ ...unchanged, action: 'update', status: 'updated' } as EmployeeReportLine])).toMatch(/employee\s+action\s+status/);
  });
});

describe('the guard line of a report whose leaver writes were held', () => {
  const held = (report: SyncReport): SyncReport => ({ ...report, leavers: { action: 'deactivate', planned: 25, returners: 0, unowned: 0, held: true, heldReason: '25 of 30 owned users (over 20%)' } as NonNullable<SyncReport['leavers']> });

  it('offers approve/reject only while the run waits for the decision', () => {
    const waiting = { ...held(emptyReport()), status: 'awaiting_approval' as const };
    expect(formatReport(waiting)).toContain('awaiting approval: peakon-sync approve peakon-sync/acme/run | peakon-sync reject peakon-sync/acme/run');
  });

  it('a dry run says a real run would wait, not to approve a run that has ended', () => {
    const text = formatReport({ ...held(emptyReport()), status: 'completed', dryRun: true });
    expect(text).toContain('a real run would wait for approval (dry run: nothing held)');
    expect(text).not.toContain('peakon-sync approve');
  });

  it('a dry run whose leavers a real run would hold exits 3, as a real run nobody decided for (a CI gate stops there)', () => {
    expect(exitCodeFor({ ...held(emptyReport()), status: 'completed', dryRun: true })).toBe(EXIT_LEAVERS_HELD);
    expect(exitCodeFor({ ...held(emptyReport()), status: 'completed', dryRun: false })).toBe(0);
    expect(exitCodeFor({ ...emptyReport(), status: 'completed', dryRun: true })).toBe(0);
    // With invalid records as well, --fail-on invalid-records still fails the gate (1); without it the hold wins (3).
    const invalidToo = { ...held(run(2, [])), dryRun: true };
    expect(invalidToo.status).toBe('completed_with_failures');
    expect(exitCodeFor(invalidToo, { failOn: 'invalid-records' })).toBe(1);
    expect(exitCodeFor(invalidToo)).toBe(EXIT_LEAVERS_HELD);
  });

  it('several runs (the demo\'s two syncs) exit with the worst one\'s code: failed over held over invalid records over ok', () => {
    const ok = run(0, []);
    const invalid = run(2, []);
    const heldDry = { ...held(ok), status: 'completed' as const, dryRun: true };
    const failed = { ...ok, status: 'failed' as const };
    expect(worstExitCode([ok, ok])).toBe(0);
    expect(worstExitCode([invalid, ok])).toBe(EXIT_INVALID_RECORDS);
    expect(worstExitCode([ok, invalid])).toBe(EXIT_INVALID_RECORDS);
    expect(worstExitCode([invalid, heldDry])).toBe(EXIT_LEAVERS_HELD);
    expect(worstExitCode([heldDry, invalid])).toBe(EXIT_LEAVERS_HELD);
    expect(worstExitCode([heldDry, failed])).toBe(1);
    expect(worstExitCode([failed, invalid])).toBe(1);
  });

  it('--fail-on invalid-records ranks before a hold that timed out in a real run too (the gate and the run agree)', () => {
    const timedOut = (report: SyncReport): SyncReport => {
      const withHold = held(report);
      return { ...withHold, leavers: { ...(withHold.leavers as NonNullable<SyncReport['leavers']>), decision: 'timed out' } };
    };
    expect(exitCodeFor(timedOut(run(2, [])), { failOn: 'invalid-records' })).toBe(1);
    expect(exitCodeFor(timedOut(run(2, [])))).toBe(EXIT_LEAVERS_HELD);
    expect(exitCodeFor(timedOut(run(0, [])), { failOn: 'invalid-records' })).toBe(EXIT_LEAVERS_HELD);
  });

  it.each(['quarantined', 'cancelled', 'lock_lost', 'failed'] as const)('a run that ended %s before its leaver phase says it never asked', (status) => {
    const text = formatReport({ ...held(emptyReport()), status });
    expect(text).toContain(`never asked: the run ended ${status} before its leaver phase`);
    expect(text).not.toContain('peakon-sync approve');
  });
});

describe('the leaver rows of a report under leavers.action: delete', () => {
  // HR-inactive people are only switched off under `delete` (sync/plan.ts): their deactivations are not deletes.
  const deleting = (report: SyncReport): SyncReport => ({ ...report, leavers: { action: 'delete', planned: 5, returners: 0, unowned: 0, held: false }, planned: { deactivate: 2, delete: 3 } });

  it('a dry run shows the deactivations and the deletes it plans, each on its own row', () => {
    const text = formatReport({ ...deleting(emptyReport()), status: 'completed', dryRun: true });
    expect(text).toMatch(/^ {2}deactivated: +2 planned$/m);
    expect(text).toMatch(/^ {2}deleted: +3 planned$/m);
  });

  it('a run that did all it planned shows no shortfall; without deactivations only the deleted row', () => {
    const done = deleting(emptyReport());
    const text = formatReport({ ...done, status: 'completed', counts: { ...emptyCounts(), deactivated: 2, deleted: 3 } });
    expect(text).toMatch(/^ {2}deactivated: +2$/m);
    expect(text).toMatch(/^ {2}deleted: +3$/m);
    const onlyDeletes = formatReport({ ...done, planned: { delete: 3 }, status: 'completed', counts: { ...emptyCounts(), deleted: 3 } });
    expect(onlyDeletes).not.toContain('deactivated:');
    expect(onlyDeletes).toMatch(/^ {2}deleted: +3$/m);
  });
});
