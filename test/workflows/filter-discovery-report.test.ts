import { readFileSync } from 'node:fs';
import type { RunReportFile } from '../../activities/report';
import type { SyncReport } from '../../sync/report';
import { generateOrg } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';

const reportLines = (report: SyncReport) => new Map((JSON.parse(readFileSync(report.reportPath ?? '', 'utf8')) as RunReportFile).employees.map((line) => [line.employeeKey, line]));

describe('the report of a sync with filter discovery', () => {
  const pipeline = usePipelineTests();

  it('lists every attribute a created employee got, as the same record\'s list-mode create line does', async () => {
    const fixture = await pipeline.fixture();
    const employees = generateOrg(6, 2);
    fixture.writeEmployees(employees);
    const workers = await fixture.startWorkers();
    await workers.runUntil(
      (async () => {
        // List discovery on the empty tenant: a create line per employee, listing every attribute it sets.
        const listed: SyncReport = await (await fixture.startSync({ dryRun: true })).result();
        expect(listed.planned).toMatchObject({ create: employees.length });
        const config = { ...fixture.config, sync: { ...fixture.config.sync, discovery: 'filter' as const } };
        const filtered: SyncReport = await (await fixture.startSync({ config })).result();
        expect(filtered.counts).toMatchObject({ created: employees.length, failed: 0 });
        const creates = reportLines(listed);
        const lines = reportLines(filtered);
        expect(lines.size).toBe(employees.length);
        for (const [employeeKey, line] of lines) {
          expect(line).toMatchObject({ action: 'discover', status: 'created' });
          const expected = creates.get(employeeKey)?.changes ?? [];
          expect(expected.length).toBeGreaterThan(0);
          expect({ employeeKey, changes: line.changes }).toEqual({ employeeKey, changes: expected });
        }
      })(),
    );
  });
});
