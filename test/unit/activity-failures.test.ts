import { ApplicationFailure } from '@temporalio/common';
import { AxiosError, AxiosHeaders } from 'axios';
import { backoffAfterAttempt, toActivityFailure } from '../../activities/failures';
import { SourceReadError } from '../../hris/source';
import {
  ScimAuthenticationError,
  ScimConflictError,
  ScimIncompleteListingError,
  ScimInvalidRequestError,
  ScimNotFoundError,
  ScimRateLimitedError,
  ScimTransientError,
  ScimUnexpectedError,
  toScimError,
} from '../../scim/errors';

const request = { method: 'POST' as const, path: '/Users' };

describe('toActivityFailure: how SCIM errors become Temporal retries', () => {
  it.each([
    ['a 401', new ScimAuthenticationError('401 Unauthorized', { ...request, status: 401 }), 'AuthenticationFailed', true],
    ['a 400', new ScimInvalidRequestError('400 Bad Request', { ...request, status: 400, scimType: 'invalidValue', detail: 'bad locale' }), 'InvalidRequest', true],
    ['a 404', new ScimNotFoundError('404', { ...request, status: 404 }), 'NotFound', true],
    ['a 409', new ScimConflictError('409', { ...request, status: 409 }), 'Conflict', true],
    ['a 503', new ScimTransientError('503', { ...request, status: 503 }), 'Transient', false],
    // Not InvalidRequest, which only a 400 is: the steps answer that by writing again without the references.
    ['a 405', new ScimUnexpectedError('405', { ...request, status: 405 }), 'RequestFailed', true],
    ['an unknown network error', new ScimUnexpectedError('request failed (EPROTO)', { ...request, networkCode: 'EPROTO' }), 'RequestFailed', true],
    ['a short listing', new ScimIncompleteListingError('short', { ...request, method: 'GET' }), 'Transient', false],
    ['an HR source that broke mid-read', new SourceReadError('page 3 failed'), 'SourceReadFailed', false],
  ])('turns %s into a %s failure (non-retryable: %s)', (_label, error, type, nonRetryable) => {
    const failure = toActivityFailure(error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe(type);
    expect(failure.nonRetryable).toBe(nonRetryable);
  });

  it.each([
    ['a PATCH', 'PATCH' as const, 200],
    ['a PUT', 'PUT' as const, 200],
    ['a POST', 'POST' as const, 201],
  ])('turns %s whose answer was cut off after its headers (axios ERR_BAD_RESPONSE) into a retryable Transient failure, never InvalidRequest', (_label, method, status) => {
    // What axios rejects with when the status and headers came and the connection closed mid-body (adapters/http.js,
    // the response stream's `aborted`): its code ERR_BAD_RESPONSE, the 2xx response attached.
    const config = { headers: new AxiosHeaders({ Authorization: 'Bearer secret' }) };
    const response = { status, statusText: 'OK', headers: {}, config, data: undefined };
    const cut = new AxiosError('stream has been aborted', AxiosError.ERR_BAD_RESPONSE, config, {}, response);
    const failure = toActivityFailure(toScimError({ method, path: '/Users/abc' }, { kind: 'exception', error: cut }));
    expect(failure.type).toBe('Transient');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toMatch(/ERR_BAD_RESPONSE/);
  });

  it('waits exactly as long as Peakon\'s Retry-After says on a 429', () => {
    const failure = toActivityFailure(new ScimRateLimitedError('429', { ...request, status: 429, retryAfterMs: 42_000 }));
    expect(failure.type).toBe('RateLimited');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(42_000);
  });

  it('honours Retry-After on a 503 as well', () => {
    expect(toActivityFailure(new ScimTransientError('503', { ...request, status: 503, retryAfterMs: 5_000 })).nextRetryDelay).toBe(5_000);
  });

  describe('a 5xx\'s Retry-After lengthens the backoff, never shortens it (Temporal takes nextRetryDelay instead of its backoff)', () => {
    const policy = { initialInterval: 2_000, maximumInterval: 300_000, backoffCoefficient: 2, maximumAttempts: 12 };
    const transient = (retryAfter: string) => toScimError(request, { kind: 'response', status: 503, headers: { 'Retry-After': retryAfter }, body: undefined }, { now: () => Date.parse('2025-01-01T12:00:00Z') });

    it.each(['0', '0.001', '1', 'Wed, 01 Jan 2025 11:59:00 GMT'])('Retry-After: %s on the first attempt sets no nextRetryDelay: the policy\'s 2 s backoff stands', (retryAfter) => {
      const failure = toActivityFailure(transient(retryAfter), { policy, attempt: 1 });
      expect(failure.type).toBe('Transient');
      expect(failure.nonRetryable).toBe(false);
      expect(failure.nextRetryDelay).toBeUndefined();
    });

    it('a wait shorter than this attempt\'s backoff is ignored, a longer one kept', () => {
      // After attempt 4 the backoff is 2 s × 2³ = 16 s.
      expect(toActivityFailure(transient('10'), { policy, attempt: 4 }).nextRetryDelay).toBeUndefined();
      expect(toActivityFailure(transient('20'), { policy, attempt: 4 }).nextRetryDelay).toBe(20_000);
      // Capped at maximumInterval: after attempt 12 the backoff is 300 s, not 2 s × 2¹¹.
      expect(toActivityFailure(transient('400'), { policy, attempt: 12 }).nextRetryDelay).toBe(400_000);
    });

    it('outside an activity it weighs against the default SCIM retry policy\'s first wait', () => {
      expect(toActivityFailure(transient('1')).nextRetryDelay).toBeUndefined();
      expect(toActivityFailure(transient('3')).nextRetryDelay).toBe(3_000);
    });

    it('a policy\'s intervals given as ms-formatted strings are read as Temporal reads them', () => {
      // Before, a string interval was taken for unset: '10s' weighed as the tuning's 2 s, and a 5 s Retry-After cut it.
      expect(toActivityFailure(transient('5'), { policy: { initialInterval: '10s' }, attempt: 1 }).nextRetryDelay).toBeUndefined();
      expect(toActivityFailure(transient('11'), { policy: { initialInterval: '10s' }, attempt: 1 }).nextRetryDelay).toBe(11_000);
    });

    it('a policy without initialInterval weighs against Temporal\'s 1 s, not the tuning\'s', () => {
      expect(toActivityFailure(transient('1.5'), { policy: {}, attempt: 1 }).nextRetryDelay).toBe(1_500);
    });
  });

  describe('backoffAfterAttempt: the backoff Temporal applies when a failure sets no nextRetryDelay', () => {
    it('reads Durations: milliseconds or ms-formatted strings', () => {
      const policy = { initialInterval: '3s', maximumInterval: '10s', backoffCoefficient: 2 } as const;
      expect([1, 2, 3, 4].map((attempt) => backoffAfterAttempt({ policy, attempt }))).toEqual([3_000, 6_000, 10_000, 10_000]);
      expect(backoffAfterAttempt({ policy: { initialInterval: '1m', maximumInterval: '1h' }, attempt: 2 })).toBe(120_000);
      expect(backoffAfterAttempt({ policy: { initialInterval: 3_000, maximumInterval: 10_000 }, attempt: 3 })).toBe(10_000);
    });

    it('an unset interval takes Temporal\'s default: initialInterval 1 s, maximumInterval 100 × initialInterval, coefficient 2', () => {
      expect([1, 2, 7, 8, 20].map((attempt) => backoffAfterAttempt({ policy: {}, attempt }))).toEqual([1_000, 2_000, 64_000, 100_000, 100_000]);
      expect(backoffAfterAttempt({ policy: { initialInterval: '5s' }, attempt: 12 })).toBe(500_000);
      expect(backoffAfterAttempt({ policy: { maximumInterval: '3s' }, attempt: 5 })).toBe(3_000);
    });
  });

  it('says "authentication failed" so the run stops with a message a person understands', () => {
    expect(toActivityFailure(new ScimAuthenticationError('401', { ...request, status: 401 })).message).toMatch(/^authentication failed/);
  });
});
