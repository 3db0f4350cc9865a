import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { SourceReadError, readAllRecords, type HrisRecord } from '../../hris/source';
import { mapEmployees } from '../../mapping/map';
import { formatMappingReport } from '../../mapping/summary';
import { configWith } from '../mapping/helpers';
import type { RecordProblem } from '../../mapping/employee';

const dir = mkdtempSync(path.join(tmpdir(), 'peakon-csv-'));
let fileCount = 0;

function csvFile(content: string | Buffer): string {
  const file = path.join(dir, `export-${fileCount++}.csv`);
  writeFileSync(file, content);
  return file;
}

function read(file: string, options: Record<string, unknown> = {}): Promise<HrisRecord[]> {
  return readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file, ...options })));
}

describe('CSV source', () => {
  it('strips a UTF-8 byte-order mark so the first column keeps its name', async () => {
    const records = await read(csvFile('\uFEFFemployee_id,first_name\n1,Søren\n'));
    expect(records).toEqual([{ employee_id: '1', first_name: 'Søren' }]);
  });

  it('reads quoted fields containing commas, quotes and newlines', async () => {
    const records = await read(csvFile('id,reason\n1,"Relocation, family"\n2,"line one\nline two"\n3,"said ""bye"""\n'));
    expect(records.map((record) => record['reason'])).toEqual(['Relocation, family', 'line one\nline two', 'said "bye"']);
  });

  it('reads another delimiter', async () => {
    expect(await read(csvFile('id;name\n1;José\n'), { delimiter: ';' })).toEqual([{ id: '1', name: 'José' }]);
  });

  it('decodes a latin1 export', async () => {
    const records = await read(csvFile(Buffer.from('id,name\n1,Zoë Ærø\n', 'latin1')), { encoding: 'latin1' });
    expect(records).toEqual([{ id: '1', name: 'Zoë Ærø' }]);
  });

  it('decodes a Windows-1252 export: smart quotes, euro and dashes, not C1 control characters', async () => {
    // O’Brien, “Bob”, 5 € – Zoë as Windows writes them: 0x92, 0x93/0x94, 0x80, 0x96 and a Latin-1 0xEB.
    const bytes = Buffer.from([
      ...Buffer.from('id,name,note\r\n1,O'), 0x92, ...Buffer.from('Brien,'), 0x93, ...Buffer.from('Bob'), 0x94, ...Buffer.from(' 5 '), 0x80,
      ...Buffer.from(' '), 0x96, ...Buffer.from(' Zo'), 0xeb, ...Buffer.from('\r\n'),
    ]);
    expect(await read(csvFile(bytes), { encoding: 'windows1252' })).toEqual([{ id: '1', name: 'O\u2019Brien', note: '\u201cBob\u201d 5 \u20ac \u2013 Zo\u00eb' }]);
    // The same file read as latin1 holds the C1 controls the mapping rejects.
    expect((await read(csvFile(bytes), { encoding: 'latin1' }))[0]?.['name']).toBe('O\u0092Brien');
  });

  it('decodes Windows-1252 across read buffers of a large file, and refuses a NUL byte in it', async () => {
    const rows = Array.from({ length: 20_000 }, (_unused, index) => Buffer.from([...Buffer.from(`${index},Ren`), 0xe9, 0x92, 0x0a]));
    const records = await read(csvFile(Buffer.concat([Buffer.from('id,name\n'), ...rows])), { encoding: 'windows1252' });
    expect(records).toHaveLength(20_000);
    expect(records.every((record) => record['name'] === 'Ren\u00e9\u2019')).toBe(true);
    await expect(read(csvFile(Buffer.from('id,name\n1,a\u0000\n', 'latin1')), { encoding: 'windows1252' })).rejects.toThrow('NUL byte at byte offset 11');
  });

  it('decodes a UTF-16LE export with its byte-order mark', async () => {
    const records = await read(csvFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,name\r\n1,Zoë\r\n', 'utf16le')])), { encoding: 'utf16le' });
    expect(records).toEqual([{ id: '1', name: 'Zoë' }]);
  });

  it('yields pages of pageSize records in file order', async () => {
    const rows = Array.from({ length: 5 }, (_unused, index) => `${index + 1},n${index + 1}`).join('\n');
    const pages: HrisRecord[][] = [];
    for await (const page of createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: csvFile(`id,name\n${rows}\n`), pageSize: 2 })).readPages()) pages.push(page);
    expect(pages.map((page) => page.map((record) => record['id']))).toEqual([['1', '2'], ['3', '4'], ['5']]);
  });

  it('fails with a SourceReadError when the export has a header but no rows', async () => {
    await expect(read(csvFile('id,name\n'))).rejects.toThrow(SourceReadError);
  });

  it('fails with a SourceReadError naming the line when a row has the wrong number of columns', async () => {
    // Without a problem listener (see the rows-left-out tests below), a row left out fails the read once it ends.
    await expect(read(csvFile('id,name\n1,a\n2,b,extra\n'))).rejects.toThrow(/csv:.*could not be read: row 3: line 3 .*column/i);
  });

  it('fails with a SourceReadError when the file does not exist', async () => {
    const reading = read(path.join(dir, 'missing.csv'));
    await expect(reading).rejects.toBeInstanceOf(SourceReadError);
    await expect(reading).rejects.toThrow(/ENOENT/);
  });

  it('fails when a column name appears twice in the header, naming the columns by position', async () => {
    await expect(read(csvFile('id,name,name\n1,a,b\n'))).rejects.toThrow('columns 2 and 3 of the first line have the same name, where the header row names each column once (a file without a header row?)');
  });

  it('fails a file without a header row whose first record holds two equal values, naming the columns by position', async () => {
    const reading = read(csvFile('E1,"Ada Lovelace",ada@example.com,Sales,"Sales"\nE2,"Ren B",ren@example.com,Ops,Ops\n'));
    await expect(reading).rejects.toThrow(/columns 4 and 5 of the first line have the same name.*\(a file without a header row\?\)/);
    await expect(reading).rejects.not.toThrow(/Sales|Ada Lovelace|ada@example/);
  });

  it('fails a file without a header row whose first record has an empty field, naming the column by position', async () => {
    const reading = read(csvFile('E1,Adalind,,ada@example.com\nE2,Ren,B,ren@example.com\n'));
    await expect(reading).rejects.toThrow('column 3 of the first line is empty, where the header row names every column (a file without a header row?)');
    await expect(reading).rejects.not.toThrow(/Adalind|ada@example/);
  });
});

describe('CSV source: text that is not valid in its encoding', () => {
  const latin1E = Buffer.from([0xe9]); // "é" in Latin-1; never valid on its own in UTF-8

  it('turns a field that is not valid UTF-8 into a problem of that row and field, and keeps the other rows', async () => {
    const file = csvFile(Buffer.concat([Buffer.from('id,email,first,last\n1,a@example.com,Ada,L\n2,b@example.com,Ren'), latin1E, Buffer.from(',B\n3,c@example.com,Cy,C\n')]));
    const records = await read(file);
    expect(records[1]?.['first']).toEqual({ $undecodable: { encoding: 'utf-8', byteIndex: 3, byte: 0xe9, bytes: 4 } });
    const report = mapEmployees(records, configWith());
    expect(report.employees.map((employee) => employee.recordRef)).toEqual(['row 2', 'row 4']);
    expect(report.problems).toEqual([
      {
        recordRef: 'row 3',
        employeeKey: 'b@example.com',
        sourceId: '2',
        field: 'givenName',
        message: expect.stringMatching(/^"first" is not valid utf-8: byte 0xE9 at byte 3 of the 4-byte value .*source\.encoding: windows1252 for a Windows or Excel export/),
      },
    ]);
    expect(JSON.stringify(report)).not.toContain('\uFFFD');
  });

  it('ignores undecodable bytes in a column the mapping does not read: they reach nobody', async () => {
    const records = await read(csvFile(Buffer.concat([Buffer.from('id,email,first,last,notes\n1,a@example.com,Ada,L,caf'), latin1E, Buffer.from('\n')])));
    expect(mapEmployees(records, configWith()).problems).toEqual([]);
  });

  it('rejects a record whose scope field is not valid UTF-8 instead of silently excluding it', async () => {
    const records = await read(csvFile(Buffer.concat([Buffer.from('id,email,first,last,status\n1,a@example.com,Ada,L,Activ'), latin1E, Buffer.from('\n')])));
    const report = mapEmployees(records, configWith({ scope: { include: [[{ field: 'status', equals: 'Active' }]] } }));
    expect(report.excluded).toBe(0);
    expect(report.problems).toEqual([expect.objectContaining({ recordRef: 'row 2', field: 'status', message: expect.stringContaining('scope rules') })]);
  });

  it('rejects a U+FFFD that was already in the export: the value was damaged before it reached us', async () => {
    const report = mapEmployees(await read(csvFile('id,email,first,last\n1,a@example.com,Ren\uFFFD,L\n')), configWith());
    expect(report.problems).toEqual([expect.objectContaining({ recordRef: 'row 2', field: 'givenName', message: expect.stringContaining('U+FFFD') })]);
  });

  it('decodes multi-byte characters that straddle the read buffers of a large file', async () => {
    const rows = Array.from({ length: 5_000 }, (_unused, index) => `${index},Søren Kjær 😀 ${index}`).join('\n');
    const records = await read(csvFile(`id,name\n${rows}\n`));
    expect(records).toHaveLength(5_000);
    expect(records.every((record, index) => record['name'] === `Søren Kjær 😀 ${index}`)).toBe(true);
  });

  it('fails the read when a header name is not valid UTF-8', async () => {
    await expect(read(csvFile(Buffer.concat([Buffer.from('id,n'), latin1E, Buffer.from('me\n1,a\n')])))).rejects.toThrow(/header row is not valid UTF-8: column 2/);
  });

  it('fails the read of a binary file with a NUL byte, naming its byte offset', async () => {
    // The first bytes of a PNG image.
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]);
    const reading = read(csvFile(png));
    await expect(reading).rejects.toBeInstanceOf(SourceReadError);
    await expect(reading).rejects.toThrow(/cannot be read: not a text file: a NUL byte at byte offset 8;/);
  });

  it("fails the read of a file it cannot parse naming the line, never the values csv-parse's error quotes", async () => {
    // A `;` export read with the default `,`: the quoted field holding a comma is where csv-parse gives up.
    const file = csvFile('id;email;note\n1;ada.secret@example.com;"Relocation, family"\n2;b@example.com;"x"y\n');
    const reading = read(file, { delimiter: ',' });
    await expect(reading).rejects.toBeInstanceOf(SourceReadError);
    const message = await reading.then(() => '', (error: Error) => error.message);
    expect(message).toMatch(/cannot be read: INVALID_OPENING_QUOTE: Invalid Opening Quote at line 2 \(a wrong source\.delimiter/);
    expect(message).not.toMatch(/ada\.secret|Relocation|Buffer|data/);
  });

  it('finds a NUL byte deep in the file, past the first read buffer', async () => {
    const head = Buffer.from(`id,name\n${'1,a\n'.repeat(20_000)}`);
    await expect(read(csvFile(Buffer.concat([head, Buffer.from([0x00]), Buffer.from('\n')])))).rejects.toThrow(`a NUL byte at byte offset ${head.length}`);
  });

  it('fails the read of a file that is mostly invalid UTF-8 and control characters, naming the first bad byte', async () => {
    const noise = Buffer.alloc(4096, 0);
    for (let index = 0; index < noise.length; index += 1) noise[index] = 0x80 + ((index * 37) % 0x7f) || 0x81;
    const file = csvFile(Buffer.concat([Buffer.from('id,name\n'), noise]));
    await expect(read(file)).rejects.toThrow(/not a text file: byte offset 8 \(0x80\) begins \d+% of control characters or invalid UTF-8/);
  });

  it('explains a UTF-16 file read as UTF-8', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,name\r\n1,Zoë\r\n', 'utf16le')]);
    await expect(read(csvFile(utf16))).rejects.toThrow(/NUL byte at byte offset 3; it starts with a UTF-16 byte-order mark: set source.encoding to utf16le/);
  });

  it('says a UTF-16BE file (FE FF) is not supported, rather than to read it as utf16le', async () => {
    const utf16be = Buffer.from('\ufeffid,name\r\n1,Zoë\r\n', 'utf16le').swap16();
    expect([...utf16be.subarray(0, 2)]).toEqual([0xfe, 0xff]);
    const error = await read(csvFile(utf16be)).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SourceReadError);
    const message = (error as Error).message;
    expect(message).toContain('it starts with a UTF-16BE byte-order mark, and UTF-16BE is not supported: export the file again as UTF-8 (or UTF-16LE, with source.encoding utf16le)');
    expect(message).not.toContain('set source.encoding to utf16le');
    // Read as utf16le, as an earlier hint advised: the same refusal, not a garbled header.
    await expect(read(csvFile(utf16be), { encoding: 'utf16le' })).rejects.toThrow('it starts with a UTF-16BE byte-order mark, and UTF-16BE is not supported: export the file again as UTF-8 (or UTF-16LE, with source.encoding utf16le), though source.encoding is utf16le');
  });

  it('still reads Latin-1 and refuses a NUL byte in it', async () => {
    expect(await read(csvFile(Buffer.concat([Buffer.from('id,name\n1,Ren'), latin1E, Buffer.from('\n')])), { encoding: 'latin1' })).toEqual([{ id: '1', name: 'René' }]);
    await expect(read(csvFile(Buffer.from('id,name\n1,a\u0000\n', 'latin1')), { encoding: 'latin1' })).rejects.toThrow('NUL byte at byte offset 11');
  });
});

describe('CSV source: a UTF-8 export read as Windows-1252 or Latin-1', () => {
  const LOOKS_LIKE_UTF8 = /cannot be read: the file looks like UTF-8 \(every byte beyond ASCII in it is part of a valid UTF-8 character\), but source\.encoding is (windows1252|latin1), .*: set source\.encoding to utf8$/;

  it.each(['windows1252', 'latin1'])('fails the read under %s instead of syncing ZoÃ« and MÃ¼ller, naming the encoding and never a value', async (encoding) => {
    const file = csvFile(Buffer.from('id,name,city\n1,Zoë Ærø,Malmö\n2,Jürgen Müller,Köln\n', 'utf8'));
    const error: unknown = await read(file, { encoding }).then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(SourceReadError);
    const { message } = error as SourceReadError;
    expect(message).toMatch(LOOKS_LIKE_UTF8);
    expect(message).toContain(`source.encoding is ${encoding}`);
    expect(message).not.toMatch(/Zo|Ærø|Malm|Jürgen|Müller|Köln|Ã¼|Ã«/);
  });

  it.each(['windows1252', 'latin1'])('fails the read under %s of a file that starts with a UTF-8 byte-order mark, even when the rest is ASCII', async (encoding) => {
    const file = csvFile(Buffer.from('\uFEFFid,name\n1,Ada\n', 'utf8'));
    await expect(read(file, { encoding })).rejects.toThrow(
      new RegExp(`cannot be read: the file looks like UTF-8 \\(it starts with a UTF-8 byte-order mark\\), but source\\.encoding is ${encoding}, .*: set source\\.encoding to utf8$`),
    );
  });

  it('looks at the whole file: a UTF-8 character far past the first read buffer, and one straddling two read buffers, fail the read', async () => {
    const head = Buffer.from(`id,name\n${'1,a\n'.repeat(50_000)}`);
    await expect(read(csvFile(Buffer.concat([head, Buffer.from('2,Zoë\n', 'utf8')])), { encoding: 'windows1252' })).rejects.toThrow(LOOKS_LIKE_UTF8);
    // 'ë' is 0xC3 0xAB: put its first byte last in the first 64 KB read buffer, its second byte first in the next one.
    const prefix = Buffer.from(`id,name\n1,${'a'.repeat(64 * 1024 - 'id,name\n1,'.length - 1)}`);
    const straddling = Buffer.concat([prefix, Buffer.from('ë\n2,b\n', 'utf8')]);
    expect(straddling[64 * 1024 - 1]).toBe(0xc3);
    await expect(read(csvFile(straddling), { encoding: 'latin1' })).rejects.toThrow(LOOKS_LIKE_UTF8);
  });

  it('still reads a genuine Windows-1252 or Latin-1 file, a pure ASCII one, and one whose only byte beyond ASCII is past the first read buffer', async () => {
    expect(await read(csvFile('id,name\n1,Ada\n'), { encoding: 'windows1252' })).toEqual([{ id: '1', name: 'Ada' }]);
    expect(await read(csvFile(Buffer.from('id,name\n1,Zoë Müller\n', 'latin1')), { encoding: 'windows1252' })).toEqual([{ id: '1', name: 'Zoë Müller' }]);
    const late = Buffer.concat([Buffer.from(`id,name\n${'1,a\n'.repeat(50_000)}2,Ren`), Buffer.from([0xe9]), Buffer.from('\n')]);
    const records = await read(csvFile(late), { encoding: 'latin1' });
    expect(records.at(-1)).toEqual({ id: '2', name: 'René' });
    // A file ending in the first byte of a UTF-8 sequence is not UTF-8 either.
    expect(await read(csvFile(Buffer.concat([Buffer.from('id,name\n1,Zoë\n2,A', 'utf8'), Buffer.from([0xc3])])), { encoding: 'windows1252' })).toEqual([
      { id: '1', name: 'Zo\u00c3\u00ab' },
      { id: '2', name: 'A\u00c3' },
    ]);
  });
});

describe('CSV source: a row with the wrong number of fields', () => {
  const readCollecting = async (file: string) => {
    const problems: RecordProblem[] = [];
    const records = await readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file })), { onProblem: (problem) => problems.push(problem) });
    return { records, problems };
  };
  const withData = (records: HrisRecord[]) => records.filter((record) => Object.values(record).some((value) => value !== null));

  it('leaves out only a row with an extra field, naming its row and line and none of its values', async () => {
    const { records, problems } = await readCollecting(csvFile('id,email\n1,a@example.com\n2,b@example.com,SECRET-EXTRA\n3,c@example.com\n'));
    expect(withData(records)).toEqual([
      { id: '1', email: 'a@example.com' },
      { id: '3', email: 'c@example.com' },
    ]);
    expect(problems).toEqual([{ recordRef: 'row 3', field: 'record', message: expect.stringContaining('line 3 of the file has 3 field(s) where the header has 2') }]);
    expect(JSON.stringify(problems)).not.toMatch(/SECRET|b@example/);
  });

  it('leaves out only a row with a missing field, naming the column without a value', async () => {
    const { records, problems } = await readCollecting(csvFile('id,email,team\n1,a@example.com,x\n2,b@example.com\n3,c@example.com,y\n'));
    expect(withData(records).map((record) => record['id'])).toEqual(['1', '3']);
    expect(problems).toEqual([{ recordRef: 'row 3', field: 'team', message: expect.stringContaining('line 3 of the file has 2 field(s)') }]);
    expect(JSON.stringify(problems)).not.toContain('b@example');
  });

  it('keeps the rows after it at their own row numbers in the mapping', async () => {
    const { records } = await readCollecting(csvFile('id,email,first,last\n1,a@example.com,A,L\n2,b,extra\n3,not-an-email,C,L\n'));
    const report = mapEmployees(records, configWith());
    expect(report.employees).toHaveLength(1);
    expect(report.problems.map((problem) => problem.recordRef)).toEqual(['row 4']);
  });

  it('fails the read, naming the row and not its values, when the caller takes no problems', async () => {
    const reading = read(csvFile('id,email\n1,a@example.com\n2,b@example.com,SECRET-EXTRA\n'));
    await expect(reading).rejects.toThrow(SourceReadError);
    await expect(reading).rejects.toThrow(/row 3: line 3/);
    await expect(reading).rejects.not.toThrow(/SECRET/);
  });
});

describe('CSV source: blank lines', () => {
  const readCollecting = async (file: string, options: Record<string, unknown> = {}) => {
    const problems: RecordProblem[] = [];
    const records = await readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file, ...options })), { onProblem: (problem) => problems.push(problem) });
    return { records, problems };
  };
  const withData = (records: HrisRecord[]) => records.filter((record) => Object.values(record).some((value) => value !== null));

  it.each([
    ['a line of spaces', 'id,email\n1,a@example.com\n   \n2,b@example.com\n'],
    ['a tab', 'id,email\r\n1,a@example.com\r\n\t\r\n2,b@example.com\r\n'],
    ['a trailing Ctrl-Z after CRLF', 'id,email\r\n1,a@example.com\r\n2,b@example.com\r\n\x1a'],
    ['spaces and a tab between delimiters', 'id,email,team\n1,a@example.com,x\n \t, ,\n2,b@example.com,y\n'],
  ])('skips %s: no invalid record, no problem', async (_what, content) => {
    for (const encoding of ['utf8', 'latin1']) {
      const { records, problems } = await readCollecting(csvFile(Buffer.from(content, 'latin1')), { encoding });
      expect(problems).toEqual([]);
      expect(withData(records).map((record) => record['id'])).toEqual(['1', '2']);
    }
  });

  it('still reports a row with a stray delimiter next to blank lines, at its spreadsheet row', async () => {
    const { problems } = await readCollecting(csvFile('id,email\n1,a@example.com\n  \n2,b@example.com,EXTRA\n'));
    expect(problems).toEqual([{ recordRef: 'row 4', field: 'record', message: expect.stringContaining('line 4 of the file has 3 field(s)') }]);
  });

  it('refuses a file of blank lines only as an empty read', async () => {
    await expect(read(csvFile('id,email\n  \n\t\n\x1a'))).rejects.toThrow(/has no employee rows/);
  });

  it('keeps the mapping\'s row numbers on the spreadsheet rows past empty and whitespace-only lines', async () => {
    const { records } = await readCollecting(csvFile('id,email,first,last\n1,a@example.com,A,L\n\n\n2,b@example.com,B,L\n \n3,not-an-email,C,L\n'));
    const report = mapEmployees(records, configWith());
    expect(report.employees).toHaveLength(2);
    expect(report.problems.map((problem) => problem.recordRef)).toEqual(['row 7']);
  });

  it('counts only the rows holding someone as records read, not the blank stand-ins (2 people, 4 blank lines: 2 read)', async () => {
    const { records, problems } = await readCollecting(csvFile('id,email,first,last\n1,a@example.com,A,L\n\n\n  \n2,b@example.com,B,L\n\t\n'));
    const report = mapEmployees(records, configWith(), problems);
    expect(report.employees).toHaveLength(2);
    expect(report.recordsRead).toBe(2);
    expect(formatMappingReport(report)).toContain('2 records read');
  });

  it('counts a row it could not read once, next to blank lines', async () => {
    const { records, problems } = await readCollecting(csvFile('id,email,first,last\n1,a@example.com,A,L\n\n \n2,b@example.com,B,L,EXTRA\n'));
    expect(mapEmployees(records, configWith(), problems).recordsRead).toBe(2);
  });

  it('keeps pages at most pageSize records, blank stand-ins included', async () => {
    const source = createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: csvFile(`id,email\n1,a@example.com\n${'\n'.repeat(5)}2,b@example.com\n`), pageSize: 2 }));
    const sizes: number[] = [];
    for await (const page of source.readPages()) sizes.push(page.length);
    expect(sizes).toEqual([2, 2, 2, 1]);
  });
});
