import { WorkflowFailedError } from '@temporalio/client';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { readAllRecords, SourceReadError } from '../../hris/source';
import { mapEmployees } from '../../mapping/map';
import { generateOrg, toCsv } from '../fixtures/org';
import { usePipelineTests } from '../harness/pipeline';
import { configWith } from '../mapping/helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'peakon-missing-column-'));
let fileCount = 0;

/** Reads a CSV export as the plan does and maps it with `mapping` (raw, as in a config file). */
async function readAndMap(csv: string, mapping: Record<string, unknown>) {
  const file = path.join(dir, `export-${fileCount++}.csv`);
  writeFileSync(file, csv);
  const records = await readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file })));
  return () => mapEmployees(records, { ...configWith(mapping), source: CsvSourceConfigSchema.parse({ type: 'csv', path: file }) });
}

function thrown(map: () => unknown): Error {
  try {
    map();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error('expected the mapping to throw');
}

describe('a CSV export without a column the config reads', () => {
  it('is one bad read naming the column, the setting that reads it and the columns the file has — not a problem per row', async () => {
    const rows = Array.from({ length: 3 }, (_unused, index) => `${index + 1},p${index + 1}@example.com,Ada,Byte,Sales`).join('\n');
    const map = await readAndMap(`id,email,first,last,dept\n${rows}\n`, { department: 'department', attributes: { Department: 'department', Team: 'dept' } });
    const error = thrown(map);
    expect(error).toBeInstanceOf(SourceReadError);
    expect(error.message).toMatch(/^csv:\S+export-\d+\.csv has no column "department", read by mapping\.department, mapping\.attributes\.Department\. /);
    expect(error.message).toContain(`The file's columns: "id", "email", "first", "last", "dept".`);
    expect(error.message).toContain('not 3 invalid records');
    // Said by `validate` as well as by a sync: the message must not claim a sync happened.
    expect(error.message).toContain('No record of it is used (a sync writes nothing, validate checks no record)');
    // Once, not per row.
    expect(error.message.match(/"department"/g)).toHaveLength(1);
  });

  it('lists every missing column, required ones and scope rules included, with the column it most likely means', async () => {
    const map = await readAndMap('id,Email,first,last\n1,a@example.com,Ada,Byte\n', {
      attributes: { 'Full name': { template: '{first} {surname}' } },
      scope: { include: [[{ field: 'status', equals: 'Active' }]] },
    });
    const { message } = thrown(map);
    expect(message).toContain('lacks 3 columns the config reads:');
    expect(message).toContain('  - "email", read by mapping.email (did you mean "Email"?)');
    expect(message).toContain('  - "surname", read by mapping.attributes.Full name');
    expect(message).toContain('  - "status", read by mapping.scope.include.0.0');
  });

  it('without a header row, says so and gives only the number of fields of its first line: never an employee value, not even as a "did you mean"', async () => {
    // Without the header, the first employee's row is read as the column names; "Lars" is close enough to "last" to be suggested.
    const map = await readAndMap('1001,lars.nilsen@example.com,Ada,Lars,Sales\n1002,b@example.com,Bo,Berg,Support\n', { department: 'dept' });
    const error = thrown(map);
    expect(error).toBeInstanceOf(SourceReadError);
    expect(error.message).toMatch(/^csv:\S+export-\d+\.csv seems to have no header row: 5 of the 5 columns the config reads are not in its first line/);
    expect(error.message).toContain(`  - "last", read by mapping.familyName`);
    expect(error.message).toContain('Its first line has 5 fields, not listed here since they may be personal data.');
    expect(error.message).toContain('not 1 invalid record');
    expect(error.message).not.toMatch(/did you mean|The file's columns|1001|lars\.nilsen|Ada|Lars|Sales/);
  });

  it('with most of the mapped columns present, still lists the header and suggests, even when more than one is missing', async () => {
    const map = await readAndMap('id,Email,first,last,dept\n1,a@example.com,Ada,Byte,Sales\n', { department: 'department' });
    const { message } = thrown(map);
    expect(message).toContain('lacks 2 columns the config reads:');
    expect(message).toContain('(did you mean "Email"?)');
    expect(message).toContain(`The file's columns: "id", "Email", "first", "last", "dept".`);
    expect(message).not.toContain('no header row');
  });

  it('a first line of one field with most columns missing hints at the delimiter, without quoting the line', async () => {
    const map = await readAndMap('id;email;first;last\n1;a@example.com;Ada;Byte\n', {});
    const { message } = thrown(map);
    expect(message).toContain('Its first line has 1 field (a single field: a wrong source.delimiter?)');
    expect(message).not.toContain('id;email');
  });

  it('passes when every column is there, even if empty in every row', async () => {
    const map = await readAndMap('id,email,first,last,department\n1,a@example.com,Ada,Byte,\n', { department: 'department' });
    expect(map().employees).toHaveLength(1);
  });
});

describe('a sync of a CSV export without a mapped column', () => {
  const pipeline = usePipelineTests();

  it('fails before any write, with the missing-header message', async () => {
    const fixture = await pipeline.fixture();
    // The sample mapping reads `team` (attributes.Team); this export dropped the column.
    const employees = generateOrg(6, 2).map(({ team: _team, ...employee }) => employee);
    writeFileSync(fixture.config.source.type === 'csv' ? fixture.config.source.path : '', toCsv(employees as never));
    const workers = await fixture.startWorkers();
    const failure = await workers.runUntil(
      (async () => {
        const handle = await fixture.startSync();
        return handle.result().then(
          () => undefined,
          (error: unknown) => error,
        );
      })(),
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause?.message).toMatch(/has no column "team", read by mapping\.attributes\.Team\. The file's columns: "employee_id"/);
    expect(fixture.sandbox.ops().filter((op) => op.method !== 'GET')).toEqual([]);
    expect(fixture.sandbox.users()).toEqual([]);
  });
});
