/**
 * The create after a rekey's delete (client/schedules/rekey.ts), with an injected create: which failures are tried
 * again and for how long, the backup of the stored config written when it still fails (new file, mode 0600, the config
 * as stored, named by the `schedule create` command in the error), and Ctrl-C/SIGTERM held while the schedule is deleted.
 * No server: the real delete and create are in schedule-rekey.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScheduleAlreadyRunning, ServiceError, type ScheduleDescription } from '@temporalio/client';
import YAML from 'yaml';
import { ScheduleArgumentTooLargeError } from '../../client/schedules/inline-client';
import { createAgain, deferSignals, isRetryableCreateError, recreateOptions } from '../../client/schedules/rekey';

const SECRET_LOOKING_VALUE = 'https://peakon.example.test/only-in-the-config';
const storedConfig = { tenant: 'acme', peakon: { baseUrl: SECRET_LOOKING_VALUE, token: { env: 'PEAKON_TOKEN' } }, source: { type: 'csv', path: 'hr.csv' }, mapping: { note: 'ünïcode: "quoted"' } };

function grpcFailure(code: number, details: string): ServiceError {
  return new ServiceError('Failed to create schedule', { cause: Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} }) });
}

function description(overrides: { configFile?: string; spec?: ScheduleDescription['spec']; paused?: boolean; note?: string } = {}): ScheduleDescription {
  const configFile = overrides.configFile ?? '/etc/peakon-sync/acme.yaml';
  return {
    scheduleId: 'peakon-sync-acme',
    spec: overrides.spec ?? { calendars: [{ comment: '0 2 * * *' }], timezone: 'Europe/Copenhagen' },
    action: { type: 'startWorkflow', workflowType: 'scheduledSyncWorkflow', workflowId: 'peakon-sync/acme/scheduled-peakon-sync-acme', taskQueue: 'peakon-sync', args: [{ storedConfig, configFile }] },
    policies: {},
    state: { paused: overrides.paused ?? true, ...(overrides.note !== undefined ? { note: overrides.note } : {}) },
    memo: { tenant: 'acme' },
    typedSearchAttributes: [],
    info: { recentActions: [], nextActionTimes: [], runningActions: [] },
  } as unknown as ScheduleDescription;
}

describe('rekey: creating the deleted schedule again', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'rekey-backup-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('tries again on a schedule not gone yet and on a busy server or dropped connection, not on a refusal', () => {
    expect(isRetryableCreateError(new ScheduleAlreadyRunning('Schedule already exists and is running', 'x'))).toBe(true);
    expect(isRetryableCreateError(grpcFailure(14, 'UNAVAILABLE: connection dropped'))).toBe(true);
    expect(isRetryableCreateError(grpcFailure(4, 'DEADLINE_EXCEEDED'))).toBe(true);
    expect(isRetryableCreateError(grpcFailure(8, 'RESOURCE_EXHAUSTED'))).toBe(true);
    expect(isRetryableCreateError(grpcFailure(3, 'INVALID_ARGUMENT: bad memo'))).toBe(false);
    expect(isRetryableCreateError(grpcFailure(7, 'PERMISSION_DENIED'))).toBe(false);
    expect(isRetryableCreateError(new ScheduleArgumentTooLargeError(300_000))).toBe(false);
    expect(isRetryableCreateError(new TypeError('Invalid schedule spec'))).toBe(false);
  });

  it('keeps trying for the whole window, past the few seconds a busy server may take to finish the delete', async () => {
    const attempts: number[] = [];
    const create = jest.fn(async () => {
      attempts.push(Date.now());
      // The old retry gave up after 5 attempts; this delete takes 8 to go.
      if (attempts.length <= 8) throw new ScheduleAlreadyRunning('Schedule already exists and is running', 'peakon-sync-acme');
    });
    const described = description();
    await createAgain(create, recreateOptions(described), described, { retry: { timeoutMs: 10_000, delayMs: 10, maxDelayMs: 40 }, backupDirectory: directory });
    expect(create).toHaveBeenCalledTimes(9);
    expect(create).toHaveBeenCalledWith(expect.objectContaining({ scheduleId: 'peakon-sync-acme' }), { deadline: expect.any(Date) });
  });

  it('stops at once on a refusal and writes the stored config, as stored, to a new 0600 file the create command in the error names', async () => {
    const create = jest.fn(async () => {
      throw grpcFailure(3, 'INVALID_ARGUMENT: something the server refuses');
    });
    const described = description({ note: "rotation 'drill'" });
    const error = await createAgain(create, recreateOptions(described), described, { retry: { timeoutMs: 10_000, delayMs: 10, maxDelayMs: 40 }, backupDirectory: directory }).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(create).toHaveBeenCalledTimes(1);
    const backup = path.join(directory, 'peakon-sync-acme.rekey-backup.yaml');
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    expect(YAML.parse(readFileSync(backup, 'utf8'))).toEqual(storedConfig);
    expect(error?.message).toContain('schedule peakon-sync-acme was DELETED');
    expect(error?.message).toContain('tried once: Failed to create schedule');
    expect(error?.message).toContain(
      `peakon-sync schedule create --config ${backup} --id peakon-sync-acme --cron '0 2 * * *' --timezone Europe/Copenhagen --paused --note 'rotation '\\''drill'\\'''`,
    );
    // Its relative paths were read from the original file's folder: the message says so.
    expect(error?.message).toContain('Relative paths in it (the CSV export, secret files) were read from /etc/peakon-sync');
    expect(error?.message).not.toContain(SECRET_LOOKING_VALUE);
    expect(error?.message).not.toContain('hr.csv');
  });

  it('gives up after the window on a schedule that never goes, never overwrites an earlier backup, and writes JSON for a JSON config', async () => {
    const earlier = path.join(directory, 'peakon-sync-acme.rekey-backup.json');
    writeFileSync(earlier, 'an earlier backup');
    const create = jest.fn(async () => {
      throw new ScheduleAlreadyRunning('Schedule already exists and is running', 'peakon-sync-acme');
    });
    const described = description({ configFile: path.join(directory, 'acme.json'), spec: { intervals: [{ every: 3_600_000, offset: 0 }] }, paused: false });
    const started = Date.now();
    const error = await createAgain(create, recreateOptions(described), described, { retry: { timeoutMs: 300, delayMs: 20, maxDelayMs: 50 }, backupDirectory: directory }).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(create.mock.calls.length).toBeGreaterThan(3);
    expect(readFileSync(earlier, 'utf8')).toBe('an earlier backup');
    const backup = path.join(directory, 'peakon-sync-acme.rekey-backup-2.json');
    expect(JSON.parse(readFileSync(backup, 'utf8'))).toEqual(storedConfig);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    expect(error?.message).toContain('the deleted schedule had not gone yet');
    expect(error?.message).toMatch(new RegExp(`create it again with peakon-sync schedule create --config ${backup} --id peakon-sync-acme --every 1h$`));
  });

  it('takes a create that timed out after the server made the schedule as done: the next create meets it, and it is under the current key', async () => {
    const create = jest.fn(async () => {
      // The first create lands on the server, but its answer is lost; the next one finds the schedule there.
      if (create.mock.calls.length === 1) throw grpcFailure(4, 'DEADLINE_EXCEEDED: Deadline exceeded');
      throw new ScheduleAlreadyRunning('Schedule already exists and is running', 'peakon-sync-acme');
    });
    const isRecreated = jest.fn(async () => true);
    const described = description();
    await createAgain(create, recreateOptions(described), described, { retry: { timeoutMs: 5_000, delayMs: 10, maxDelayMs: 40 }, backupDirectory: directory, isRecreated });
    expect(create).toHaveBeenCalledTimes(2);
    expect(isRecreated).toHaveBeenCalledTimes(1);
    expect(readdirSync(directory)).toEqual([]);
  });

  it('asks nothing on a deleted schedule not gone yet when no create could have landed, and keeps trying while the schedule found is not the new one', async () => {
    const create = jest.fn(async () => {
      if (create.mock.calls.length === 1) throw new ScheduleAlreadyRunning('Schedule already exists and is running', 'peakon-sync-acme');
      if (create.mock.calls.length === 2) throw grpcFailure(14, 'UNAVAILABLE: connection dropped');
      if (create.mock.calls.length === 3) throw new ScheduleAlreadyRunning('Schedule already exists and is running', 'peakon-sync-acme');
    });
    // The schedule found after the dropped connection is still the old one (old key): not done yet.
    const isRecreated = jest.fn(async () => false);
    const described = description();
    await createAgain(create, recreateOptions(described), described, { retry: { timeoutMs: 5_000, delayMs: 10, maxDelayMs: 40 }, backupDirectory: directory, isRecreated });
    expect(create).toHaveBeenCalledTimes(4);
    expect(isRecreated).toHaveBeenCalledTimes(1);
  });

  it('bounds each create: one that never answers counts as a failed attempt, and the backup is written within the window', async () => {
    const create = jest.fn(() => new Promise<never>(() => undefined));
    const described = description();
    const started = Date.now();
    const error = await createAgain(create, recreateOptions(described), described, {
      retry: { timeoutMs: 400, delayMs: 20, maxDelayMs: 50, callTimeoutMs: 100 },
      backupDirectory: directory,
      isRecreated: async () => false,
    }).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(create.mock.calls.length).toBeGreaterThan(1);
    expect(create).toHaveBeenCalledWith(expect.objectContaining({ scheduleId: 'peakon-sync-acme' }), { deadline: expect.any(Date) });
    expect(error?.message).toContain('schedule peakon-sync-acme was DELETED');
    expect(error?.message).toContain('no answer within 100 ms');
    expect(readdirSync(directory)).toEqual(['peakon-sync-acme.rekey-backup.yaml']);
  }, 10_000);

  it('takes a last create that never answered but landed as done: one look at the schedule before writing a backup', async () => {
    const create = jest.fn(() => new Promise<never>(() => undefined));
    const described = description();
    await createAgain(create, recreateOptions(described), described, {
      retry: { timeoutMs: 150, delayMs: 20, maxDelayMs: 50, callTimeoutMs: 100 },
      backupDirectory: directory,
      isRecreated: async () => true,
    });
    expect(readdirSync(directory)).toEqual([]);
  }, 10_000);

  it('holds Ctrl-C and SIGTERM while the schedule is deleted, says so once, and raises the signal again afterwards', () => {
    const before = { int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') };
    const written: string[] = [];
    const held = deferSignals('peakon-sync-acme', { write: (text: string) => written.push(text) });
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGTERM', 'SIGTERM');
    expect(written).toEqual(['finishing the rekey of peakon-sync-acme: it is deleted and being created again\n']);
    const raised: string[] = [];
    held.release(new Error('creating it again failed: see the backup'), (signal) => raised.push(signal));
    expect(raised).toEqual(['SIGINT']);
    // The failure is printed before the process ends at the signal.
    expect(written[1]).toBe('creating it again failed: see the backup\n');
    expect({ int: process.listenerCount('SIGINT'), term: process.listenerCount('SIGTERM') }).toEqual(before);

    // Without a signal, nothing is raised.
    const quiet = deferSignals('peakon-sync-acme', { write: (text: string) => written.push(text) });
    quiet.release(undefined, (signal) => raised.push(signal));
    expect(raised).toEqual(['SIGINT']);
  });
});
