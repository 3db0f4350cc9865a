import axios, { type AxiosResponse } from 'axios';
import type { RetrySettings } from './config';
import { SourceReadError } from './source';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface HrisHttpRequest {
  method: 'GET' | 'POST';
  url: string;
  params?: Record<string, string>;
  /** May carry credentials: never put into a message. */
  headers: Record<string, string>;
  body?: unknown;
  /**
   * Called with the target of every redirect before it is followed; throwing refuses the redirect, and that error is
   * what the request fails with (config/secret.ts uses it to keep credentials on the hosts they are bound to).
   */
  checkRedirect?: (url: URL) => void;
}

export interface HrisHttpSettings {
  timeoutMs: number;
  retry: RetrySettings;
  sleep: Sleep;
  /** Names the source in messages, e.g. `rest:https://hr.example.com/api/employees`. */
  source: string;
}

export interface HrisHttpResponse {
  body: unknown;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  url: string;
}

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/** The URL a person can read: query included, since credentials only ever travel in headers. */
export function describeRequest(request: HrisHttpRequest): string {
  const url = new URL(request.url);
  for (const [name, value] of Object.entries(request.params ?? {})) url.searchParams.set(name, value);
  return `${request.method} ${url.toString()}`;
}

/**
 * One JSON exchange with an HR system, with bounded retries: 429 waits as long as Retry-After says (up to
 * retry.maxDelayMs), 502/503/504 and dropped connections back off exponentially. Anything else non-2xx, a body that
 * is not JSON, or running out of attempts is a SourceReadError, so the run stops before any write.
 */
export async function requestJson(request: HrisHttpRequest, settings: HrisHttpSettings): Promise<HrisHttpResponse> {
  const what = describeRequest(request);
  for (let attempt = 1; ; attempt += 1) {
    const outcome = await attemptOnce(request, settings.timeoutMs);
    const lastAttempt = attempt >= settings.retry.maxAttempts;
    if (outcome.kind === 'network') {
      if (!RETRYABLE_CODES.has(outcome.code) || lastAttempt) {
        throw new SourceReadError(`${settings.source}: ${what} failed after ${attempt} attempt(s): ${outcome.code}`);
      }
      await settings.sleep(backoff(settings.retry, attempt));
      continue;
    }
    const { response } = outcome;
    if (response.status >= 200 && response.status < 300) return parseBody(response, what, settings.source);
    if (!RETRYABLE_STATUSES.has(response.status) || lastAttempt) {
      throw new SourceReadError(`${settings.source}: ${what} answered ${response.status}${statusHint(response.status)}${bodySnippet(response.data)}${lastAttempt && RETRYABLE_STATUSES.has(response.status) ? ` after ${attempt} attempts` : ''}`);
    }
    const requested = retryAfterMs(headerValue(response, 'retry-after'));
    if (requested !== undefined && requested > settings.retry.maxDelayMs) {
      throw new SourceReadError(
        `${settings.source}: ${what} answered ${response.status} asking to wait ${Math.ceil(requested / 1000)} s, more than retry.maxDelayMs (${settings.retry.maxDelayMs} ms)`,
      );
    }
    await settings.sleep(requested ?? backoff(settings.retry, attempt));
  }
}

type Attempt = { kind: 'response'; response: AxiosResponse<string> } | { kind: 'network'; code: string };

async function attemptOnce(request: HrisHttpRequest, timeoutMs: number): Promise<Attempt> {
  let refusedRedirect: unknown;
  const checkRedirect = request.checkRedirect;
  try {
    const response = await axios.request<string>({
      ...(checkRedirect
        ? {
            beforeRedirect: (options: Record<string, unknown>) => {
              try {
                checkRedirect(new URL(String(options['href'])));
              } catch (error) {
                refusedRedirect = error;
                throw error;
              }
            },
          }
        : {}),
      method: request.method,
      url: request.url,
      params: request.params,
      headers: request.headers,
      data: request.body,
      timeout: timeoutMs,
      responseType: 'text',
      // Keep the raw text: a non-JSON answer (BambooHR's XML, an HTML login page) gets a precise message below.
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
    });
    return { kind: 'response', response };
  } catch (error) {
    if (refusedRedirect !== undefined) throw refusedRedirect;
    // Only the code leaves this function: axios errors carry the request config, headers (credentials) included.
    const code = axios.isAxiosError(error) ? (error.code ?? 'network error') : 'network error';
    return { kind: 'network', code };
  }
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
  } catch {
    throw new SourceReadError(`${source}: ${what} did not answer JSON (content-type ${headers['content-type'] ?? 'unknown'})${bodySnippet(response.data)}`);
  }
}

function headerValue(response: AxiosResponse, name: string): string | undefined {
  const value: unknown = response.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function backoff(retry: RetrySettings, attempt: number): number {
  return Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
}

function statusHint(status: number): string {
  if (status === 401 || status === 403) return ' (check the source credentials)';
  if (status === 404) return ' (check the URL)';
  return '';
}

function bodySnippet(data: unknown): string {
  if (typeof data !== 'string' || data.trim() === '') return '';
  const text = data.replace(/\s+/g, ' ').trim();
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}
