// A schedule keeps its argument (the config as written) for as long as it exists; the payload store is swept by
// retention. The argument must therefore never be offloaded there: this creates and updates schedules whose config is
// above the offload threshold, sweeps the store as of 31 days later, and reads the schedules back; and triggers a run
// of such a schedule after the sweep, with workers sharing the swept store, which reads its config and syncs.
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { isReferencePayload } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal as proto } from '@temporalio/proto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { createSyncSchedule } from '../../client/schedules/create';
import { MAX_SCHEDULE_ARGUMENT_BYTES, ScheduleArgumentTooLargeError } from '../../client/schedules/inline-client';
import { describeSyncSchedule } from '../../client/schedules/inspect';
import { scheduleConfigFrom, scheduleInputOf, type ScheduleConfig } from '../../client/schedules/stored-config';
import { updateSyncSchedule } from '../../client/schedules/update';
import { connectorDataConverter } from '../../codec/data-converter';
import { createExternalStorage, DEFAULT_PAYLOAD_THRESHOLD_BYTES, DEFAULT_RETENTION_DAYS } from '../../storage/from-env';
import { sweepOnce } from '../../storage/retention';
import { connectToDevServer, TEST_NAMESPACE, type TemporalTestContext } from '../harness/temporal';
import type { SyncReport } from '../../sync/report';
import { createSyncWorkers, defaultActivityDeps } from '../../worker/create-worker';
import { generateOrg } from '../fixtures/org';
import { createPipelineFixture, TEST_TUNING, workflowBundle, type PipelineFixture } from '../harness/pipeline';
import { eventually } from '../harness/wait';
import { configAsWrittenFor, writeConfigFile } from './config-as-written';

const SAMPLE_CONFIG = path.resolve(__dirname, '../../examples/sample-config.yaml');
const ObjectSchema = z.record(z.string(), z.unknown());
const DAY_MS = 24 * 60 * 60 * 1000;

type HistoryFailure = NonNullable<NonNullable<proto.api.history.v1.IHistoryEvent['workflowTaskFailedEventAttributes']>['failure']>;

/** Every failure message in a run's history (causes too), decoded: the codec encrypts them ("Encoded failure"). */
async function failureMessages(history: proto.api.history.v1.IHistory, converter: ReturnType<typeof connectorDataConverter>): Promise<string[]> {
  const codecs = [...(converter.payloadCodecs ?? [])].reverse();
  const messages: string[] = [];
  const add = async (failure: HistoryFailure | null | undefined): Promise<void> => {
    if (!failure) return;
    let message = failure.message ?? '';
    if (failure.encodedAttributes) {
      let payloads = [failure.encodedAttributes as Payload];
      for (const codec of codecs) payloads = await codec.decode(payloads);
      message = (defaultPayloadConverter.fromPayload(payloads[0] as Payload) as { message?: string }).message ?? message;
    }
    messages.push(message);
    await add(failure.cause);
  };
  for (const event of history.events ?? []) {
    await add(event.workflowTaskFailedEventAttributes?.failure);
    await add(event.activityTaskFailedEventAttributes?.failure);
    await add(event.workflowExecutionFailedEventAttributes?.failure);
  }
  return messages;
}

/** The sample config with an `active` map of `entries` HR statuses: about 30 bytes each, as written. */
function configWithStatuses(entries: number, tag: string): ScheduleConfig {
  const sample = ObjectSchema.parse(YAML.parse(readFileSync(SAMPLE_CONFIG, 'utf8')));
  const mapping = ObjectSchema.parse(sample.mapping);
  const map = Object.fromEntries(Array.from({ length: entries }, (_, index) => [`${tag}-status-${String(index).padStart(6, '0')}`, index % 2 === 0]));
  return scheduleConfigFrom({ ...sample, tenant: 'bigconfig', mapping: { ...mapping, active: { field: 'status', map: { Active: true, Terminated: false, ...map } } } }, SAMPLE_CONFIG);
}

describe('a schedule\'s argument is never in the payload store, so retention cannot break the schedule', () => {
  let temporal: TemporalTestContext;
  let client: Client;
  let storeDirectory: string;
  const created: string[] = [];
  const fixtures: PipelineFixture[] = [];

  beforeAll(async () => {
    temporal = await connectToDevServer();
    storeDirectory = mkdtempSync(path.join(os.tmpdir(), 'schedule-argument-store-'));
    // As the CLI's client: the codec and the payload store at the default offload threshold (16 KiB).
    const externalStorage = createExternalStorage({ store: { kind: 'local', directory: storeDirectory }, thresholdBytes: DEFAULT_PAYLOAD_THRESHOLD_BYTES });
    client = new Client({ connection: temporal.connection, namespace: TEST_NAMESPACE, dataConverter: connectorDataConverter(process.env, { externalStorage }) });
  });
  afterAll(async () => {
    await Promise.all(created.map((id) => temporal.client.schedule.getHandle(id).delete().catch(() => undefined)));
    await Promise.all(fixtures.map((fixture) => fixture.close()));
    await temporal.close();
    rmSync(storeDirectory, { recursive: true, force: true });
  });

  const storedPayloads = (directory = storeDirectory) => readdirSync(directory).filter((name) => name.endsWith('.payload'));
  const sweepAsOfLater = (directory = storeDirectory) => sweepOnce({ store: { kind: 'local', directory }, retentionDays: DEFAULT_RETENTION_DAYS, now: new Date(Date.now() + (DEFAULT_RETENTION_DAYS + 1) * DAY_MS) });

  /** The schedule's argument as Temporal holds it (no data converter): inline, not a reference into the store. */
  async function rawArgument(scheduleId: string) {
    const raw = await temporal.client.workflowService.describeSchedule({ namespace: TEST_NAMESPACE, scheduleId });
    const payloads = raw.schedule?.action?.startWorkflow?.input?.payloads ?? [];
    expect(payloads).toHaveLength(1);
    return payloads[0]!;
  }

  async function expectReadable(scheduleId: string, config: ScheduleConfig) {
    const described = await client.schedule.getHandle(scheduleId).describe();
    expect(scheduleInputOf(described.action)).toEqual({ form: 'as-written', stored: config.stored });
    const overview = await describeSyncSchedule(client, scheduleId);
    expect(overview.storedConfig).toMatchObject({ form: 'as-written', tenant: 'bigconfig', validates: true });
  }

  it('create: a config above the offload threshold stays inline, and the schedule reads back after a sweep 31 days later', async () => {
    const config = configWithStatuses(1_500, 'create');
    expect(JSON.stringify(config.stored).length).toBeGreaterThan(2 * DEFAULT_PAYLOAD_THRESHOLD_BYTES);
    const scheduleId = `big-config-create-${temporal.taskQueue}`;
    created.push(scheduleId);
    await createSyncSchedule(client, { namespace: TEST_NAMESPACE, config, taskQueue: temporal.taskQueue, timing: { everyMs: 3_600_000 }, scheduleId, paused: true });

    const raw = await rawArgument(scheduleId);
    expect(isReferencePayload(raw)).toBe(false);
    expect(raw.data?.length ?? 0).toBeGreaterThan(DEFAULT_PAYLOAD_THRESHOLD_BYTES);
    expect(storedPayloads()).toEqual([]);

    await sweepAsOfLater();
    await expectReadable(scheduleId, config);
  });

  it('update: a new config above the offload threshold stays inline too, and reads back after a sweep', async () => {
    const scheduleId = `big-config-update-${temporal.taskQueue}`;
    created.push(scheduleId);
    await createSyncSchedule(client, { namespace: TEST_NAMESPACE, config: configWithStatuses(10, 'small'), taskQueue: temporal.taskQueue, timing: { everyMs: 3_600_000 }, scheduleId, paused: true });
    const config = configWithStatuses(1_500, 'update');
    await updateSyncSchedule(client, { namespace: TEST_NAMESPACE, scheduleId, config });

    expect(isReferencePayload(await rawArgument(scheduleId))).toBe(false);
    expect(storedPayloads()).toEqual([]);

    await sweepAsOfLater();
    await expectReadable(scheduleId, config);
    // A later update (a note only) re-encodes the argument it read back: inline again.
    await updateSyncSchedule(client, { namespace: TEST_NAMESPACE, scheduleId, note: 'still inline' });
    expect(isReferencePayload(await rawArgument(scheduleId))).toBe(false);
    await expectReadable(scheduleId, config);
  });

  it('a run the schedule starts after the sweep reads its config and syncs: no payload is missing', async () => {
    const fixture = await createPipelineFixture(temporal);
    fixtures.push(fixture);
    // A store of its own (the other tests expect theirs empty), shared by this test's client and workers as the CLI's
    // and the worker's are.
    const runStore = path.join(fixture.stateDirectory, 'shared-store');
    const dataConverter = connectorDataConverter(process.env, { externalStorage: createExternalStorage({ store: { kind: 'local', directory: runStore }, thresholdBytes: DEFAULT_PAYLOAD_THRESHOLD_BYTES }) });
    const runClient = new Client({ connection: temporal.connection, namespace: TEST_NAMESPACE, dataConverter });
    const org = generateOrg(5, 2);
    fixture.writeEmployees(org);
    // The fixture's tenant and sandbox, with an `active` map that makes the config well above the offload threshold.
    const written = configAsWrittenFor(fixture);
    const map = Object.fromEntries(Array.from({ length: 1_500 }, (_, index) => [`run-status-${String(index).padStart(6, '0')}`, index % 2 === 0]));
    const mapping = ObjectSchema.parse(written.mapping);
    written.mapping = { ...mapping, active: { field: 'status', map: { Active: true, Terminated: false, ...map } } };
    const config = scheduleConfigFrom(ObjectSchema.parse(YAML.parse(readFileSync(writeConfigFile(fixture, 'config.yaml', written), 'utf8'))), path.join(fixture.stateDirectory, 'config.yaml'));
    expect(JSON.stringify(config.stored).length).toBeGreaterThan(2 * DEFAULT_PAYLOAD_THRESHOLD_BYTES);
    const scheduleId = `big-config-run-${fixture.config.tenant}`;
    created.push(scheduleId);
    await createSyncSchedule(runClient, { namespace: TEST_NAMESPACE, config, taskQueue: temporal.taskQueue, timing: { everyMs: 3_600_000 }, scheduleId, paused: true, tuning: TEST_TUNING });
    expect(isReferencePayload(await rawArgument(scheduleId))).toBe(false);

    await sweepAsOfLater(runStore);

    // Workers as the CLI's client: the same codec and payload store (the one just swept).
    const workers = await createSyncWorkers({
      connection: temporal.nativeConnection,
      namespace: TEST_NAMESPACE,
      taskQueue: temporal.taskQueue,
      deps: { ...defaultActivityDeps(fixture.stateDirectory), resolveSecret: () => fixture.sandbox.token },
      workflowBundle: await workflowBundle(),
      dataConverter,
    });
    const { report, history } = await workers.runUntil(
      (async () => {
        await runClient.schedule.getHandle(scheduleId).trigger();
        // Read raw (no decoding of the schedule's argument): which run the trigger started.
        const run = await eventually('the triggered run', async () => (await temporal.client.workflowService.describeSchedule({ namespace: TEST_NAMESPACE, scheduleId })).info?.recentActions?.[0]?.startWorkflowResult ?? undefined);
        const handle = runClient.workflow.getHandle(run.workflowId ?? '', run.runId ?? undefined);
        // Bounded: a run whose input cannot be read fails its workflow tasks over and over instead of ending.
        const ended = await Promise.race([handle.result() as Promise<SyncReport>, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 60_000).unref())]);
        return { report: ended, history: await handle.fetchHistory() };
      })(),
    );

    // Nothing in the run's history says a payload was missing (the input, or anything the run stored after the sweep).
    const failures = await failureMessages(history, dataConverter);
    expect(failures.filter((message) => /payload .* (is missing|not found)/i.test(message))).toEqual([]);
    expect(report?.status).toBe('completed');
    expect(report?.counts).toMatchObject({ created: org.length, failed: 0 });
    expect(fixture.sandbox.users()).toHaveLength(org.length);
    // The run did use the swept store: the validated config (above the threshold) went there, after the sweep.
    expect(storedPayloads(runStore).length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a config too large to keep inline, naming its size and the limit, and creates nothing', async () => {
    const config = configWithStatuses(12_000, 'huge');
    const scheduleId = `big-config-refused-${temporal.taskQueue}`;
    created.push(scheduleId);
    const failure = await createSyncSchedule(client, { namespace: TEST_NAMESPACE, config, taskQueue: temporal.taskQueue, timing: { everyMs: 3_600_000 }, scheduleId, paused: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ScheduleArgumentTooLargeError);
    const { sizeBytes } = failure as ScheduleArgumentTooLargeError;
    expect(sizeBytes).toBeGreaterThan(MAX_SCHEDULE_ARGUMENT_BYTES);
    expect((failure as Error).message).toContain(`the schedule's config is ${(sizeBytes / 1024).toFixed(1)} KiB (${sizeBytes} bytes) encoded, above the 256.0 KiB (${MAX_SCHEDULE_ARGUMENT_BYTES} bytes) a schedule keeps inline`);
    await expect(temporal.client.schedule.getHandle(scheduleId).describe()).rejects.toThrow(/not found/i);
    expect(storedPayloads()).toEqual([]);

    // update refuses it the same way, and leaves the schedule as it was.
    const small = configWithStatuses(10, 'kept');
    const kept = `big-config-kept-${temporal.taskQueue}`;
    created.push(kept);
    await createSyncSchedule(client, { namespace: TEST_NAMESPACE, config: small, taskQueue: temporal.taskQueue, timing: { everyMs: 3_600_000 }, scheduleId: kept, paused: true });
    await expect(updateSyncSchedule(client, { namespace: TEST_NAMESPACE, scheduleId: kept, config })).rejects.toBeInstanceOf(ScheduleArgumentTooLargeError);
    await expectReadable(kept, small);
  });
});
