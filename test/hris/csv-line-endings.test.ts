import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource, type CsvReadLimits } from '../../hris/csv';
import { readAllRecords, type HrisRecord } from '../../hris/source';
import type { RecordProblem } from '../../mapping/employee';

/**
 * An export whose header was written on Windows (CRLF) and whose rows were appended on Linux (LF), or the reverse.
 * csv-parse, left to guess, takes the header's line ending for the whole file: every employee then read as one row
 * (a column-count problem naming nobody, so the leaver guard held every Peakon user as a leaver), and the reverse
 * failed the read at the first quoted last value (CSV_INVALID_CLOSING_QUOTE). Every line is its own record now,
 * whatever its ending. Real files in a temporary folder (inside the worker's data directories,
 * test/harness/global-setup.ts), read through the real CSV source.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'peakon-csv-line-endings-'));
let fileCount = 0;

function csvFile(content: string | Buffer): string {
  const file = path.join(dir, `export-${fileCount++}.csv`);
  writeFileSync(file, content);
  return file;
}

async function read(file: string, options: Record<string, unknown> = {}, limits: CsvReadLimits = {}): Promise<{ records: HrisRecord[]; problems: RecordProblem[] }> {
  const problems: RecordProblem[] = [];
  const records = await readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file, ...options }), process.env, limits), { onProblem: (problem) => problems.push(problem) });
  return { records, problems };
}

const people = (count: number) => Array.from({ length: count }, (_unused, index) => ({ id: `E${index + 1}`, email: `e${index + 1}@example.com`, name: `Person ${index + 1}` }));
const line = (person: { id: string; email: string; name: string }, quoted: boolean) => `${person.id},${person.email},${quoted ? `"${person.name}"` : person.name}`;

describe('CSV source: line endings', () => {
  it.each([
    ['utf8', 'utf8'],
    ['latin1', 'latin1'],
    ['windows1252', 'latin1'],
  ] as const)('reads a CRLF header with LF rows as one record per row (%s)', async (encoding, bytes) => {
    const expected = people(100);
    const file = csvFile(Buffer.from(`id,email,name\r\n${expected.map((person) => `${line(person, false)}\n`).join('')}`, bytes));
    const { records, problems } = await read(file, { encoding });
    expect(problems).toEqual([]);
    expect(records).toEqual(expected);
  });

  it.each([
    ['utf8', 'utf8'],
    ['latin1', 'latin1'],
  ] as const)('reads an LF header with CRLF rows and quoted last values as one record per row (%s)', async (encoding, bytes) => {
    const expected = people(100);
    const file = csvFile(Buffer.from(`id,email,name\n${expected.map((person) => `${line(person, true)}\r\n`).join('')}`, bytes));
    const { records, problems } = await read(file, { encoding });
    expect(problems).toEqual([]);
    expect(records).toEqual(expected);
  });

  it('reads a UTF-16LE export with a CRLF header and LF rows', async () => {
    const expected = people(3);
    const text = `\uFEFFid,email,name\r\n${expected.map((person) => `${line(person, true)}\n`).join('')}`;
    const { records, problems } = await read(csvFile(Buffer.from(text, 'utf16le')), { encoding: 'utf16le' });
    expect(problems).toEqual([]);
    expect(records).toEqual(expected);
  });

  it('reads endings mixed row by row across the read buffers of a large file, with no CR left on a last value', async () => {
    // Over 64 KB (a read stream's buffer), so some CRLF is split between two buffers.
    const expected = people(20_000);
    const rows = expected.map((person, index) => `${line(person, index % 3 === 0)}${['\r\n', '\n', '\r\n', '\r\n', '\n'][index % 5]}`).join('');
    const { records, problems } = await read(csvFile(`id,email,name\r\n${rows}`));
    expect(problems).toEqual([]);
    expect(records).toHaveLength(20_000);
    expect(records).toEqual(expected);
  });

  it('keeps a quoted CRLF, LF or lone CR inside its value, and still reads an export with CR line endings', async () => {
    const { records, problems } = await read(csvFile('id,note\r\n1,"one\r\ntwo"\n2,"three\rfour"\r\n3,"five\nsix"\n'));
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { id: '1', note: 'one\r\ntwo' },
      { id: '2', note: 'three\rfour' },
      { id: '3', note: 'five\nsix' },
    ]);
    // Classic Mac OS line endings (CR alone), which csv-parse found by itself before.
    expect((await read(csvFile('id,note\r1,a\r2,"b"\r'))).records).toEqual([
      { id: '1', note: 'a' },
      { id: '2', note: 'b' },
    ]);
  });

  it('still names a row with a stray delimiter by its own row number, the rows around it read', async () => {
    const { records, problems } = await read(csvFile('id,email,name\r\nE1,e1@example.com,Ada\nE2,e2@example.com,Bob,extra\nE3,e3@example.com,Cy\r\n'));
    expect(records.filter((record) => record['id'] !== null).map((record) => record['id'])).toEqual(['E1', 'E3']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ recordRef: 'row 3', message: expect.stringMatching(/^line 3 of the file has 4 field\(s\) where the header has 3 column\(s\)/) });
  });
});

describe('CSV source: the file line a problem names, after values spanning lines', () => {
  // Lines: 1 header; 2-3 row 2; 4 row 3; 5 row 4 (one field too many); 6-7 row 5 (too many, a CRLF in its own value);
  // 8-9 row 6 (an LF in quotes); 10 row 7 (too many).
  const content = 'id,note\r\n1,"x\r\ny"\r\n2,z\r\n3,w,extra\r\n4,"p\r\nq",extra\r\n5,"a\nb"\r\n6,v,extra\n7,u\r\n';

  it.each([
    ['utf8', 'utf8'],
    ['windows1252', 'latin1'],
    ['utf16le', 'utf16le'],
  ] as const)('names the line a row ends on, a quoted CRLF before it counted as one line break (%s)', async (encoding, bytes) => {
    const { records, problems } = await read(csvFile(Buffer.from(content, bytes)), { encoding });
    expect(records.filter((record) => record['id'] !== null).map((record) => record['id'])).toEqual(['1', '2', '5', '7']);
    expect(problems.map((problem) => [problem.recordRef, problem.message.split(' of the file')[0]])).toEqual([
      ['row 4', 'line 5'],
      ['row 5', 'line 7'],
      ['row 7', 'line 10'],
    ]);
  });

  it('names the line of a parse error after a quoted CRLF', async () => {
    await expect(read(csvFile('id,note\r\n1,"x\r\ny"\r\n2,z\r\n3,"w"q\r\n'))).rejects.toThrow(/CSV_INVALID_CLOSING_QUOTE: .* at line 5 /);
  });

  // csv-parse's count at a parse error counts the CR and the LF of every CRLF inside the failing row's quotes as two
  // lines (on_record corrects only completed rows): the error names the line that row starts on.
  it('names the line a quote never closed opens on, not a line past the end of the file (10 and 1,000 rows after it)', async () => {
    for (const after of [10, 1_000]) {
      const rows = people(after).map((person) => `${line(person, false)}\r\n`).join('');
      // Line 1 the header, line 2 the quote that is never closed, then `after` lines: 2 + after lines in all.
      const file = csvFile(`id,email,name\r\n1,"open,x\r\n${rows}`);
      await expect(read(file)).rejects.toThrow(/: CSV_QUOTE_NOT_CLOSED: Quote Not Closed in the row starting at line 2 \(/);
    }
  });

  it('names the start line of a row whose quoted CRLF comes before the error, after empty lines and earlier quoted CRLFs', async () => {
    // Line 1 the header; the row of the error on lines 2-3 (csv-parse's count: 4).
    await expect(read(csvFile('id,address,name\r\n1,"12 Main St\r\nApt 4",Robert "Bob"\r\n2,x,y\r\n'))).rejects.toThrow(
      /: INVALID_OPENING_QUOTE: Invalid Opening Quote in the row starting at line 2 \(/,
    );
    // Lines 2-3 a row with a quoted CRLF, 4 and 5 empty, the row of the error on lines 6-8 (csv-parse's count: 8-11).
    await expect(read(csvFile('id,address,name\r\n1,"a\r\nb",c\r\n\r\n\r\n2,"d\r\ne\r\nf",Robert "Bob"\r\n'))).rejects.toThrow(
      /: INVALID_OPENING_QUOTE: Invalid Opening Quote in the row starting at line 6 \(/,
    );
    // A header on lines 1-2 (a quoted CRLF in a column name), the row of the error on lines 3-4.
    await expect(read(csvFile('id,"add\r\nress",name\r\n1,"12 Main St\r\nApt 4",Robert "Bob"\r\n'))).rejects.toThrow(
      /: INVALID_OPENING_QUOTE: Invalid Opening Quote in the row starting at line 3 \(/,
    );
    // A quote never closed in the header row itself, in a legacy encoding.
    await expect(read(csvFile(Buffer.from('id,"name\r\n1,x\r\n2,y\r\n', 'latin1')), { encoding: 'windows1252' })).rejects.toThrow(
      /: CSV_QUOTE_NOT_CLOSED: Quote Not Closed in the row starting at line 1 \(/,
    );
    // A row on one line after quoted CRLFs and an empty line: the line of the error itself, as before.
    await expect(read(csvFile('id,address,name\r\n1,"a\r\nb",c\r\n\r\n2,d,Robert "Bob"\r\n'))).rejects.toThrow(/: INVALID_OPENING_QUOTE: Invalid Opening Quote at line 5 \(/);
  });

  it('names the start line of a row past the record limit, a quote never closed in it', async () => {
    // Lines 1 the header, 2-3 a row with a quoted CRLF, 4 an ordinary row, 5 the quote never closed, then 2,000 rows
    // of about 35 bytes: the limit of 10,000 bytes passed some 285 lines on, where csv-parse counts twice as many.
    const rows = people(2_000).map((person) => `${line(person, false)}\r\n`).join('');
    const file = csvFile(`id,email,name\r\nE0,"e0@example.com\r\n",Zero\r\nE00,e00@example.com,Zed\r\n1,"open,x\r\n${rows}`);
    await expect(read(file, {}, { maxRecordBytes: 10_000 })).rejects.toThrow(/: CSV_MAX_RECORD_SIZE: a row longer than 10000 bytes starting at line 5, /);
  });
});
