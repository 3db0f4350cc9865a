import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { resolveRun } from '../employee-workflows';
import { formatReport } from '../format-report';
import { writeLine } from '../progress';
import { closeAfterChecks, connectClient, lostTemporal, warnWhileWaiting, type StopChecks } from '../temporal-client';
import { errorText } from '../errors';
import { formatFailedRun, jsonMember, readRunOutcome, runOutcomeExitCode } from './status';

export function registerCancelCommand(program: Command): void {
  program
    .command('cancel <workflowId>')
    .description(
      'cancel a running sync cleanly: writes in flight finish, nothing new starts, the report says cancelled, the tenant lock is released. ' +
        'Any workflow ID of a run works (as for status): a partition or employee step cancels its run, a tenant lock the run holding it. ' +
        'Exit 0 when the run ends cancelled; a run that had already ended, or finished before the cancel took effect, is left as it was (it says so), with its own exit code',
    )
    .option('--json', 'print the report as JSON (with `resolvedFrom` when the ID was not the run itself, `alreadyEnded` when there was nothing to cancel)')
    .action(async (workflowId: string, options: { json?: boolean }) => {
      const connected = await connectClient();
      /** The waiting checks' stops (warnWhileWaiting), and whether Temporal was lost: closeAfterChecks takes both. */
      const checks: StopChecks[] = [];
      let lost = false;
      try {
        // A partition's or a lock's ID (copied from the Web UI) names a run: cancel that run, never the child itself.
        const { runId, member } = await resolveRun(connected, workflowId, process.stderr, checks);
        if (member && !options.json) process.stdout.write(`${member.summary}: cancelling run ${runId}\n`);
        const handle = connected.client.workflow.getHandle(runId);
        const description = await handle.describe();
        let alreadyEnded = description.status.name !== 'RUNNING';
        if (!alreadyEnded) {
          try {
            await handle.cancel();
          } catch (error) {
            // It ended between the describe and the cancel.
            if (!(error instanceof WorkflowNotFoundError)) throw error;
            alreadyEnded = true;
          }
        }
        const reading = readRunOutcome(handle);
        if (!alreadyEnded) {
          // The run stops once a worker runs it (writes in flight finish first): never wait without a word.
          writeLine(options.json ? process.stderr : process.stdout, `cancel requested; waiting for ${runId} to stop (Ctrl-C leaves the cancel in effect)`);
          // Also when a worker polls but the run's workflow task keeps failing there (the run cannot stop then either).
          checks.push(warnWhileWaiting(connected, description.taskQueue, reading, process.stderr, { runId }));
        }
        const outcome = await reading.catch((error: unknown) => {
          if (alreadyEnded || !lostTemporal(error)) throw error;
          lost = true;
          // The cancel was requested before the wait: it stays in effect, whatever became of this command.
          throw new Error(`lost Temporal while waiting for ${runId} to stop (${errorText(error)}); the cancel was requested and stays in effect: follow the run with peakon-sync status '${runId}'`, { cause: error });
        });
        const extra = { ...(member ? { resolvedFrom: jsonMember(member) } : {}), ...(alreadyEnded ? { alreadyEnded: true } : {}) };
        if ('failed' in outcome) {
          // Ended without a report: cancelled by Temporal itself (no report to write), or failed/terminated before.
          const { failed } = outcome;
          if (alreadyEnded) writeLine(options.json ? process.stderr : process.stdout, `${runId} had already ended ${failed.status}: nothing was cancelled`);
          process.stdout.write(options.json ? `${JSON.stringify({ ...failed, ...extra }, null, 2)}\n` : `${formatFailedRun(failed)}\n`);
          process.exitCode = failed.status === 'cancelled' ? 0 : 1;
          return;
        }
        const { report } = outcome;
        if (alreadyEnded) writeLine(options.json ? process.stderr : process.stdout, `${runId} had already ended ${report.status}: nothing was cancelled`);
        // Running at the request, but it finished its work first (the cancel came while it wrote its report, which a
        // cancel does not stop): without this line the report reads as if the cancel had been ignored. Only a finished
        // run: one that ended lock_lost or quarantined may have been stopped by the cancel too, and cannot be told apart.
        // On stderr with --json: stdout stays the report alone.
        const finished = report.status === 'completed' || report.status === 'completed_with_failures';
        if (!alreadyEnded && finished) writeLine(options.json ? process.stderr : process.stdout, `${runId} ended ${report.status} before the cancel took effect: nothing was cancelled`);
        process.stdout.write(options.json ? `${JSON.stringify({ ...report, ...extra }, null, 2)}\n` : `${formatReport(report)}\n`);
        // The run ended cancelled: the command did what was asked. Otherwise (it completed or failed before the cancel
        // reached it, or lost its lock meanwhile) the run's own code, as `status` gives it.
        process.exitCode = report.status === 'cancelled' ? 0 : runOutcomeExitCode(runId, outcome);
      } finally {
        await closeAfterChecks(connected, checks, lost);
      }
    });
}
