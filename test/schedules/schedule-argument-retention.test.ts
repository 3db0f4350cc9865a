// A schedule keeps its argument (the config as written) for as long as it exists; the payload store is swept by
// retention. The argument must therefore never be offloaded there: this creates and updates schedules whose config is
// above the offload threshold, sweeps the store as of 31 days later, and reads the schedules back.
import { Client } from '@temporalio/client';
import { isReferencePayload } from '@temporalio/common/lib/internal-non-workflow';
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

const SAMPLE_CONFIG = path.resolve(__dirname, '../../examples/sample-config.yaml');
const ObjectSchema = z.record(z.string(), z.unknown());
const DAY_MS = 24 * 60 * 60 * 1000;

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

  beforeAll(async () => {
    temporal = await connectToDevServer();
    storeDirectory = mkdtempSync(path.join(os.tmpdir(), 'schedule-argument-store-'));
    // As the CLI's client: the codec and the payload store at the default offload threshold (16 KiB).
    const externalStorage = createExternalStorage({ store: { kind: 'local', directory: storeDirectory }, thresholdBytes: DEFAULT_PAYLOAD_THRESHOLD_BYTES });
    client = new Client({ connection: temporal.connection, namespace: TEST_NAMESPACE, dataConverter: connectorDataConverter(process.env, { externalStorage }) });
  });
  afterAll(async () => {
    await Promise.all(created.map((id) => temporal.client.schedule.getHandle(id).delete().catch(() => undefined)));
    await temporal.close();
    rmSync(storeDirectory, { recursive: true, force: true });
  });

  const storedPayloads = () => readdirSync(storeDirectory).filter((name) => name.endsWith('.payload'));
  const sweepAsOfLater = () => sweepOnce({ store: { kind: 'local', directory: storeDirectory }, retentionDays: DEFAULT_RETENTION_DAYS, now: new Date(Date.now() + (DEFAULT_RETENTION_DAYS + 1) * DAY_MS) });

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
