/** One employee record exactly as the HRIS returned it (CSV row, JSON object). Mapping turns it into a DesiredEmployee. */
export type HrisRecord = Record<string, unknown>;

/** Every HR system adapter implements this: pages of raw records, read lazily so memory stays flat. */
export interface HrisSource {
  /** For messages and reports, e.g. `csv:examples/sample-hr.csv`. Never contains secrets. */
  readonly description: string;
  /** Yields pages of records in source order. Throws SourceReadError when the read cannot be trusted. */
  readPages(): AsyncIterable<HrisRecord[]>;
}

/**
 * The source could not be read completely. The run stops before any write: a partial or empty read must never look
 * like "these employees left".
 */
export class SourceReadError extends Error {
  override readonly name = 'SourceReadError';
}

/** Reads every page, refusing an empty result: zero employees is always a broken export, never "everyone left". */
export async function readAllRecords(source: HrisSource): Promise<HrisRecord[]> {
  const records: HrisRecord[] = [];
  for await (const page of source.readPages()) records.push(...page);
  if (records.length === 0) {
    throw new SourceReadError(`${source.description} returned no employee records; refusing to sync an empty read`);
  }
  return records;
}
