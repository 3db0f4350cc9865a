import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { readWorkerEnvironment } from '../../worker/environment';
import { createSyncSchedule } from '../schedules/create';
import { currentKeyIdFromEnv } from '../schedules/key-ids';
import { formatRekeyResult, RECENT_RUNS_NOTE, rekeyAllSyncSchedules, rekeyKeysFromEnv, rekeySyncSchedule, type RekeyFailure, type RekeyResult } from '../schedules/rekey';
import { describeSyncSchedule, findSyncSchedule, listSyncSchedules } from '../schedules/inspect';
import { frequentRunsWarning, readCostSettings } from '../schedules/cadence-cost';
import { cronDayFieldsWarning, defaultScheduleId, timingForCreate, timingFromFlags } from '../schedules/options';
import { formatScheduleList, formatScheduleOverview } from '../schedules/overview';
import { deleteSyncSchedule } from '../schedules/ownership';
import { setSchedulePaused } from '../schedules/pause';
import { scheduleConfigFromFile } from '../schedules/stored-config';
import { formatTriggeredRun, TRIGGER_WAIT_MS, triggerSyncSchedule } from '../schedules/trigger';
import { formatScheduleUpdate, updateSyncSchedule } from '../schedules/update';
import { connectClient } from '../temporal-client';

interface CreateFlags {
  config: string;
  every?: string;
  cron?: string;
  timezone?: string;
  id?: string;
  paused?: boolean;
  note?: string;
  json?: boolean;
}

interface UpdateFlags {
  config?: string;
  every?: string;
  cron?: string;
  timezone?: string;
  note?: string;
  json?: boolean;
}

async function withClient<T>(body: (client: Client, namespace: string) => Promise<T>): Promise<T> {
  const connected = await connectClient();
  try {
    return await body(connected.client, connected.namespace);
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) throw new Error(`no schedule ${error.scheduleId}: see peakon-sync schedule list`);
    throw error;
  } finally {
    await connected.close();
  }
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Advice that is not the command's answer: on stderr, so `--json` output stays parseable. */
function warn(text: string | undefined): void {
  if (text !== undefined) process.stderr.write(`WARNING: ${text}\n`);
}

/** `peakon-sync schedule …`: recurring syncs as Temporal Schedules. The logic lives in ../schedules/. */
export function registerScheduleCommand(program: Command): void {
  const schedule = program.command('schedule').description('recurring syncs of a tenant, as Temporal Schedules');

  schedule
    .command('create')
    .description('schedule recurring syncs of the tenant a config file describes')
    .requiredOption('-c, --config <file>', 'connector config (YAML or JSON); the schedule keeps it as written and every run validates it again (after editing the file: schedule update --config)')
    .option('--every <interval>', 'run at a fixed interval: 30m, 1h, 1d')
    .option('--cron <expression>', 'run on a cron expression, e.g. "0 2 * * *"')
    .option('--timezone <zone>', 'time zone of the cron expression (IANA name, default UTC); not with --every')
    .option('--id <id>', 'schedule ID (default peakon-sync-<tenant>)')
    .option('--paused', 'create it paused')
    .option('--note <text>', 'a note shown with the schedule')
    .option('--json', 'print the schedule ID as JSON')
    .action(async (flags: CreateFlags) => {
      const timing = timingForCreate(timingFromFlags(flags));
      const config = scheduleConfigFromFile(flags.config);
      const { PEAKON_SYNC_TASK_QUEUE: taskQueue } = readWorkerEnvironment();
      const scheduleId = flags.id ?? defaultScheduleId(config.parsed.tenant);
      await withClient((client, namespace) =>
        createSyncSchedule(client, {
          namespace,
          config,
          taskQueue,
          timing,
          scheduleId,
          ...(flags.paused ? { paused: true } : {}),
          ...(flags.note !== undefined ? { note: flags.note } : {}),
        }),
      );
      print(flags.json ? JSON.stringify({ scheduleId }) : `created schedule ${scheduleId} for tenant ${config.parsed.tenant} on task queue ${taskQueue}${flags.paused ? ' (paused)' : ''}`);
      warn(frequentRunsWarning(timing, readCostSettings(config.parsed)));
      warn(cronDayFieldsWarning(timing));
    });

  schedule
    .command('update <schedule>')
    .description('change a schedule in place: its cadence, its config (validated first), its note; also migrates a schedule made by an earlier version')
    .option('-c, --config <file>', 'store this config (YAML or JSON) as written; runs validate it again each time')
    .option('--every <interval>', 'run at a fixed interval from now on: 30m, 1h, 1d')
    .option('--cron <expression>', 'run on a cron expression from now on, e.g. "0 2 * * *"')
    .option('--timezone <zone>', 'time zone of the cron expression (IANA name); --cron alone keeps the schedule\'s zone, --timezone alone moves its cron to this zone (refused for an interval schedule); not with --every')
    .option('--note <text>', 'a note shown with the schedule')
    .option('--json', 'print what changed as JSON')
    .addHelpText('after', '\n<schedule> is a schedule ID, or a tenant (its schedule peakon-sync-<tenant>, or its only schedule).')
    .action(async (scheduleRef: string, flags: UpdateFlags) => {
      const cadenceGiven = flags.every !== undefined || flags.cron !== undefined || flags.timezone !== undefined;
      const timing = cadenceGiven ? timingFromFlags(flags) : undefined;
      const config = flags.config !== undefined ? scheduleConfigFromFile(flags.config) : undefined;
      const update = await withClient(async (client, namespace) => {
        const scheduleId = await findSyncSchedule(client, scheduleRef);
        return updateSyncSchedule(client, {
          namespace,
          scheduleId,
          ...(config ? { config } : {}),
          ...(timing ? { timing } : {}),
          ...(flags.note !== undefined ? { note: flags.note } : {}),
        });
      });
      print(flags.json ? JSON.stringify(update, null, 2) : formatScheduleUpdate(update));
      warn(update.warning);
      warn(cronDayFieldsWarning(timing));
    });

  schedule
    .command('list')
    .description("this connector's schedules in the namespace")
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }) => {
      const currentKeyId = currentKeyIdFromEnv();
      const rows = await withClient((client) => listSyncSchedules(client, currentKeyId !== undefined ? { currentKeyId } : {}));
      print(flags.json ? JSON.stringify(rows, null, 2) : formatScheduleList(rows));
    });

  schedule
    .command('rekey [id]')
    .description('encrypt a schedule (its memo and stored config) with the current key, after a key rotation; run before dropping an old key')
    .option('--all', "every sync schedule of the namespace that starts its runs on this deployment's task queue (PEAKON_SYNC_TASK_QUEUE)")
    .addHelpText(
      'after',
      '\nA schedule already under the current key is left as it is. Any other is deleted and created again under the same ID, ' +
        'with the same cadence, state, note and config: its recent-runs list starts empty. Its old key must still be in PEAKON_SYNC_ENCRYPTION_OLD_KEYS. ' +
        "--all leaves schedules on another task queue (another deployment's, with its own keys) as they are; rekey <id> takes any sync schedule. " +
        '--all goes on after a schedule it could not touch, but stops at one it deleted (or may have deleted) and could not create again (the rest: not attempted). ' +
        'Before the delete, its stored config is written to <id>.rekey-backup.yaml (or .json, mode 0600) in the current directory, and removed once the schedule is created again; ' +
        'should creating it again fail, the file stays and the error names the schedule create command.',
    )
    .action(async (scheduleId: string | undefined, flags: { all?: boolean }) => {
      if ((scheduleId === undefined) === (flags.all !== true)) throw new Error('give a schedule ID or --all');
      const keys = rekeyKeysFromEnv();
      const taskQueue = scheduleId === undefined ? readWorkerEnvironment().PEAKON_SYNC_TASK_QUEUE : undefined;
      // Each result is printed as soon as it is known: a Ctrl-C held while a schedule was deleted ends the process
      // right after its `rekeyed` line.
      const onResult = (result: RekeyResult): void => print(formatRekeyResult(result, keys.currentKeyId));
      const results = await withClient<Array<RekeyResult | RekeyFailure>>(async (client) =>
        taskQueue === undefined ? [await rekeySyncSchedule(client, scheduleId ?? '', keys, { onResult })] : rekeyAllSyncSchedules(client, keys, taskQueue, { onResult }),
      );
      const done = results.filter((result): result is RekeyResult => 'rekeyed' in result);
      const failed = results.filter((result): result is RekeyFailure => 'error' in result);
      if (done.some((result) => result.rekeyed)) print(RECENT_RUNS_NOTE);
      if (results.length === 0) print('No sync schedules.');
      if (failed.length > 0) throw new Error(failed.map((result) => `${result.scheduleId}: ${result.error.message}`).join('\n'));
    });

  schedule
    .command('describe <id>')
    .description('a schedule: its timing and state, next run times, and recent runs with their outcome')
    .option('--json', 'print as JSON')
    .action(async (scheduleId: string, flags: { json?: boolean }) => {
      const overview = await withClient((client) => describeSyncSchedule(client, scheduleId));
      print(flags.json ? JSON.stringify(overview, null, 2) : formatScheduleOverview(overview));
    });

  schedule
    .command('pause <id>')
    .description('stop starting runs until unpaused (a run in progress continues)')
    .option('--note <text>', 'why it is paused: added to the schedule\'s note (the note it has is kept)')
    .action(async (scheduleId: string, flags: { note?: string }) => {
      const note = await withClient((client) => setSchedulePaused(client, scheduleId, 'paused', flags.note));
      print(`paused ${scheduleId} (note: ${note})`);
    });

  schedule
    .command('unpause <id>')
    .description('start runs on the schedule again')
    .option('--note <text>', 'added to the schedule\'s note (the note set at pause is kept)')
    .action(async (scheduleId: string, flags: { note?: string }) => {
      const note = await withClient((client) => setSchedulePaused(client, scheduleId, 'unpaused', flags.note));
      print(`unpaused ${scheduleId} (note: ${note})`);
    });

  schedule
    .command('trigger <id>')
    .description("start a run now and print its workflow ID (for status, approve, cancel); it ends skipped if another sync of the tenant holds the tenant lock")
    .addHelpText('after', `\nWaits up to ${TRIGGER_WAIT_MS / 1000} s for the schedule to list the run; should it not, peakon-sync runs <tenant> finds it.`)
    .action(async (scheduleId: string) => {
      const triggered = await withClient((client) => triggerSyncSchedule(client, scheduleId));
      print(formatTriggeredRun(triggered));
    });

  schedule
    .command('delete <id>')
    .description("delete the schedule (runs it started are not affected); another tool's schedule is refused")
    .action(async (scheduleId: string) => {
      await withClient((client) => deleteSyncSchedule(client, scheduleId));
      print(`deleted ${scheduleId}`);
    });
}
