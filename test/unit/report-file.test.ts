import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeReportFile } from '../../activities/report';
import type { EmployeeReportLine } from '../../sync/employee-report';
import { emptyCounts, type SyncReport } from '../../sync/report';

// The report file is written line by line (a 50,000-employee report is ~150 MB of text the worker should not hold as
// one string); readers and scripts expect exactly what JSON.stringify(file, null, 2) wrote before.
const summary: SyncReport = {
  tenant: 'acme',
  runId: 'peakon-sync/acme/2026-11-29T04:00:00Z',
  status: 'completed_with_failures',
  dryRun: false,
  employees: 3,
  counts: { ...emptyCounts(), created: 1, failed: 1 },
  operations: 4,
  failures: [{ employeeKey: 'zoë@example.com', phase: 'create', reason: 'line one\nline two "quoted"', errorType: 'InvalidRequest' }],
  failuresTotal: 1,
  warnings: [],
  ownedUsersNotInSource: 0,
};

const line = (index: number): EmployeeReportLine => ({
  employeeKey: `employee${index}@example.com`,
  employeeRef: `ref-${index}`,
  recordRef: `row ${index}`,
  action: 'create',
  status: index % 2 ? 'failed' : 'created',
  changes: [{ field: 'name.givenName', from: null, to: 'Søren' }, { field: 'Manager', from: 'a@example.com', to: null }],
  ...(index % 2 ? { error: 'Manager: unknown\tperson' } : { warnings: [] }),
});

describe('the run report file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'report-file-'));

  it.each([0, 1, 3])('is JSON.stringify(report, null, 2) to the byte, with %i employee lines', async (count) => {
    const employees = Array.from({ length: count }, (_, index) => line(index));
    const file = path.join(dir, `report-${count}.json`);
    await writeReportFile(file, summary, employees);
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify({ summary, employees }, null, 2));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('stops at a line that cannot be built, and leaves no partial file behind', async () => {
    function* lines() {
      for (let index = 0; index < 5_000; index += 1) {
        if (index === 4_000) throw new Error('line 4000 is broken');
        yield line(index);
      }
    }
    const file = path.join(dir, 'report-broken.json');
    await expect(writeReportFile(file, summary, lines())).rejects.toThrow('line 4000 is broken');
    expect(existsSync(file)).toBe(false);
  });

  it('fails with the file system error when the folder is missing', async () => {
    await expect(writeReportFile(path.join(dir, 'missing-folder', 'report.json'), summary, [line(0)])).rejects.toThrow(/ENOENT/);
  });
});
