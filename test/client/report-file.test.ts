import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActivityDeps } from '../../activities/deps';
import { writeRunReportActivity, type ReportEntry } from '../../activities/report';
import { formatEmployeeTable } from '../../client/format-report';
import { readReportLines } from '../../client/report-file';
import { emptyCounts, type SyncReport } from '../../sync/report';
import type { EmployeeOutcome } from '../../sync/types';
import { inActivity } from '../harness/in-activity';

const summary: SyncReport = {
  tenant: 'acme',
  runId: 'peakon-sync/acme/2026-11-29T04:00:00Z',
  status: 'completed',
  dryRun: false,
  employees: 4,
  counts: { ...emptyCounts(), updated: 2 },
  operations: 4,
  failures: [],
  failuresTotal: 0,
  warnings: [],
  ownedUsersNotInSource: 0,
};

/** `sync --wait` reads the file the worker wrote (the same activity, the same lines) to print its per-employee table. */
describe('the report file as sync --wait reads it', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'client-report-file-'));

  it('reads leaver, deleted and returner lines with their reason, returner and adopted notes and employeeRef', async () => {
    const entries: ReportEntry[] = [
      { ref: 'e-leaver', employeeKey: 'leaver@example.com', recordRef: 'row 2', action: 'deactivate', reason: 'terminated on 2026-11-01', warnings: [], changes: [{ field: 'active', from: true, to: false }] },
      { ref: 'e-gone', employeeKey: 'gone@example.com', recordRef: 'not in the HR read', action: 'delete', reason: 'not in the HR read', warnings: [], changes: [] },
      { ref: 'e-back', employeeKey: 'back@example.com', recordRef: 'row 3', action: 'update', reason: 'back in the HR read', returner: true, warnings: [], changes: [{ field: 'active', from: false, to: true }] },
      { ref: 'e-hand', employeeKey: 'hand@example.com', recordRef: 'row 4', action: 'update', adopted: true, warnings: [], changes: [{ field: 'title', from: 'A', to: 'B', peakon: true }] },
    ];
    const outcomes: EmployeeOutcome[] = [
      { ref: 'e-leaver', employeeKey: 'leaver@example.com', phase: 'update', status: 'deactivated', changes: [{ field: 'active', from: true, to: false }], operations: 1 },
      { ref: 'e-gone', employeeKey: 'gone@example.com', phase: 'update', status: 'deleted', operations: 1 },
      { ref: 'e-back', employeeKey: 'back@example.com', phase: 'update', status: 'updated', changes: [{ field: 'active', from: false, to: true }], operations: 1 },
      { ref: 'e-hand', employeeKey: 'hand@example.com', phase: 'update', status: 'updated', changes: [{ field: 'title', from: 'A', to: 'B', peakon: true }], operations: 1 },
    ];
    const { run: writeRunReport } = inActivity(writeRunReportActivity({ reportDirectory: dir } as ActivityDeps));
    const file = await writeRunReport({ run: { tenant: 'acme', runId: summary.runId }, report: summary, entries, outcomes, warnings: {}, problems: [] });

    const read = readReportLines(file);
    expect(read).toBeDefined();
    expect(read && 'lines' in read ? read.lines : read).toEqual([
      expect.objectContaining({ employeeKey: 'leaver@example.com', employeeRef: 'e-leaver', action: 'deactivate', status: 'deactivated', reason: 'terminated on 2026-11-01' }),
      expect.objectContaining({ employeeKey: 'gone@example.com', employeeRef: 'e-gone', action: 'delete', status: 'deleted', reason: 'not in the HR read' }),
      expect.objectContaining({ employeeKey: 'back@example.com', action: 'update', status: 'updated', returner: true, reason: 'back in the HR read' }),
      // A Peakon attribute's change keeps its mark (told apart from a core field of the same name).
      expect.objectContaining({ employeeKey: 'hand@example.com', action: 'update', status: 'updated', adopted: true, changes: [{ field: 'title', from: 'A', to: 'B', peakon: true }] }),
    ]);
    const table = formatEmployeeTable(read && 'lines' in read ? read.lines : []);
    expect(table).toMatch(/leaver@example\.com +deactivate +deactivated +active: true → false \(terminated on 2026-11-01\)/);
    expect(table).toMatch(/gone@example\.com +delete +deleted +.*\(not in the HR read\)/);
    expect(table).toMatch(/back@example\.com +update +updated +active: false → true \(returner, back in the HR read\)/);
    expect(table).toMatch(/hand@example\.com +update +updated +title: A → B \(adopted\)/);
  });

  it('says why, and does not throw, when the file is there but corrupt or not a report', () => {
    const corrupt = path.join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{"summary": {}, "employees": [');
    expect(() => readReportLines(corrupt)).not.toThrow();
    expect(readReportLines(corrupt)).toEqual({ warning: expect.stringContaining(`could not read the per-employee lines of ${corrupt}`) });
    const foreign = path.join(dir, 'foreign.json');
    writeFileSync(foreign, JSON.stringify({ employees: [{ employeeKey: 'x@example.com', action: 'teleport' }] }));
    expect(readReportLines(foreign)).toEqual({ warning: expect.stringContaining('employees.0') });
  });

  it('is nothing (no warning) when this machine has no such file', () => {
    expect(readReportLines(undefined)).toBeUndefined();
    expect(readReportLines(path.join(dir, 'elsewhere.json'))).toBeUndefined();
  });
});
