import { formatReport } from '../../client/format-report';
import { readReportLines } from '../../client/report-file';
import { PREVIEW_PAGE } from '../../sync/employee-report';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

/**
 * `sync --dry-run` prints the run's result through formatReport: a whole-tenant dry run's `plan` is a preview of at most
 * PREVIEW_PAGE lines (sync/employee-report.ts planPreview), and the CLI does not read the report file when `plan` is
 * set. A real dry run on the dev server against the sandbox, so the report is shaped as the workflow returns it.
 */
describe('sync --dry-run: a plan longer than its preview', () => {
  const pipeline = usePipelineTests();

  it('says how many of the planned writes the table shows, and where the others are', async () => {
    const fixture = await pipeline.fixture();
    const org = generateOrg(PREVIEW_PAGE + 30, 3);
    const workers = await fixture.startWorkers();
    const [long, short] = await workers.runUntil(
      (async () => {
        fixture.writeEmployees(org);
        const first: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        fixture.writeEmployees(org.slice(0, 5));
        const second: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        return [first, second];
      })(),
    );

    // 130 creates planned, a preview of 100 of them, every line in the report file.
    expect(long.planned).toMatchObject({ create: PREVIEW_PAGE + 30 });
    expect(long.plan).toHaveLength(PREVIEW_PAGE);
    expect(long.reportPath).toBeDefined();
    const file = readReportLines(long.reportPath);
    expect(file && 'lines' in file && file.lines).toHaveLength(PREVIEW_PAGE + 30);
    const printed = formatReport(long).split('\n');
    expect(printed.filter((line) => / create {6}planned /.test(line))).toHaveLength(PREVIEW_PAGE);
    expect(printed).toContain(`(the first ${PREVIEW_PAGE} of ${PREVIEW_PAGE + 30} planned writes; every line is in the report file: ${long.reportPath})`);

    // A plan the preview holds whole says nothing more.
    expect(short.plan).toHaveLength(5);
    const whole = formatReport(short);
    expect(whole.split('\n').filter((line) => / create {6}planned /.test(line))).toHaveLength(5);
    expect(whole).not.toContain('(the first ');
  });
});
