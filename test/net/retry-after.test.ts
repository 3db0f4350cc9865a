import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { parseHttpDateMs, parseRetryAfterMs, retryAfterBeyondBackoff, retryAfterHintMs, retryWaitMs } from '../../net/retry-after';

/**
 * Retry-After in each of RFC 9110's forms. Every expected instant is written with Date.UTC / an ISO string with `Z`,
 * so the assertions hold whatever the machine's time zone (the asctime form names none and is GMT all the same).
 */
describe('parseRetryAfterMs', () => {
  const now = Date.parse('2026-11-30T10:00:00Z');
  const target = Date.parse('2026-11-30T10:01:00Z');

  it.each([
    ['IMF-fixdate', 'Mon, 30 Nov 2026 10:01:00 GMT'],
    ['RFC 850', 'Monday, 30-Nov-26 10:01:00 GMT'],
    ['asctime', 'Mon Nov 30 10:01:00 2026'],
    ['lower case', 'monday, 30-nov-26 10:01:00 gmt'],
  ])('reads %s as GMT', (_format, header) => {
    expect(parseRetryAfterMs(header, now)).toBe(target - now);
  });

  it('reads a one-digit asctime day (`Nov  6`) and a two-digit RFC 850 year the RFC way', () => {
    expect(parseHttpDateMs('Sun Nov  6 08:49:37 1994', now)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDateMs('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    // More than 50 years ahead of 2026 would be 2094: the most recent past 94 instead. 2070 is within 50 years.
    expect(parseHttpDateMs('Sunday, 06-Nov-70 08:49:37 GMT', now)).toBe(Date.UTC(2070, 10, 6, 8, 49, 37));
  });

  it('reads delay-seconds and clamps a past date to 0', () => {
    expect(parseRetryAfterMs('7', now)).toBe(7000);
    expect(parseRetryAfterMs(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfterMs('Mon, 30 Nov 2026 09:59:00 GMT', now)).toBe(0);
  });

  it.each([undefined, '', 'soon', '1.5 s', '5 apples', '-5', 'Mon, 31 Feb 2026 10:01:00 GMT', 'Mon, 30 Nov 2026 25:01:00 GMT', 'Mon, 30 Nov 2026 10:01:00', '2026-11-30T10:01:00Z'])(
    'does not take %p for a wait',
    (header) => {
      expect(parseRetryAfterMs(header, now)).toBeUndefined();
    },
  );

  it('reads asctime as GMT on a worker whose local zone is not GMT', () => {
    // Jest's process.env is a copy, so the zone is set on a child process running the same module.
    const compiled = ts.transpileModule(readFileSync(path.join(__dirname, '../../net/retry-after.ts'), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const script = `const m = { exports: {} }; new Function('module', 'exports', ${JSON.stringify(compiled)})(m, m.exports);
      process.stdout.write(JSON.stringify([new Date(2026, 10, 30).getTimezoneOffset(), m.exports.parseRetryAfterMs('Mon Nov 30 10:01:00 2026', ${now})]));`;
    for (const zone of ['America/New_York', 'Asia/Kolkata']) {
      const [offsetMinutes, waitMs] = JSON.parse(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: zone } }).toString()) as [number, number];
      expect(offsetMinutes).not.toBe(0);
      expect(waitMs).toBe(target - now);
    }
  });
});

/**
 * The one rule every retry takes a server's Retry-After by (the SCIM client's errors and listing pages, HR requests,
 * Temporal's nextRetryDelay): 0 or a past date is no hint, and a hint may lengthen the backoff, never shorten it.
 */
describe('Retry-After against a retry\'s backoff', () => {
  it('0 (a past date reads as 0) is no hint; a positive wait is', () => {
    expect(retryAfterHintMs(undefined)).toBeUndefined();
    expect(retryAfterHintMs(0)).toBeUndefined();
    expect(retryAfterHintMs(parseRetryAfterMs('Sun, 06 Nov 1994 08:49:37 GMT', Date.parse('2026-11-30T10:00:00Z')))).toBeUndefined();
    expect(retryAfterHintMs(1)).toBe(1);
    expect(retryAfterHintMs(30_000)).toBe(30_000);
  });

  it('replaces the backoff only when longer', () => {
    expect(retryAfterBeyondBackoff(undefined, 2_000)).toBeUndefined();
    expect(retryAfterBeyondBackoff(0, 2_000)).toBeUndefined();
    expect(retryAfterBeyondBackoff(1_000, 2_000)).toBeUndefined();
    expect(retryAfterBeyondBackoff(2_000, 2_000)).toBeUndefined();
    expect(retryAfterBeyondBackoff(2_001, 2_000)).toBe(2_001);
  });

  it('a wait its caller takes itself is max(Retry-After, backoff)', () => {
    expect(retryWaitMs(undefined, 2_000)).toBe(2_000);
    expect(retryWaitMs(0, 2_000)).toBe(2_000);
    expect(retryWaitMs(1_000, 2_000)).toBe(2_000);
    expect(retryWaitMs(5_000, 2_000)).toBe(5_000);
  });
});
