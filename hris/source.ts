import type { RecordProblem } from '../mapping/employee';

/** One employee record exactly as the HRIS returned it (CSV row, JSON object). Mapping turns it into a DesiredEmployee. */
export type HrisRecord = Record<string, unknown>;

/**
 * A record with no value in it: every field null or blank text, or none at all. The mapping skips such records as blank
 * lines (the CSV source's stand-ins, rows of empty cells); an API entry like it names nobody and is a problem instead
 * (hris/rest.ts employeeEntries).
 */
export function holdsNoValue(record: HrisRecord): boolean {
  return Object.values(record).every((value) => value === null || value === undefined || (typeof value === 'string' && value.trim() === ''));
}

/** How a caller follows and stops a read (the plan activity: heartbeats, and its attempt's cancellation). */
export interface HrisReadOptions {
  /**
   * Aborts the read: every HTTP request of the read carries it (an in-flight request is torn down, a retry wait ends)
   * and no further page is requested. The read then rejects with the signal's reason (Temporal's CancelledFailure for
   * an activity's `cancellationSignal`).
   */
  signal?: AbortSignal;
  /** Called after each page with the number of records read so far (by readAllRecords, for every kind of source). */
  onPage?: (recordsSoFar: number) => void;
  /**
   * Called before a source waits to retry a failed request (HTTP sources), with a description of the wait: the read is
   * alive even though no page arrived.
   */
  onRetry?: (message: string) => void;
  /**
   * Told every `waitTickMs` while an HTTP source's request is in flight and while it waits to retry (without it, a wait
   * repeats `onRetry`): a long Retry-After and then a slow page, each within its bounds, must not outlast the plan
   * activity's heartbeat timeout in silence.
   */
  onWait?: (() => void) | undefined;
  /** How often `onWait` is told: HR_WAIT_TICK_MS (hris/http.ts) unless a test sets a short one. */
  waitTickMs?: number | undefined;
  /**
   * Told of each record the source had to leave out (a CSV row with the wrong number of fields), as the mapping's own
   * RecordProblem: the caller reports it with the mapping's problems, and an unidentified one holds the leavers. Without
   * it readAllRecords fails the read once it ends, since a record left out silently would look like a leaver.
   */
  onProblem?: (problem: RecordProblem) => void;
}

/** Every HR system adapter implements this: pages of raw records, read lazily so memory stays flat. */
export interface HrisSource {
  /** For messages and reports, e.g. `csv:examples/sample-hr.csv`. Never contains secrets. */
  readonly description: string;
  /**
   * Yields pages of records in source order. Throws SourceReadError when the read cannot be trusted. HTTP sources
   * honour `options.signal` and `options.onRetry`; a source that ignores them is still stopped between pages by
   * readAllRecords.
   */
  readPages(options?: HrisReadOptions): AsyncIterable<HrisRecord[]>;
}

/**
 * The source could not be read completely. The run stops before any write: a partial or empty read must never look
 * like "these employees left".
 */
export class SourceReadError extends Error {
  override readonly name = 'SourceReadError';
}

/** A failure message names this many unreadable records at most, so it stays small. */
const MAX_PROBLEMS_LISTED = 10;

/**
 * Reads every page, refusing an empty result: zero employees is always a broken export, never "everyone left".
 * Reports each page through `options.onPage`; once `options.signal` is aborted no further page is read and the read
 * rejects with the signal's reason, whatever the source was doing.
 */
export async function readAllRecords(source: HrisSource, options: HrisReadOptions = {}): Promise<HrisRecord[]> {
  const { signal, onPage } = options;
  const records: HrisRecord[] = [];
  const unreported: RecordProblem[] = [];
  const onProblem = options.onProblem ?? ((problem: RecordProblem) => void unreported.push(problem));
  signal?.throwIfAborted();
  try {
    for await (const page of source.readPages({ ...options, onProblem })) {
      signal?.throwIfAborted();
      // One push per record: spreading a page passes every record as an argument, and a page of ~125,000 (a REST
      // source with `pagination: none`) overflows the call stack with a RangeError.
      for (const record of page) records.push(record);
      onPage?.(records.length);
    }
  } catch (error) {
    // A request torn down by the signal surfaces as the source's own error; the cancellation is the real cause.
    signal?.throwIfAborted();
    throw error;
  }
  signal?.throwIfAborted();
  if (unreported.length > 0) {
    // Refs and messages only: problems never quote a value (they are personal data).
    const listed = unreported.slice(0, MAX_PROBLEMS_LISTED).map((problem) => `${problem.recordRef}: ${problem.message}`);
    const more = unreported.length > MAX_PROBLEMS_LISTED ? `; and ${unreported.length - MAX_PROBLEMS_LISTED} more` : '';
    throw new SourceReadError(`${source.description}: ${unreported.length} record(s) could not be read: ${listed.join('; ')}${more}`);
  }
  if (records.length === 0) {
    throw new SourceReadError(`${source.description} returned no employee records; refusing to sync an empty read`);
  }
  return records;
}
