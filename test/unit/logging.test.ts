import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure, type LogLevel, type LogMetadata, type Logger } from '@temporalio/common';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createActivities } from '../../activities';
import { startSandbox, type RunningSandbox } from '../../sandbox';
import { employeeRefFor } from '../../sync/employee-ref';
import { buildPlan } from '../../sync/plan';
import { formatLogEntry, jsonLoggingRuntimeOptions } from '../../worker/logging';

import { defaultActivityDeps } from '../../worker/create-worker';
import { CORE_USER_SCHEMA, PEAKON_USER_SCHEMA } from '../../scim/resources';

class CapturingLogger implements Logger {
  readonly entries: Array<{ level: LogLevel; message: string; meta?: LogMetadata }> = [];
  log(level: LogLevel, message: string, meta?: LogMetadata) {
    this.entries.push({ level, message, ...(meta ? { meta } : {}) });
  }
  trace(message: string, meta?: LogMetadata) { this.log('TRACE', message, meta); }
  debug(message: string, meta?: LogMetadata) { this.log('DEBUG', message, meta); }
  info(message: string, meta?: LogMetadata) { this.log('INFO', message, meta); }
  warn(message: string, meta?: LogMetadata) { this.log('WARN', message, meta); }
  error(message: string, meta?: LogMetadata) { this.log('ERROR', message, meta); }
}

describe('structured logs', () => {
  it('formats a worker log entry as one JSON object with time, level, message and metadata', () => {
    const line = formatLogEntry({ level: 'INFO', message: 'employee created', timestampNanos: 1_764_000_000_000_000_000n, meta: { syncRunId: 'peakon-sync/acme/x', employeeKey: 'a@example.com' } });
    expect(JSON.parse(line)).toEqual({ time: new Date(1_764_000_000_000).toISOString(), level: 'info', message: 'employee created', syncRunId: 'peakon-sync/acme/x', employeeKey: 'a@example.com' });
  });

  it('logs an error by its name and failure type only: not its message, nor the decoded failure or cause the SDK attaches', () => {
    const failure = ApplicationFailure.create({ type: 'InvalidRequest', message: 'Peakon answered 400: userName "ada@example.com" is taken' });
    Object.assign(failure, { failure: { message: 'Peakon answered 400: userName "ada@example.com" is taken' } });
    const error = new Error('workflow failed: ada@example.com', { cause: failure });
    Object.assign(error, { failure: { message: 'ada@example.com' }, cause: failure });
    const line = formatLogEntry({ level: 'WARN', message: 'Workflow failed', timestampNanos: 1_764_000_000_000_000_000n, meta: { error, activityFailure: failure } });
    expect(line).not.toContain('ada@example.com');
    expect(JSON.parse(line)).toMatchObject({ error: { name: 'Error' }, activityFailure: { name: 'ApplicationFailure', type: 'InvalidRequest' } });
  });

  it('leaves out the task the SDK dumps when it cannot start one (a plain payload the codec refused): its input is a SCIM body', () => {
    // The metadata @temporalio/worker (lib/worker.js, "Error while processing ActivityTask.start") logs at ERROR.
    const input = Buffer.from(JSON.stringify({ userName: 'jane.doe@acme.com', name: { givenName: 'Jane' } })).toString('base64');
    const task = JSON.stringify({ start: { activityType: 'writeEmployee', input: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: input }] } });
    const meta = { activityType: 'writeEmployee', activityId: '3', error: new Error('refusing an unencrypted payload'), task, taskEncoded: Buffer.from(task).toString('base64') };
    const line = formatLogEntry({ level: 'ERROR', message: 'Error while processing ActivityTask.start: refusing an unencrypted payload', timestampNanos: 1_764_000_000_000_000_000n, meta });
    expect(line).not.toContain(input);
    expect(line).not.toContain('jane.doe');
    expect(line).not.toContain(meta.taskEncoded.slice(0, 40));
    expect(JSON.parse(line)).toMatchObject({ level: 'error', activityType: 'writeEmployee', activityId: '3', error: { name: 'Error' }, task: '[omitted: task contents]', taskEncoded: '[omitted: task contents]' });
  });

  it('keeps of a workflow info the SDK logs (a sink that threw) its IDs, never its memo or last result', () => {
    // The metadata @temporalio/worker (lib/worker.js, "External sink function threw an error") logs.
    const workflowInfo = { workflowId: 'peakon-sync/acme/run-1', runId: 'r-1', workflowType: 'syncTenantWorkflow', taskQueue: 'peakon-sync', namespace: 'default', memo: { note: 'held: jane.doe@acme.com' }, lastResult: { failures: [{ employeeKey: 'jane.doe@acme.com' }] } };
    const line = formatLogEntry({ level: 'ERROR', message: 'External sink function threw an error', timestampNanos: 1_764_000_000_000_000_000n, meta: { workflowInfo, error: new Error('boom') } });
    expect(line).not.toContain('jane.doe');
    expect(JSON.parse(line)).toMatchObject({ workflowInfo: { workflowId: 'peakon-sync/acme/run-1', runId: 'r-1', workflowType: 'syncTenantWorkflow', taskQueue: 'peakon-sync', namespace: 'default' } });
  });

  it('logs an error with a toJSON of its own (AxiosError, ScimError) by its name too: not its request, headers or message', () => {
    // JSON.stringify calls toJSON before any replacer: an AxiosError's toJSON holds the request config and its headers.
    const axiosLike = Object.assign(new Error('Request failed with status code 400'), {
      name: 'AxiosError',
      toJSON: () => ({ message: 'filter=userName eq "ada@example.com"', config: { headers: { Authorization: 'Bearer log-secret-token' } } }),
    });
    const line = formatLogEntry({ level: 'WARN', message: 'request failed', timestampNanos: 1_764_000_000_000_000_000n, meta: { error: axiosLike, nested: { errors: [axiosLike] } } });
    expect(line).not.toContain('log-secret-token');
    expect(line).not.toContain('ada@example.com');
    expect(JSON.parse(line)).toMatchObject({ error: { name: 'AxiosError' }, nested: { errors: [{ name: 'AxiosError' }] } });
  });

  it('reduces an error every time it appears (one object twice in the metadata), writes a loop as "[circular]", and names a class instance instead of walking it', () => {
    const axiosLike = Object.assign(new Error('boom'), { name: 'AxiosError', toJSON: () => ({ config: { headers: { Authorization: 'Bearer log-secret-token' } } }) });
    const shared = { error: axiosLike };
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    class Holder {
      constructor(readonly error: Error) {}
    }
    const line = formatLogEntry({ level: 'WARN', message: 'retrying', timestampNanos: 1_764_000_000_000_000_000n, meta: { a: shared, b: shared, loop, holder: new Holder(axiosLike), at: new Date(0) } });
    expect(line).not.toContain('log-secret-token');
    expect(JSON.parse(line)).toMatchObject({ a: { error: { name: 'AxiosError' } }, b: { error: { name: 'AxiosError' } }, loop: { name: 'loop', self: '[circular]' }, holder: { type: 'Holder' }, at: new Date(0).toISOString() });
  });

  describe('from activities', () => {
    let sandbox: RunningSandbox;
    beforeAll(async () => {
      sandbox = await startSandbox({ token: 'log-secret-token' });
    });
    afterAll(async () => {
      await sandbox.close();
    });

    it('carry the sync run id and the employee ref, and no token, email, names or attribute values', async () => {
      const deps = { ...defaultActivityDeps(mkdtempSync(path.join(tmpdir(), 'log-test-'))), resolveSecret: () => sandbox.token };
      const activities = createActivities(deps);
      const desired = {
        employeeKey: 'ada@example.com',
        sourceId: 'E1',
        recordRef: 'row 2',
        user: { schemas: [CORE_USER_SCHEMA, PEAKON_USER_SCHEMA], userName: 'ada@example.com', emails: [{ value: 'ada@example.com', primary: true }], name: { givenName: 'Ada', familyName: 'Lovelace' }, [PEAKON_USER_SCHEMA]: { Team: 'Analytical Engines' } },
        references: {},
        createOnly: [],
        warnings: [],
      };
      const entry = buildPlan([desired], [], { matchingKey: 'email', updateMethod: 'patch', refOf: employeeRefFor(undefined, 'acme') }).entries[0];
      const logger = new CapturingLogger();
      const environment = new MockActivityEnvironment({ attempt: 1 }, { logger });
      const run = { tenant: 'acme', runId: 'peakon-sync/acme/2026-11-28T10:00:00Z' };
      const peakon = { baseUrl: sandbox.baseUrl, token: { env: 'UNUSED' }, timeoutMs: 2000, operationsPerHour: 1_000_000 };
      const created: { peakonUserId: string } = await environment.run(activities.createEmployee, { run, peakon, ref: entry!.ref, body: entry!.create!.createBody });
      await environment.run(activities.writeEmployee, { run, peakon, ref: entry!.ref, peakonUserId: created.peakonUserId, write: { method: 'patch' as const, operations: [{ op: 'replace', path: `${PEAKON_USER_SCHEMA}:Team`, value: 'Difference Engines' }] } });

      const ours = logger.entries.filter((logged) => logged.message.startsWith('employee'));
      expect(ours.map((logged) => logged.message)).toEqual(['employee created', 'employee updated']);
      for (const logged of ours) {
        expect(logged.level).toBe('INFO');
        expect(logged.meta).toMatchObject({ syncRunId: run.runId, employeeRef: entry!.ref });
      }
      expect(ours[1]?.meta?.fields).toEqual([`${PEAKON_USER_SCHEMA}:Team`]);
      const everything = JSON.stringify(logger.entries);
      for (const secretOrPersonal of ['log-secret-token', 'ada@example.com', 'Lovelace', 'Analytical Engines', 'Difference Engines']) expect(everything).not.toContain(secretOrPersonal);
    });
  });
});

describe('the worker\'s JSON log', () => {
  it('leaves out the SDK\'s warning about activity-only workers (the SCIM and plan workers are, by design), and keeps every other warning', () => {
    const lines: string[] = [];
    const { logger } = jsonLoggingRuntimeOptions('INFO', { write: (line: string) => lines.push(line) });
    if (!logger) throw new Error('no logger');
    logger.warn('No workflows registered, not polling for workflow tasks', { taskQueue: 'peakon-sync-scim-acme' });
    logger.warn('tenant SCIM worker stopped', { taskQueue: 'peakon-sync-scim-acme' });
    expect(lines.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(['tenant SCIM worker stopped']);
  });
});
