import { appendFileSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toActivityFailure } from '../../activities/failures';
import { ConfigError } from '../../config/load';
import { CsvSourceConfigSchema } from '../../hris/config';
import { createCsvSource, MAX_CSV_RECORD_BYTES, type CsvReadLimits } from '../../hris/csv';
import { MAX_RESPONSE_BYTES } from '../../hris/http';
import { readAllRecords, SourceReadError, type HrisRecord } from '../../hris/source';

/**
 * A CSV source named by a config could point at any large text file in the data directories; every record of a read is
 * kept until it ends (readAllRecords), so a multi-GB file would fill the worker's memory, failing every tenant's run on
 * that worker, and each retry on another worker the same way. The source refuses a file over MAX_RESPONSE_BYTES (the
 * bound of one HTTP answer) at open, without retry, and a row over MAX_CSV_RECORD_BYTES (16 MiB) fails the read
 * naming its line. Small limits here (a 2 KiB file cap), so no test writes 256 MiB; the default is checked on a sparse file.
 * Real files in a temporary folder (inside the worker's data directories, test/harness/global-setup.ts).
 */

const dir = mkdtempSync(path.join(tmpdir(), 'peakon-csv-size-'));
let fileCount = 0;

function csvFile(content: string | Buffer): string {
  const file = path.join(dir, `export-${fileCount++}.csv`);
  writeFileSync(file, content);
  return file;
}

function read(file: string, limits?: CsvReadLimits, options: Record<string, unknown> = {}, onPage?: (read: number) => void): Promise<HrisRecord[]> {
  return readAllRecords(createCsvSource(CsvSourceConfigSchema.parse({ type: 'csv', path: file, ...options }), process.env, limits), { ...(onPage ? { onPage } : {}) });
}

async function failure(reading: Promise<unknown>): Promise<Error> {
  return reading.then(
    () => new Error('expected the read to fail'),
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
}

const HEADER = 'id,email,first,last\n';
const row = (index: number) => `E${String(index).padStart(5, '0')},e${index}@example.com,Ada,Person\n`;
/** The header and rows up to exactly `bytes` bytes (the last row padded in its last name). */
function exportOf(bytes: number): string {
  let text = HEADER;
  for (let index = 1; text.length + row(index).length <= bytes; index += 1) text += row(index);
  return text.length < bytes ? `${text.slice(0, -1)}${'x'.repeat(bytes - text.length)}\n` : text;
}

const KIB = 1024;
const MIB = 1024 * KIB;

describe('CSV source: size limits', () => {
  it('reads a file of exactly the limit', async () => {
    const records = await read(csvFile(exportOf(2 * KIB)), { maxFileBytes: 2 * KIB });
    expect(records.length).toBeGreaterThan(10);
  });

  it('refuses a file over the limit at open, without retry, naming source.path, the size and the limit, never content', async () => {
    const file = csvFile(exportOf(3 * KIB));
    const error = await failure(read(file, { maxFileBytes: 2 * KIB }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `source.path: ${file} is 3072 bytes, over the limit of 2048 bytes for a CSV export (an HR export of every employee is a few MB; is it the HR export?): read whole, it would fill the worker's memory`,
    );
    expect(error.message.replace(file, '<file>')).not.toMatch(/E0|example\.com|Ada|Person/);
    // The plan activity's failure: ConfigInvalid, not retried (a SourceReadError would be, on worker after worker).
    const activityFailure = toActivityFailure(error);
    expect(activityFailure.type).toBe('ConfigInvalid');
    expect(activityFailure.nonRetryable).toBe(true);
  });

  it('refuses a file over 256 MiB by default, before reading a byte of it', async () => {
    expect(MAX_RESPONSE_BYTES).toBe(256 * 1024 * 1024);
    // Sparse: its size says 256 MiB and one byte, no disk holds them. Read, its NUL bytes would fail as "not a text file".
    const file = csvFile('');
    truncateSync(file, MAX_RESPONSE_BYTES + 1);
    const error = await failure(read(file));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `source.path: ${file} is 268435457 bytes (256.0 MiB), over the limit of 268435456 bytes (256.0 MiB) for a CSV export (an HR export of every employee is a few MB; is it the HR export?): read whole, it would fill the worker's memory`,
    );
  });

  it('fails the read when the file grows past the limit while it is read', async () => {
    // 2 MiB when opened, under a 2.5 MiB limit; 1 MiB more once the first page (of 100 records) is handed on, while
    // much of the file is still unread (the streams between the file and the parser hold about 1 MiB ahead of it).
    const file = csvFile(exportOf(2 * MIB));
    const error = await failure(read(file, { maxFileBytes: 2.5 * MIB }, { pageSize: 100 }, (records) => records === 100 && appendFileSync(file, exportOf(MIB).slice(HEADER.length))));
    expect(error).toBeInstanceOf(SourceReadError);
    expect(error.message).toBe(`csv:${file} cannot be read: the HR file grew past 2621440 bytes (2.5 MiB) while it was read, more than a CSV export may be; nothing was written`);
  });

  it('fails the read at a row over the record limit, naming its line and never its values', async () => {
    const file = csvFile(`${HEADER}E1,e1@example.com,Ada,Person\nE2,e2@example.com,Ada,${'Person'.repeat(400)}\nE3,e3@example.com,Ada,Person\n`);
    const error = await failure(read(file, { maxRecordBytes: 2 * KIB }));
    expect(error).toBeInstanceOf(SourceReadError);
    expect(error.message).toBe(
      `csv:${file} cannot be read: CSV_MAX_RECORD_SIZE: a row longer than 2048 bytes at line 3, where a row of an HR export is a few hundred bytes (a quote that is not closed, which makes the rest of the file one value? not a CSV export?)`,
    );
    // The same file under a larger limit reads.
    expect(await read(file, { maxRecordBytes: 4 * KIB })).toHaveLength(3);
  });

  it('fails the read at a quote never closed once the rest of the file passes the record limit, in a legacy encoding too', async () => {
    const rows = Array.from({ length: 200 }, (_unused, index) => row(index + 3)).join('');
    const text = `${HEADER}E1,e1@example.com,Ada,Person\nE2,e2@example.com,"Ada,Person\n${rows}`;
    for (const encoding of ['utf8', 'latin1'] as const) {
      const file = csvFile(Buffer.from(text, encoding === 'utf8' ? 'utf8' : 'latin1'));
      const error = await failure(read(file, { maxRecordBytes: 2 * KIB }, { encoding }));
      expect(error).toBeInstanceOf(SourceReadError);
      // Named by the line its row starts on, where the quote opens (the header is line 1).
      expect(error.message).toMatch(/^csv:.* cannot be read: CSV_MAX_RECORD_SIZE: a row longer than 2048 bytes starting at line 3, /);
      expect(error.message.replace(file, '<file>')).not.toMatch(/E0|example\.com|Ada|Person/);
    }
  });

  it('fails the read at a row over 16 MiB by default (a 10 MB value is one problem record: test/mapping/limits.test.ts)', async () => {
    expect(MAX_CSV_RECORD_BYTES).toBe(16 * MIB);
    const file = csvFile(`${HEADER}E1,e1@example.com,Ada,${'x'.repeat(MAX_CSV_RECORD_BYTES + KIB)}\n`);
    await expect(read(file)).rejects.toThrow(/cannot be read: CSV_MAX_RECORD_SIZE: a row longer than 16777216 bytes \(16\.0 MiB\) at line 2, /);
  });
});
