import { createHash } from 'node:crypto';
import { z } from 'zod';
import { assertSecureDestination, type SecretResolver } from '../config/secret';
import { authHeaders } from './auth';
import { HTTP_TOKEN_CHAR, type RestPagination, type RestSourceConfig } from './config';
import { describeUrl, HrisStatusError, httpSettingsFor, MIN_REDACTED_QUERY_VALUE, NOT_FOUND_HINT, requestJson, type HrisHttpRequest, type HrisHttpResponse, type HrisHttpSettings, type Sleep } from './http';
import { getJsonPath } from './json-path';
import { BEYOND_EXACT_JSON_RANGE, isBeyondExactJsonRange } from '../mapping/record-fields';
import type { RecordProblem } from '../mapping/employee';
import { holdsNoValue, SourceReadError, type HrisReadOptions, type HrisRecord, type HrisSource } from './source';

export interface RestSourceDeps {
  resolveSecret: SecretResolver;
  sleep: Sleep;
}

const RecordsSchema = z.array(z.unknown());
const EmployeeObjectSchema = z.record(z.string(), z.unknown());

/**
 * Cursor and link pagination: after this many empty pages in a row, each with a fresh cursor or next link, the read
 * stops. An empty page with a next cursor or link is read past (an API that filtered every record of a page), but one
 * that hands out a fresh cursor, or a Link rel="next" to the next page number, with every empty page past its end would
 * otherwise be read to maxPages (10,000 requests): each such request is new, so the repeated-request check misses it,
 * and an empty page has no records to fingerprint. It stops as complete only when the announced total (`totalPath`)
 * has been read; otherwise it fails: ending quietly could leave records unread, and the people in them would look like
 * leavers.
 */
const MAX_EMPTY_CURSOR_PAGES = 3;

/**
 * How many entries that are no employee object (stand-ins: null, a string, {}) alike pages in a row may serve before
 * the read stops. Two such pages alike are no page served again (an API answers null for each record the token may
 * not read, and a restricted department longer than a page is full pages of nulls, alike), but a real loop looks the
 * same: an offset or page API that ignores its position and whose page 1 is all nulls, one that answers every offset
 * past its end with its last full page of nulls, a cursor or link API that hands out a fresh cursor or URL with the
 * same page of nulls. No request or cursor repeats there, so unbounded such a read would run to maxPages (10,000
 * pages), each stand-in held as a problem of its record (hundreds of MB at a few hundred entries a page: the worker
 * runs out of memory, every tenant's run with it), and a failed read is retried. 10,000 people in a row that the
 * token cannot read is no read worth going on with either. Only where nothing else ends such a loop: an `offset` or
 * `page` read with an announced total (`totalPath`) ends at the total instead.
 */
const MAX_STAND_INS_IN_A_ROW = 10_000;

/** Where the next page is, or undefined when this was the last. */
type NextPage = { url: string; params: Record<string, string> } | undefined;

/**
 * A generic JSON REST API: one GET per page, records found at `recordsPath`, pages followed by offset/limit, page
 * number, a cursor in the body or the `Link` header. Fewer records than the API announced is a failed read.
 */
export function createRestSource(config: RestSourceConfig, deps: RestSourceDeps): HrisSource {
  // Messages name the source by this: its URL without user info, query values hidden (a `?api_key=` in the url).
  const description = `rest:${describeUrl(config.url)}`;
  return { description, readPages: (options = {}) => readRestPages(config, deps, description, options) };
}

async function* readRestPages(config: RestSourceConfig, deps: RestSourceDeps, description: string, options: HrisReadOptions): AsyncGenerator<HrisRecord[]> {
  // Credentials are resolved for each request's own URL: a `next` link or Link header may point at another host, and
  // the secret may only go where the worker binds it (config/secret.ts). The same check guards every redirect.
  // The extra `source.headers` go to the origin of `source.url` only: a `Link` header or a cross-origin redirect may
  // name any host, and the config's headers are meant for the HR API (a redirect drops them: originBoundHeaders).
  const sourceOrigin = new URL(config.url).origin;
  // (An apiKey header of the same name is the auth's, which has its own host binding: not dropped.)
  const authHeader = config.auth.type === 'apiKey' ? config.auth.header.toLowerCase() : undefined;
  const originBoundHeaders = { origin: sourceOrigin, names: Object.keys(config.headers).filter((name) => name.toLowerCase() !== authHeader) };
  // Values short enough to be words or numbers (`1`, `true`, `active`) are no credential, and hiding every such
  // string in a quoted body would make it unreadable; an API key is longer.
  const queryValues = Object.values(config.query).filter((value) => value.length >= MIN_REDACTED_QUERY_VALUE);
  const checkDestination = (url: string | URL) => {
    assertSecureDestination(url);
    const auth = authHeaders(config.auth, deps.resolveSecret, url);
    const extra = new URL(url).origin === sourceOrigin ? config.headers : {};
    // `source.query` values are redacted from quoted error bodies too: an `api_key=` lives there, and an API may echo it.
    return { headers: { Accept: 'application/json', ...extra, ...auth.headers }, secrets: [...auth.secrets, ...queryValues] };
  };
  // A name `source.query` also sets stays hidden: its value may be the config's (a cursor's first page).
  const visibleParams = paginationParams(config.pagination).filter((name) => !Object.hasOwn(config.query, name));
  const settings = httpSettingsFor(config, options, deps.sleep, description);
  let next: NextPage = { url: config.url, params: { ...config.query, ...firstPageParams(config.pagination) } };
  let announced: number | undefined;
  let read = 0;
  const seenCursors = new Set<string>();
  // A server that ignores the offset or page parameter, or a Link rel="next" back to the same URL, would otherwise be
  // read until maxPages: thousands of copies of one page held in memory. Requests and page contents are remembered as
  // digests, so the memory they take does not grow with the records.
  const requested = new Set<string>();
  let previousPage: string | undefined;
  /**
   * The last page looked like a tail: a first page shorter than the size asked for, or a page shorter than an earlier
   * one. Either may still not be the end (a capped page size, a page the API filtered), so the read goes on; but an API
   * that then answers 404, and 404 again when asked once more, had nothing more, and one that serves the same page
   * again had nothing more once the read advanced past its first page (see pagesWithRecords). After a full page, both
   * stay failures. A 404 is an end only
   * for `offset` and `page` reads, which ask for a page past the end themselves: a `cursor` or `link` read asks only
   * for the page the API itself announced (a next cursor, a Link rel="next"), and page sizes there vary, so a 404
   * for it is a failed read, short page before it or not.
   */
  let afterTail = false;
  let longestPage = 0;
  /**
   * Pages with records read so far. Page 1 served again right after a first page shorter than asked for is not
   * evidence of the end: an API that ignores the offset or page parameter (it reads `start`, say) does that, and when it
   * also caps its page size (200 asked, 100 answered, 120 in all) the rest would look like leavers. Such a repeat ends
   * the read only once it advanced past the first page (or, with `totalPath`, the announced total decides). A 404 there
   * does end it: an API that caps its page size serves page 2 (with records), it does not answer 404, and Django REST
   * framework answers 404 ("Invalid page.") past the only page of a tenant smaller than the page size.
   */
  let pagesWithRecords = 0;
  // Offset pagination: how often each record (by digest) was in the previous page, kept only when that page was short
  // (fewer records than asked for). The next offset is this one plus the records answered; an API that filters a page
  // after applying the offset answers fewer, and the next page then overlaps this one. After a full page the next
  // offset cannot overlap it: a record also at the start of the next page is one the data holds twice (two vacancies
  // alike) or one the data moved during the read, not a filter (servedBefore, below, holds the leavers on it, for that).
  let previousRecords: Map<string, number> | undefined;
  /**
   * Every record kept so far (by a short digest of its content), with the page that served it first. An API whose order is not stable across requests (ORDER BY a
   * key that is not unique, with LIMIT/OFFSET) can serve one record on two pages and skip another, every page full and
   * the total right; the skipped person would look like a leaver. Checked for every pagination: a `cursor` or `link`
   * read is no safer, as many cursors and next links are an offset or page number underneath. So a record served again by a later page is a
   * problem of the read that holds its leavers (or fails the read, for a caller that takes no problems). A Map of short
   * keys: ~50,000 records take a few MB.
   */
  const servedBefore = new Map<string, number>();
  // Where each page was asked for (` (offset=100)`), for messages naming the page that served a record first.
  const pageParams: string[] = [];
  let emptyPagesInARow = 0;
  // Entries that were no employee object (each one a problem): a read of nothing else is empty.
  let unreadable = 0;
  /**
   * Pages in a row (the one before them not counted) that served the page before again entry for entry, every entry one
   * that was no employee object. Such a repeat is not taken as a page served again: an API that answers null for each
   * record the token may not read serves a restricted department longer than a page as full pages of nulls, alike.
   * A real loop of such pages still ends: at a request already made, a cursor that came back, the total, or once
   * their entries pass MAX_STAND_INS_IN_A_ROW (or at maxPages, when that comes first), whose message then says what the
   * pages were.
   */
  let standInRepeats = 0;
  let standInPageLength = 0;
  for (let pageNumber = 1; next; pageNumber += 1) {
    if (pageNumber > config.maxPages) {
      const alike =
        standInRepeats > 0
          ? ` The last ${standInRepeats + 1} pages were alike, each only ${standInPageLength} entries that are not employee objects (not taken as a page served again: an API answers so for records the token may not read), ` +
            `so the API may be serving one page again and again${standInLoopRemedy(config)}`
          : '';
      throw new SourceReadError(`${description}: more than maxPages (${config.maxPages}) pages; is the pagination setting right?${alike}`);
    }
    const requestKey = requestKeyOf(next);
    if (requested.has(requestKey)) {
      throw new SourceReadError(`${description}: page ${pageNumber} would request a page already read (the pagination repeats); is the pagination setting right?`);
    }
    requested.add(requestKey);
    // Between pages too: a stopped read requests nothing more, even when the caller is not iterating right now.
    options.signal?.throwIfAborted();
    const { headers, secrets } = checkDestination(next.url);
    const request: HrisHttpRequest = { method: 'GET', url: next.url, params: next.params, headers, secrets, checkRedirect: (target) => void checkDestination(target), visibleParams, originBoundHeaders };
    let response: HrisHttpResponse;
    try {
      response = await requestJson(request, settings);
    } catch (error) {
      if (error instanceof HrisStatusError && error.status === 404 && pageNumber > 1) {
        // Past a tail page a 404 is the end only when the API says it twice: one 404 may be a blip (a node that lost the
        // list, a deploy), and ending there as complete would plan everyone after it as a leaver.
        if (afterTail && readsPastTheEnd(config.pagination)) {
          if (await notFoundAgain(request, settings, options.signal)) break;
          throw new SourceReadError(
            `${error.message.replace(NOT_FOUND_HINT, '')}; page ${pageNumber} follows a short page, but asked once more it did not answer 404 again, so that 404 was no end of the list and the read is incomplete (read again)`,
          );
        }
        // Past the first page a 404 is no wrong URL (page 1 was found there): the list changed or a cursor expired
        // during the read, and a fresh read from page 1 usually succeeds. So a plain SourceReadError, which Temporal
        // retries (an HrisStatusError 404 is not retried: activities/failures.ts); only page 1's 404 stays final.
        const why = readsPastTheEnd(config.pagination)
          ? `page ${pageNumber} follows a page that was not short (no last page)`
          : `page ${pageNumber} was announced by ${config.pagination.type === 'cursor' ? `the next cursor at "${config.pagination.cursorPath}"` : 'the Link rel="next" header'} of page ${pageNumber - 1}`;
        // Still a failure (a 404 after a full page may be a list that changed), but one that fails every read when the
        // list ends exactly at a full page of an API that answers 404 past its end (Django REST framework, "Invalid
        // page."): the total each page announces ends such a read at its last page, without asking for the next one.
        const fix =
          readsPastTheEnd(config.pagination) && config.totalPath === undefined
            ? `. If every read fails so, the list may end exactly at a full page (as many records as a multiple of the page size) of an API that answers 404 past its last page: set source.totalPath to the total the API announces (Django REST framework: count), so the read knows where it ends`
            : '';
        throw new SourceReadError(`${error.message.replace(NOT_FOUND_HINT, '')}; ${why}, so the read is incomplete (the list may have changed or a cursor expired during the read; read again)${fix}`);
      }
      if (error instanceof HrisStatusError && error.status === 400 && pageNumber > 1) {
        // Page 1 was accepted with the same parameters: a 400 for a later page is a cursor that expired, or a list that
        // changed under an offset, not a bad config. A plain SourceReadError, retried like the 404 above (a 400 is not).
        throw new SourceReadError(
          `${error.message}; the API refused a later page (page ${pageNumber}) of a read whose page 1 it accepted (a cursor may have expired, or the list changed during the read), so the read is incomplete; read again`,
        );
      }
      throw error;
    }
    const { records, problems } = extractRecords(response.body, config.recordsPath, description, pageNumber, read, options.onProblem);
    // Short: the first page against the size asked for, a later one against the largest page served before (an API
    // that caps its page size serves only pages short of the size asked for). It may still not be the last page.
    const short = records.length < (pageNumber === 1 ? requestedPageSize(config.pagination) : longestPage);
    if (records.length > 0) {
      const fingerprint = pageFingerprint(records);
      // Only a read that asks for pages by position ends so: a `cursor` or `link` read was told there is more.
      // Except a page of nothing but stand-ins while the announced total says more follows: an API that caps its page
      // size below pageSize (page 1 short) serves a restricted part of two pages or more as pages of nulls alike, and
      // its records after them; the total ends that read (and one that loops: more than announced, below).
      const standInsBeforeTotal = announced !== undefined && read < announced && records.every(isStandIn);
      if (fingerprint === previousPage && afterTail && readsPastTheEnd(config.pagination) && !standInsBeforeTotal) {
        if (pagesWithRecords >= 2 || announced !== undefined) break;
        throw new SourceReadError(
          `${description}: page ${pageNumber}${pageParamsText(config.pagination, next.params)} served page ${pageNumber - 1} again, record for record; ${firstPageTailHint(config.pagination, read)}`,
        );
      }
      // A page of nothing but stand-ins (null, a string, {} for each record the token may not read) is alike the page
      // before whenever that one was such a page of the same length: no evidence of a page served again, and failing on
      // it would fail every read of a list with a restricted part longer than a page. Each entry stays a problem of its
      // record. (After a short page, above, such a repeat still ends the read: a last short page served again.)
      const servedAgain = fingerprint === previousPage && !records.every(isStandIn);
      standInRepeats = fingerprint === previousPage && !servedAgain ? standInRepeats + 1 : 0;
      standInPageLength = records.length;
      // A loop of such pages ends nowhere else (see MAX_STAND_INS_IN_A_ROW) but where an offset or page read has a total:
      // there the total ends it, or more than announced (below).
      const standInsInARow = standInRepeats > 0 ? (standInRepeats + 1) * records.length : 0;
      if (standInsInARow > MAX_STAND_INS_IN_A_ROW && !(announced !== undefined && readsPastTheEnd(config.pagination))) {
        throw new SourceReadError(
          `${description}: the last ${standInRepeats + 1} pages (to page ${pageNumber}${pageParamsText(config.pagination, next.params)}) were alike, each only ${records.length} entries that are not employee objects ` +
            `(null, a string or an empty object, as an API answers for each record the token may not read): ${standInsInARow} such entries in a row, more than the ${MAX_STAND_INS_IN_A_ROW} the read takes. ` +
            `Either the API serves one page again and again, or the token cannot read that many people in a row; the read cannot tell which, so it stops (${read - standInRepeats * records.length} entries read before these pages)${standInLoopRemedy(config)}`,
        );
      }
      if (servedAgain && !readsPastTheEnd(config.pagination)) {
        const announcer = config.pagination.type === 'cursor' ? `a next cursor at "${config.pagination.cursorPath}"` : 'a Link rel="next" header';
        throw new SourceReadError(
          `${description}: the API served page ${pageNumber - 1} again (as page ${pageNumber}, record for record) while announcing more (${announcer}); ` +
            'the read cannot tell whether records are missing, so it is incomplete (read again)',
        );
      }
      if (servedAgain) {
        throw new SourceReadError(
          `${description}: page ${pageNumber} repeats page ${pageNumber - 1} record for record; the API ignores the ${config.pagination.type} pagination parameters, is the pagination setting right?`,
        );
      }
      previousPage = fingerprint;
      if (config.pagination.type === 'offset') {
        const digests = new Map<string, number>();
        for (const record of records) {
          // A stand-in is no record the next page can repeat: two pages each with a null entry overlap in nothing.
          if (isStandIn(record)) continue;
          const digest = recordDigest(record);
          digests.set(digest, (digests.get(digest) ?? 0) + 1);
        }
        // Counted with multiplicity: a record in both pages counts as often as it is in both, not once.
        let overlap = 0;
        if (previousRecords) for (const [digest, count] of digests) overlap += Math.min(count, previousRecords.get(digest) ?? 0);
        if (overlap > 0) {
          throw new SourceReadError(
            `${description}: page ${pageNumber} (${config.pagination.offsetParam}=${next.params[config.pagination.offsetParam] ?? ''}) repeats ${overlap} record(s) of page ${pageNumber - 1}: ` +
              'the API leaves records out of a page after applying the offset (a filter), or the data changed during the read, so the next offset overlaps and offset pagination cannot read it reliably ' +
              '(its records would be read twice, and rejected as duplicates); use page or cursor pagination if the API offers it',
          );
        }
        // Only after a short page: after its first page, an API that caps its page size has identical records at its
        // boundaries, not an overlap. (At its first boundary they still count: the data cannot tell a cap from a filter
        // there, and failing is the safe reading.)
        previousRecords = short ? digests : undefined;
      }
    }
    // The total this page confirms, where the read may end on it. An `offset` or `page` read ends once it has read the
    // total (without the request past the end), so the total must be the list's as it is now, not as it was at page 1:
    // a record added ahead of the offset during the read shifts the list (the next page starts with the last record of
    // this one again) while the first total stays, and the read would end one record short, its last employee unread
    // (a leaver) and another read twice. So every page's total is read, and a total that changes fails the read:
    // the list changed under it, and only reading it again is reliable. A page without the total (an API that
    // announces it on its first page only) confirms nothing: the read then goes on to the empty page (or a 404 past a
    // tail page), and more records than the first page announced fail it too (see after the loop). A `cursor` or
    // `link` read never ends on the total alone (the API says where the next page starts): its first total stays the
    // one checked, and more records than it fail the read too (its cursors or links may be offsets underneath).
    let confirmedTotal: number | undefined;
    if (pageNumber === 1) {
      announced = extractTotal(response.body, config.totalPath, description);
      confirmedTotal = announced;
    } else if (announced !== undefined && readsPastTheEnd(config.pagination) && getJsonPath(response.body, config.totalPath ?? '') !== undefined) {
      confirmedTotal = extractTotal(response.body, config.totalPath, description);
      if (confirmedTotal !== announced) throw listChanged(description, `total ${announced} → ${confirmedTotal} at "${config.totalPath ?? ''}" on page ${pageNumber}`);
    }
    // After the total's check: a total that changed names the cause more precisely than the record it moved.
    if (records.length > 0) {
      pageParams[pageNumber] = pageParamsText(config.pagination, next.params);
      let repeated = 0;
      let firstServedOn: number | undefined;
      records.forEach((record, index) => {
        const key = servedKey(record);
        if (key === undefined) return;
        const page = servedBefore.get(key);
        if (page === undefined) {
          servedBefore.set(key, pageNumber);
          return;
        }
        // Twice within one page is the API's answer as it is: the mapping's to reject (one HR id twice).
        if (page === pageNumber) return;
        // Served again by a later page, alike in every field: it is mapped once, from where it was first served. A blank
        // stand-in keeps the positions of the records after it (the mapping names records by position, and skips it).
        records[index] = {};
        repeated += 1;
        firstServedOn = Math.min(firstServedOn ?? page, page);
      });
      if (firstServedOn !== undefined) {
        const message =
          `page ${pageNumber}${pageParams[pageNumber] ?? ''} served ${repeated} record(s) that an earlier page already served (the first of them on page ${firstServedOn}${pageParams[firstServedOn] ?? ''}; records are not quoted): ` +
          `the API's order may not be stable across pages (a sort key that is not unique, such as ORDER BY department with LIMIT/OFFSET), or the list changed during the read, so some other record may have been skipped and would look like a leaver (or the HR data holds two records alike in every field). ` +
          `Have the API sort by a unique key in source.query (e.g. sort=id)${readsPastTheEnd(config.pagination) ? ', or use cursor pagination if it offers it' : ''}`;
        if (!options.onProblem) throw new SourceReadError(`${description}: ${message}`);
        // Reported as a problem that names no employee, so it holds the run's leaver writes for approval
        // (sync/leavers.ts): whoever may have been skipped is not deactivated unseen, while every record read is still
        // created and updated, the repeated one once (a failed read would stop the whole tenant for data that may be
        // right: two rows alike).
        options.onProblem({ recordRef: `page ${pageNumber} of the read`, field: 'pagination', message });
      }
    }
    read += records.length;
    // More than announced fails the read (after the loop), and at once where nothing else would end it: a cursor or link
    // read is not ended by the total (the API says where the next page is), so a loop of fresh cursors or links would
    // otherwise go on to maxPages; nor are alike pages of stand-ins past a total announced on page 1 only (an offset or
    // page read is exempt from MAX_STAND_INS_IN_A_ROW where it has a total). Otherwise an offset or page read goes on
    // to its empty page, as before.
    if (announced !== undefined && read > announced && (!readsPastTheEnd(config.pagination) || standInRepeats > 0)) {
      throw moreThanAnnounced(description, config.totalPath, announced, read);
    }
    // The page is kept: its entries that were no employee objects are problems of the read now, not before (a page
    // served again at the end of the read is dropped above, problems and all).
    for (const problem of problems) options.onProblem?.(problem);
    unreadable += problems.length;
    if (records.length > 0) pagesWithRecords += 1;
    if (records.length > 0) yield records;
    emptyPagesInARow = records.length === 0 ? emptyPagesInARow + 1 : 0;
    next = nextPage(config, next, response, { pageNumber, pageLength: records.length, longestBefore: longestPage }, read, confirmedTotal, announced, seenCursors, description);
    // A cursor or link API that hands out a fresh cursor or next link with every empty page would otherwise be read to
    // maxPages (an `offset` or `page` read ends at its first empty page: nextPage). Only while it does hand one out: an
    // empty page without one is the end, however many empty pages came before it.
    if (next !== undefined && (config.pagination.type === 'cursor' || config.pagination.type === 'link') && emptyPagesInARow >= MAX_EMPTY_CURSOR_PAGES) {
      if (announced !== undefined && read >= announced) break;
      const announcer = config.pagination.type === 'cursor' ? 'cursor' : 'next link';
      throw new SourceReadError(
        `${description}: ${MAX_EMPTY_CURSOR_PAGES} empty pages in a row, each with a new ${announcer}, after ${read} record(s): the API may have more, or gives a ${announcer} even past its end, and the read cannot tell which; ` +
          'set totalPath to the total the API announces, so the read knows when it is complete',
      );
    }
    // An empty page is no tail: where it does not end the read (a cursor or Link to more), the API said there is more.
    afterTail = records.length > 0 && short;
    longestPage = Math.max(longestPage, records.length);
  }
  if (read === 0) throw new SourceReadError(`${description} returned no employee records; refusing to sync an empty read`);
  if (unreadable >= read) {
    throw new SourceReadError(`${description} returned no employee records, only ${read} entry(ies) that are not employee objects; refusing to sync an empty read`);
  }
  if (announced !== undefined && read < announced) {
    throw new SourceReadError(`${description} announced ${announced} records at "${config.totalPath ?? ''}" but returned only ${read}; the read is incomplete`);
  }
  // More records than announced: an `offset` or `page` read (which ends at the total each page confirms) read records
  // twice because the list shifted, or ended past a total that undercounts; either way some may be missing. So may a
  // `cursor` or `link` read: its cursors and links are often offsets or page numbers underneath.
  if (announced !== undefined && read > announced) throw moreThanAnnounced(description, config.totalPath, announced, read);
}

/** More records read than the total announced at `totalPath`: the list changed under the read, or the total undercounts. */
function moreThanAnnounced(description: string, totalPath: string | undefined, announced: number, read: number): SourceReadError {
  return listChanged(description, `${announced} record(s) announced at "${totalPath ?? ''}", ${read} read; if every read says so, "${totalPath ?? ''}" counts fewer records than the list returns (active people only, say): correct or remove source.totalPath`);
}

/**
 * What to do about alike pages of stand-ins in a row that did not end: `totalPath`, where it would end the read (an
 * `offset` or `page` read without it), and the token's permissions (a restricted token answers null for each record).
 */
function standInLoopRemedy(config: RestSourceConfig): string {
  const total =
    readsPastTheEnd(config.pagination) && config.totalPath === undefined ? 'set source.totalPath to the total the API announces, so the read knows where it ends, and ' : '';
  const loop = readsPastTheEnd(config.pagination)
    ? `the API ignores the ${config.pagination.type} parameter or serves its last page again past its end`
    : `the API hands out a new ${config.pagination.type === 'cursor' ? 'cursor' : 'next link'} with the same page again and again`;
  return `; ${total}check that the token may read every employee (its permissions or scopes): if it may, ${loop}`;
}

/**
 * Whether the request, asked once more, answers 404 again. Any other failure is the read's (rethrown as it is); an
 * answer is false: the first 404 was no end.
 */
async function notFoundAgain(request: HrisHttpRequest, settings: HrisHttpSettings, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await requestJson(request, settings);
    return false;
  } catch (error) {
    signal?.throwIfAborted();
    if (error instanceof HrisStatusError && error.status === 404) return true;
    throw error;
  }
}

/** A read that saw the HR list change under it: retrying reads it again, from a list that is, with luck, at rest. */
function listChanged(description: string, evidence: string): SourceReadError {
  return new SourceReadError(
    `${description}: the HR list changed while it was read (${evidence}); read again. A record added or removed during a paginated read shifts the pages (cursors and next links are often offsets underneath), and a present employee could be left unread`,
  );
}

/** One request, whatever the order of its parameters: the URL with the parameters it will be sent with. */
function requestKeyOf(page: { url: string; params: Record<string, string> }): string {
  const url = new URL(page.url);
  for (const [name, value] of Object.entries(page.params)) url.searchParams.set(name, value);
  url.searchParams.sort();
  url.hash = '';
  return url.toString();
}

/** ` (offset=100)`: the parameter that moves an offset or page read on, as this request sends it. */
function pageParamsText(pagination: RestPagination, params: Record<string, string>): string {
  const name = pagination.type === 'offset' ? pagination.offsetParam : pagination.type === 'page' ? pagination.pageParam : undefined;
  return name === undefined ? '' : ` (${name}=${params[name] ?? ''})`;
}

/**
 * Why page 1 served again right after a first page shorter than asked for is not the end of the read, and what to do:
 * the likely causes named, the configured parameter among them. Only offset reads and page reads with a size parameter
 * get here (the only reads whose first page can be short).
 */
function firstPageTailHint(pagination: RestPagination, firstPage: number): string {
  const asked = requestedPageSize(pagination);
  const parameter =
    pagination.type === 'offset'
      ? `the offset parameter "${pagination.offsetParam}" (does the API name it otherwise, e.g. start or skip? set pagination.offsetParam)`
      : pagination.type === 'page'
        ? `the page parameter "${pagination.pageParam}" (does the API name it otherwise, e.g. p or pageNumber? set pagination.pageParam)`
        : 'the pagination parameters';
  const cause = `the API may ignore ${parameter}, or cap its page size below pageSize (${asked}) so that page 1 was a full page and more records follow`;
  return (
    `page 1 had ${firstPage} record(s) where ${asked} were asked for, which is not taken as the end of the read: ${cause}. ` +
    'Set totalPath to the total the API announces (Django REST framework: count), so the read knows when it is complete, or correct the pagination setting'
  );
}

/** A digest of a page's records: two consecutive pages with the same digest are the same page served again. */
function pageFingerprint(records: HrisRecord[]): string {
  const hash = createHash('sha256');
  // Record by record, so a page of 150,000 records is never built into one string.
  for (const record of records) hash.update(JSON.stringify(record)).update('\n');
  return hash.digest('base64');
}

/**
 * How a read knows a record again on a later page: a short digest of its content (96 bits: no
 * collision among 50,000 records). Not its HR id: two rows of one person (a rehire's old and new employment) are the
 * mapping's to tell apart, and would otherwise hold every run's leavers. A stand-in (an entry that was no employee
 * object) is no record.
 */
function servedKey(record: HrisRecord): string | undefined {
  if (isStandIn(record)) return undefined;
  return recordDigest(record).slice(0, 16);
}

/** A digest of one record, to find it again in the next page. */
function recordDigest(record: HrisRecord): string {
  return createHash('sha256').update(JSON.stringify(record)).digest('base64');
}

/**
 * Whether the read asks for pages by position (`offset`, `page`) and so, after its last page, for one past the end:
 * an API may answer that with 404 (Django REST framework). `cursor` and `link` reads only follow what the API announced.
 */
function readsPastTheEnd(pagination: RestPagination): boolean {
  return pagination.type === 'offset' || pagination.type === 'page';
}

/** The page size the read asks for, where the pagination asks for one (0 where the API decides alone). */
function requestedPageSize(pagination: RestPagination): number {
  if (pagination.type === 'offset') return pagination.pageSize;
  if (pagination.type === 'page' && pagination.sizeParam) return pagination.pageSize;
  return 0;
}

/**
 * The query parameters the read sets itself, whose values messages may show (never `source.query`'s). Not a cursor: it
 * is the API's, often the last record's sort key encoded (base64 of an email), so messages show it as `…`.
 */
function paginationParams(pagination: RestPagination): string[] {
  switch (pagination.type) {
    case 'offset':
      return [pagination.offsetParam, pagination.limitParam];
    case 'page':
      return [pagination.pageParam, ...(pagination.sizeParam ? [pagination.sizeParam] : [])];
    case 'cursor':
      return pagination.sizeParam ? [pagination.sizeParam] : [];
    case 'link':
    case 'none':
      return [];
  }
}

function firstPageParams(pagination: RestPagination): Record<string, string> {
  switch (pagination.type) {
    case 'offset':
      return { [pagination.offsetParam]: String(pagination.firstOffset), [pagination.limitParam]: String(pagination.pageSize) };
    case 'page':
      return { [pagination.pageParam]: String(pagination.firstPage), ...(pagination.sizeParam ? { [pagination.sizeParam]: String(pagination.pageSize) } : {}) };
    case 'cursor':
      return pagination.sizeParam ? { [pagination.sizeParam]: String(pagination.pageSize) } : {};
    case 'link':
    case 'none':
      return {};
  }
}

function nextPage(
  config: RestSourceConfig,
  current: { url: string; params: Record<string, string> },
  response: HrisHttpResponse,
  /** This page: its number, its length, and the longest page before it in this read (0 on page 1). */
  page: { pageNumber: number; pageLength: number; longestBefore: number },
  read: number,
  /** The total this page confirmed (undefined where it did not): an offset or page read ends once it is read. */
  confirmedTotal: number | undefined,
  /** The total page 1 announced (`totalPath`), if any. */
  announced: number | undefined,
  seenCursors: Set<string>,
  description: string,
): NextPage {
  const pagination = config.pagination;
  const { pageLength } = page;
  const reachedTotal = confirmedTotal !== undefined && read >= confirmedTotal;
  switch (pagination.type) {
    case 'none': {
      // `none` is the default, so a config that never set pagination gets here too. An answer that links a next page
      // holds only the first page of the list (the API's page size, often 50 or 100): read as the whole list, the
      // people past it would be planned as leavers. The link is not quoted: its query may hold a token.
      if (nextLink(response.headers['link']) !== undefined) {
        throw new SourceReadError(
          `${description}: the answer has a Link rel="next" header, so the API has more pages than this one, but source.pagination is none (the default, one request); ` +
            'set source.pagination to { type: link } to follow it (or to the pagination the API documents)',
        );
      }
      // So does an answer whose body says so beside the records (a next cursor or link, has_more: true).
      const signal = nextPageSignal(response.body, config.recordsPath);
      if (signal !== undefined) {
        throw new SourceReadError(
          `${description}: the answer has ${signal} beside the records (value not shown), so the API has more pages than this one, but source.pagination is none (the default, one request); ` +
            'set source.pagination to the pagination the API documents (cursor, with cursorPath naming that key, link, offset or page)',
        );
      }
      return undefined;
    }
    case 'offset': {
      // Only an empty page or the announced total (checked after the loop) ends the read: a short page is not the last
      // when the API caps the page size below the one asked for (limit=100 answered with 50). Stopping early would make
      // present people look like leavers; reading on costs one request. (An API that answers 404 past its end is
      // handled in the loop.) An API that filters records out of a page after applying the offset makes this next
      // offset overlap the page just read, when it was short: the loop fails the read on the records it repeats.
      if (pageLength === 0 || reachedTotal) return undefined;
      const offset = Number(current.params[pagination.offsetParam] ?? pagination.firstOffset) + pageLength;
      return { url: current.url, params: { ...current.params, [pagination.offsetParam]: String(offset) } };
    }
    case 'page': {
      // As for offsets: a short page may be the API's own page size, with or without a size parameter.
      if (pageLength === 0 || reachedTotal) return undefined;
      const page = Number(current.params[pagination.pageParam] ?? pagination.firstPage) + 1;
      return { url: current.url, params: { ...current.params, [pagination.pageParam]: String(page) } };
    }
    case 'cursor': {
      const cursor = getJsonPath(response.body, pagination.cursorPath);
      // The cursor ends the read: an API may answer an empty page (every record of it filtered out, a search index
      // catching up) and a cursor to more. An empty page that returns the cursor it was sent ends it too, and so do
      // MAX_EMPTY_CURSOR_PAGES empty pages in a row (the loop). A cursor that comes back twice, or maxPages, stops a loop.
      // null or "" is the API saying so. No key at all is that only after a short page (an API that leaves the cursor
      // out of its last page): after a full page it is as likely a cursorPath that names the wrong key (meta.nextCursor
      // for meta.next_cursor), which finds nothing on every page and would end every read after page 1, the people
      // after it planned as leavers. The announced total, where there is one, tells the two apart. Full is as long as
      // the size asked for and as the longest page before it: an API that ignores sizeParam and serves larger pages of
      // its own (150 where 100 were asked for) ends on a page shorter than those, which is a short page, however long.
      // Without sizeParam no page is full or short, and a short page 1 is no evidence of the end either: an API that
      // caps its page size (100 answered where 200 were asked for) serves only short pages. Without totalPath nothing
      // else tells the end: there, no key at all on page 1 (not full: a full one fails below) fails the read when the
      // answer holds a next cursor under another key (beside where cursorPath looks, or beside the records:
      // meta.next_cursor for meta.nextCursor). With none anywhere it is the end: an API that leaves the cursor out of
      // its only page (nextPageToken), or whose paging object is null. A key absent only from a later page, after pages
      // that had it, is an API that leaves it out of its last page.
      if (cursor === undefined && page.pageNumber === 1 && (pagination.sizeParam === undefined || pageLength < pagination.pageSize) && config.totalPath === undefined) {
        const elsewhere = cursorElsewhere(response.body, pagination.cursorPath, config.recordsPath);
        if (elsewhere !== undefined) throw missingCursorOnFirstPage(pagination, pageLength, response.body, description, elsewhere);
      }
      if (cursor === undefined && pagination.sizeParam !== undefined && pageLength >= Math.max(pagination.pageSize, page.longestBefore) && !(announced !== undefined && read >= announced)) {
        throw missingCursorAfterFullPage(config.totalPath, pagination, response.body, page, read, announced, description);
      }
      if (cursor === undefined || cursor === null || cursor === '') return undefined;
      if (typeof cursor !== 'string' && typeof cursor !== 'number') {
        throw new SourceReadError(`${description}: the cursor at "${pagination.cursorPath}" is not text`);
      }
      // JSON.parse rounds a number beyond 2^53 (a snowflake id, say): sent back, it would ask for another page.
      if (isBeyondExactJsonRange(cursor)) {
        throw new SourceReadError(
          `${description}: the cursor at "${pagination.cursorPath}" ${BEYOND_EXACT_JSON_RANGE}, which JSON readers round, so the next page cannot be asked for; the API must send it as a string`,
        );
      }
      const text = String(cursor);
      // An empty page that hands back the very cursor it was asked for has nothing past it: the end of the read, not a
      // loop (some APIs answer their last, empty page so). After records, the same cursor is still a loop.
      if (pageLength === 0 && text === current.params[pagination.cursorParam]) return undefined;
      if (seenCursors.has(text)) throw new SourceReadError(`${description}: the cursor at "${pagination.cursorPath}" came back twice (its value is not shown: it may encode a record); the API is looping`);
      seenCursors.add(text);
      return { url: current.url, params: { ...current.params, [pagination.cursorParam]: text } };
    }
    case 'link': {
      const link = nextLink(response.headers['link']);
      // The next URL carries its own query string; sending the first page's parameters again would override it.
      return link ? { url: new URL(link, response.url || current.url).toString(), params: {} } : undefined;
    }
  }
}

/**
 * Page 1 of a cursor read without totalPath and without sizeParam (or shorter than pageSize: a capped page size looks
 * so), without the key at cursorPath (not null or "": absent), and with a next cursor under another key (`elsewhere`,
 * cursorElsewhere): a cursorPath that names the wrong key, which taken as the end would end every read after page 1,
 * the people after it planned as leavers.
 */
function missingCursorOnFirstPage(pagination: { cursorPath: string; sizeParam?: string | undefined; pageSize: number }, pageLength: number, body: unknown, description: string, elsewhere: string): SourceReadError {
  const { cursorPath } = pagination;
  // With sizeParam set, a short page 1 cannot tell an API that caps its page size from a last page: only the total can.
  const remedy =
    pagination.sizeParam === undefined
      ? 'if the API leaves the cursor out of its last page, set source.pagination.sizeParam (with pageSize) or source.totalPath (the total the API announces), so the read can tell'
      : `if the API leaves the cursor out of its last page, set source.totalPath (the total the API announces), so the read can tell: page 1 is short (${pageLength} record(s), pageSize ${pagination.pageSize}), as an API that caps its page size answers too`;
  return new SourceReadError(
    `${description}: page 1 has no key at "${cursorPath}" (source.pagination.cursorPath), neither a next cursor nor null, but has ${elsewhere}: ${describeAround(body, cursorPath)} (values not shown). ` +
      `That is most likely a cursorPath that names the wrong key, so it is not taken as the end of the read: correct source.pagination.cursorPath; ${remedy}`,
  );
}

/** Key names that hold a next page's cursor or link (next_cursor, nextPageToken, continuationToken, …). */
const CURSOR_LIKE_KEY = /next|cursor|token|continu/i;
/**
 * Cursor-like keys that name no next page: a sync or delta token (nextSyncToken, deltaToken) an API returns with its
 * last page, the previous or current page's cursor. On an API's only page they are no sign of a misspelt cursorPath.
 */
const NOT_A_NEXT_PAGE_KEY = /sync|delta|prev|current|self|first|last/i;

/**
 * A next cursor the answer holds under another key than cursorPath, described by its key (never its value): a
 * cursor-like key with a value beside where cursorPath looks, or a next-page signal beside the records
 * (nextPageSignal). Undefined when there is none: the page is the API's last.
 */
function cursorElsewhere(body: unknown, cursorPath: string, recordsPath: string): string | undefined {
  const beside = objectHolding(body, cursorPath);
  if (beside) {
    for (const [key, value] of Object.entries(beside.object)) {
      if (CURSOR_LIKE_KEY.test(key) && !NOT_A_NEXT_PAGE_KEY.test(key) && (typeof value === 'string' || typeof value === 'number') && !isEmptyJson(value)) return `a non-empty "${beside.pathOf(key)}"`;
    }
  }
  return nextPageSignal(body, recordsPath);
}

/**
 * The object that holds the last key of a dotted `path` (the body itself for a top-level key), when it is one, and how
 * to name a key in it by its full path. Undefined when that place holds no object (absent, null, a list, a value).
 */
function objectHolding(body: unknown, path: string): { object: Record<string, unknown>; pathOf: (key: string) => string } | undefined {
  const parentPath = path.split('.').slice(0, -1).join('.');
  const parent = getJsonPath(body, parentPath);
  if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) return undefined;
  return { object: parent as Record<string, unknown>, pathOf: (key) => (parentPath === '' ? key : `${parentPath}.${key}`) };
}

/**
 * A full cursor page without the key at cursorPath. On page 1 that is most likely a wrong cursorPath. On a later page
 * it is not (the pages before had a cursor there), but it is still ambiguous: the last page of an API that leaves the
 * cursor out of it, which happens to be exactly full, or a page the API left the cursor out of with more after it. The
 * read cannot tell which, so it fails, and says how to make the two distinguishable: a total, or a page size that does
 * not leave the last page exactly full.
 */
function missingCursorAfterFullPage(
  totalPath: string | undefined,
  pagination: { cursorPath: string; pageSize: number },
  body: unknown,
  page: { pageNumber: number; pageLength: number; longestBefore: number },
  read: number,
  announced: number | undefined,
  description: string,
): SourceReadError {
  const size = page.longestBefore > pagination.pageSize ? `pageSize ${pagination.pageSize}, the longest page before it ${page.longestBefore}` : `pageSize ${pagination.pageSize}`;
  const around = `${describeAround(body, pagination.cursorPath)} (values not shown)`;
  // With a total announced and not yet read, the API itself says there is more: this page is no last page.
  const remedy =
    announced !== undefined
      ? `the API announced ${announced} record(s) at "${totalPath ?? ''}" and ${read} are read, so this is no last page; read again`
      : 'if the API leaves the cursor out of its last page and that page happens to be exactly full, set totalPath to the total the API announces, ' +
        'or change pageSize so that the last page is not exactly full (a pageSize that does not divide the number of records)';
  if (page.pageNumber === 1) {
    return new SourceReadError(
      `${description}: a full page (${page.pageLength} record(s), ${size}) has no next cursor at "${pagination.cursorPath}" (source.pagination.cursorPath): ${around}. ` +
        `A missing cursor after a full page is not taken as the end of the read: correct source.pagination.cursorPath; ${remedy}`,
    );
  }
  return new SourceReadError(
    `${description}: page ${page.pageNumber} is full (${page.pageLength} record(s), ${size}) and is the first without a next cursor at "${pagination.cursorPath}" (source.pagination.cursorPath), ` +
      `which the ${page.pageNumber - 1} page(s) before it had: ${around}. It may be the last page, or a page with more after it whose cursor the API left out; ` +
      `the read cannot tell which, so it is not taken as the end of the read (${read} record(s) read): ${remedy}`,
  );
}

/** Keys beside the records that say there is a next page, when their value is not empty (null, "", false, [] or {}). */
const NEXT_PAGE_KEYS = ['next', 'next_cursor', 'nextCursor', 'nextPageToken', 'next_page', 'links.next'];
/** Keys beside the records that say there is a next page when they are true. */
const MORE_PAGES_FLAGS = ['has_more', 'hasMore'];

/**
 * The first common next-page signal beside the records (in the object that holds `recordsPath`), described by its key
 * (`a non-empty "meta.next_cursor"`), never its value: a cursor may encode a record. Undefined where there is none, or
 * where the body is the records list itself.
 */
function nextPageSignal(body: unknown, recordsPath: string): string | undefined {
  if (recordsPath === '') return undefined;
  const beside = objectHolding(body, recordsPath);
  if (!beside) return undefined;
  for (const key of NEXT_PAGE_KEYS) {
    if (!isEmptyJson(getJsonPath(beside.object, key))) return `a non-empty "${beside.pathOf(key)}"`;
  }
  for (const key of MORE_PAGES_FLAGS) {
    if (getJsonPath(beside.object, key) === true) return `"${beside.pathOf(key)}": true`;
  }
  return undefined;
}

function isEmptyJson(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return true;
  // A next page of 0 or -1 is an API's "none".
  if (typeof value === 'number') return value <= 0;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

/** How many key names describeAround lists, and how much of each: enough to spot a misspelt path, not a dump. */
const MAX_KEY_NAMES_SHOWN = 20;
const MAX_KEY_NAME_LENGTH = 40;

/**
 * What a body holds where `path` finds nothing: the key names of the nearest object on the path (its parent, or the
 * ancestor that exists), never a value (a cursor may encode a record, a wrong path may point at an employee).
 */
function describeAround(body: unknown, path: string): string {
  const segments = path.split('.');
  for (let depth = segments.length - 1; depth >= 0; depth -= 1) {
    const at = segments.slice(0, depth).join('.');
    const value = getJsonPath(body, at);
    if (value === undefined) continue;
    const where = at === '' ? 'the response body' : `"${at}"`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${where} is ${kindOfJson(value)}`;
    const names = Object.keys(value);
    if (names.length === 0) return `${where} is an object without keys`;
    const shown = names.slice(0, MAX_KEY_NAMES_SHOWN).map((name) => JSON.stringify(name.length > MAX_KEY_NAME_LENGTH ? `${name.slice(0, MAX_KEY_NAME_LENGTH)}…` : name));
    return `${where} has the key(s) ${shown.join(', ')}${names.length > MAX_KEY_NAMES_SHOWN ? ` and ${names.length - MAX_KEY_NAMES_SHOWN} more` : ''}`;
  }
  return `the response body is ${kindOfJson(body)}`;
}

/**
 * The `rel="next"` target of an RFC 8288 Link header. Relation types compare case-insensitively (§2.1.1): an API that
 * writes `rel="Next"` must not end the read after page 1, which would plan everyone after it as a leaver. A rel holds
 * space-separated types (`rel="prev next"`), and only a link's first rel counts (§3.3). Parameter values may be quoted
 * strings holding `;` or `,` (`title="Page 2, of 9"`): kept whole, they neither end the link nor hide its rel.
 */
export function nextLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const link of parseLinkHeader(header)) {
    if (link.rel?.toLowerCase().split(/\s+/).includes('next')) return link.target;
  }
  return undefined;
}


/**
 * The links of a Link header (RFC 8288 §3): `<target>` and its `; name=value` parameters, values as tokens or quoted
 * strings (§5.6.4 of RFC 9110, backslash escapes undone), up to the comma outside a quoted string that ends the link.
 * Lenient: a malformed parameter is skipped to the next `;` or `,` (quotes still kept whole), not a failed read.
 */
function parseLinkHeader(header: string): { target: string; rel: string | undefined }[] {
  const links: { target: string; rel: string | undefined }[] = [];
  let at = 0;
  const skipSpace = () => {
    while (at < header.length && /[ \t]/.test(header.charAt(at))) at += 1;
  };
  /** A quoted string starting at `at` (its opening quote), unescaped; `at` ends past its closing quote. */
  const quoted = (): string => {
    let value = '';
    for (at += 1; at < header.length; at += 1) {
      const char = header.charAt(at);
      if (char === '"') {
        at += 1;
        return value;
      }
      if (char === '\\') at += 1;
      value += header.charAt(at);
    }
    return value;
  };
  /** The token starting at `at` ("" where none does); `at` ends past it. */
  const token = (): string => {
    const start = at;
    while (at < header.length && HTTP_TOKEN_CHAR.test(header.charAt(at))) at += 1;
    return header.slice(start, at);
  };
  while (at < header.length) {
    const open = header.indexOf('<', at);
    if (open < 0) break;
    const close = header.indexOf('>', open + 1);
    if (close < 0) break;
    const target = header.slice(open + 1, close).trim();
    let rel: string | undefined;
    at = close + 1;
    while (at < header.length) {
      skipSpace();
      const char = header.charAt(at);
      if (char === ',') {
        at += 1;
        break;
      }
      if (char !== ';') {
        // Not a parameter: skip to the next `;` or `,`, a quoted string whole.
        while (at < header.length && header.charAt(at) !== ';' && header.charAt(at) !== ',') {
          if (header.charAt(at) === '"') quoted();
          else at += 1;
        }
        continue;
      }
      at += 1;
      skipSpace();
      const name = token();
      skipSpace();
      let value: string | undefined;
      if (header.charAt(at) === '=') {
        at += 1;
        skipSpace();
        value = header.charAt(at) === '"' ? quoted() : token();
      }
      if (name.toLowerCase() === 'rel' && rel === undefined && value !== undefined) rel = value;
    }
    links.push({ target, rel });
  }
  return links;
}

/**
 * The page's records at `recordsPath`. A value there that is not a list fails the read (the path is wrong, or the API
 * answered an error in a 200). One entry of the list that is not an employee object (null, a string: a GraphQL-backed
 * list where one item failed to resolve) is one unreadable record, not a bad read: see employeeEntries.
 */
function extractRecords(
  body: unknown,
  recordsPath: string,
  description: string,
  pageNumber: number,
  /** Records (stand-ins included) read before this page: the mapping names the read's records by position. */
  readBefore: number,
  onProblem: HrisReadOptions['onProblem'],
): EmployeeEntries {
  const found = getJsonPath(body, recordsPath);
  const parsed = RecordsSchema.safeParse(found);
  const where = recordsPath === '' ? 'the response body' : `"${recordsPath}"`;
  if (!parsed.success) {
    throw new SourceReadError(`${description}: page ${pageNumber}: expected a list of employee objects at ${where}, found ${kindOfJson(found)}`);
  }
  return employeeEntries(parsed.data, { description, readBefore, onProblem, entryName: (entry) => `page ${pageNumber}, entry ${entry} of the list at ${where}` });
}

/**
 * A list's entries as records, each entry that is not an employee object reported through `onProblem` as a problem of
 * its own and replaced by a blank stand-in (`{}`), as the CSV source does with a row it cannot read: the rest of the
 * list is read, the records after it keep their positions (the mapping names records `record N` by position; offsets
 * and totals count the entries the API served), and the mapping skips the stand-in like any blank record. The problem
 * holds no key or id, so it holds the run's leaver writes for approval (sync/leavers.ts): whoever that entry was is
 * not planned as a leaver unseen. Without `onProblem` the entry fails the read: left out silently, it would look like
 * a leaver. An object without a single value (`{}`, every field null) is such an entry too. Messages name the entry's
 * kind (null, a string, an empty object), never its value: it may be personal data.
 */
export function employeeEntries(
  entries: readonly unknown[],
  context: { description: string; readBefore: number; onProblem: HrisReadOptions['onProblem']; entryName: (entry: number) => string },
): EmployeeEntries {
  const problems: RecordProblem[] = [];
  const records = entries.map((entry, index): HrisRecord => {
    const record = EmployeeObjectSchema.safeParse(entry);
    if (record.success && !holdsNoValue(record.data)) return record.data;
    // An object without a single value (`{}`, every field null) names nobody, as null does: passed on, the mapping would
    // skip it as a blank line (mapping/map.ts), and whoever the API failed to fill in would look like a leaver.
    const kind = !record.success ? kindOfJson(entry) : Object.keys(record.data).length === 0 ? 'an empty object' : 'an object whose every value is empty';
    const message = `${context.entryName(index + 1)}: not an employee object (${kind}); left out of this run`;
    if (!context.onProblem) throw new SourceReadError(`${context.description}: ${message}`);
    problems.push({ recordRef: `record ${context.readBefore + index + 1}`, field: 'record', message });
    return {};
  });
  return { records, problems };
}

export interface EmployeeEntries {
  /** One per entry, stand-ins included. */
  records: HrisRecord[];
  /**
   * One per entry that was not an employee object, for the caller to report (onProblem) once it keeps the page: a page
   * the API serves twice at the end of a read is dropped, and its entries must not be reported again.
   */
  problems: RecordProblem[];
}

/** The stand-in of an entry employeeEntries could not read (or an empty object, which holds nobody either). */
function isStandIn(record: HrisRecord): boolean {
  return Object.keys(record).length === 0;
}

/** What a JSON value is, never what it holds (it may be personal data): `null`, `a string`, `an array`. */
export function kindOfJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function extractTotal(body: unknown, totalPath: string | undefined, description: string): number | undefined {
  if (totalPath === undefined) return undefined;
  const total = getJsonPath(body, totalPath);
  const number = typeof total === 'string' && /^\d+$/.test(total) ? Number(total) : total;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 0) {
    throw new SourceReadError(`${description}: expected the total as a whole number at "${totalPath}", found ${kindOfValue(total)}`);
  }
  return number;
}

/**
 * What a value is, never what it holds: a path pointed at the wrong place (the records, an employee) would otherwise
 * put personal data into a message, and messages reach workflow history, the CLI and logs.
 */
function kindOfValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} item(s)`;
  if (typeof value === 'number') return Number.isInteger(value) ? 'a negative number' : 'a number that is not whole';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string that is not a whole number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value === 'object' ? 'an object' : typeof value;
}
