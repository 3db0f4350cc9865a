import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { readAllRecords, SourceReadError, type HrisRecord } from '../../hris/source';
import type { RecordProblem } from '../../mapping/employee';
import { mapEmployees } from '../../mapping/map';
import { configWith } from '../mapping/helpers';

// Some HR and ERP exports end every line in a delimiter, the header row too: `id,email,first,last,`. The header's empty
// last name is that delimiter's, not a file without a header row (hris/csv.ts checkHeader).

const dir = mkdtempSync(path.join(tmpdir(), 'peakon-csv-trailing-'));
let fileCount = 0;

function csvFile(content: string | Buffer): string {
  const file = path.join(dir, `export-${fileCount++}.csv`);
  writeFileSync(file, content);
  return file;
}

async function readCollecting(file: string, options: Record<string, unknown> = {}): Promise<{ records: HrisRecord[]; problems: RecordProblem[] }> {
  const problems: RecordProblem[] = [];
  const records = await readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file, ...options })), { onProblem: (problem) => problems.push(problem) });
  return { records, problems };
}

/** The records holding someone: a row left out, or a blank line, is a stand-in of nulls. */
const withData = (records: HrisRecord[]) => records.filter((record) => Object.values(record).some((value) => value !== null));

/** The mapping as a sync runs it on this file (the CSV column check included). */
function map(file: string, records: HrisRecord[], problems: RecordProblem[]) {
  return mapEmployees(records, { ...configWith(), source: CsvSourceConfigSchema.parse({ type: 'csv', path: file }) }, problems);
}

describe('CSV source: every line ends in a delimiter, the header row too', () => {
  it.each(['utf8', 'latin1'])('reads the rows (%s), without the unnamed last column, with no problem', async (encoding) => {
    const file = csvFile(Buffer.from('id,email,first,last,\r\n1,a@example.com,Zoë,L,\r\n2,b@example.com,Ren,B,\r\n', encoding === 'utf8' ? 'utf8' : 'latin1'));
    const { records, problems } = await readCollecting(file, { encoding });
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { id: '1', email: 'a@example.com', first: 'Zoë', last: 'L' },
      { id: '2', email: 'b@example.com', first: 'Ren', last: 'B' },
    ]);
    const report = map(file, records, problems);
    expect(report.problems).toEqual([]);
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 2', 'row 3']);
  });

  it('reads a blank last field of spaces or in quotes as the others', async () => {
    const file = csvFile('id,email,first,last,\n1,a@example.com,Ada,L,\n3,c@example.com,Cy,C, \n4,d@example.com,Di,D,""\n');
    const { records, problems } = await readCollecting(file);
    expect(problems).toEqual([]);
    expect(records.map((record) => record['id'])).toEqual(['1', '3', '4']);
    expect(records.every((record) => Object.keys(record).length === 4)).toBe(true);
  });

  it('leaves out a row that does not end in a delimiter as the header does (a delimiter lost inside it: its values would sit one column off)', async () => {
    // Row 3 lost the delimiter between first and last name: read as it stands, "Navy" would be the last name and the
    // department empty (cleared in Peakon).
    const file = csvFile('id,email,first,last,department,\n1,a@example.com,Ada,L,Sales,\n7,g@example.com,Grace Hopper,Navy,\n8,h@example.com,Hal,H,Ops,\n');
    const { records, problems } = await readCollecting(file);
    expect(problems).toEqual([
      { recordRef: 'row 3', field: 'record', message: 'line 3 of the file does not end in a delimiter as the header row does (5 named columns and an unnamed last one): a delimiter or quote lost inside it would put its values one column off; the row is left out' },
    ]);
    expect(withData(records).map((record) => record['id'])).toEqual(['1', '8']);
  });

  it('leaves out a row with a value in the unnamed last column as a problem naming its row and that column, never the value; the rows after keep their numbers', async () => {
    const file = csvFile('id,email,first,last,\n1,a@example.com,Ada,L,\n\n2,b@example.com,Ren,B,SECRET-EXTRA\n3,not-an-email,Cy,C,\n4,d@example.com,Di,D,\n');
    const { records, problems } = await readCollecting(file);
    expect(problems).toEqual([
      {
        recordRef: 'row 4',
        field: 'column 5',
        message: expect.stringMatching(/^line 4 of the file has a value in column 5, which the header row leaves unnamed .*; the row is left out rather than that value lost$/),
      },
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/SECRET|b@example/);
    expect(withData(records).map((record) => record['id'])).toEqual(['1', '3', '4']);
    // The mapping names the rows as the spreadsheet does: the header is row 1, the blank line row 3.
    const report = map(file, records, problems);
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 2', 'row 6']);
    expect(report.problems.map((problem) => [problem.recordRef, problem.field])).toEqual([
      ['row 4', 'column 5'],
      ['row 5', 'email'],
    ]);
  });

  it('fails the read, naming the row and not the value, when the caller takes no problems', async () => {
    const reading = readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: csvFile('id,email,\n1,a@example.com,\n2,b@example.com,SECRET\n') })));
    await expect(reading).rejects.toThrow(SourceReadError);
    await expect(reading).rejects.toThrow(/row 3: line 3 of the file has a value in column 3/);
    await expect(reading).rejects.not.toThrow(/SECRET/);
  });

  it('still leaves out a row with one more field than that, counting the unnamed column in its message', async () => {
    const { records, problems } = await readCollecting(csvFile('id,email,\n1,a@example.com,\n2,b@example.com,x,\n3,c@example.com,\n'));
    expect(withData(records).map((record) => record['id'])).toEqual(['1', '3']);
    expect(problems).toEqual([{ recordRef: 'row 3', field: 'record', message: expect.stringContaining('line 3 of the file has 4 field(s) where the header has 2 column(s) (3 with its unnamed last one)') }]);
  });

  it('still refuses two empty last names, and an empty name before the last', async () => {
    await expect(readCollecting(csvFile('id,email,,\n1,a@example.com,,\n'))).rejects.toThrow('column 3 of the first line is empty, where the header row names every column (a file without a header row?)');
    await expect(readCollecting(csvFile('id,,email,\n1,x,a@example.com,\n'))).rejects.toThrow('column 2 of the first line is empty, where the header row names every column (a file without a header row?)');
    await expect(readCollecting(csvFile(' \n1\n'))).rejects.toThrow('column 1 of the first line is empty');
  });

  it('still says that a file without a header row whose first record ends in an empty field has none, quoting no value', async () => {
    const file = csvFile('E1,Adalind,ada@example.com,\nE2,Ren,ren@example.com,\n');
    const { records, problems } = await readCollecting(file);
    const mapping = (): unknown => map(file, records, problems);
    expect(mapping).toThrow(SourceReadError);
    expect(mapping).toThrow(/seems to have no header row/);
    expect(mapping).not.toThrow(/Adalind|ada@example/);
  });
});
