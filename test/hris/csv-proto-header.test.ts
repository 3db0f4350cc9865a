import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource } from '../../hris/csv';
import { readAllRecords, SourceReadError } from '../../hris/source';

/**
 * A header row naming a column `__proto__`. csv-parse builds each record as a plain object, where that name sets the
 * object's prototype instead of a value: a UTF-8 read failed with a cryptic TypeError ("Method get
 * %TypedArray%.prototype.buffer called on incompatible receiver"), and under windows1252 the column was dropped
 * without a word. The read fails naming the column, as a header row with an empty or repeated name does. Real files
 * in a temporary folder (inside the worker's data directories, test/harness/global-setup.ts), read through the real
 * CSV source.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'peakon-csv-proto-header-'));
let fileCount = 0;

function csvFile(content: Buffer): string {
  const file = path.join(dir, `export-${fileCount++}.csv`);
  writeFileSync(file, content);
  return file;
}

describe('CSV source: a header column named __proto__', () => {
  it.each([
    ['utf8', 'utf8', 'id,__proto__,email\nE1,x,ada@example.com\n'],
    ['windows1252', 'latin1', 'id,__proto__,email\nE1,x,ada@example.com\n'],
    ['latin1', 'latin1', 'id, __proto__ ,email\r\nE1,x,ada@example.com\r\n'],
    ['utf16le', 'utf16le', '\uFEFFid,"__proto__",email\nE1,x,ada@example.com\n'],
  ] as const)('fails the read naming the column (%s)', async (encoding, bytes, content) => {
    const file = csvFile(Buffer.from(content, bytes));
    const reading = readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file, encoding })));
    await expect(reading).rejects.toBeInstanceOf(SourceReadError);
    await expect(reading).rejects.toThrow(`csv:${file} cannot be read: column 2 of the first line is named __proto__, which the CSV source cannot read as a column name: rename that column in the export`);
  });

  it('still reads a column whose name only contains __proto__, and one named constructor', async () => {
    const file = csvFile(Buffer.from('id,x__proto__,constructor\nE1,a,b\n'));
    await expect(readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file })))).resolves.toEqual([{ id: 'E1', x__proto__: 'a', constructor: 'b' }]);
  });
});
