import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { CsvSourceConfig } from './config';
import { SourceReadError, type HrisRecord, type HrisSource } from './source';

/** Node's name for the encoding; `utf-8` is accepted in the config because people write it that way. */
function nodeEncoding(encoding: CsvSourceConfig['encoding']): BufferEncoding {
  return encoding === 'utf-8' ? 'utf8' : encoding;
}

/**
 * A CSV export with a header row. Streams the file so a 50,000-row export never sits in memory as one string.
 * Records keep the header's column names; values stay text (the mapping decides what they mean).
 * Row N of the spreadsheet (header = row 1) is record N-2 of the read, which is how the mapping names records.
 */
export function createCsvSource(config: CsvSourceConfig): HrisSource {
  return {
    description: `csv:${config.path}`,
    readPages: () => readCsvPages(config),
  };
}

async function* readCsvPages(config: CsvSourceConfig): AsyncGenerator<HrisRecord[]> {
  const file = createReadStream(config.path, { encoding: nodeEncoding(config.encoding) });
  const parser = file.pipe(
    parse({
      columns: (header: string[]) => checkHeader(header, config.path),
      delimiter: config.delimiter,
      bom: true,
      skip_empty_lines: true,
    }),
  );
  // A read error on the file does not propagate through pipe(); forward it so the loop below fails instead of hanging.
  file.on('error', (error) => parser.destroy(error));
  let page: HrisRecord[] = [];
  let read = 0;
  try {
    for await (const row of parser) {
      read += 1;
      page.push(row);
      if (page.length >= config.pageSize) {
        yield page;
        page = [];
      }
    }
  } catch (error) {
    throw new SourceReadError(`csv:${config.path} cannot be read: ${describeCsvError(error)}`);
  } finally {
    file.destroy();
  }
  if (read === 0) throw new SourceReadError(`csv:${config.path} has no employee rows; refusing to sync an empty read`);
  if (page.length > 0) yield page;
}

function checkHeader(header: string[], path: string): string[] {
  const columns = header.map((column) => column.trim());
  const seen = new Set<string>();
  for (const column of columns) {
    if (column === '') throw new SourceReadError(`csv:${path} has an empty column name in its header row`);
    if (seen.has(column)) throw new SourceReadError(`csv:${path} has the column "${column}" twice in its header row`);
    seen.add(column);
  }
  return columns;
}

function describeCsvError(error: unknown): string {
  if (error instanceof SourceReadError) return error.message;
  if (error instanceof Error) {
    const code = 'code' in error ? String(error.code) : undefined;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
