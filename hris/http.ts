import axios, { type AxiosResponse } from 'axios';
import { redactSecrets } from '../config/redact';
import { egressAgents, EgressProxyTunnelError } from '../net/egress-proxy';
import { MAX_RETRY_AFTER_MS, parseRetryAfterMs, retryAfterHintMs, retryWaitMs } from '../net/retry-after';
import { type Sleep } from '../net/sleep';
import { whileTicking } from '../net/while-ticking';
import type { RetrySettings } from './config';
import { SourceReadError, type HrisReadOptions } from './source';

export { realSleep, type Sleep } from '../net/sleep';

export interface HrisHttpRequest {
  method: 'GET' | 'POST';
  url: string;
  params?: Record<string, string>;
  /** May carry credentials: never put into a message. */
  headers: Record<string, string>;
  /**
   * The secret texts `headers` carry (hris/auth.ts lists them): removed from any part of an answer a message quotes,
   * since an HR API may echo the credential it was sent ("invalid API key …") and messages reach history and CLI output.
   */
  secrets: readonly string[];
  body?: unknown;
  /**
   * Called with the target of every redirect before it is followed; throwing refuses the redirect, and that error is
   * what the request fails with (config/secret.ts uses it to keep credentials on the hosts they are bound to).
   */
  checkRedirect?: (url: URL) => void;
  /**
   * Query parameters whose values a message may show: the pagination parameters the connector sets itself (offset,
   * page, cursor), which help to tell where a read failed. Every other query value is shown as `…` (describeUrl).
   */
  visibleParams?: readonly string[];
  /**
   * Headers (names as in `headers`) sent only to `origin` (scheme, host and port): a redirect to any other origin drops
   * them, and later hops of that redirect chain go without them too. The REST source's extra `source.headers`.
   */
  originBoundHeaders?: { origin: string; names: readonly string[] };
}

export interface HrisHttpSettings {
  /** Idle timeout: the longest silence allowed on the connection (axios `timeout`). */
  timeoutMs: number;
  /**
   * Total deadline of one request, from sending it to the last byte of the answer: a server that trickles bytes never
   * trips the idle timeout, but it does trip this. Each retry gets a fresh deadline.
   */
  totalTimeoutMs: number;
  /** The read's own stop signal (an activity attempt's cancellation): aborts the request in flight and any retry wait. */
  signal?: AbortSignal | undefined;
  /** Told before each retry wait, so a caller can show the read is alive (the plan activity heartbeats). */
  onRetry?: ((message: string) => void) | undefined;
  /**
   * Told every `waitTickMs` while a request is in flight and while a retry waits (a wait without `onWait` repeats
   * `onRetry` instead): a slow page (up to totalTimeoutMs) after a long Retry-After must not outlast the plan
   * activity's heartbeat timeout in silence.
   */
  onWait?: (() => void) | undefined;
  /** How often `onWait` is told; HR_WAIT_TICK_MS unless a test sets a short one. */
  waitTickMs?: number | undefined;
  retry: RetrySettings;
  sleep: Sleep;
  /** Names the source in messages, e.g. `rest:https://hr.example.com/api/employees`. */
  source: string;
  /** The largest answer accepted, in bytes; MAX_RESPONSE_BYTES unless a test sets a small one. */
  maxResponseBytes?: number | undefined;
}

/**
 * The largest answer (one page, one BambooHR report) accepted, in bytes. axios' default is no limit, so a runaway or
 * hostile HR endpoint could fill the worker's memory (the body is held as one string, then parsed). 256 MiB is far
 * above a real page or report (100,000 employees at 1 KB of JSON each is ~100 MB; paginated sources send far less per
 * answer) and half V8's ~512 MiB string limit, leaving room for the parse. A constant, not a source setting: no export needs more, and a setting would change the
 * config schema (and its JSON Schema) of every HTTP source for a bound nobody should have to tune. Also the largest file
 * the CSV source reads (hris/csv.ts), for the same reason: every record of a read is kept.
 */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** How often a request in flight or a retry wait tells `onWait` (well inside any heartbeat timeout the connector sets). */
export const HR_WAIT_TICK_MS = 10_000;

/** What a read passes on to its HTTP requests: readAllRecords hands its options to the source's readPages, and the HTTP sources hand them here. */
type HrisHttpReadOptions = Pick<HrisReadOptions, 'signal' | 'onRetry' | 'onWait' | 'waitTickMs'>;

/** The settings of one read: the source's timeouts and retries, the read's own stop signal and retry callback. */
export function httpSettingsFor(
  config: { timeoutMs: number; totalTimeoutMs: number; retry: RetrySettings },
  options: HrisHttpReadOptions,
  sleep: Sleep,
  source: string,
): HrisHttpSettings {
  return {
    timeoutMs: config.timeoutMs,
    totalTimeoutMs: config.totalTimeoutMs,
    signal: options.signal,
    onRetry: options.onRetry,
    onWait: options.onWait,
    waitTickMs: options.waitTickMs,
    retry: config.retry,
    sleep,
    source,
  };
}

export interface HrisHttpResponse {
  body: unknown;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  url: string;
}

/**
 * An HR system answered a non-2xx status it was not retried for (or ran out of retries): callers can tell a 404, and
 * activities/failures.ts tells a deterministic one (`retryable` false) from one a later attempt may get past.
 */
export class HrisStatusError extends SourceReadError {
  constructor(
    readonly status: number,
    message: string,
    /** How long the HR system asked to wait (Retry-After of a 429/503, capped at MAX_RETRY_AFTER_MS), if it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /**
   * False for the answers the same request gets again however often it is repeated: bad request (400), credentials
   * refused (401/403: repeating may get the API key locked) or the configured URL not found (404).
   */
  get retryable(): boolean {
    return !NON_RETRYABLE_STATUSES.has(this.status);
  }
}

/**
 * The egress proxy (PEAKON_SYNC_PROXY) refused the tunnel to the HR system (net/egress-proxy.ts EPROXYREFUSED): its
 * credentials or its policy, a setting of the worker to fix; the request never reached the HR system. Not retried, here
 * or by the plan activity (activities/failures.ts, as the Peakon client's refusal): each attempt would send the refused
 * Proxy-Authorization again, which can lock a directory-backed proxy account.
 */
export class HrisEgressProxyRefusedError extends SourceReadError {}

/** Retried within the request, with backoff (or the answer's Retry-After); 408 and 500 are as often a blip as 502-504. */
const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const NON_RETRYABLE_STATUSES = new Set([400, 401, 403, 404]);
// EPROXYUPSTREAM / EPROXYUNREACHABLE: the egress proxy could not reach the host, or could not be reached, this time
// (net/egress-proxy.ts); a refusal (EPROXYREFUSED) is not retried.
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ERR_SOCKET_CONNECTION_TIMEOUT', 'EPROXYUPSTREAM', 'EPROXYUNREACHABLE']);

/**
 * The request as a message names it: method and URL, query values hidden except `visibleParams` (describeUrl).
 * Messages reach workflow history, the CLI and logs; a `source.query` may carry a key (`api_key=…`).
 */
export function describeRequest(request: HrisHttpRequest): string {
  return `${request.method} ${describeUrl(requestUrl(request), request.visibleParams)}`;
}

/** The URL a request goes to: its `url` with its `params` set on the query. */
function requestUrl(request: HrisHttpRequest): URL {
  const url = new URL(request.url);
  for (const [name, value] of Object.entries(request.params ?? {})) url.searchParams.set(name, value);
  return url;
}

/**
 * Query values and URL passwords this long or longer are redacted from quoted error bodies: shorter ones are words or
 * numbers (`1`, `true`, `active`), no credential and no encoded record, and hiding every such string in a quoted body
 * would make it unreadable. An API key, or a cursor that encodes a record, is longer.
 */
export const MIN_REDACTED_QUERY_VALUE = 8;

/**
 * The values describeUrl hides in `url` (every query value but `visibleParams`', and a password in its user info) that
 * are long enough to redact (MIN_REDACTED_QUERY_VALUE): a cursor, a Link target's token, a `source.query` key.
 */
function hiddenValuesOf(url: URL | string | undefined, visibleParams: readonly string[] = []): string[] {
  let parsed: URL;
  try {
    if (url === undefined || url === '') return [];
    parsed = new URL(url);
  } catch {
    return [];
  }
  const visible = new Set(visibleParams);
  const values = [...parsed.searchParams].filter(([name]) => !visible.has(name)).map(([, value]) => value);
  if (parsed.password !== '') values.push(safeDecode(parsed.password));
  return values.filter((value) => value.length >= MIN_REDACTED_QUERY_VALUE);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Where the answer came from after redirects (follow-redirects' responseUrl), when axios says. */
function finalUrlOf(response: AxiosResponse): string | undefined {
  const finalUrl: unknown = response.request?.res?.responseUrl;
  return typeof finalUrl === 'string' ? finalUrl : undefined;
}

/**
 * A URL a message may quote: without user info (`user:password@`) or fragment, each query parameter named but its
 * value shown as `…`, except the parameters in `visibleParams` (values the connector sets, such as a page number).
 * Query values are config (`source.query`) or a server's (`Link` targets), and either may hold a credential.
 */
export function describeUrl(url: string | URL, visibleParams: readonly string[] = []): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(an invalid URL)';
  }
  const visible = new Set(visibleParams);
  const query = [...parsed.searchParams].map(([name, value]) => {
    const shown = value === '' ? '' : visible.has(name) ? encodeURIComponent(value) : '…';
    return `${encodeURIComponent(name)}=${shown}`;
  });
  return `${parsed.origin}${parsed.pathname}${query.length > 0 ? `?${query.join('&')}` : ''}`;
}

/**
 * One JSON exchange with an HR system, with bounded retries: 408/429/500/502/503/504, dropped connections and
 * timeouts (idle or total deadline) back off exponentially, and a positive Retry-After longer than that backoff is
 * waited out instead (up to retry.maxDelayMs). Anything else non-2xx, a body that is not JSON (never quoted: a 2xx body is employee records), or
 * running out of attempts is a SourceReadError, so the run stops before any write. `onWait` is told every tick while a
 * request is in flight or waits to retry. Once `settings.signal` is aborted the request in flight is torn down and
 * this rejects with the signal's reason; no further attempt is made.
 */
export async function requestJson(request: HrisHttpRequest, settings: HrisHttpSettings): Promise<HrisHttpResponse> {
  const what = describeRequest(request);
  // What `what` hides, a quoted answer must hide too: an API that refuses a cursor often quotes it back ("invalid
  // cursor 'amFuZUB4LmNvbQ=='", base64 of an email), and a Link target's query values are the server's to fill.
  const hidden = [...request.secrets, ...hiddenValuesOf(requestUrl(request), request.visibleParams)];
  for (let attempt = 1; ; attempt += 1) {
    settings.signal?.throwIfAborted();
    const outcome = await whileTicking(attemptOnce(request, settings), settings.onWait, settings.waitTickMs ?? HR_WAIT_TICK_MS);
    const lastAttempt = attempt >= settings.retry.maxAttempts;
    if (outcome.kind === 'tooLarge') {
      // Not retried: the same request gets the same oversized answer.
      throw new SourceReadError(
        `${settings.source}: ${what} answered more than ${formatBytes(outcome.limit)}, the most one answer may hold; is the request or the pagination setting right?`,
      );
    }
    if (outcome.kind === 'network') {
      const failure = outcome.detail ?? outcome.code;
      if (outcome.code === 'EPROXYREFUSED') throw new HrisEgressProxyRefusedError(`${settings.source}: ${what} failed after ${attempt} attempt(s): ${failure}`);
      if (!RETRYABLE_CODES.has(outcome.code) || lastAttempt) {
        throw new SourceReadError(`${settings.source}: ${what} failed after ${attempt} attempt(s): ${failure}`);
      }
      await pause(settings, backoff(settings.retry, attempt), `${what} failed (${outcome.code}) on attempt ${attempt}`);
      continue;
    }
    const { response } = outcome;
    if (response.status >= 200 && response.status < 300) return parseBody(response, what, settings.source);
    // A Retry-After of 0 or a date already past is no hint; a positive one may lengthen the backoff, never shorten it
    // (net/retry-after.ts, as the SCIM client).
    const requested = retryAfterHintMs(parseRetryAfterMs(headerValue(response, 'retry-after'), Date.now()));
    const retryAfterMs = requested === undefined ? undefined : Math.min(requested, MAX_RETRY_AFTER_MS);
    if (!RETRYABLE_STATUSES.has(response.status) || lastAttempt) {
      // An error answer's body is the API's message (often the only clue), kept short and with the secrets removed.
      throw new HrisStatusError(
        response.status,
        `${settings.source}: ${what} answered ${response.status}${statusHint(response.status)}${bodySnippet(response.data, [...hidden, ...hiddenValuesOf(finalUrlOf(response), request.visibleParams)])}${lastAttempt && RETRYABLE_STATUSES.has(response.status) ? ` after ${attempt} attempts` : ''}`,
        RETRYABLE_STATUSES.has(response.status) ? retryAfterMs : undefined,
      );
    }
    if (requested !== undefined && requested > settings.retry.maxDelayMs) {
      // Not waited out here (the attempt would sit idle); the plan activity's next attempt waits for it instead.
      throw new HrisStatusError(
        response.status,
        `${settings.source}: ${what} answered ${response.status} asking to wait ${Math.ceil(requested / 1000)} s, more than retry.maxDelayMs (${settings.retry.maxDelayMs} ms)`,
        retryAfterMs,
      );
    }
    await pause(settings, retryWaitMs(requested, backoff(settings.retry, attempt)), `${what} answered ${response.status} on attempt ${attempt}`);
  }
}

/**
 * Waits before a retry, telling `onRetry` first and then every tick (`onWait`, or `onRetry` again without one); ends
 * early (rejecting with the signal's reason) once the read is stopped.
 */
async function pause(settings: HrisHttpSettings, ms: number, why: string): Promise<void> {
  const message = `${why}; retrying in ${ms} ms`;
  const { onRetry, signal } = settings;
  onRetry?.(message);
  const tick = settings.onWait ?? (onRetry ? () => onRetry(message) : undefined);
  if (!signal) return whileTicking(settings.sleep(ms), tick, settings.waitTickMs ?? HR_WAIT_TICK_MS);
  signal.throwIfAborted();
  let onAbort: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (onAbort = resolve));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    // An injected sleep may ignore the signal; the race ends the wait anyway.
    await whileTicking(Promise.race([settings.sleep(ms, signal), stopped]), tick, settings.waitTickMs ?? HR_WAIT_TICK_MS);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  signal.throwIfAborted();
}

type Attempt = { kind: 'response'; response: AxiosResponse<string> } | { kind: 'network'; code: string; detail?: string } | { kind: 'tooLarge'; limit: number };

async function attemptOnce(request: HrisHttpRequest, settings: HrisHttpSettings): Promise<Attempt> {
  let refusedRedirect: unknown;
  const checkRedirect = request.checkRedirect;
  const bound = request.originBoundHeaders;
  // axios' `timeout` only notices silence; the deadline bounds the whole exchange, and the read's signal stops it.
  const deadline = AbortSignal.timeout(settings.totalTimeoutMs);
  const maxResponseBytes = settings.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const signal = settings.signal ? AbortSignal.any([settings.signal, deadline]) : deadline;
  // Outside the try: a malformed PEAKON_SYNC_PROXY is its own clear error, not a "network error".
  const agents = egressAgents();
  try {
    const response = await axios.request<string>({
      ...(checkRedirect || bound
        ? {
            beforeRedirect: (options: Record<string, unknown>) => {
              const target = new URL(String(options['href']));
              try {
                checkRedirect?.(target);
              } catch (error) {
                refusedRedirect = error;
                throw error;
              }
              if (bound && target.origin !== bound.origin) dropHeaders(options['headers'], bound.names);
            },
          }
        : {}),
      method: request.method,
      url: request.url,
      params: request.params,
      headers: withoutHostHeader(request.headers),
      data: request.body,
      timeout: settings.timeoutMs,
      // Bounded answers (see MAX_RESPONSE_BYTES); request bodies are small BambooHR report requests, same bound.
      maxContentLength: maxResponseBytes,
      maxBodyLength: maxResponseBytes,
      // Never through an HTTP(S)_PROXY from the environment: axios would hand a plain-http request, credentials in its
      // headers, to the proxy, a host the worker never bound them to (config/secret.ts checks the request's own host).
      // PEAKON_SYNC_PROXY's agent, when set, routes each connection instead, redirect hops included, by the host that
      // connection is for (net/egress-proxy.ts).
      proxy: false,
      ...agents,
      signal,
      responseType: 'text',
      // Keep the raw text: a non-JSON answer (BambooHR's XML, an HTML login page) gets a precise message below.
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
    });
    return { kind: 'response', response };
  } catch (error) {
    if (refusedRedirect !== undefined) throw refusedRedirect;
    // Stopped by the caller: no retry, and the caller's reason (a cancellation) is the error.
    settings.signal?.throwIfAborted();
    if (deadline.aborted) {
      const host = new URL(request.url).host;
      return { kind: 'network', code: 'ETIMEDOUT', detail: `no complete answer from ${host} within the total deadline of ${settings.totalTimeoutMs} ms (totalTimeoutMs)` };
    }
    // axios reports the overflow as ERR_BAD_RESPONSE; its message is the only thing telling it from other bad answers.
    if (axios.isAxiosError(error) && error.message.startsWith('maxContentLength size of')) return { kind: 'tooLarge', limit: maxResponseBytes };
    // The egress proxy's own answer names the proxy and the host, nothing of the request.
    const refusal = axios.isAxiosError(error) ? error.cause : error;
    if (refusal instanceof EgressProxyTunnelError) return { kind: 'network', code: refusal.code, detail: refusal.message };
    // Only the code leaves this function: axios errors carry the request config, headers (credentials) included.
    const code = axios.isAxiosError(error) ? (error.code ?? 'network error') : 'network error';
    if (code === 'ECONNABORTED' && error instanceof Error && error.message.startsWith('timeout')) {
      return { kind: 'network', code, detail: `${code}: no data from ${new URL(request.url).host} for ${settings.timeoutMs} ms (timeoutMs)` };
    }
    return { kind: 'network', code };
  }
}

/**
 * `headers` without a `Host` (in any letter case). Node's agent takes a request's Host header as the name it checks the
 * server's TLS certificate against (and sends as SNI): a Host from the config (hris/config.ts refuses one; this is the
 * second layer) would send the request, credentials included, through a TLS session checked for another host than
 * the URL's. The Host sent is always the one the URL gives.
 */
function withoutHostHeader(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.trim().toLowerCase() !== 'host'));
}

/**
 * Removes `names` (in any letter case) from the headers follow-redirects will send to the next hop; it keeps the
 * options it hands to beforeRedirect for the hops after, so a header dropped once stays dropped.
 */
function dropHeaders(headers: unknown, names: readonly string[]): void {
  if (typeof headers !== 'object' || headers === null) return;
  const lower = new Set(names.map((name) => name.toLowerCase()));
  const record = headers as Record<string, unknown>;
  for (const name of Object.keys(record)) if (lower.has(name.toLowerCase())) delete record[name];
}

function parseBody(response: AxiosResponse<string>, what: string, source: string): HrisHttpResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
    else if (Array.isArray(value)) headers[name.toLowerCase()] = value.join(', ');
  }
  const finalUrl: unknown = response.request?.res?.responseUrl;
  try {
    return { body: JSON.parse(response.data), headers, url: typeof finalUrl === 'string' ? finalUrl : response.config.url ?? '' };
  } catch (error) {
    // Never a word of the body: a 2xx answer is the records (an NDJSON or CSV export, a JSON with one bad token), and a
    // message reaches workflow history, the CLI and logs. Its size and where the JSON breaks tell what went wrong.
    throw new SourceReadError(`${source}: ${what} did not answer JSON (content-type ${headers['content-type'] ?? 'unknown'}): ${describeNotJson(response.data, error)}; the body is not quoted, it may hold personal data`);
  }
}

/**
 * Why `text` is not JSON, without quoting it: its size, and where the JSON breaks when V8 says so. V8's message quotes
 * the text for some errors ("Unexpected token 'x', "…" is not valid JSON"), so only its position is ever taken from it.
 */
function describeNotJson(text: unknown, parseError?: unknown): string {
  if (typeof text !== 'string') return 'no body';
  const size = `${Buffer.byteLength(text, 'utf8')} bytes`;
  if (text.trim() === '') return `${size}, empty`;
  const message = parseError instanceof Error ? parseError.message : '';
  if (message.startsWith('Unexpected end of JSON input')) return `${size}, the JSON ends early`;
  const named = /at position (\d+)/.exec(message)?.[1];
  if (named === undefined) return `${size}, not valid JSON${text.trimStart().startsWith('<') ? ' (it starts with "<": an HTML or XML page?)' : ''}`;
  const position = Number(named);
  if (position >= text.length) return `${size}, the JSON ends early (position ${position})`;
  const before = text.slice(0, position);
  const line = (before.match(/\n/g)?.length ?? 0) + 1;
  const column = position - (before.lastIndexOf('\n') + 1) + 1;
  const after = message.includes('after JSON') ? ' after a complete JSON value (NDJSON, or several documents?)' : '';
  return `${size}, not valid JSON at position ${position} (line ${line}, column ${column})${after}`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

function headerValue(response: AxiosResponse, name: string): string | undefined {
  const value: unknown = response.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function backoff(retry: RetrySettings, attempt: number): number {
  return Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
}

/** What a 404's message advises; a page past the first was found at that URL, so its 404 drops the advice (hris/rest.ts). */
export const NOT_FOUND_HINT = ' (check the URL)';

function statusHint(status: number): string {
  if (status === 401 || status === 403) return ' (check the source credentials)';
  if (status === 404) return NOT_FOUND_HINT;
  return '';
}

/** The start of an answer's body for a message: secrets redacted first, so cutting it short cannot leave half of one. */
function bodySnippet(data: unknown, secrets: readonly string[]): string {
  if (typeof data !== 'string' || data.trim() === '') return '';
  const text = redactSecrets(data, secrets).replace(/\s+/g, ' ').trim();
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}
