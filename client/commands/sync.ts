import { WorkflowFailedError } from '@temporalio/client';
import { Option, type Command } from 'commander';
import { loadConfigFile } from '../../config/load';
import { readWorkerEnvironment } from '../../worker/environment';
import { exitCodeFor, reportElsewhereNote, FAIL_ON_CHOICES, formatEmployeeTable, formatReport, runFailureMessage, skippedEmployeeRunNote, type FailOn } from '../format-report';
import { errorText } from '../errors';
import { readReportLines } from '../report-file';
import { watchProgress, writeLine, type ProgressStream } from '../progress';
import type { SyncReport } from '../../sync/report';
import { startSync, SyncAlreadyStartedError } from '../start-sync';
import { closeAfterChecks, connectClient, lostTemporal, warnIfNoWorker, warnWhileWaiting, type StopChecks } from '../temporal-client';

interface SyncCommandOptions {
  config: string;
  wait?: boolean;
  json?: boolean;
  dryRun?: boolean;
  employee?: string;
  quiet?: boolean;
  failOn?: FailOn;
}

export function registerSyncCommand(program: Command): void {
  program
    .command('sync')
    .description('start a sync of one tenant (a running worker does the work; says so on stderr when none polls the task queue)')
    .requiredOption('-c, --config <file>', 'connector config (YAML or JSON)')
    .option('-w, --wait', 'wait for the run to finish and print its report; exit 0 ok (also skipped: another run holds the tenant), 2 only invalid HR records, 3 leavers held and not decided, 1 failed (also, with --employee, skipped: the employee was not synced)')
    .option('--json', 'with --wait (or --dry-run / --employee): print the report as JSON on stdout')
    .option('--dry-run', 'plan only: read, map and compare, write nothing to Peakon')
    .option('-q, --quiet', 'with --wait (or --dry-run / --employee): no progress output')
    .option('--employee <key>', 'sync only this employee (their email, or employee number with matching.key employeeNumber); exits 1 when another run holds the tenant (retry once it ends)')
    .addOption(new Option('--fail-on <what>', 'with --wait (or --dry-run / --employee): exit 1 (not 2) when HR records are invalid').choices(FAIL_ON_CHOICES))
    .action(async (options: SyncCommandOptions) => {
      const waits = options.wait || options.dryRun || options.employee !== undefined;
      // Before anything else (no config read, no run started): without a wait --json and --fail-on would be ignored.
      if (!waits) refuseReportOptionsWithoutWait(options);
      const config = loadConfigFile(options.config);
      const { PEAKON_SYNC_TASK_QUEUE: taskQueue } = readWorkerEnvironment();
      const connected = await connectClient();
      /** The waiting checks' stops (warnWhileWaiting), and whether Temporal was lost: closeAfterChecks takes both. */
      const checks: StopChecks[] = [];
      let lost = false;
      try {
        const log = options.json ? process.stderr : process.stdout;
        let handle;
        try {
          handle = await startSync({
            client: connected.client,
            namespace: connected.namespace,
            taskQueue,
            config,
            ...(options.dryRun ? { dryRun: true } : {}),
            ...(options.employee !== undefined ? { employeeKey: options.employee } : {}),
          });
        } catch (error) {
          if (!(error instanceof SyncAlreadyStartedError)) throw error;
          // Two starts of the tenant in one second share a run ID: this one is skipped, as if it had found the lock.
          const { report } = error;
          if (!waits) log.write(`skipped: ${report.message ?? ''}\n`);
          else process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
          process.exitCode = exitCodeFor(report);
          failSkippedEmployeeSync(options, report);
          return;
        }
        log.write(`started ${handle.workflowId} on task queue ${taskQueue}\n`);
        if (!waits) {
          // A run nobody polls for waits forever (a typo in PEAKON_SYNC_TASK_QUEUE on a cron host): say so, still exit 0.
          await warnIfNoWorker(connected, taskQueue, process.stderr);
          return;
        }
        let report;
        // Ctrl-C stops this CLI, not the run: say so, and how to stop the run too.
        const stopDetaching = detachOnInterrupt(handle.workflowId, process.stderr);
        try {
          const result = handle.result();
          // Without a worker on the queue the run never starts, nor while its workflow task keeps failing on the worker:
          // say so instead of waiting silently.
          checks.push(warnWhileWaiting(connected, taskQueue, result, process.stderr, { runId: handle.workflowId }));
          // Progress goes to stderr so that --json keeps stdout for the report alone.
          if (!options.quiet) await watchProgress(connected.client, handle.workflowId, result, process.stderr);
          report = await result;
        } catch (error) {
          // The run failed as a whole (bad token, unreadable HR source, …): say why in one line.
          if (error instanceof WorkflowFailedError) throw new Error(`sync ${handle.workflowId} failed: ${runFailureMessage(error)}`);
          if (lostTemporal(error)) {
            lost = true;
            throw lostWhileWaiting(handle.workflowId, error);
          }
          throw error;
        } finally {
          stopDetaching();
        }
        process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
        // The per-employee table comes from the worker's report file, when this machine can read it.
        // A file that is there but cannot be read is a warning: the run itself finished.
        const employees = !options.json && !report.plan ? readReportLines(report.reportPath) : undefined;
        if (employees && 'warning' in employees) process.stderr.write(`warning: ${employees.warning}\n`);
        const elsewhere = options.json || report.plan ? '' : reportElsewhereNote(report, employees);
        if (elsewhere) process.stdout.write(`${elsewhere}\n`);
        const table = employees && 'lines' in employees ? formatEmployeeTable(employees.lines) : '';
        if (table) process.stdout.write(`\n${table}\n`);
        process.exitCode = exitCodeFor(report, options.failOn ? { failOn: options.failOn } : {});
        failSkippedEmployeeSync(options, report);
      } finally {
        await closeAfterChecks(connected, checks, lost);
      }
    });
}

/**
 * A skipped run did nothing: another run holds the tenant lock (or, SyncAlreadyStartedError, started in the same second
 * under this run's ID). For a whole-tenant sync that is fine (exit 0: the other run does the work, and a schedule tries
 * again), but `--employee` asked for one person now and this command did not sync them: the run holding the tenant may
 * be another employee's, or a whole-tenant run that read the HR data before the change the caller wants pushed, and its
 * outcome is not this command's to report. So exit 1, as for a run that lost its tenant lock, and say on stderr that a
 * retry is worth it. Not a new exit code: a script already reads 1 as "not done", and the stderr line says why.
 */
function failSkippedEmployeeSync(options: SyncCommandOptions, report: SyncReport): void {
  const note = skippedEmployeeRunNote(report, options.employee !== undefined);
  if (note === undefined) return;
  process.exitCode = 1;
  process.stderr.write(`${note}\n`);
}

/**
 * `--json` and `--fail-on` shape what `sync` prints and exits with once the run is done: a `sync` that does not wait (no
 * `--wait`, `--dry-run` or `--employee`) prints only that it started the run, so they would be silently ignored (a
 * script reading JSON from stdout, or counting on `--fail-on`, would get neither). Refused instead, naming them, before
 * anything is started. `--quiet` is not: it has no progress to silence there, and a cron line with `-q` keeps working.
 */
function refuseReportOptionsWithoutWait(options: SyncCommandOptions): void {
  const given = [options.json ? '--json' : undefined, options.failOn !== undefined ? `--fail-on ${options.failOn}` : undefined].filter((flag) => flag !== undefined);
  if (given.length === 0) return;
  throw new Error(`${given.join(', ')} ${given.length === 1 ? 'needs' : 'need'} --wait (or --dry-run / --employee): without it the command only starts the run; nothing was started`);
}

/**
 * The error `sync --wait` ends with when it lost Temporal while waiting: the run was not seen to fail and goes on (the
 * worker needs no CLI), so it says where to follow it, with the gRPC reason (a ServiceError's own message says only
 * "Failed to get Workflow execution history"). Only messages are read, never a gRPC error's metadata.
 */
export function lostWhileWaiting(runId: string, error: Error): Error {
  return new Error(`lost Temporal while waiting for sync ${runId} (${errorText(error)}); the run was not seen to fail: ${runId} continues on the server; follow it with peakon-sync status '${runId}'`, { cause: error });
}

/** The exit code of a command stopped by Ctrl-C (128 + SIGINT), as a shell gives it. */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * While a command waits for a run, Ctrl-C (SIGINT) stops the command but not the run, which goes on writing to Peakon
 * and holding the tenant lock: on SIGINT it writes `detached: <run> continues; stop it with peakon-sync cancel '<run>'`
 * to `stream` and exits 130. Returns the function that stops listening (the wait is over).
 */
export function detachOnInterrupt(runId: string, stream: ProgressStream): () => void {
  const onInterrupt = (): void => {
    writeLine(stream, `detached: ${runId} continues; stop it with peakon-sync cancel '${runId}'`);
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  process.once('SIGINT', onInterrupt);
  return () => {
    process.removeListener('SIGINT', onInterrupt);
  };
}
