import { STATUS_CODES } from 'node:http';
import { isAxiosError } from 'axios';
import { EgressProxyTunnelError } from '../net/egress-proxy';
import { DEFAULT_RATE_LIMIT_WAIT_MS, MAX_RETRY_AFTER_MS, parseRetryAfterMs, retryAfterHintMs } from '../net/retry-after';
import { ERROR_SCHEMA, ScimErrorSchema, type UnreadableScimUser } from './resources';

/**
 * Typed failures of the SCIM client. Callers (activities) branch on the class or on `retryable`; the Temporal layer
 * turns them into ApplicationFailures using `name` as the failure type.
 *
 * Security: these errors are logged, serialized into Temporal histories and shown in CLIs, so they carry only fields
 * copied from the exchange (method, path, status, the SCIM error body's scimType/detail, a network error code). The
 * axios error is never kept, not even as `cause`: its `config.headers` holds the bearer token.
 */

/** What was being attempted, as the client describes it to the error mapping. */
export interface ScimRequestDescription {
  method: HttpMethod;
  /** Path relative to the configured base URL, query included, never the host: `/Users/abc`, `/Users?filter=…`. */
  path: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ScimErrorFields extends ScimRequestDescription {
  status?: number;
  detail?: string;
  scimType?: string;
  /** Node/axios network error code (ECONNRESET, ECONNREFUSED, ETIMEDOUT…) when no HTTP response arrived. */
  networkCode?: string;
}

export abstract class ScimError extends Error {
  readonly status: number | undefined;
  readonly method: HttpMethod;
  readonly path: string;
  readonly detail: string | undefined;
  readonly scimType: string | undefined;
  readonly networkCode: string | undefined;
  /** Whether sending the same request again later can succeed (the caller still decides whether it is safe to). */
  abstract readonly retryable: boolean;

  constructor(summary: string, fields: ScimErrorFields) {
    super(`${fields.method} ${fields.path}: ${summary}`);
    this.name = new.target.name;
    this.status = fields.status;
    this.method = fields.method;
    this.path = fields.path;
    this.detail = fields.detail;
    this.scimType = fields.scimType;
    this.networkCode = fields.networkCode;
  }

  /** Explicit so that JSON.stringify (logs, Temporal payloads) carries the message and nothing unexpected. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      status: this.status,
      method: this.method,
      path: this.path,
      detail: this.detail,
      scimType: this.scimType,
      networkCode: this.networkCode,
      retryable: this.retryable,
    };
  }
}

/** 401/403: the token is wrong, revoked or lacks rights. Retrying will not help until an admin acts. */
export class ScimAuthenticationError extends ScimError {
  readonly retryable = false;
}

/** 400: Peakon rejected the request's content (bad value, unknown manager email, unknown attribute). */
export class ScimInvalidRequestError extends ScimError {
  readonly retryable = false;
}

export class ScimNotFoundError extends ScimError {
  readonly retryable = false;
  /**
   * Whether the 404 is Peakon's own answer: a SCIM error body (`schemas` holding the SCIM error URN, or `status` 404),
   * not a gateway's or proxy's (an HTML or text page, a JSON body such as AWS API Gateway's `{"message":"Not Found"}`,
   * or no body at all) that does not route the path. Only Peakon's 404 says the user is gone (activities/employee.ts
   * goneIsDone); any other leaves a leaver's deactivation failed, never counted done while they stay active.
   */
  readonly apiAnswer: boolean;

  constructor(summary: string, fields: ScimErrorFields, apiAnswer = true) {
    super(summary, fields);
    this.apiAnswer = apiAnswer;
  }
}

/**
 * A 404 as Peakon gives it: the SCIM error body (RFC 7644 §3.12), recognised by its `schemas` URN or its `status` of
 * "404" (a string, as SCIM writes it). Any other body (a gateway's JSON, a framework's `{"status":404,"error":…}`, an
 * HTML or text page) or none at all may come from something in front of Peakon.
 */
function isPeakonNotFound(failure: { body: unknown; textBody?: boolean }): boolean {
  if (failure.textBody === true) return false;
  const body = failure.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  // Read field by field, not through ScimErrorSchema: Peakon's answer with one odd field (`"detail": null`) is still its.
  const { schemas, status } = body as { schemas?: unknown; status?: unknown };
  return (Array.isArray(schemas) && schemas.includes(ERROR_SCHEMA)) || (typeof status === 'string' && status.trim() === '404');
}

/** 409: usually `scimType: uniqueness` — the userName/email or employee number already belongs to someone. */
export class ScimConflictError extends ScimError {
  readonly retryable = false;
}

/** A retryable failure that may carry the server's Retry-After (a 429 always may, a 503 sometimes does). */
export abstract class ScimRetryLaterError extends ScimError {
  readonly retryable = true;
  /**
   * How long to wait before sending again. Always set on a 429 (rateLimitWaitMs: DEFAULT_RATE_LIMIT_WAIT_MS when the
   * Retry-After is missing, unparseable, 0 or past); on a 5xx or 408 undefined when the server gave no usable
   * Retry-After, 0 or a past date included (net/retry-after.ts retryAfterHintMs). It may lengthen the wait before the
   * next try, never shorten it below the retry's own backoff (net/retry-after.ts retryAfterBeyondBackoff, as
   * activities/failures.ts and the listing's page retry in scim/client.ts apply it).
   */
  readonly retryAfterMs: number | undefined;
  constructor(summary: string, fields: ScimErrorFields & { retryAfterMs?: number | undefined }) {
    super(summary, fields);
    this.retryAfterMs = fields.retryAfterMs;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

/** 429: over Peakon's 25,000 operations/hour. */
export class ScimRateLimitedError extends ScimRetryLaterError {}

/**
 * 5xx (but 501 and 505), 408, timeouts, connection refused/reset. For writes the request may have been applied before the failure
 * ("commit then fail"): re-discover before re-creating.
 */
export class ScimTransientError extends ScimRetryLaterError {}

/**
 * A 2xx whose body is not SCIM JSON of the expected shape. Not retried: the server answered, just not sensibly. Only a
 * request that was sent and answered is one: a write answered so was applied (activities/employee.ts sendEmployeeWrite).
 */
export class ScimMalformedResponseError extends ScimError {
  readonly retryable = false;
}

/**
 * Refused by the client before sending: the request cannot go out as meant (a user id that is empty, `.` or `..` would
 * address the collection or the base URL instead of the user). Nothing reached Peakon, so nothing was applied: never
 * a malformed answer, which for a write means applied. Not retried: the same request is refused again.
 */
export class ScimRequestRefusedError extends ScimError {
  readonly retryable = false;
}

/**
 * A listing that cannot be trusted to be complete: fewer resources than `totalResults`, a page repeating ids, or
 * `totalResults` changing between pages. Treating such a listing as the truth would make present users look missing.
 * Listing is read-only, so trying the whole listing again is safe.
 */
export class ScimIncompleteListingError extends ScimError {
  readonly retryable = true;
}

/** A lookup by a unique key (userName, employee number) matched several users: the tenant data needs a human. */
export class ScimAmbiguousMatchError extends ScimError {
  readonly retryable = false;
  readonly matchingUserIds: readonly string[];
  constructor(summary: string, fields: ScimErrorFields & { matchingUserIds: readonly string[] }) {
    super(summary, fields);
    this.matchingUserIds = fields.matchingUserIds;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), matchingUserIds: this.matchingUserIds };
  }
}

/**
 * A lookup by a unique key (userName, employee number) matched exactly one user, who does not fit the SCIM User
 * schema (a number for a name, a list in a Peakon attribute). The person is in Peakon: a caller leaves them alone
 * (never creates them again, never writes them) and names `userId` and `fields`, as the whole-tenant listing does.
 * Not retryable: the next run reads the same user. The user's readable identity (`user`: userName, emails, externalId)
 * is personal data, so it is kept out of the message, JSON and inspection.
 */
export class ScimUnreadableUserError extends ScimError {
  readonly retryable = false;
  readonly userId: string;
  /** The fields that do not fit, as paths (never their values). */
  readonly fields: readonly string[];
  readonly #user: UnreadableScimUser;
  constructor(summary: string, fields: ScimErrorFields & { user: UnreadableScimUser }) {
    super(summary, fields);
    this.#user = fields.user;
    this.userId = fields.user.id;
    this.fields = fields.user.fields;
  }
  /** What identifies the matched user, for a planner that leaves them alone (sync/plan.ts `unreadable`). */
  get user(): UnreadableScimUser {
    return this.#user;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), userId: this.userId, fields: this.fields };
  }
}

/**
 * The egress proxy (PEAKON_SYNC_PROXY) will not carry the connection: its credentials or its policy, a setting of the
 * worker to fix, not Peakon's answer (the request never reached Peakon). Not retried.
 */
export class ScimEgressProxyRefusedError extends ScimError {
  readonly retryable = false;
}

/** Anything else: a redirect, 405, 413, 501, 505, a failure before the request left (invalid URL). Needs a human. */
export class ScimUnexpectedError extends ScimError {
  readonly retryable = false;
}

/** The result of one HTTP exchange that did not succeed: a non-2xx response, or an exception from axios. */
export type ScimFailure =
  /** `textBody`: the answer had a body that is not JSON (an HTML or text page), which `body` then leaves undefined. */
  | { kind: 'response'; status: number; headers: ResponseHeaders; body: unknown; textBody?: boolean }
  | { kind: 'exception'; error: unknown; timedOut?: boolean };

/** Header lookup as axios exposes it; only Retry-After is read. */
export type ResponseHeaders = Record<string, unknown>;

export interface ToScimErrorOptions {
  /** Clock for HTTP-date Retry-After values. */
  now?: () => number;
  /** Applied to every server-provided text kept on the error (defence in depth: a server echoing the token). */
  redact?: (text: string) => string;
  /** The server's host, named in network failures so a wrong base URL is obvious (the host is not a secret). */
  host?: string;
}

/** Network error codes after which the same request may well succeed. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  // DNS may fail briefly; a permanently wrong host shows up as the same error on every retry.
  'ENOTFOUND',
  'ERR_NETWORK',
  // The status and headers came, then the connection closed before the body was complete ("stream has been aborted"):
  // the answer was lost, not refused. A write may have been applied, as after a 5xx: the retried create meets 409 and
  // finds its user by discovery. (An oversized body, which axios also calls ERR_BAD_RESPONSE, fails earlier:
  // scim/client.ts.)
  'ERR_BAD_RESPONSE',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  // The response stream ended early: lost on the way, like ERR_BAD_RESPONSE.
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/**
 * Node's HTTP parser errors (HPE_INVALID_CONSTANT, HPE_INVALID_CHUNK_SIZE, …): a garbled answer, most often on a
 * keep-alive socket the server or a proxy closed as it was reused. Retried like a lost answer; a server that always
 * answers garbage fails once the step's attempts run out.
 */
const isTransientNetworkCode = (code: string): boolean => TRANSIENT_NETWORK_CODES.has(code) || code.startsWith('HPE_');

/** How much of a server's `detail` (and `scimType`) an error keeps: it is copied into every failure line, report and partition result. */
const MAX_DETAIL_CHARS = 1_000;
const bounded = (text: string): string => (text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…(${text.length - MAX_DETAIL_CHARS} more characters)` : text);

/**
 * The single place where a failed vendor HTTP exchange becomes a typed error. Malformed *successful* bodies are
 * reported by the client's parser with ScimMalformedResponseError directly.
 */
export function toScimError(request: ScimRequestDescription, failure: ScimFailure, options: ToScimErrorOptions = {}): ScimError {
  const redact = options.redact ?? ((text: string) => text);
  const now = options.now ?? Date.now;

  if (failure.kind === 'exception') {
    const tunnel = isAxiosError(failure.error) ? failure.error.cause : failure.error;
    if (tunnel instanceof EgressProxyTunnelError) {
      if (tunnel.code === 'EPROXYREFUSED') return new ScimEgressProxyRefusedError(tunnel.message, { ...request, networkCode: tunnel.code });
      return new ScimTransientError(tunnel.message, { ...request, networkCode: tunnel.code });
    }
    const networkCode = networkCodeOf(failure.error);
    const to = options.host !== undefined ? ` to ${options.host}` : '';
    if (failure.timedOut === true || networkCode === 'ECONNABORTED' || networkCode === 'ETIMEDOUT') {
      return new ScimTransientError(`no response${options.host !== undefined ? ` from ${options.host}` : ''} before the timeout`, { ...request, networkCode: networkCode ?? 'ETIMEDOUT' });
    }
    if (networkCode !== undefined && isTransientNetworkCode(networkCode)) {
      return new ScimTransientError(`connection${to} failed (${networkCode})`, { ...request, networkCode });
    }
    return new ScimUnexpectedError(`request${to} failed (${networkCode ?? 'unknown error'})`, { ...request, networkCode });
  }

  const { status } = failure;
  const errorBody = ScimErrorSchema.safeParse(failure.body);
  const detail = errorBody.success && errorBody.data.detail !== undefined ? bounded(redact(errorBody.data.detail)) : undefined;
  const scimType = errorBody.success && errorBody.data.scimType !== undefined ? bounded(redact(errorBody.data.scimType)) : undefined;
  const fields: ScimErrorFields = { ...request, status, detail, scimType };
  const summary = `${status} ${STATUS_CODES[status] ?? 'HTTP status'}${scimType !== undefined ? ` (${scimType})` : ''}${detail !== undefined ? `: ${detail}` : ''}`;

  if (status === 401 || status === 403) return new ScimAuthenticationError(summary, fields);
  if (status === 400) return new ScimInvalidRequestError(summary, fields);
  if (status === 404) return new ScimNotFoundError(summary, fields, isPeakonNotFound(failure));
  if (status === 409) return new ScimConflictError(summary, fields);
  if (status === 429) {
    const retryAfterMs = rateLimitWaitMs(peakonRetryAfterMs(headerValue(failure.headers, 'retry-after'), now()));
    return new ScimRateLimitedError(summary, { ...fields, retryAfterMs });
  }
  if (status === 501 || status === 505) {
    // Not Implemented / HTTP Version Not Supported: the server will answer the same request the same way every time.
    return new ScimUnexpectedError(`${summary} — not retried: the server does not support this request`, fields);
  }
  if (status === 408 || status >= 500) {
    // `Retry-After: 0` or a past date asks for no wait: no reason to send sooner than our own backoff would.
    const retryAfterMs = retryAfterHintMs(peakonRetryAfterMs(headerValue(failure.headers, 'retry-after'), now()));
    return new ScimTransientError(summary, { ...fields, retryAfterMs });
  }
  return new ScimUnexpectedError(summary, fields);
}

/**
 * Peakon's Retry-After in milliseconds from `nowMs` (net/retry-after.ts), at most MAX_RETRY_AFTER_MS; undefined when
 * absent or unparseable.
 */
export function peakonRetryAfterMs(headerValue: string | undefined, nowMs: number): number | undefined {
  const ms = parseRetryAfterMs(headerValue, nowMs);
  return ms === undefined ? undefined : Math.min(MAX_RETRY_AFTER_MS, ms);
}

/**
 * The one rule for how long a 429 waits: its Retry-After when that is a wait (> 0), else DEFAULT_RATE_LIMIT_WAIT_MS.
 * The tenant's hold, the pacer's hold and the employee's durable wait all take this value.
 */
export function rateLimitWaitMs(retryAfterMs: number | undefined): number {
  return retryAfterHintMs(retryAfterMs) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
}

function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  }
  return undefined;
}

function networkCodeOf(error: unknown): string | undefined {
  if (isAxiosError(error)) {
    // axios wraps the socket error; its own code is generic (ERR_NETWORK) when the cause has a precise one.
    const causeCode = codeOf(error.cause);
    return causeCode ?? error.code;
  }
  return codeOf(error);
}

function codeOf(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'string') return value.code;
  return undefined;
}
