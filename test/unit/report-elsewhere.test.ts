import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reportElsewhereNote } from '../../client/format-report';
import { readReportLines } from '../../client/report-file';

/**
 * `sync --wait` reads the per-employee lines from the run's report file; with workers on several hosts that file is on
 * the worker that ran the report step. The CLI then says so instead of printing only a path that does not exist here.
 */
describe('sync --wait when the report file is on another host', () => {
  it('says the file is not on this host, and says nothing when it is here or there is none', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'peakon-sync-report-'));
    const missing = path.join(folder, 'on-another-worker.json');
    expect(reportElsewhereNote({ reportPath: missing }, readReportLines(missing))).toBe('(the report file is not on this host: the worker that wrote it has it, in its PEAKON_SYNC_REPORT_DIR; its per-employee lines are not shown here)');
    const here = path.join(folder, 'here.json');
    writeFileSync(here, JSON.stringify({ summary: {}, employees: [] }));
    expect(reportElsewhereNote({ reportPath: here }, readReportLines(here))).toBe('');
    expect(reportElsewhereNote({}, undefined)).toBe('');
  });
});
