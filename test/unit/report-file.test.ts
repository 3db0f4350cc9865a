import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ActivityDeps } from '../../activities/deps';
import { writeReportFile, writeRunReportActivity, type ReportEntry } from '../../activities/report';
import { ledgerStoreFromEnv } from '../../ownership/store';
import { inActivity } from '../harness/in-activity';
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

describe('the run report activity', () => {
  it('two attempts of one run writing at once (a retry overlapping the attempt it replaces) each write a whole file, and leave no temporary file', async () => {
    const reportDirectory = mkdtempSync(path.join(os.tmpdir(), 'report-attempts-'));
    const { run: writeRunReport, heartbeats } = inActivity(writeRunReportActivity({ reportDirectory } as ActivityDeps));
    const run = { tenant: 'acme', runId: summary.runId };
    // Enough lines that both streams are still writing when the other starts.
    const entries: ReportEntry[] = Array.from({ length: 20_000 }, (_, index) => ({ ref: `ref-${index}`, employeeKey: `employee${index}@example.com`, recordRef: `row ${index}`, action: 'unchanged', warnings: [], changes: [] }));
    const attempt = () => writeRunReport({ run, report: summary, entries, outcomes: [], warnings: {}, problems: [] });
    const [first, second] = await Promise.all([attempt(), attempt()]);
    expect(second).toBe(first);
    const written = JSON.parse(readFileSync(first, 'utf8')) as { employees: unknown[] };
    expect(written.employees).toHaveLength(20_000);
    expect(readdirSync(path.dirname(first))).toEqual([path.basename(first)]);
    expect(statSync(first).mode & 0o777).toBe(0o600);
    // It says how far it got as it goes (a long report outlives no fixed time-out): every thousand lines, per attempt.
    expect(heartbeats.filter((details) => String(details).startsWith('writing the report'))).toHaveLength(2 * 20);
  });

  it('records the run\'s ownership change even when the report folder cannot be written (the ledger decides leavers)', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'report-ledger-'));
    // A file where the report folder should be: every attempt fails at mkdir (ENOTDIR/EEXIST).
    const reportDirectory = path.join(base, 'reports');
    writeFileSync(reportDirectory, 'not a folder');
    const ownership = ledgerStoreFromEnv({ PEAKON_SYNC_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }, path.join(base, 'store'));
    const { run: writeRunReport } = inActivity(writeRunReportActivity({ reportDirectory, ownership } as ActivityDeps));
    const run = { tenant: 'acme', runId: summary.runId };
    await expect(writeRunReport({ run, report: summary, entries: [], outcomes: [], warnings: {}, problems: [], ownership: { owned: ['peakon-1', 'peakon-2'], deleted: [] } })).rejects.toThrow();
    expect([...(await ownership.read('acme')).owned].sort()).toEqual(['peakon-1', 'peakon-2']);
  });

  it('writes the report file even when the ledger cannot be written, then fails with the ledger\'s error (the attempt is retried)', async () => {
    const reportDirectory = mkdtempSync(path.join(os.tmpdir(), 'report-no-ledger-'));
    const ownership = { location: 'test', read: () => Promise.reject(new Error('unused')), check: () => Promise.reject(new Error('unused')), record: () => Promise.reject(new Error('the store is down')) };
    const { run: writeRunReport } = inActivity(writeRunReportActivity({ reportDirectory, ownership } as unknown as ActivityDeps));
    const run = { tenant: 'acme', runId: summary.runId };
    await expect(writeRunReport({ run, report: summary, entries: [], outcomes: [], warnings: {}, problems: [], ownership: { owned: ['peakon-1'], deleted: [] } })).rejects.toThrow(/the store is down/);
    expect(readdirSync(path.join(reportDirectory, 'acme'))).toEqual([expect.stringMatching(/\.json$/)]);
  });

  it('heartbeats before the ledger is recorded and every 10 s while it waits (a folder ledger waits up to a minute for another writer\'s lock)', async () => {
    const reportDirectory = mkdtempSync(path.join(os.tmpdir(), 'report-slow-ledger-'));
    let seenAtRecord = -1;
    const { run: writeRunReport, heartbeats } = inActivity(
      writeRunReportActivity({
        reportDirectory,
        ownership: {
          location: 'test',
          read: () => Promise.reject(new Error('unused')),
          check: () => Promise.reject(new Error('unused')),
          record: async () => {
            seenAtRecord = heartbeats.length;
            await new Promise((resolve) => setTimeout(resolve, 10_500));
          },
        },
      } as unknown as ActivityDeps),
    );
    await writeRunReport({ run: { tenant: 'acme', runId: summary.runId }, report: summary, entries: [], outcomes: [], warnings: {}, problems: [], ownership: { owned: ['peakon-1'], deleted: [] } });
    expect(seenAtRecord).toBe(1);
    expect(heartbeats.filter((details) => details === 'recording ownership')).toHaveLength(2);
  }, 30_000);
});
