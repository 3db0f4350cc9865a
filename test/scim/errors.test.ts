import { AxiosError, AxiosHeaders } from 'axios';
import { DEFAULT_RATE_LIMIT_WAIT_MS } from '../../net/retry-after';
import {
  ScimAuthenticationError,
  ScimConflictError,
  ScimError,
  ScimInvalidRequestError,
  ScimNotFoundError,
  ScimRateLimitedError,
  ScimTransientError,
  ScimUnexpectedError,
  peakonRetryAfterMs,
  toScimError,
  type ScimFailure,
} from '../../scim/errors';

const request = { method: 'POST', path: '/Users' } as const;

function response(status: number, body: unknown, headers: Record<string, unknown> = {}): ScimFailure {
  return { kind: 'response', status, headers, body };
}

function scimErrorBody(status: number, scimType: string | undefined, detail: string) {
  return { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), scimType, detail };
}

describe('peakonRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(peakonRetryAfterMs('120', now)).toBe(120_000);
    expect(peakonRetryAfterMs(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date relative to now', () => {
    expect(peakonRetryAfterMs('Wed, 01 Jan 2025 12:00:30 GMT', now)).toBe(30_000);
  });

  it('obeys at most an hour (the quota window), however far a proxy or firewall sends it', () => {
    expect(peakonRetryAfterMs('3600', now)).toBe(3_600_000);
    expect(peakonRetryAfterMs('99999999999', now)).toBe(3_600_000);
    expect(peakonRetryAfterMs('Fri, 31 Dec 9999 23:59:59 GMT', now)).toBe(3_600_000);
  });

  it('never returns a negative delay for a date in the past', () => {
    expect(peakonRetryAfterMs('Wed, 01 Jan 2025 11:59:00 GMT', now)).toBe(0);
  });

  it('is undefined when absent or unparseable', () => {
    expect(peakonRetryAfterMs(undefined, now)).toBeUndefined();
    expect(peakonRetryAfterMs('', now)).toBeUndefined();
    expect(peakonRetryAfterMs('soon', now)).toBeUndefined();
    expect(peakonRetryAfterMs('-5', now)).toBeUndefined();
    expect(peakonRetryAfterMs('5 apples', now)).toBeUndefined();
  });
});

describe('toScimError from an HTTP response', () => {
  it.each([
    [401, ScimAuthenticationError, false],
    [403, ScimAuthenticationError, false],
    [400, ScimInvalidRequestError, false],
    [404, ScimNotFoundError, false],
    [409, ScimConflictError, false],
    [429, ScimRateLimitedError, true],
    [500, ScimTransientError, true],
    [502, ScimTransientError, true],
    [503, ScimTransientError, true],
    [408, ScimTransientError, true],
    [302, ScimUnexpectedError, false],
    [405, ScimUnexpectedError, false],
    [501, ScimUnexpectedError, false],
    [505, ScimUnexpectedError, false],
  ])('maps %i to %p (retryable: %p)', (status, errorClass, retryable) => {
    const error = toScimError(request, response(status, undefined));
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toBeInstanceOf(ScimError);
    expect(error.retryable).toBe(retryable);
    expect(error.status).toBe(status);
    expect(error.name).toBe(errorClass.name);
  });

  it('names the status of a 501 or 505 and says it is not retried', () => {
    expect(toScimError(request, response(501, undefined)).message).toBe('POST /Users: 501 Not Implemented — not retried: the server does not support this request');
    expect(toScimError(request, response(505, undefined)).message).toMatch(/^POST \/Users: 505 HTTP Version Not Supported/);
  });

  it('takes a 404 as Peakon\'s answer (apiAnswer) only with a SCIM error body', () => {
    const apiAnswer = (body: unknown, textBody?: boolean) => {
      const error = toScimError(request, { kind: 'response', status: 404, headers: {}, body, ...(textBody ? { textBody } : {}) });
      return error instanceof ScimNotFoundError && error.apiAnswer;
    };
    expect(apiAnswer(scimErrorBody(404, undefined, 'user u1 not found'))).toBe(true);
    expect(apiAnswer({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] })).toBe(true);
    expect(apiAnswer({ status: '404' })).toBe(true);
    // One odd field does not make Peakon's answer someone else's.
    expect(apiAnswer({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: null })).toBe(true);
    expect(apiAnswer({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error', 7], scimType: null })).toBe(true);
    // A number is not how SCIM writes it: Spring Boot's default error body is `{"status":404,"error":"Not Found",…}`.
    expect(apiAnswer({ status: 404 })).toBe(false);
    expect(apiAnswer({ timestamp: '2026-12-01T00:00:00Z', status: 404, error: 'Not Found', path: '/scim/v2/Users/u1' })).toBe(false);
    expect(apiAnswer({ message: 'Not Found' })).toBe(false);
    expect(apiAnswer({ schemas: ['urn:example:other'], status: '400' })).toBe(false);
    expect(apiAnswer([scimErrorBody(404, undefined, 'x')])).toBe(false);
    expect(apiAnswer(undefined)).toBe(false);
    expect(apiAnswer(undefined, true)).toBe(false);
  });

  it('carries scimType and detail of a 400 and says them in the message', () => {
    const error = toScimError(request, response(400, scimErrorBody(400, 'invalidValue', 'Manager x@acme.com does not exist')));
    expect(error).toBeInstanceOf(ScimInvalidRequestError);
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toBe('Manager x@acme.com does not exist');
    expect(error.message).toBe('POST /Users: 400 Bad Request (invalidValue): Manager x@acme.com does not exist');
    expect(error.method).toBe('POST');
    expect(error.path).toBe('/Users');
  });

  it('keeps at most 1,000 characters of a server\'s detail (a stack trace or an echoed body would be copied into every failure line)', () => {
    const error = toScimError(request, response(500, scimErrorBody(500, undefined, `${'a'.repeat(1_000)}${'b'.repeat(4_000)}`)));
    expect(error.detail).toBe(`${'a'.repeat(1_000)}…(4000 more characters)`);
    expect(error.message.length).toBeLessThan(1_100);
    expect(toScimError(request, response(400, scimErrorBody(400, undefined, 'c'.repeat(1_000)))).detail).toBe('c'.repeat(1_000));
  });

  it('keeps at most 1,000 characters of a server\'s scimType too, redacted like detail', () => {
    const error = toScimError(request, response(400, scimErrorBody(400, `${'t'.repeat(1_000)}${'u'.repeat(4_000)}`, 'bad')));
    expect(error.scimType).toBe(`${'t'.repeat(1_000)}…(4000 more characters)`);
    expect(error.message.length).toBeLessThan(1_100);
    const redacted = toScimError(request, response(400, scimErrorBody(400, `token secret-1 ${'v'.repeat(2_000)}`, 'bad')), { redact: (text) => text.replaceAll('secret-1', '[redacted]') });
    expect(redacted.scimType).toBe(`token [redacted] ${'v'.repeat(1_000 - 'token [redacted] '.length)}…(${2_000 - (1_000 - 'token [redacted] '.length)} more characters)`);
    expect(redacted.message).not.toContain('secret-1');
  });

  it('reads Retry-After in seconds from a 429, whatever the header case', () => {
    const error = toScimError(request, response(429, undefined, { 'Retry-After': '7' }));
    expect(error).toBeInstanceOf(ScimRateLimitedError);
    expect(error instanceof ScimRateLimitedError && error.retryAfterMs).toBe(7000);
  });

  it('reads Retry-After as an HTTP date from a 429', () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    const error = toScimError(request, response(429, undefined, { 'retry-after': 'Wed, 01 Jan 2025 12:01:00 GMT' }), { now: () => now });
    expect(error instanceof ScimRateLimitedError && error.retryAfterMs).toBe(60_000);
  });

  it('waits DEFAULT_RATE_LIMIT_WAIT_MS on a 429 whose Retry-After is missing, unparseable, 0 or an HTTP-date already past', () => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    for (const headers of [{}, { 'Retry-After': 'soon' }, { 'Retry-After': '0' }, { 'Retry-After': '0.0001' }, { 'Retry-After': 'Wed, 01 Jan 2025 11:59:00 GMT' }]) {
      const error = toScimError(request, response(429, undefined, headers), { now: () => now });
      expect(error).toBeInstanceOf(ScimRateLimitedError);
      expect(error instanceof ScimRateLimitedError && error.retryAfterMs).toBe(DEFAULT_RATE_LIMIT_WAIT_MS);
    }
  });

  it('leaves retryAfterMs undefined on a 503 without Retry-After (Temporal\'s backoff decides)', () => {
    const error = toScimError(request, response(503, undefined));
    expect(error instanceof ScimTransientError && error.retryAfterMs).toBeUndefined();
  });

  it.each([503, 500, 408])('leaves retryAfterMs undefined on a %s whose Retry-After asks for no wait (0, a past HTTP-date): the backoff decides, not "now"', (status) => {
    const now = Date.parse('2025-01-01T12:00:00Z');
    for (const headers of [{ 'Retry-After': '0' }, { 'Retry-After': '0.0' }, { 'Retry-After': 'Wed, 01 Jan 2025 11:59:00 GMT' }]) {
      const error = toScimError(request, response(status, undefined, headers), { now: () => now });
      expect(error).toBeInstanceOf(ScimTransientError);
      expect(error instanceof ScimTransientError && error.retryAfterMs).toBeUndefined();
    }
    // A real wait is kept: it may lengthen the backoff (activities/failures.ts).
    const later = toScimError(request, response(status, undefined, { 'Retry-After': '7' }), { now: () => now });
    expect(later instanceof ScimTransientError && later.retryAfterMs).toBe(7000);
  });

  it('maps a 5xx whose body is an HTML gateway page by status alone', () => {
    const error = toScimError(request, response(502, '<html>Bad gateway</html>'));
    expect(error).toBeInstanceOf(ScimTransientError);
    expect(error.detail).toBeUndefined();
  });

  it('redacts server-provided text with the given redactor', () => {
    const error = toScimError(request, response(401, scimErrorBody(401, undefined, 'token s3cr3t is revoked')), {
      redact: (text) => text.replaceAll('s3cr3t', '[redacted]'),
    });
    expect(error.message).not.toContain('s3cr3t');
    expect(error.detail).toBe('token [redacted] is revoked');
  });
});

describe('toScimError from an exception', () => {
  const secret = 'Bearer super-secret-token';
  const axiosError = (code: string) =>
    new AxiosError('boom', code, { headers: new AxiosHeaders({ Authorization: secret }) });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'ERR_BAD_RESPONSE', 'ERR_STREAM_PREMATURE_CLOSE', 'HPE_INVALID_CONSTANT', 'HPE_INVALID_CHUNK_SIZE'])('maps %s to a retryable transient error', (code) => {
    const error = toScimError(request, { kind: 'exception', error: axiosError(code) });
    expect(error).toBeInstanceOf(ScimTransientError);
    expect(error.retryable).toBe(true);
    expect(error.networkCode).toBe(code);
    expect(error.status).toBeUndefined();
  });

  it('maps an axios timeout and an aborted deadline to a transient timeout', () => {
    expect(toScimError(request, { kind: 'exception', error: axiosError('ECONNABORTED') }).message).toMatch(/timeout/);
    const aborted = toScimError(request, { kind: 'exception', error: axiosError('ERR_CANCELED'), timedOut: true });
    expect(aborted).toBeInstanceOf(ScimTransientError);
    expect(aborted.message).toMatch(/timeout/);
  });

  it('maps an unknown failure to a non-retryable unexpected error', () => {
    const error = toScimError(request, { kind: 'exception', error: new TypeError('nope') });
    expect(error).toBeInstanceOf(ScimUnexpectedError);
    expect(error.retryable).toBe(false);
  });

  it('keeps nothing of the axios error: no cause, no config, no headers', () => {
    const error = toScimError(request, { kind: 'exception', error: axiosError('ECONNRESET') });
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify(error)).not.toContain('super-secret-token');
    expect(String(error.stack)).not.toContain('super-secret-token');
    expect(Object.values(error).some((value) => typeof value === 'object' && value !== null)).toBe(false);
  });
});
