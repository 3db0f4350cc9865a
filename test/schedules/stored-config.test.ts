import { ApplicationFailure } from '@temporalio/common';
import path from 'node:path';
import { z } from 'zod';
import { resolveStoredConfigActivity } from '../../activities/config';
import { configChanges } from '../../client/schedules/config-diff';
import { timingFromFlags, timingFromSpec } from '../../client/schedules/options';
import { formatScheduleOverview, type SyncScheduleOverview } from '../../client/schedules/overview';
import { scheduleConfigFrom, scheduleConfigFromFile, scheduleInputOf, storedConfigStatus } from '../../client/schedules/stored-config';

const sampleConfigFile = path.resolve(__dirname, '../../examples/sample-config.yaml');
const sample = scheduleConfigFromFile(sampleConfigFile);
const asWritten = z.record(z.string(), z.unknown()).parse(sample.stored.storedConfig);

describe('a stored config, validated again at every run', () => {
  const resolveStoredConfig = resolveStoredConfigActivity();

  it('resolves relative paths against the folder of the file it was stored from, and fills in today\'s defaults', async () => {
    const config = await resolveStoredConfig(sample.stored);
    expect(config.source).toMatchObject({ type: 'csv', path: path.join(path.dirname(sampleConfigFile), 'sample-hr.csv') });
    expect(config.sync).toMatchObject({ discovery: 'list', maxConcurrentPartitions: 2, partitionSize: 200 });
    expect(config.peakon.operationsPerHour).toBe(25_000);
  });

  it('fails non-retryably, naming the field and the setting it most likely means, when it no longer validates', async () => {
    const stored = { ...sample.stored, storedConfig: { ...asWritten, sync: { maxConcurentPartitions: 3 } } };
    const failure = await resolveStoredConfig(stored).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'ConfigInvalid',
      nonRetryable: true,
      message: `the stored config (as written in ${sampleConfigFile}) is invalid:\n  sync.maxConcurentPartitions: unknown setting (did you mean "maxConcurrentPartitions"?)`,
    });
  });

  it('refuses a stored config whose file is not an absolute path (relative paths would depend on the worker)', async () => {
    await expect(resolveStoredConfig({ ...sample.stored, configFile: 'acme.yaml' })).rejects.toMatchObject({ type: 'ConfigInvalid', message: expect.stringContaining('configFile: expected an absolute path') });
  });

  it('validates what the schedule will hold: the config after a JSON round trip, named by its file', () => {
    expect(scheduleConfigFrom({ ...asWritten, extra: undefined }).stored.storedConfig).not.toHaveProperty('extra');
    expect(() => scheduleConfigFrom({ ...asWritten, tenant: 'Acme Corp' }, sampleConfigFile, `config file ${sampleConfigFile}`)).toThrow(
      `config file ${sampleConfigFile} is invalid:\n  tenant: lower-case letters, digits and dashes`,
    );
  });

  it('reads a schedule\'s input as written (this version) or as the parsed copy of an earlier version', () => {
    expect(scheduleInputOf({ workflowType: 'scheduledSyncWorkflow', args: [{ ...sample.stored, tuning: { lockLeaseMs: 5_000 } }] })).toEqual({ form: 'as-written', stored: sample.stored, tuning: { lockLeaseMs: 5_000 } });
    expect(scheduleInputOf({ workflowType: 'syncTenantWorkflow', args: [{ config: sample.parsed }] })).toMatchObject({ form: 'parsed-copy' });
    expect(scheduleInputOf({ workflowType: 'somethingElse', args: [] })).toBeUndefined();
    expect(storedConfigStatus({ form: 'as-written', stored: { storedConfig: { ...asWritten, tenant: 42 } } })).toMatchObject({ validates: false, source: 'csv:./sample-hr.csv', problem: expect.stringMatching(/tenant: /) });
  });
});

describe('schedule timing read back from the spec', () => {
  it('reads an interval, and a cron from the comment create/update keep it in, with its time zone', () => {
    expect(timingFromSpec({ intervals: [{ every: 1_800_000 }], calendars: [], timezone: '' })).toEqual({ everyMs: 1_800_000 });
    expect(timingFromSpec({ intervals: [], calendars: [{ comment: '0 2 * * 1-5' }], timezone: 'Europe/Copenhagen' })).toEqual({ cron: '0 2 * * 1-5', timezone: 'Europe/Copenhagen' });
  });

  it('reads an interval with an offset (the server\'s form of --cron "@every 1d/2h", comment dropped) as that @every, which --cron takes again', () => {
    const timing = timingFromSpec({ intervals: [{ every: 86_400_000, offset: 7_200_000 }], calendars: [], timezone: '' });
    expect(timing).toEqual({ cron: '@every 1d/2h' });
    expect(timingFromFlags({ cron: '@every 1d/2h' })).toEqual(timing);
    expect(timingFromSpec({ intervals: [{ every: 5_400_000, offset: 90_000 }], calendars: [] })).toEqual({ cron: '@every 1h30m/1m30s' });
  });

  it('says nothing of a cron without a comment (an earlier version\'s schedule: its memo says) or of a spec it did not make', () => {
    expect(timingFromSpec({ intervals: [], calendars: [{ comment: '' }] })).toBeUndefined();
    expect(timingFromSpec({ intervals: [{ every: 60_000 }, { every: 120_000 }] })).toBeUndefined();
  });
});

describe('what schedule update and describe say about a config', () => {
  it('lists each setting that changed, defaults included, and caps a long list', () => {
    expect(configChanges({ sync: { maxConcurrentPartitions: 2 }, source: { path: '/a.csv' } }, { sync: { maxConcurrentPartitions: 4 }, source: { path: '/a.csv' } })).toEqual(['sync.maxConcurrentPartitions: 2 → 4']);
    expect(configChanges({ sync: {} }, { sync: { maxConcurrentPartitions: 2 } })).toEqual(['sync.maxConcurrentPartitions: (not set) → 2']);
    const many = Object.fromEntries(Array.from({ length: 25 }, (_, index) => [`k${index}`, index]));
    expect(configChanges({}, many, 20).at(-1)).toBe('… and 5 more');
  });

  it('never prints a value under source.headers or source.query, only that it was added, changed or removed', () => {
    const rest = (headers: unknown, query: unknown) => ({ source: { type: 'rest', url: 'https://hr.example.com/api', headers, query }, sync: { maxConcurrentPartitions: 2 } });
    const before = rest({ 'X-Client': 'old-header-s3cr3t', 'X-Gone': 'gone-header-s3cr3t' }, { key: 'old-query-s3cr3t', nested: { deep: 'deep-old-s3cr3t' } });
    const after = { ...rest({ 'X-Client': 'new-header-s3cr3t', 'X-New': 'added-header-s3cr3t' }, { key: 'new-query-s3cr3t', nested: { deep: 'deep-new-s3cr3t' }, extra: 'added-query-s3cr3t' }), sync: { maxConcurrentPartitions: 4 } };
    const lines = configChanges(before, after);
    expect(lines).toEqual([
      'source.headers.X-Client: changed (value not shown)',
      'source.headers.X-Gone: removed (value not shown)',
      'source.query.key: changed (value not shown)',
      'source.query.nested.deep: changed (value not shown)',
      'sync.maxConcurrentPartitions: 2 → 4',
      'source.headers.X-New: added (value not shown)',
      'source.query.extra: added (value not shown)',
    ]);
    expect(lines.join('\n')).not.toMatch(/s3cr3t/);
    // A whole map written as something else is hidden too; an unchanged one says nothing.
    expect(configChanges(rest('whole-s3cr3t', {}), rest({}, {}))).toEqual(['source.headers: removed (value not shown)']);
    expect(configChanges(before, rest({ 'X-Client': 'old-header-s3cr3t', 'X-Gone': 'gone-header-s3cr3t' }, { key: 'old-query-s3cr3t', nested: { deep: 'deep-old-s3cr3t' } }))).toEqual([]);
  });

  it('prints a source URL without user info and with its query values hidden, in update\'s change lines and in describe', () => {
    const rest = (url: string) => ({ source: { type: 'rest', url }, sync: { maxConcurrentPartitions: 2 } });
    expect(configChanges(rest('https://hr.example.com/api'), rest('https://bob:s3cr3t@hr2.example.com/v2?api_key=s3cr3t&page=1'))).toEqual([
      'source.url: "https://hr.example.com/api" → "https://hr2.example.com/v2?api_key=…&page=…"',
    ]);
    // A change only in what is not shown is still a change, said as such.
    expect(configChanges(rest('https://hr.example.com/api?api_key=old-s3cr3t'), rest('https://hr.example.com/api?api_key=new-s3cr3t'))).toEqual([
      'source.url: "https://hr.example.com/api?api_key=…" (changed where values are not shown)',
    ]);
    expect(configChanges({ source: { type: 'bamboohr', baseUrl: 'https://u:s3cr3t@x.example.com/' } }, { source: { type: 'bamboohr' } })).toEqual(['source.baseUrl: "https://x.example.com/" → (not set)']);
    // describe: a config stored before the URL was refused (it no longer validates), and one with a key in the query.
    const withUserInfo = { ...asWritten, source: { type: 'rest', url: 'https://bob:s3cr3t@hr.example.com/api?api_key=s3cr3t' } };
    const stale = storedConfigStatus({ form: 'as-written', stored: { storedConfig: withUserInfo } });
    expect(stale).toMatchObject({ validates: false, source: 'rest:https://hr.example.com/api?api_key=…' });
    expect(JSON.stringify(stale)).not.toContain('s3cr3t');
    const withKey = { ...asWritten, source: { type: 'rest', url: 'https://hr.example.com/api?api_key=s3cr3t' } };
    expect(storedConfigStatus({ form: 'as-written', stored: { storedConfig: withKey } })).toMatchObject({ validates: true, source: 'rest:https://hr.example.com/api?api_key=…' });
  });

  it('tells a schedule made by an earlier version from one that stores the config as written', () => {
    const overview: SyncScheduleOverview = {
      scheduleId: 'peakon-sync-demo',
      tenant: 'demo',
      timing: 'every 1h',
      paused: false,
      nextRunTimes: [],
      overlapPolicy: 'SKIP',
      catchupWindowMs: 600_000,
      actionsTaken: 0,
      skippedBecauseStillRunning: 0,
      missedCatchupWindow: 0,
      running: [],
      recentRuns: [],
    };
    const parsedCopy = formatScheduleOverview({ ...overview, storedConfig: storedConfigStatus({ form: 'parsed-copy', config: sample.parsed }) });
    expect(parsedCopy).toContain(`  config:        a parsed copy stored by an earlier version: tenant demo, source csv:${sample.parsed.source.type === 'csv' ? sample.parsed.source.path : ''}`);
    expect(parsedCopy).toContain('store it as written: peakon-sync schedule update peakon-sync-demo');
    const written = formatScheduleOverview({ ...overview, storedConfig: storedConfigStatus({ form: 'as-written', stored: sample.stored }) });
    expect(written).toContain(`  config:        as written in ${sampleConfigFile}: tenant demo`);
    expect(written).toContain('  validates:     yes, with this version');
  });
});
