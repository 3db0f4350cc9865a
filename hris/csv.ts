import { constants as fsConstants, promises as fs, type Stats } from 'node:fs';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CsvError, parse, type Parser } from 'csv-parse';
import { ConfigError } from '../config/load';
import { errorCode } from '../config/worker-own';
import { undecodableValue } from '../mapping/source-text';
import type { CsvSourceConfig } from './config';
import { csvFileToRead } from './data-dir';
import { MAX_RESPONSE_BYTES } from './http';
import type { RecordProblem } from '../mapping/employee';
import { SourceReadError, type HrisReadOptions, type HrisRecord, type HrisSource } from './source';

type Encoding = 'utf8' | 'windows1252' | 'latin1' | 'utf16le';

/** The config's encoding, one name each; `utf-8` is accepted in the config because people write it that way. */
function nodeEncoding(encoding: CsvSourceConfig['encoding']): Encoding {
  return encoding === 'utf-8' ? 'utf8' : encoding;
}

/**
 * Decodes the file's bytes chunk by chunk. Windows-1252 is not one of Node's Buffer encodings: WHATWG's decoder reads
 * its 0x80-0x9F as the characters Windows writes there (’ “ ” € – …), which `latin1` turns into C1 control characters.
 */
function textDecoderFor(encoding: Exclude<Encoding, 'utf8'>): { write(bytes: Buffer): string; end(): string } {
  if (encoding === 'windows1252') {
    const decoder = new TextDecoder('windows-1252');
    return { write: (bytes) => decoder.decode(bytes, { stream: true }), end: () => decoder.decode() };
  }
  return new StringDecoder(encoding);
}

/** The leading bytes inspected to tell a text file from a binary one (a spreadsheet, an archive, a PDF). */
const SNIFF_BYTES = 64 * 1024;
/** More than this share of control characters or invalid UTF-8 among the sniffed bytes: the file is not text. */
const MAX_NON_TEXT_SHARE = 0.25;

/**
 * The longest value csv-parse collects, in bytes. A quote that is never closed turns the rest of the file into one
 * value, held whole in memory (then copied into a string) until the file ends; past this the read fails naming the
 * line. Far above any row of an HR export (a few hundred bytes), and above the 10 MB value that is one problem record
 * of the run, not its failure (mapping/limits.ts, test/mapping/limits.test.ts). In UTF-8 (fields read as bytes)
 * csv-parse counts the value it is reading; under the other encodings the row's earlier values too. Either way the
 * file's own bound (CsvReadLimits.maxFileBytes) caps the whole read.
 */
export const MAX_CSV_RECORD_BYTES = 16 * 1024 * 1024;

/** Bounds of one read; each has its default, a test sets small ones. */
export interface CsvReadLimits {
  /**
   * The largest file read, in bytes: MAX_RESPONSE_BYTES (hris/http.ts), the bound of one HTTP answer, for the same
   * reason. Every record of a read is kept until it ends (readAllRecords), so a multi-GB text file named by a config
   * would fill the worker's memory, failing the runs of every tenant on it, and then on each worker that retries it.
   */
  maxFileBytes?: number | undefined;
  /** The longest value (see MAX_CSV_RECORD_BYTES), in bytes. */
  maxRecordBytes?: number | undefined;
}

/**
 * A CSV export with a header row. Streams the file so a 50,000-row export never sits in memory as one string.
 * Records keep the header's column names; values stay text (the mapping decides what they mean).
 * Row N of the spreadsheet (header = row 1) is record N-2 of the read, which is how the mapping names records: an
 * empty or whitespace-only line is a blank record (skipped by the mapping), so the rows after it keep their numbers.
 * (A value spanning lines in quotes is one row, so a row number is not always the file line.)
 *
 * Text is never silently damaged. With `encoding: utf8` the file is parsed as bytes and each field decoded strictly:
 * a field that is not valid UTF-8 becomes an undecodable marker (mapping/source-text.ts), which the mapping reports
 * as a problem of that record and field, instead of U+FFFD reaching Peakon. A file that is not text at all (a NUL
 * byte, or mostly control characters and invalid UTF-8 in its first 64 KB) fails the read, naming the byte offset.
 * With `encoding: windows1252` or `latin1` a UTF-8 export would turn every accented letter into two or three wrong
 * ones (ë as Ã«) that map without a problem: a file that starts with a UTF-8 byte-order mark, or whose bytes are all
 * valid UTF-8 with some beyond ASCII, fails the read (utf8Lookalike), saying to set the encoding to utf8.
 *
 * A file that changes while it is read (written in place, replaced or removed) fails the read once its last byte is
 * read (changedWhileRead): an export cut at a line end would otherwise read as complete, its missing tail as leavers.
 *
 * Bounded (CsvReadLimits): a file larger than 256 MiB is refused at open (a ConfigError, not retried), and a row longer
 * than 16 MiB fails the read naming the line it starts on, so neither a wrong source.path nor a broken export fills the worker's memory.
 */
export function createCsvSource(config: CsvSourceConfig, env: NodeJS.ProcessEnv = process.env, limits: CsvReadLimits = {}): HrisSource {
  return {
    description: `csv:${config.path}`,
    readPages: (options = {}) => readCsvPages(config, env, options, limits),
  };
}

/**
 * What csv-parse yields with `info: true`: the row, where it ended, and (relaxed) why its field count is wrong.
 * `info.lines` is the file line the row ends on once on_record has corrected csv-parse's count (see lastRow).
 */
interface ParsedRow {
  record: Record<string, string | Uint8Array>;
  info: { lines: number; empty_lines?: number; columns?: unknown; error?: { code?: string; column?: unknown; record?: unknown } };
}

async function* readCsvPages(config: CsvSourceConfig, env: NodeJS.ProcessEnv, options: HrisReadOptions, limits: CsvReadLimits): AsyncGenerator<HrisRecord[]> {
  const maxFileBytes = limits.maxFileBytes ?? MAX_RESPONSE_BYTES;
  const maxRecordBytes = limits.maxRecordBytes ?? MAX_CSV_RECORD_BYTES;
  const encoding = nodeEncoding(config.encoding);
  const strict = encoding === 'utf8';
  // The worker's policy, at each read: only a file inside its data directories, and none of its own (hris/data-dir.ts).
  const realFile = csvFileToRead(config.path, env);
  // The file as opened, compared with what is at its path once the last byte is read (changedWhileRead).
  let opened: { handle: fs.FileHandle; stats: Stats };
  try {
    // Not a regular file (a named pipe, a device): refused before it is opened (notRegularFile).
    const refusal = notRegularFile(config.path, await fs.stat(realFile));
    if (refusal) throw refusal;
    // O_NONBLOCK: should a FIFO take the file's place after that check, opening it does not wait for a writer; the
    // handle's own stat then refuses it. (On a regular file the flag changes nothing; Windows has none.)
    // O_NOFOLLOW: `realFile` is a real path, so the file checked is no symlink; one there now was renamed over it since
    // (swappedLink). A symlink swapped in for a folder on the path is caught once open (notTheCheckedFile).
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(realFile, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0) | (fsConstants.O_NOFOLLOW ?? 0));
    } catch (error) {
      throw errorCode(error) === 'ELOOP' ? swappedLink(config.path) : error;
    }
    try {
      // The handle's own stat (fstat) for every check of the file read: what is at the path may be another file by now.
      opened = { handle, stats: await handle.stat() };
      const changed =
        (await notTheCheckedFile(config.path, realFile, handle, opened.stats, env)) ?? notRegularFile(config.path, opened.stats) ?? tooLarge(config.path, opened.stats.size, maxFileBytes);
      if (changed) throw changed;
    } catch (error) {
      await handle.close();
      throw error;
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new SourceReadError(`csv:${config.path} cannot be read: ${describeCsvError(error, maxRecordBytes)}`);
  }
  const file = opened.handle.createReadStream();
  const input = Readable.from(checkedText(file, encoding, maxFileBytes));
  // The position of the header row's unnamed last column, when it ends in a delimiter (checkHeader): left out of the records.
  let unnamedLast: number | undefined;
  // Where the last complete row (the header too) ended, for a parse error inside the next one (describeParserError).
  // Its `parserLines - line` is the number of CRLFs inside the quoted values parsed so far (the header's too):
  // csv-parse's `info.lines` counts each as two lines (its CR and its LF), where it is one line break of the file, as
  // a CRLF ending a row is (fileLine).
  let lastRow: RowEnd = { line: 0, parserLines: 0, emptyLines: 0 };
  const rowEnd = (parserLines: number, crlfsInRow: number, emptyLines: number): RowEnd => {
    const quotedCrlfs = lastRow.parserLines - lastRow.line + crlfsInRow;
    return { line: parserLines - quotedCrlfs, parserLines, emptyLines };
  };
  const parser: Parser = input.pipe(
    parse({
      columns: (header: Array<string | Uint8Array>) => {
        // csv-parse's running count (the header has no on_record call), read as the header row is handed over.
        lastRow = rowEnd(parser.info.lines, crlfCount(header), parser.info.empty_lines);
        const checked = checkHeader(header.map(headerText));
        unnamedLast = checked.unnamedLast;
        return checked.columns;
      },
      delimiter: config.delimiter,
      // UTF-8: fields arrive as bytes, decoded strictly below; checkedText has already removed a byte-order mark (and
      // refuses one under Latin-1 or Windows-1252, where it would be three characters of the first column's name).
      ...(strict ? { encoding: null, bom: false } : { bom: true }),
      // Every line ending, on every line. Left unset, csv-parse takes the header's ending for the whole file: a header
      // written on Windows (CRLF) with rows appended on Linux (LF) read as one row of every employee (a column-count
      // problem naming nobody, so every Peakon user a leaver), and the reverse failed the read at the first quoted last
      // value. Inside quotes a line ending (CRLF, or a lone CR) stays part of the value.
      record_delimiter: ['\r\n', '\n', '\r'],
      skip_empty_lines: true,
      // One row with a stray delimiter must not fail the whole read: the row is left out below, as a problem of its own.
      relax_column_count: true,
      // A value past this fails the read (describeParserError) rather than fill the worker's memory.
      max_record_size: maxRecordBytes,
      info: true,
      // As each row is parsed (before rows still queued for the loop below, so a parse error's line is right too):
      // its line in the file, as an editor numbers it, in place of csv-parse's count (see lastRow).
      on_record: ({ record, info }: ParsedRow): ParsedRow => {
        lastRow = rowEnd(info.lines, crlfCount(rowFields(record, info)), info.empty_lines ?? 0);
        return { record, info: { ...info, lines: lastRow.line } };
      },
    }),
  );
  // A read error does not propagate through pipe(); forward it so the loop below fails instead of hanging.
  input.on('error', (error) => parser.destroy(error));
  let page: HrisRecord[] = [];
  let read = 0;
  // Records handed on, blank stand-ins included: the mapping names CSV record N (from 0) "row N+2".
  let position = 0;
  let emptyLines = 0;
  // A blank stand-in keeps the rows after it at their own spreadsheet row numbers (the mapping names CSV records by
  // position) and is skipped by the mapping like any row of empty cells.
  const blank = (row: Record<string, unknown>, info: ParsedRow['info']): HrisRecord => {
    const columns = Array.isArray(info.columns) ? info.columns.map((column: unknown) => (typeof column === 'object' && column !== null && 'name' in column ? String(column.name) : String(column))) : Object.keys(row);
    return Object.fromEntries(columns.map((column) => [column, null]));
  };
  try {
    for await (const { record: row, info } of parser as AsyncIterable<ParsedRow>) {
      // Empty lines csv-parse skipped since the last record are rows of the spreadsheet all the same.
      const skipped = (info.empty_lines ?? 0) - emptyLines;
      emptyLines = info.empty_lines ?? 0;
      for (let line = 0; line < skipped; line += 1, position += 1) page.push(blank(row, info));
      position += 1;
      if (isBlankRow(row, info)) {
        // A line of spaces or tabs, or an end-of-file Ctrl-Z (0x1A) after the last line: holds nobody, so neither a
        // record nor an invalid one (which, without key or id, would hold every leaver write for approval).
        page.push(blank(row, info));
      } else {
        read += 1;
        const problem =
          info.error?.code === 'CSV_RECORD_INCONSISTENT_COLUMNS'
            ? columnCountProblem(row, info, position, unnamedLast)
            : unnamedLast !== undefined
              ? unendedRowProblem(info, position, unnamedLast)
              : undefined;
        if (problem) {
          options.onProblem?.(problem);
          page.push(blank(row, info));
        } else page.push(strict ? decodeRow(row) : row);
      }
      while (page.length >= config.pageSize) {
        yield page.slice(0, config.pageSize);
        page = page.slice(config.pageSize);
      }
    }
    // Before the last page: the caller has no complete read until this generator ends (readAllRecords keeps nothing
    // of a failed read), so every page of this read, those already handed on too, is covered by the check.
    const changed = await changedWhileRead(opened.stats, realFile);
    if (changed) throw new SourceReadError(changed);
  } catch (error) {
    throw new SourceReadError(`csv:${config.path} cannot be read: ${describeCsvError(error, maxRecordBytes, lastRow)}`);
  } finally {
    input.destroy();
    file.destroy();
  }
  if (read === 0) throw new SourceReadError(`csv:${config.path} has no employee rows; refusing to sync an empty read`);
  if (page.length > 0) yield page;
}

/**
 * The refusal of a file reached through a symlink swapped in after csvFileToRead checked its real path. Whoever can
 * write into a data directory could otherwise rename a link to a file outside them (a TLS key, another tenant's
 * report) over the checked file, or over a folder on its path, between that check and the open, and have the worker
 * read it back out as employees or quoted in the run's problems. A ConfigError (not retried), as csvFileToRead's
 * refusals: someone is tampering with the data directory. Never names where the link led.
 */
function swappedLink(file: string): ConfigError {
  return new ConfigError(
    `source.path: ${file} was replaced by a link to another file after its real path was checked; the CSV source reads only a file whose real path lies inside the worker's data directories`,
  );
}

/** What Linux appends to /proc/self/fd/N's target once the open file's name is removed. */
const DELETED_SUFFIX = ' (deleted)';

/**
 * swappedLink unless the file `handle` holds is the one csvFileToRead checked at `realFile`. On Linux the kernel's own
 * path of the open file (/proc/self/fd/N: a real path, whatever links were followed to open it) must be `realFile`, or,
 * moved or removed since it was opened, still a file csvFileToRead allows (changedWhileRead then fails the read once it
 * is read). Without /proc (macOS), the file now at `realFile`, not followed, must be the one held and `realFile` still
 * pass csvFileToRead: two looks at the path again, so there a swap undone and redone between them is not caught.
 * Either check failing is not yet tampering: an export delivered by renaming a new file over the old one, deleted and
 * written again, or archived outside the data directories before the new one is moved in, lands in the same gap.
 * movedAtOpen tells them apart; the file held is never read either way.
 */
async function notTheCheckedFile(file: string, realFile: string, handle: fs.FileHandle, held: Stats, env: NodeJS.ProcessEnv): Promise<ConfigError | SourceReadError | undefined> {
  let kernelPath: string | undefined;
  try {
    kernelPath = process.platform === 'linux' ? await fs.readlink(`/proc/self/fd/${handle.fd}`) : undefined;
  } catch {
    kernelPath = undefined;
  }
  if (kernelPath !== undefined) {
    if (kernelPath === realFile || kernelPath === `${realFile}${DELETED_SUFFIX}`) return undefined;
    const now = kernelPath.endsWith(DELETED_SUFFIX) ? kernelPath.slice(0, -DELETED_SUFFIX.length) : kernelPath;
    try {
      csvFileToRead(now, env);
    } catch (error) {
      // Refused where it is now (outside, or in the worker's own folder): opened through a link, or moved there since.
      // (Inside the data directories but gone since: removed after it was opened, which changedWhileRead reports.)
      if (error instanceof ConfigError) return movedAtOpen(file, realFile, env);
    }
    return undefined;
  }
  try {
    const atPath = await fs.lstat(realFile);
    // The policy again, on the path as it resolves now: a folder on it swapped for a link leads elsewhere.
    csvFileToRead(realFile, env);
    if (atPath.ino === held.ino && atPath.dev === held.dev) return undefined;
  } catch {
    // Refused, or nothing at the path any more: movedAtOpen tells which.
  }
  return movedAtOpen(file, realFile, env);
}

/**
 * The file opened is not (or no longer) the one at `realFile`: swappedLink if a link is found there now (`realFile`
 * resolves outside the data directories or into the worker's own folder, or is itself a symlink); otherwise the
 * export was moved, replaced or removed as it was opened, which fails the read as changedWhileRead does (retried).
 */
async function movedAtOpen(file: string, realFile: string, env: NodeJS.ProcessEnv): Promise<ConfigError | SourceReadError> {
  try {
    csvFileToRead(realFile, env);
  } catch (error) {
    if (error instanceof ConfigError) return swappedLink(file);
  }
  try {
    if ((await fs.lstat(realFile)).isSymbolicLink()) return swappedLink(file);
  } catch {
    // Nothing at the path now: removed, the new export not moved in yet.
  }
  return new SourceReadError('the HR file was moved or replaced as it was opened (another file or none is now at its path): read it again once it is in place; nothing was read');
}

/**
 * A refusal of what `stats` describes unless it is a regular file. A named pipe (FIFO) with no writer blocks a read
 * of it forever, in one of libuv's few threads, where an activity's cancellation cannot reach it; every retry would
 * block another, until DNS lookups and file reads of every tenant stall. A device or a socket is no export either. A
 * ConfigError (not retried, as data-dir.ts' refusals): the config names the wrong thing. Names its kind, never content.
 */
function notRegularFile(file: string, stats: Stats): ConfigError | undefined {
  if (stats.isFile()) return undefined;
  const kind = stats.isFIFO()
    ? 'a named pipe (FIFO)'
    : stats.isDirectory()
      ? 'a directory'
      : stats.isSocket()
        ? 'a socket'
        : stats.isCharacterDevice()
          ? 'a character device'
          : stats.isBlockDevice()
            ? 'a block device'
            : 'not a file';
  return new ConfigError(`source.path: ${file} is ${kind}, not a regular file; the CSV source reads only an export written out as a regular file (not a pipe, device or directory)`);
}

/**
 * A refusal of a file larger than `limit` bytes (CsvReadLimits.maxFileBytes), from the size its handle's stat gave at
 * open, before a byte is read. A ConfigError (not retried, as notRegularFile's): every attempt, on any worker, would
 * read the same file into memory again. Names the path, the size and the limit, never content.
 */
function tooLarge(file: string, size: number, limit: number): ConfigError | undefined {
  if (size <= limit) return undefined;
  return new ConfigError(
    `source.path: ${file} is ${byteCount(size)}, over the limit of ${byteCount(limit)} for a CSV export (an HR export of every employee is a few MB; is it the HR export?): read whole, it would fill the worker's memory`,
  );
}

const MIB = 1024 * 1024;

/** `300 bytes`, or `3221225472 bytes (3072.0 MiB)` from 1 MiB on. */
function byteCount(bytes: number): string {
  return bytes < MIB ? `${bytes} bytes` : `${bytes} bytes (${(bytes / MIB).toFixed(1)} MiB)`;
}

/**
 * Why the file at `realFile` is no longer the one opened (`atOpen`, its handle's stat), or undefined. An export being
 * written in place while it is read, cut exactly at a line end, parses as a complete file: no problem row, no error,
 * and the people in the missing tail become leavers. Its size or modified time moves on (the writer goes on writing);
 * a file renamed over the path, or one removed, is another inode or none at all. Never quotes the file.
 */
async function changedWhileRead(atOpen: Stats, realFile: string): Promise<string | undefined> {
  let now: Stats;
  try {
    // Not followed: a symlink renamed over the path is another file there, whatever it points at.
    now = await fs.lstat(realFile);
  } catch (error) {
    return `the HR file was removed or replaced while it was read (${errorCode(error)} at its path once read); nothing was written`;
  }
  if (now.ino !== atOpen.ino || now.dev !== atOpen.dev) {
    return 'the HR file was replaced while it was read (another file is now at its path): read it again once it is in place; nothing was written';
  }
  const what = [now.size !== atOpen.size ? 'size' : undefined, now.mtimeMs !== atOpen.mtimeMs ? 'modified time' : undefined].filter((item) => item !== undefined);
  if (what.length === 0) return undefined;
  return `the HR file changed while it was read (${what.join(', ')}): deliver it by writing a temporary file and renaming it; nothing was written`;
}

/** Only whitespace and control characters: a tab or spaces on their own line, a trailing Ctrl-Z (0x1A). */
const BLANK_FIELD = /^[\s\p{Cc}]*$/u;
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Every field of the row, those past the header's columns too, is blank (see BLANK_FIELD). A row with the wrong
 * number of fields has them all in its error, where csv-parse keeps a field read as bytes as `{ type: 'Buffer', data }`.
 */
function isBlankRow(row: Record<string, string | Uint8Array>, info: ParsedRow['info']): boolean {
  return rowFields(row, info).every(isBlankField);
}

/** Every field of the row as csv-parse read it: those past the header's columns too, when it has the wrong number. */
function rowFields(row: Record<string, string | Uint8Array>, info: ParsedRow['info']): unknown[] {
  return Array.isArray(info.error?.record) ? info.error.record : Object.values(row);
}

/** One field as csv-parse gives it (text, bytes, or bytes in an error's record as `{ type: 'Buffer', data }`). */
function fieldContent(field: unknown): string | Uint8Array | undefined {
  if (typeof field === 'string' || field instanceof Uint8Array) return field;
  const data = typeof field === 'object' && field !== null && 'data' in field && Array.isArray(field.data) ? field.data : undefined;
  return data !== undefined && data.every((byte) => typeof byte === 'number') ? Uint8Array.from(data as number[]) : undefined;
}

/** One field as csv-parse gives it is blank. */
function isBlankField(field: unknown): boolean {
  if (field === undefined || field === null) return true;
  const content = fieldContent(field);
  if (content === undefined) return false;
  return BLANK_FIELD.test(typeof content === 'string' ? content : lenientUtf8.decode(content));
}

/**
 * The CRLFs inside these fields. Every CR and LF outside quotes ends a row (record_delimiter), so a field holds one
 * only inside quotes, where csv-parse counts its CR and its LF as a line each.
 */
function crlfCount(fields: readonly unknown[]): number {
  let count = 0;
  for (const field of fields) {
    const content = fieldContent(field);
    if (typeof content === 'string') {
      for (let at = content.indexOf('\r\n'); at >= 0; at = content.indexOf('\r\n', at + 2)) count += 1;
    } else if (content !== undefined) {
      for (let at = content.indexOf(0x0d); at >= 0 && at < content.length - 1; at = content.indexOf(0x0d, at + 1)) if (content[at + 1] === 0x0a) count += 1;
    }
  }
  return count;
}

/**
 * The problem of a row as long as the named columns when the header row ends in a delimiter (`unnamedLast`): in an
 * export that ends every line so, a row that does not has most likely lost a delimiter inside it, and read as it
 * stands its values would sit one column off (a department read as a last name, the department cleared).
 */
function unendedRowProblem(info: ParsedRow['info'], recordNumber: number, unnamedLast: number): RecordProblem {
  return {
    recordRef: `row ${recordNumber + 1}`,
    field: 'record',
    message: `line ${info.lines} of the file does not end in a delimiter as the header row does (${unnamedLast - 1} named columns and an unnamed last one): a delimiter or quote lost inside it would put its values one column off; the row is left out`,
  };
}

/**
 * The problem of a row with more or fewer fields than the header: named by its row (as the mapping names CSV records,
 * header = row 1) and the file line it ends on, never by its values (personal data; csv-parse's error quotes them).
 * When the header row ends in a delimiter (`unnamedLast`, the position of its unnamed last column, which checkHeader
 * left out), a row that ends in one too has no problem if its field there is blank: the row keeps its other values. A
 * value there is a problem of the row, naming that column: left out, it would be lost without anyone seeing it.
 */
function columnCountProblem(row: Record<string, unknown>, info: ParsedRow['info'], recordNumber: number, unnamedLast: number | undefined): RecordProblem | undefined {
  const header = Array.isArray(info.columns) ? info.columns.length : Object.keys(row).length;
  const record: unknown[] | undefined = Array.isArray(info.error?.record) ? info.error.record : undefined;
  const fields = record?.length;
  const recordRef = `row ${recordNumber + 1}`;
  if (unnamedLast !== undefined && fields === unnamedLast) {
    if (isBlankField(record?.at(-1))) return undefined;
    return {
      recordRef,
      field: `column ${unnamedLast}`,
      message: `line ${info.lines} of the file has a value in column ${unnamedLast}, which the header row leaves unnamed (the header ends in a delimiter; a stray delimiter or quote in this row?); the row is left out rather than that value lost`,
    };
  }
  const missing = typeof info.error?.column === 'string' ? info.error.column : undefined;
  const count = fields === undefined ? 'a different number of fields than' : `${fields} field(s) where`;
  const unnamed = unnamedLast === undefined ? '' : ` (${unnamedLast} with its unnamed last one)`;
  return {
    recordRef,
    field: missing ?? 'record',
    message: `line ${info.lines} of the file has ${count} the header has ${header} column(s)${unnamed}${missing ? `, so "${missing}" has no value` : ''} (a stray or missing delimiter or quote?); the row is left out`,
  };
}

/**
 * The file's bytes, refused when they are not text: a NUL byte anywhere (no text encoding but UTF-16 has one), or a
 * first 64 KB that is mostly control characters or invalid UTF-8. UTF-8 passes on as bytes without its byte-order
 * mark; the other encodings are decoded here, as before (Latin-1 and Windows-1252 cannot be invalid; UTF-16 keeps
 * csv-parse's BOM check). Under Latin-1 and Windows-1252 a file that looks like UTF-8 is refused: one that starts with
 * its byte-order mark at once, one whose bytes are all valid UTF-8 (not only ASCII) once the last byte is read, so the
 * read fails before any record is used (readAllRecords keeps nothing of a failed read).
 */
async function* checkedText(file: AsyncIterable<Buffer>, encoding: Encoding, maxFileBytes: number): AsyncGenerator<Buffer | string> {
  const decoder = encoding === 'utf8' ? undefined : textDecoderFor(encoding);
  const legacy = encoding === 'windows1252' || encoding === 'latin1' ? encoding : undefined;
  const lookalike = legacy ? utf8Lookalike() : undefined;
  const emit = (bytes: Buffer): Buffer | string => {
    lookalike?.write(bytes);
    return decoder ? decoder.write(bytes) : bytes;
  };
  let offset = 0;
  let head: Buffer | undefined;
  let sniffed: Buffer[] | undefined = [];
  let sniffedLength = 0;
  for await (const chunk of file) {
    head ??= chunk;
    if (encoding !== 'utf16le') {
      const nul = chunk.indexOf(0);
      if (nul >= 0) throw notText(`a NUL byte at byte offset ${offset + nul}`, head);
    }
    offset += chunk.length;
    // The size was checked at open (tooLarge); a file still being written can grow past it while it is read. This
    // fails the read (changedWhileRead would, once the last byte is read: too late for the memory); the retry refuses it at open.
    if (offset > maxFileBytes) throw new SourceReadError(`the HR file grew past ${byteCount(maxFileBytes)} while it was read, more than a CSV export may be; nothing was written`);
    if (sniffed === undefined) {
      yield emit(chunk);
      continue;
    }
    sniffed.push(chunk);
    sniffedLength += chunk.length;
    if (sniffedLength < SNIFF_BYTES) continue;
    const start = Buffer.concat(sniffed);
    sniffed = undefined;
    yield emit(judged(start, encoding, false));
  }
  if (sniffed !== undefined) yield emit(judged(Buffer.concat(sniffed), encoding, true));
  if (legacy && lookalike?.end()) throw looksLikeUtf8(legacy, 'every byte beyond ASCII in it is part of a valid UTF-8 character');
  if (decoder) {
    const rest = decoder.end();
    if (rest !== '') yield rest;
  }
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Whether the whole file, fed chunk by chunk, is valid UTF-8 with at least one character beyond ASCII: a Windows-1252
 * or Latin-1 export almost never is (an accented letter there is one byte ≥ 0x80 followed by ASCII, invalid in UTF-8),
 * so such a file is a UTF-8 export read with the wrong encoding. Stops looking at the first invalid byte.
 */
function utf8Lookalike(): { write(bytes: Buffer): void; end(): boolean } {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let invalid = false;
  let beyondAscii = false;
  return {
    write(bytes) {
      if (invalid) return;
      try {
        const text = decoder.decode(bytes, { stream: true });
        if (!beyondAscii && NON_ASCII.test(text)) beyondAscii = true;
      } catch {
        invalid = true;
      }
    },
    end() {
      if (invalid) return false;
      try {
        decoder.decode();
      } catch {
        // The file ends in the middle of a UTF-8 sequence.
        return false;
      }
      return beyondAscii;
    },
  };
}

const NON_ASCII = /\P{ASCII}/u;

/** Never quotes the file: its text is personal data, and read with the wrong encoding it is garbled anyway. */
function looksLikeUtf8(encoding: 'windows1252' | 'latin1', why: string): SourceReadError {
  return new SourceReadError(
    `the file looks like UTF-8 (${why}), but source.encoding is ${encoding}, which would turn each of its accented letters into two or three wrong ones (é as Ã©) and sync them without a problem: set source.encoding to utf8`,
  );
}

/** The file's first bytes, checked to be text, without a UTF-8 byte-order mark when the file is read as UTF-8. */
function judged(start: Buffer, encoding: Encoding, whole: boolean): Buffer {
  if (encoding === 'utf16le') {
    // A big-endian file read as little-endian would be every character another one, and fail later as "no header row".
    if (start.length >= 2 && start[0] === 0xfe && start[1] === 0xff) throw new SourceReadError(`${UTF16BE_UNSUPPORTED}, though source.encoding is utf16le`);
    return start;
  }
  if (encoding !== 'utf8' && start.subarray(0, 3).equals(UTF8_BOM)) throw looksLikeUtf8(encoding, 'it starts with a UTF-8 byte-order mark');
  const { first, count } = nonTextBytes(start, encoding, whole);
  if (first >= 0 && count / start.length > MAX_NON_TEXT_SHARE) {
    const share = Math.round((count / start.length) * 100);
    const what = encoding === 'utf8' ? 'control characters or invalid UTF-8' : 'control characters';
    throw notText(`byte offset ${first} (0x${hex(start[first] ?? 0)}) begins ${share}% of ${what} in the first ${start.length} bytes`, start);
  }
  return encoding === 'utf8' && start.subarray(0, 3).equals(UTF8_BOM) ? start.subarray(3) : start;
}

const UTF16BE_UNSUPPORTED = 'it starts with a UTF-16BE byte-order mark, and UTF-16BE is not supported: export the file again as UTF-8 (or UTF-16LE, with source.encoding utf16le)';

/** `head` is the file's first chunk: a UTF-16 byte-order mark there explains the NUL bytes. */
function notText(where: string, head: Buffer): SourceReadError {
  const utf16le = head.length >= 2 && head[0] === 0xff && head[1] === 0xfe;
  const utf16be = head.length >= 2 && head[0] === 0xfe && head[1] === 0xff;
  // UTF-16BE is no source.encoding: read as utf16le, every character would be another one.
  const hint = utf16le
    ? 'it starts with a UTF-16 byte-order mark: set source.encoding to utf16le'
    : utf16be
      ? UTF16BE_UNSUPPORTED
      : 'is it a spreadsheet, an archive or another binary file rather than a CSV export?';
  return new SourceReadError(`not a text file: ${where}; ${hint}`);
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

/** A control character no CSV export contains: C0 other than tab, line feed, form feed and carriage return; DEL. */
function isControl(byte: number): boolean {
  return (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) || byte === 0x7f;
}

/** Counts bytes that are not text (control characters; for UTF-8 also every byte of an invalid sequence) and finds the first. */
function nonTextBytes(bytes: Uint8Array, encoding: Encoding, whole: boolean): { first: number; count: number } {
  let first = -1;
  let count = 0;
  for (let index = 0; index < bytes.length; ) {
    const byte = bytes[index] ?? 0;
    let length = 1;
    let bad = isControl(byte);
    if (encoding === 'utf8' && byte >= 0x80) {
      length = utf8SequenceLength(bytes, index);
      // A sequence cut by the end of the sniffed bytes continues in the next chunk.
      if (length < 0) {
        if (!whole) break;
        length = 0;
      }
      bad = length === 0;
      if (bad) length = 1;
    }
    if (bad) {
      if (first < 0) first = index;
      count += 1;
    }
    index += length;
  }
  return { first, count };
}

/** The length of the valid UTF-8 sequence at `index` (RFC 3629: no overlongs, surrogates or values above U+10FFFF); 0 if invalid, -1 if cut off by the end. */
function utf8SequenceLength(bytes: Uint8Array, index: number): number {
  const lead = bytes[index] ?? 0;
  if (lead < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0;
    if (lead === 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f;
  } else return 0;
  for (let next = 1; next < length; next += 1) {
    const byte = bytes[index + next];
    if (byte === undefined) return -1;
    if (byte < (next === 1 ? low : 0x80) || byte > (next === 1 ? high : 0xbf)) return 0;
  }
  return length;
}

/** The position of the first byte that does not start a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let index = 0; index < bytes.length; ) {
    const length = utf8SequenceLength(bytes, index);
    if (length <= 0) return index;
    index += length;
  }
  return -1;
}

// Strict: invalid bytes throw instead of becoming U+FFFD. (Also the fastest way to decode many small fields.)
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of valid UTF-8, or undefined. */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A parsed row with every field decoded; a field that is not valid UTF-8 becomes a marker the mapping reports. */
function decodeRow(row: Record<string, string | Uint8Array>): HrisRecord {
  const record: HrisRecord = {};
  for (const column in row) {
    const value = row[column];
    if (value === undefined || typeof value === 'string') {
      record[column] = value;
      continue;
    }
    record[column] = decodeUtf8(value) ?? undecodableValue('utf-8', value, Math.max(0, firstInvalidUtf8(value)));
  }
  return record;
}

/** Column names are not per-record data: a name that is not valid UTF-8 fails the read. */
function headerText(name: string | Uint8Array, index: number): string {
  if (typeof name === 'string') return name;
  const text = decodeUtf8(name);
  if (text !== undefined) return text;
  const at = Math.max(0, firstInvalidUtf8(name));
  throw new SourceReadError(`the header row is not valid UTF-8: column ${index + 1} has byte 0x${hex(name[at] ?? 0)} at byte ${at} of its name; set source.encoding if the export is not UTF-8 (windows1252 for a Windows or Excel "ANSI" export)`);
}

const NO_HEADER_HINT = ' (a file without a header row?)';

/**
 * The first line names the columns: none empty, none twice. Its messages name columns by position, never by their
 * text: in a file without a header row the first line is an employee's record (two equal values, "Sales","Sales", or
 * an empty field), and this check runs before mapping/columns.ts could say the file seems to have no header row.
 * (The read's failure adds `csv:<path> cannot be read:` in front.)
 * One exception: some HR and ERP exports end every line in a delimiter, the header row too (`id,email,first,last,`).
 * An empty last name after at least one named column is that delimiter's: the column is left out of the records
 * (`unnamedLast`, its position; columnCountProblem checks each row's field there). Two empty last names still fail.
 * A column named `__proto__` fails too, naming it (no employee's value, and no column name either): csv-parse builds
 * each record as a plain object, where that name sets the object's prototype instead of a value (a UTF-8 read then
 * failed with a TypeError, other encodings dropped the column without a word).
 */
function checkHeader(header: string[]): { columns: string[]; unnamedLast: number | undefined } {
  const all = header.map((column) => column.trim());
  const unnamedLast = all.length > 1 && all.at(-1) === '' ? all.length : undefined;
  const columns = unnamedLast === undefined ? all : all.slice(0, -1);
  const firstAt = new Map<string, number>();
  for (const [index, column] of columns.entries()) {
    if (column === '') throw new SourceReadError(`column ${index + 1} of the first line is empty, where the header row names every column${NO_HEADER_HINT}`);
    if (column === '__proto__') throw new SourceReadError(`column ${index + 1} of the first line is named __proto__, which the CSV source cannot read as a column name: rename that column in the export`);
    const earlier = firstAt.get(column);
    if (earlier !== undefined) throw new SourceReadError(`columns ${earlier + 1} and ${index + 1} of the first line have the same name, where the header row names each column once${NO_HEADER_HINT}`);
    firstAt.set(column, index);
  }
  return { columns, unnamedLast };
}

/** A failure message must stay small whatever the error says. */
const MAX_ERROR_LENGTH = 500;

/**
 * csv-parse's own errors quote the field they choked on (`value is {"type":"Buffer","data":[…]}`, a whole row of
 * names and emails when the delimiter is wrong), and this message reaches the run's failure and the CLI (`validate`,
 * `sync`). Keep only its kind (the text before the first colon), code and line, never a value.
 */
function describeParserError(error: CsvError, maxRecordBytes: number, lastRow: RowEnd): string {
  const kind = error.message.split(':', 1)[0]?.trim() || 'the file could not be parsed';
  const place = parseErrorPlace(error, lastRow);
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    const from = place === undefined ? '' : place.spansLines ? ` starting at line ${place.start}` : ` at line ${place.start}`;
    return `${error.code}: a row longer than ${byteCount(maxRecordBytes)}${from}, where a row of an HR export is a few hundred bytes (a quote that is not closed, which makes the rest of the file one value? not a CSV export?)`;
  }
  const at = place === undefined ? '' : place.spansLines ? ` in the row starting at line ${place.start}` : ` at line ${place.start}`;
  return `${error.code}: ${kind}${at} (a wrong source.delimiter, or a quote that is not closed?)`;
}

/**
 * Where the last complete row ended (the header's end, or nothing yet): `line`, its file line as an editor numbers it
 * (on_record's correction of csv-parse's count); `parserLines`, csv-parse's own count there (`info.lines`, a quoted
 * CRLF two lines); `emptyLines`, csv-parse's `info.empty_lines` by then (empty lines skipped, none of them a record).
 */
interface RowEnd {
  line: number;
  parserLines: number;
  emptyLines: number;
}

/**
 * Where a parse error is: `start`, the line of the file (as an editor numbers it) where the row csv-parse stopped in
 * begins: the last complete row's end, plus one, plus the empty lines skipped since. csv-parse's own count at the error
 * (`lines`) counts the CR and the LF of a CRLF inside quotes as a line each, those of the failing row too, which
 * on_record never sees (a quote never closed named a line past the end of the file). `spansLines`: csv-parse counted a
 * line break inside that row before the error, so the error is on a later line than `start`, which one unknown; the
 * row's start is where a quote never closed opens, unless an earlier value of the row spans lines too.
 */
function parseErrorPlace(error: CsvError, lastRow: RowEnd): { start: number; spansLines: boolean } | undefined {
  const { lines, empty_lines: emptyLines } = error as unknown as { lines?: unknown; empty_lines?: unknown };
  if (typeof lines !== 'number') return undefined;
  const skipped = typeof emptyLines === 'number' ? Math.max(0, emptyLines - lastRow.emptyLines) : 0;
  return { start: lastRow.line + 1 + skipped, spansLines: lines > lastRow.parserLines + 1 + skipped };
}

/** `lastRow`: where the last row csv-parse completed ended (RowEnd), which places a parse error in the file. */
function describeCsvError(error: unknown, maxRecordBytes: number, lastRow: RowEnd = { line: 0, parserLines: 0, emptyLines: 0 }): string {
  let message: string;
  if (error instanceof SourceReadError) message = error.message;
  else if (error instanceof CsvError) message = describeParserError(error, maxRecordBytes, lastRow);
  else if (error instanceof Error) {
    const code = 'code' in error ? String(error.code) : undefined;
    message = code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  } else message = String(error);
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}… (${message.length} characters)` : message;
}
