import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { planSyncActivity } from '../../activities/plan';
import { checkGuardTimeoutFitsRetention, checkWritesFitRetention, longestGuardTimeoutMs } from '../../config/guard-retention';
import { ConfigError, parseConfig } from '../../config/load';
import { configErrorOf, MINIMAL_CONFIG } from './config-fixtures';
import { MAX_GUARD_TIMEOUT_MS, MIN_GUARD_TIMEOUT_MS } from '../../config/schema';
import { defaultActivityDeps } from '../../worker/create-worker';

// A Peakon nobody answers: the plan activity must refuse before it reaches out.
const valid = { ...MINIMAL_CONFIG, peakon: { baseUrl: 'http://127.0.0.1:9/scim/v2' } };
const withTimeout = (timeout: string | number, action?: string) => ({ ...valid, leavers: { ...(action ? { action } : {}), guard: { timeout } } });
const errorOf = configErrorOf;

const DAY_MS = 86_400_000;

describe('leavers.guard.timeout', () => {
  it('takes at most 3 days, written as a duration or as milliseconds, and says why when it is longer', () => {
    expect(parseConfig(withTimeout('3d')).leavers.guard.timeout).toBe(3 * DAY_MS);
    expect(parseConfig(withTimeout('72h')).leavers.guard.timeout).toBe(MAX_GUARD_TIMEOUT_MS);
    expect(parseConfig(withTimeout(MAX_GUARD_TIMEOUT_MS)).leavers.guard.timeout).toBe(MAX_GUARD_TIMEOUT_MS);
    for (const tooLong of ['4d', '73h', MAX_GUARD_TIMEOUT_MS + 1]) {
      const message = errorOf(withTimeout(tooLong));
      expect(message).toContain('leavers.guard.timeout: at most 3d: a run holding leaver writes keeps its tenant locked while it waits');
      expect(message.split('\n').filter((line) => line.includes('leavers.guard.timeout'))).toHaveLength(1);
    }
  });

  it('takes at least 1 minute: 0s or 0h would drop held leavers at once, and a bare number is milliseconds (24 is 24 ms)', () => {
    expect(parseConfig(withTimeout('1m')).leavers.guard.timeout).toBe(MIN_GUARD_TIMEOUT_MS);
    expect(parseConfig(withTimeout('60s')).leavers.guard.timeout).toBe(MIN_GUARD_TIMEOUT_MS);
    expect(parseConfig(withTimeout(MIN_GUARD_TIMEOUT_MS)).leavers.guard.timeout).toBe(MIN_GUARD_TIMEOUT_MS);
    for (const tooShort of ['0s', '0h', '0d', '59s', '500ms']) {
      const message = errorOf(withTimeout(tooShort));
      expect(message).toContain('leavers.guard.timeout: at least 1m: held leaver writes are dropped when nobody decides within this time');
      expect(message.split('\n').filter((line) => line.includes('leavers.guard.timeout'))).toHaveLength(1);
    }
    for (const tooShort of [0, 24, MIN_GUARD_TIMEOUT_MS - 1]) {
      const message = errorOf(withTimeout(tooShort));
      expect(message).toContain('leavers.guard.timeout: at least 60000 (1m): a bare number is milliseconds (24 is 24 ms, not 24 hours); write a duration such as 24h');
      expect(message.split('\n').filter((line) => line.includes('leavers.guard.timeout'))).toHaveLength(1);
    }
  });

  it('must be well below the worker\'s payload retention: at most half of it, unless leavers are only counted', () => {
    expect(longestGuardTimeoutMs(4)).toBe(2 * DAY_MS);
    const threeDays = parseConfig(withTimeout('3d'));
    // The default retention (30 days) takes any timeout the schema does.
    expect(() => checkGuardTimeoutFitsRetention(threeDays, 30)).not.toThrow();
    expect(() => checkGuardTimeoutFitsRetention(threeDays, 6)).not.toThrow();
    expect(() => checkGuardTimeoutFitsRetention(threeDays, 5)).toThrow(ConfigError);
    expect(() => checkGuardTimeoutFitsRetention(threeDays, 4)).toThrow(
      "leavers.guard.timeout: 3d is not well below this worker's payload retention (PEAKON_SYNC_RETENTION_DAYS=4): the retention sweep could delete a run's stored plan while it waits for approval, and its held leaver writes could not be applied; give at most 2d (half the retention), or raise PEAKON_SYNC_RETENTION_DAYS on the workers",
    );
    expect(() => checkGuardTimeoutFitsRetention(parseConfig(withTimeout('3d', 'off')), 1)).not.toThrow();
    // A config of a version without leaver settings gets the default timeout (24h).
    expect(() => checkGuardTimeoutFitsRetention({ leavers: undefined } as never, 1)).toThrow(/leavers\.guard\.timeout: 1d is not well below .*PEAKON_SYNC_RETENTION_DAYS=1.*at most 12h/);
  });

  it('is refused by the worker\'s plan before it reads anything, when the worker\'s retention is too short for it', async () => {
    const stateDirectory = mkdtempSync(path.join(tmpdir(), 'peakon-sync-guard-'));
    const deps = defaultActivityDeps(stateDirectory, { ...process.env, PEAKON_SYNC_RETENTION_DAYS: '4' });
    expect(deps.retentionDays).toBe(4);
    const reads: string[] = [];
    const plan = planSyncActivity({
      ...deps,
      resolveSecret: () => 'never-sent',
      createSource: (config) => {
        reads.push(config.tenant);
        throw new Error('the HR system must not be read');
      },
    });
    const environment = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const failure: unknown = await environment.run(plan, { run: { tenant: 'demo', runId: 'peakon-sync/demo/test' }, config: parseConfig(withTimeout('3d')), storedPlan: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ConfigInvalid', nonRetryable: true });
    expect((failure as ApplicationFailure).message).toMatch(/^leavers\.guard\.timeout: 3d is not well below this worker's payload retention \(PEAKON_SYNC_RETENTION_DAYS=4\)/);
    expect(reads).toEqual([]);
    // The same config runs on a worker with the default retention (30 days): the refusal is the retention's.
    expect(defaultActivityDeps(stateDirectory, { ...process.env, PEAKON_SYNC_RETENTION_DAYS: '' }).retentionDays).toBe(30);
  });
});

describe('a run\'s writes against the worker\'s payload retention', () => {
  const config = (operationsPerHour: number, action?: string) => parseConfig({ ...valid, peakon: { ...valid.peakon, operationsPerHour }, leavers: { ...(action ? { action } : {}), guard: { timeout: '24h' } } });

  it('refuses writes that with the guard\'s wait take longer than half the retention, naming the budget, the figures and the fix', () => {
    // 2 days of retention: at most 1 day. 24 h of guard wait plus 1,000 writes at 1,000 an hour is 25 h.
    expect(() => checkWritesFitRetention(config(1_000), 1_000, 2)).toThrow(ConfigError);
    expect(() => checkWritesFitRetention(config(1_000), 1_000, 2)).toThrow(/^peakon\.operationsPerHour: this run's 1000 writes at 1000 an hour take about 1h, and leavers\.guard\.timeout may add 1d, more than half this worker's payload retention \(PEAKON_SYNC_RETENTION_DAYS=2, at most 1d\)/);
    // Leavers only counted never wait: 1 h of writes fits.
    expect(() => checkWritesFitRetention(config(1_000, 'off'), 1_000, 2)).not.toThrow();
    // At Peakon's 25,000 an hour, 50,000 writes and the default wait fit the default retention many times over.
    expect(() => checkWritesFitRetention(config(25_000), 50_000, 30)).not.toThrow();
    expect(() => checkWritesFitRetention(config(1_000, 'off'), 12_001, 1)).toThrow(/take about 12h1m/);
    expect(() => checkWritesFitRetention(config(1_000, 'off'), 12_000, 1)).not.toThrow();
  });
});
