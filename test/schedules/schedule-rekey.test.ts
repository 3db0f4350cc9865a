/**
 * `schedule rekey` after a key rotation (real Temporal dev server): a schedule created under key A keeps its memo and
 * its stored config encrypted with A; once A is dropped, its runs and `schedule describe`/`update` would fail. `list`
 * marks it while A is an old key, `rekey --all` encrypts it with the current key B, and then B alone reads it, with the
 * same cadence, state, note and config. The schedules live in a namespace of their own, so `--all` meets no other
 * test file's schedules.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ServiceError } from '@temporalio/client';
import YAML from 'yaml';
import { temporal as proto } from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time';
import { z } from 'zod';
import { ENCRYPTION_KEY_ID_METADATA_KEY } from '../../codec/aes-gcm-codec';
import { connectorDataConverter } from '../../codec/data-converter';
import { encryptionKeyId, generateEncryptionKey } from '../../codec/keys';
import { listSyncSchedules } from '../../client/schedules/inspect';
import { formatRekeyResult, RecreateFailedError, rekeyAllSyncSchedules, rekeySyncSchedule, type RekeyFailure, type RekeyResult } from '../../client/schedules/rekey';
import { SEARCH_ATTRIBUTE_KEYS, TENANT_SEARCH_ATTRIBUTE } from '../../workflows/search-attributes';
import { runCliInProcess } from '../harness/cli';
import { createPipelineFixture, type PipelineFixture } from '../harness/pipeline';
import { connectToDevServer, devServerAddress, type TemporalTestContext } from '../harness/temporal';
import { eventually } from '../harness/wait';
import { configAsWrittenFor, writeConfigFile } from './config-as-written';

const ListJsonSchema = z.array(z.object({ scheduleId: z.string(), tenant: z.string().optional(), oldKey: z.string().optional() }));

const cli = runCliInProcess;

describe('peakon-sync schedule rekey (against a real Temporal server)', () => {
  let temporal: TemporalTestContext;
  let fixture: PipelineFixture;
  const savedEnvironment = { ...process.env };
  const suffix = Date.now().toString(36);
  const namespace = `rekey-test-${suffix}`;
  const keyA = generateEncryptionKey();
  const keyB = generateEncryptionKey();
  const idA = encryptionKeyId(Buffer.from(keyA, 'base64'));
  const idB = encryptionKeyId(Buffer.from(keyB, 'base64'));
  let scheduleId: string;
  /** A schedule of another deployment in the same namespace: its runs start on another task queue, whose workers hold other keys. */
  let otherDeploymentId: string;

  function useKeys(current: string, old?: string): void {
    process.env.PEAKON_SYNC_ENCRYPTION_KEY = current;
    if (old === undefined) delete process.env.PEAKON_SYNC_ENCRYPTION_OLD_KEYS;
    else process.env.PEAKON_SYNC_ENCRYPTION_OLD_KEYS = old;
  }

  /** A client of the test namespace with only this key: key B alone is what every worker and CLI has once key A is dropped. */
  function clientWithOnly(key: string): Client {
    return new Client({ connection: temporal.connection, namespace, dataConverter: connectorDataConverter({ PEAKON_SYNC_ENCRYPTION_KEY: key }) });
  }

  async function rawKeyIds(id: string): Promise<string[]> {
    const raw = await temporal.client.workflowService.describeSchedule({ namespace, scheduleId: id });
    const start = raw.schedule?.action?.startWorkflow;
    const payloads = [...Object.values(raw.memo?.fields ?? {}), ...(start?.input?.payloads ?? [])];
    return payloads.map((payload) => new TextDecoder().decode(payload.metadata?.[ENCRYPTION_KEY_ID_METADATA_KEY]));
  }

  beforeAll(async () => {
    temporal = await connectToDevServer();
    fixture = await createPipelineFixture(temporal);
    scheduleId = `peakon-sync-${fixture.config.tenant}`;
    otherDeploymentId = `staging-${fixture.config.tenant}`;
    // A namespace of this file's own, with the connector's search attributes, as a deployment's namespace has them.
    await temporal.client.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await eventually('the new namespace to take search attributes', async () => {
      try {
        await temporal.connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
        });
        await temporal.client.workflowService.listSchedules({ namespace });
        return true;
      } catch {
        return undefined;
      }
    });
    process.env.TEMPORAL_ADDRESS = devServerAddress();
    process.env.TEMPORAL_NAMESPACE = namespace;
  });
  afterAll(async () => {
    for (const id of [scheduleId, otherDeploymentId]) await clientWithOnly(keyB).schedule.getHandle(id).delete().catch(() => undefined);
    process.env = savedEnvironment;
    await fixture.close();
    await temporal.close();
  });

  it('marks a schedule under the old key in list, rekeys it, and then the current key alone reads it unchanged', async () => {
    // Created under key A, paused with a note: nothing runs.
    useKeys(keyA);
    const configFile = writeConfigFile(fixture, 'acme.yaml', configAsWrittenFor(fixture));
    await cli('schedule', 'create', '--config', configFile, '--cron', '0 2 * * *', '--timezone', 'Europe/Copenhagen', '--paused', '--note', 'rotation drill');
    const before = await temporal.client.workflowService.describeSchedule({ namespace, scheduleId });
    expect(await rawKeyIds(scheduleId)).toEqual([idA, idA]);
    const argsBefore = (await clientWithOnly(keyA).schedule.getHandle(scheduleId).describe()).action.args;
    expect(argsBefore).toEqual([expect.objectContaining({ configFile })]);
    // Another deployment's schedule in the same namespace, on its own task queue.
    process.env.PEAKON_SYNC_TASK_QUEUE = 'peakon-sync-staging';
    await cli('schedule', 'create', '--config', configFile, '--id', otherDeploymentId, '--every', '1h', '--paused');
    delete process.env.PEAKON_SYNC_TASK_QUEUE;

    // The rotation: B is current, A an old key. The list reads visibility, a second or so behind.
    useKeys(keyB, keyA);
    const rows = await eventually('the schedule in the list', async () => {
      const listed = ListJsonSchema.parse(JSON.parse(await cli('schedule', 'list', '--json')));
      return listed.some((row) => row.scheduleId === scheduleId) && listed.some((row) => row.scheduleId === otherDeploymentId) ? listed : undefined;
    });
    expect(rows.find((row) => row.scheduleId === scheduleId)).toMatchObject({ tenant: fixture.config.tenant, oldKey: idA });
    expect(await cli('schedule', 'list')).toMatch(new RegExp(`${scheduleId} .*old key ${idA}: run peakon-sync schedule rekey ${scheduleId}`));

    // Without key A the schedule cannot be read: rekey says to put A back, and leaves the schedule as it is.
    useKeys(keyB);
    await expect(clientWithOnly(keyB).schedule.getHandle(scheduleId).describe()).rejects.toThrow(`payload encrypted with key ${idA}, which is not configured`);
    await expect(cli('schedule', 'rekey', scheduleId)).rejects.toThrow(`schedule ${scheduleId} is encrypted with key ${idA}, which is not configured: put that old key back in PEAKON_SYNC_ENCRYPTION_OLD_KEYS`);
    expect(await rawKeyIds(scheduleId)).toEqual([idA, idA]);

    useKeys(keyB, keyA);
    const rekeyed = await cli('schedule', 'rekey', '--all');
    expect(rekeyed).toContain(`rekeyed ${scheduleId} (was key ${idA})`);
    expect(rekeyed).toContain('recent-runs list');
    expect(await rawKeyIds(scheduleId)).toEqual([idB, idB]);
    // --all keeps to this deployment's task queue (PEAKON_SYNC_TASK_QUEUE, default peakon-sync): the other one is left under A.
    expect(rekeyed).toContain(`${otherDeploymentId}: starts runs on task queue peakon-sync-staging, not this deployment's peakon-sync: left as it is; rekey it by its ID from that deployment\n`);
    expect(await rawKeyIds(otherDeploymentId)).toEqual([idA, idA]);
    // By its ID, any sync schedule is rekeyed, on whatever task queue.
    expect(await cli('schedule', 'rekey', otherDeploymentId)).toContain(`rekeyed ${otherDeploymentId} (was key ${idA})`);
    expect(await rawKeyIds(otherDeploymentId)).toEqual([idB, idB]);
    expect((await clientWithOnly(keyB).schedule.getHandle(otherDeploymentId).describe()).action).toMatchObject({ taskQueue: 'peakon-sync-staging' });

    // A dropped: B alone describes the schedule and decodes its config, which is the same; so are spec, state and policies.
    useKeys(keyB);
    const described = await clientWithOnly(keyB).schedule.getHandle(scheduleId).describe();
    const original = await new Client({ connection: temporal.connection, namespace, dataConverter: connectorDataConverter({ PEAKON_SYNC_ENCRYPTION_KEY: keyA }) }).schedule.getHandle(scheduleId);
    void original;
    expect(described.memo).toEqual({ tenant: fixture.config.tenant });
    expect(described.action.args).toEqual([{ configFile, config: expect.anything() }].map(() => expect.objectContaining({ configFile })));
    expect(described.state).toMatchObject({ paused: true, note: 'rotation drill' });
    expect(described.typedSearchAttributes.get(TENANT_SEARCH_ATTRIBUTE)).toBeUndefined();
    const after = await temporal.client.workflowService.describeSchedule({ namespace, scheduleId });
    expect(after.schedule?.spec).toEqual(before.schedule?.spec);
    expect(after.schedule?.policies).toEqual(before.schedule?.policies);
    expect(after.schedule?.state).toEqual(before.schedule?.state);
    const { input: inputAfter, ...actionAfter } = after.schedule?.action?.startWorkflow ?? {};
    const { input: inputBefore, ...actionBefore } = before.schedule?.action?.startWorkflow ?? {};
    expect(actionAfter).toEqual(actionBefore);
    expect(inputAfter?.payloads).toHaveLength(inputBefore?.payloads?.length ?? -1);
    const overview = await cli('schedule', 'describe', scheduleId, '--json');
    expect(JSON.parse(overview)).toMatchObject({ scheduleId, tenant: fixture.config.tenant, timing: 'cron "0 2 * * *" (Europe/Copenhagen)', paused: true, note: 'rotation drill' });
    expect(await cli('schedule', 'list')).not.toContain('old key');

    // Twice is safe: nothing to change.
    expect(await cli('schedule', 'rekey', scheduleId)).toBe(`${scheduleId}: already under the current key ${idB}, nothing to change\n`);
    expect(await cli('schedule', 'rekey', '--all')).toContain(`${scheduleId}: already under the current key ${idB}`);
  });

  it('when creating it again keeps failing, writes the stored config to a backup file and names the create command that brings the schedule back', async () => {
    const id = `backup-${fixture.config.tenant}`;
    useKeys(keyA);
    const configFile = writeConfigFile(fixture, 'acme-backup.yaml', configAsWrittenFor(fixture));
    await cli('schedule', 'create', '--config', configFile, '--id', id, '--every', '90m', '--paused', '--note', "don't run: drill");
    const clientAB = new Client({ connection: temporal.connection, namespace, dataConverter: connectorDataConverter({ PEAKON_SYNC_ENCRYPTION_KEY: keyB, PEAKON_SYNC_ENCRYPTION_OLD_KEYS: keyA }) });
    const before = await clientAB.schedule.getHandle(id).describe();

    // The create after the delete never gets through (the deleted schedule "not gone yet"), for the whole retry window.
    let attempts = 0;
    const failing = rekeySyncSchedule(clientAB, id, { currentKeyId: idB, decryptableKeyIds: new Set([idA, idB]), acceptsUnencrypted: false }, {
      create: async () => {
        attempts += 1;
        throw new ScheduleAlreadyRunning('Schedule already exists and is running', id);
      },
      retry: { timeoutMs: 1_500, delayMs: 50, maxDelayMs: 200 },
      backupDirectory: fixture.stateDirectory,
    });
    const error = await failing.then(() => undefined, (caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(Error);
    expect(attempts).toBeGreaterThan(5);
    await expect(clientAB.schedule.getHandle(id).describe()).rejects.toThrow(ScheduleNotFoundError);

    const backup = path.join(fixture.stateDirectory, `${id}.rekey-backup.yaml`);
    expect(error?.message).toContain(`was DELETED`);
    expect(error?.message).toContain(`Its stored config, as the schedule kept it, is in ${backup}`);
    const command = `peakon-sync schedule create --config ${backup} --id ${id} --every 90m --paused --note 'don'\\''t run: drill'`;
    expect(error?.message).toContain(command);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    const [storedBefore] = before.action.type === 'startWorkflow' ? (before.action.args ?? []) : [];
    expect(YAML.parse(readFileSync(backup, 'utf8'))).toEqual((storedBefore as { storedConfig: unknown }).storedConfig);
    // No config value in the message: the sandbox's address is in the config, not in what is printed.
    expect(error?.message).not.toContain(fixture.config.peakon.baseUrl);

    // The command, run as printed, brings the schedule back with the same config, cadence, pause and note.
    useKeys(keyB);
    await cli('schedule', 'create', '--config', backup, '--id', id, '--every', '90m', '--paused', '--note', "don't run: drill");
    const after = await clientWithOnly(keyB).schedule.getHandle(id).describe();
    const [storedAfter] = after.action.type === 'startWorkflow' ? (after.action.args ?? []) : [];
    expect((storedAfter as { storedConfig: unknown }).storedConfig).toEqual((storedBefore as { storedConfig: unknown }).storedConfig);
    expect(after.spec).toEqual(before.spec);
    expect(after.state).toMatchObject({ paused: true, note: "don't run: drill" });
    await clientWithOnly(keyB).schedule.getHandle(id).delete();
  });

  function grpcFailure(code: number, details: string): ServiceError {
    return new ServiceError('Failed to create schedule', { cause: Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} }) });
  }

  function clientBesideOld(): Client {
    return new Client({ connection: temporal.connection, namespace, dataConverter: connectorDataConverter({ PEAKON_SYNC_ENCRYPTION_KEY: keyB, PEAKON_SYNC_ENCRYPTION_OLD_KEYS: keyA }) });
  }

  it('a create whose answer was lost after the server made the schedule is success: the next create meets it under the current key', async () => {
    const id = `landed-${fixture.config.tenant}`;
    useKeys(keyA);
    await cli('schedule', 'create', '--config', writeConfigFile(fixture, 'acme-landed.yaml', configAsWrittenFor(fixture)), '--id', id, '--every', '1h', '--paused');
    const clientAB = clientBesideOld();
    const calls: string[] = [];
    const result = await rekeySyncSchedule(clientAB, id, { currentKeyId: idB, decryptableKeyIds: new Set([idA, idB]), acceptsUnencrypted: false }, {
      create: async (options) => {
        // The real create, every time; the first one's answer is lost (a deadline exceeded after the server acted).
        calls.push('create');
        await clientAB.schedule.create(options);
        if (calls.length === 1) throw grpcFailure(4, 'DEADLINE_EXCEEDED: Deadline exceeded');
      },
      retry: { timeoutMs: 3_000, delayMs: 50, maxDelayMs: 200 },
      backupDirectory: fixture.stateDirectory,
    }).catch((error: unknown) => error as Error);
    expect(result).toEqual({ scheduleId: id, rekeyed: true, previousKeyIds: [idA] });
    // The second create met the schedule the first one made (ScheduleAlreadyRunning), read under key B: done.
    expect(calls).toEqual(['create', 'create']);
    expect(await rawKeyIds(id)).toEqual([idB, idB]);
    expect(() => statSync(path.join(fixture.stateDirectory, `${id}.rekey-backup.yaml`))).toThrow();
    await clientWithOnly(keyB).schedule.getHandle(id).delete();
  });

  it('a Ctrl-C held during the delete and create is raised again only after the result is reported', async () => {
    const id = `signal-${fixture.config.tenant}`;
    useKeys(keyA);
    await cli('schedule', 'create', '--config', writeConfigFile(fixture, 'acme-signal.yaml', configAsWrittenFor(fixture)), '--id', id, '--every', '1h', '--paused');
    const clientAB = clientBesideOld();
    const events: string[] = [];
    const messages: string[] = [];
    await rekeySyncSchedule(clientAB, id, { currentKeyId: idB, decryptableKeyIds: new Set([idA, idB]), acceptsUnencrypted: false }, {
      create: async (options) => {
        process.emit('SIGINT', 'SIGINT');
        await clientAB.schedule.create(options);
      },
      messages: { write: (text: string) => messages.push(text) },
      onResult: (result) => events.push(formatRekeyResult(result, idB)),
      raiseDeferredSignal: (signal) => events.push(signal),
    });
    expect(events).toEqual([`rekeyed ${id} (was key ${idA})`, 'SIGINT']);
    expect(messages).toEqual([`finishing the rekey of ${id}: it is deleted and being created again\n`]);
    await clientWithOnly(keyB).schedule.getHandle(id).delete();
  });

  it('--all stops after a schedule it deleted and could not create again, and reports the rest not attempted; a failure before the delete does not stop it', async () => {
    const keyC = generateEncryptionKey();
    const ids = { unreadable: `a0-nokey-${fixture.config.tenant}`, first: `aa-stop-${fixture.config.tenant}`, second: `ab-stop-${fixture.config.tenant}` };
    const configFile = writeConfigFile(fixture, 'acme-stop.yaml', configAsWrittenFor(fixture));
    // Under a key this process does not hold: refused before its delete.
    useKeys(keyC);
    await cli('schedule', 'create', '--config', configFile, '--id', ids.unreadable, '--every', '1h', '--paused');
    useKeys(keyA);
    await cli('schedule', 'create', '--config', configFile, '--id', ids.first, '--every', '1h', '--paused');
    await cli('schedule', 'create', '--config', configFile, '--id', ids.second, '--every', '1h', '--paused');
    const clientAB = clientBesideOld();
    await eventually('the three schedules in the list', async () => {
      const listed = (await listSyncSchedules(clientAB)).map((row) => row.scheduleId);
      return Object.values(ids).every((id) => listed.includes(id)) ? true : undefined;
    });

    // Every create is refused, as a missing permission would refuse it.
    let creates = 0;
    const results = await rekeyAllSyncSchedules(clientAB, { currentKeyId: idB, decryptableKeyIds: new Set([idA, idB]), acceptsUnencrypted: false }, 'peakon-sync', {
      create: async () => {
        creates += 1;
        throw grpcFailure(7, 'PERMISSION_DENIED: not allowed to create schedules');
      },
      retry: { timeoutMs: 1_000, delayMs: 50, maxDelayMs: 200 },
      backupDirectory: fixture.stateDirectory,
    });
    const byId = new Map(results.map((result) => [result.scheduleId, result]));
    expect((byId.get(ids.unreadable) as RekeyFailure).error.message).toContain('which is not configured');
    expect((byId.get(ids.first) as RekeyFailure).error.message).toContain(`schedule ${ids.first} was DELETED`);
    // The second is untouched, under key A, and so is every schedule after it.
    expect((byId.get(ids.second) as RekeyFailure).error.message).toBe(`not attempted: stopped after ${ids.first} could not be created again`);
    expect(await rawKeyIds(ids.second)).toEqual([idA, idA]);
    expect(creates).toBe(1);
    expect((byId.get(ids.first) as RekeyFailure).error).toBeInstanceOf(RecreateFailedError);
    const after = results.slice(results.findIndex((result) => result.scheduleId === ids.first) + 1);
    expect(after.length).toBeGreaterThan(1);
    for (const result of after) expect((result as RekeyFailure).error.message).toBe(`not attempted: stopped after ${ids.first} could not be created again`);
    expect(results.filter((result): result is RekeyResult => 'rekeyed' in result && result.rekeyed)).toEqual([]);
    await expect(clientAB.schedule.getHandle(ids.first).describe()).rejects.toThrow(ScheduleNotFoundError);
    expect(await rawKeyIds(ids.unreadable)).toHaveLength(2);
    for (const id of [ids.unreadable, ids.second]) await clientAB.schedule.getHandle(id).delete();
  });
  /** A gRPC error as the connection reports it (code, details): what the SDK's delete turns into ScheduleNotFoundError or a ServiceError. */
  function grpcError(code: number, details: string): Error {
    return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: { get: () => [] } });
  }

  /**
   * Replaces `method` of the connection's workflow service (shared by every client of it) until `restore` is called.
   * The real call goes through unless `wrapped` decides otherwise.
   */
  function intercept<K extends 'deleteSchedule' | 'describeSchedule'>(method: K, wrapped: (original: Client['workflowService'][K], request: Parameters<Client['workflowService'][K]>[0]) => ReturnType<Client['workflowService'][K]>): { restore(): void } {
    const service = temporal.connection.workflowService;
    const original = service[method].bind(service) as Client['workflowService'][K];
    Object.assign(service, { [method]: (request: Parameters<Client['workflowService'][K]>[0]) => wrapped(original, request) });
    return { restore: () => Object.assign(service, { [method]: original }) };
  }

  const keysAB = (): { currentKeyId: string; decryptableKeyIds: Set<string>; acceptsUnencrypted: boolean } => ({ currentKeyId: idB, decryptableKeyIds: new Set([idA, idB]), acceptsUnencrypted: false });

  it('a delete the server carried out but whose answer was lost is a delete: the schedule is created again under the current key, and the backup was on disk (0600) before the delete was sent', async () => {
    for (const [name, lost] of [
      // UNAVAILABLE, and the SDK's own retry of the delete then met the schedule gone: NOT_FOUND (ScheduleNotFoundError).
      ['notfound', grpcError(5, 'NOT_FOUND: schedule not found')],
      // The deadline passed after the server deleted it.
      ['deadline', grpcError(4, 'DEADLINE_EXCEEDED: Deadline exceeded')],
    ] as const) {
      const id = `lostdelete-${name}-${fixture.config.tenant}`;
      useKeys(keyA);
      await cli('schedule', 'create', '--config', writeConfigFile(fixture, `acme-lost-${name}.yaml`, configAsWrittenFor(fixture)), '--id', id, '--every', '1h', '--paused', '--note', 'lost answer');
      const backup = path.join(fixture.stateDirectory, `${id}.rekey-backup.yaml`);
      const atDelete: Array<{ exists: boolean; mode?: number }> = [];
      // A lost answer cannot be produced against the dev server: the real delete is sent and carried out, and then
      // the answer this process gets is the error a lost one leaves.
      const deletes = intercept('deleteSchedule', async (original, request) => {
        atDelete.push(existsSync(backup) ? { exists: true, mode: statSync(backup).mode & 0o777 } : { exists: false });
        await original(request);
        throw lost;
      });
      let result: RekeyResult | Error;
      try {
        result = await rekeySyncSchedule(clientBesideOld(), id, keysAB(), { retry: { timeoutMs: 5_000, delayMs: 50, maxDelayMs: 200 }, backupDirectory: fixture.stateDirectory }).catch(
          (error: unknown) => error as Error,
        );
      } finally {
        deletes.restore();
      }
      // Both at once, so that a failure shows each: re-created although the delete "failed", and the backup there first.
      expect({ result, atDelete }).toEqual({ result: { scheduleId: id, rekeyed: true, previousKeyIds: [idA] }, atDelete: [{ exists: true, mode: 0o600 }] });
      expect(await rawKeyIds(id)).toEqual([idB, idB]);
      expect((await clientWithOnly(keyB).schedule.getHandle(id).describe()).state).toMatchObject({ paused: true, note: 'lost answer' });
      // Created again: the backup is gone.
      expect(existsSync(backup)).toBe(false);
      await clientWithOnly(keyB).schedule.getHandle(id).delete();
    }
  });

  /** A schedule created under key A, rekeyed while its delete fails with `failure` without being sent (simulated). */
  async function rekeyWithDeleteFailing(name: string, failure: Error): Promise<{ id: string; backup: string; error: Error | undefined }> {
    const id = `${name}-${fixture.config.tenant}`;
    useKeys(keyA);
    await cli('schedule', 'create', '--config', writeConfigFile(fixture, `acme-${name}.yaml`, configAsWrittenFor(fixture)), '--id', id, '--every', '1h', '--paused');
    const deletes = intercept('deleteSchedule', async () => {
      throw failure;
    });
    try {
      const error = await rekeySyncSchedule(clientBesideOld(), id, keysAB(), { backupDirectory: fixture.stateDirectory }).then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      return { id, backup: path.join(fixture.stateDirectory, `${id}.rekey-backup.yaml`), error };
    } finally {
      deletes.restore();
    }
  }

  it('a delete that failed with the schedule still there leaves it as it was, and no backup', async () => {
    // Refused, as a missing permission refuses it.
    const { id, backup, error } = await rekeyWithDeleteFailing('refused-delete', grpcError(7, 'PERMISSION_DENIED: not allowed to delete schedules'));
    expect(error?.message).toContain(`deleting schedule ${id} to create it again under the current key failed`);
    expect(error?.message).toContain('PERMISSION_DENIED');
    expect(error?.message).toContain('it is still there, left as it was');
    expect(error).not.toBeInstanceOf(RecreateFailedError);
    expect(await rawKeyIds(id)).toEqual([idA, idA]);
    expect(existsSync(backup)).toBe(false);
    await clientBesideOld().schedule.getHandle(id).delete();
  });

  it('a delete that got no answer, with the schedule still there, keeps the backup: the server may still carry it out', async () => {
    // Answered as a delete that timed out on the wire is (a late delete cannot be staged here).
    const { id, backup, error } = await rekeyWithDeleteFailing('unanswered-delete', grpcError(4, 'DEADLINE_EXCEEDED: Deadline exceeded'));
    // Unknown, not "left as it was": --all stops after it, and the backup names the create command.
    expect(error).toBeInstanceOf(RecreateFailedError);
    expect(error?.message).toContain('DEADLINE_EXCEEDED');
    expect(error?.message).toContain('it is still there now, but a delete that got no answer may still be carried out');
    expect(error?.message).toContain(`peakon-sync schedule create --config ${backup} --id ${id}`);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    expect(await rawKeyIds(id)).toEqual([idA, idA]);
    await clientBesideOld().schedule.getHandle(id).delete();
  });

  it('a failed delete whose outcome cannot be looked up keeps the backup, says the schedule may be deleted, and stops --all', async () => {
    const ids = { first: `ba-unknown-${fixture.config.tenant}`, second: `bb-unknown-${fixture.config.tenant}` };
    const configFile = writeConfigFile(fixture, 'acme-unknown.yaml', configAsWrittenFor(fixture));
    useKeys(keyA);
    for (const id of Object.values(ids)) await cli('schedule', 'create', '--config', configFile, '--id', id, '--every', '1h', '--paused');
    const clientAB = clientBesideOld();
    await eventually('the two schedules in the list', async () => {
      const listed = (await listSyncSchedules(clientAB)).map((row) => row.scheduleId);
      return Object.values(ids).every((id) => listed.includes(id)) ? true : undefined;
    });
    const backup = path.join(fixture.stateDirectory, `${ids.first}.rekey-backup.yaml`);
    // The delete is carried out but its answer lost, and the server cannot be asked afterwards (both simulated).
    let deleted = 0;
    const deletes = intercept('deleteSchedule', async (original, request) => {
      deleted += 1;
      await original(request);
      throw grpcError(14, 'UNAVAILABLE: connection dropped');
    });
    const describes = intercept('describeSchedule', async (original, request) => {
      if (deleted > 0) throw grpcError(14, 'UNAVAILABLE: connection dropped');
      return original(request);
    });
    let results: Array<RekeyResult | RekeyFailure>;
    try {
      results = await rekeyAllSyncSchedules(clientAB, keysAB(), 'peakon-sync', { retry: { timeoutMs: 1_000, delayMs: 50, maxDelayMs: 200 }, backupDirectory: fixture.stateDirectory });
    } finally {
      deletes.restore();
      describes.restore();
    }
    const byId = new Map(results.map((result) => [result.scheduleId, result]));
    const first = (byId.get(ids.first) as RekeyFailure).error;
    // A RecreateFailedError (DeleteUncertainError): --all stops after it.
    expect(first).toBeInstanceOf(RecreateFailedError);
    expect(first.name).toBe('DeleteUncertainError');
    expect(first.message).toContain(`deleting schedule ${ids.first} to create it again under the current key failed`);
    expect(first.message).toContain('it may be DELETED');
    expect(first.message).toContain(`Its stored config, as the schedule kept it, is in ${backup}`);
    expect(first.message).toContain(`peakon-sync schedule create --config ${backup} --id ${ids.first} --every 1h --paused`);
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    expect(deleted).toBe(1);
    expect((byId.get(ids.second) as RekeyFailure).error.message).toBe(`not attempted: stopped after ${ids.first}, which may have been deleted and was not created again`);
    expect(await rawKeyIds(ids.second)).toEqual([idA, idA]);
    await expect(clientAB.schedule.getHandle(ids.first).describe()).rejects.toThrow(ScheduleNotFoundError);
    await clientAB.schedule.getHandle(ids.second).delete();
  });
});
