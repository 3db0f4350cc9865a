import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { SourceReadError, readAllRecords, type HrisRecord } from '../../hris/source';

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
    await expect(read(csvFile('id,name\n1,a\n2,b,extra\n'))).rejects.toThrow(/csv:.*cannot be read: .*(column|record)/i);
  });

  it('fails with a SourceReadError when the file does not exist', async () => {
    const reading = read(path.join(dir, 'missing.csv'));
    await expect(reading).rejects.toBeInstanceOf(SourceReadError);
    await expect(reading).rejects.toThrow(/ENOENT/);
  });

  it('fails when a column name appears twice in the header', async () => {
    await expect(read(csvFile('id,name,name\n1,a,b\n'))).rejects.toThrow('has the column "name" twice');
  });
});
