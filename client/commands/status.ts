import { WorkflowFailedError, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import type { SyncReport } from '../../sync/report';
import { HELD_LEAVERS_PAGE_MAX, heldLeaversQuery, type HeldLeavers } from '../../workflows/sync';
import { heldLeaversOutcome, SyncRunMemoSchema } from '../schedules/overview';
import { errorText } from '../errors';
import { employeeSteps, formatEmployeeSteps, resolveRun, type RunMember } from '../employee-workflows';
import { exitCodeFor, FAIL_ON_CHOICES, formatReport, runFailureMessage, skippedEmployeeRunNote, type FailOn } from '../format-report';
import { describeProgress, readProgress, writeLine, type ProgressStream } from '../progress';
import { isEmployeeRunId } from '../start-sync';
import { closeAfterChecks, connectClient, lostTemporal, temporalUnreachable, warnWhileWaiting, type ConnectedClient, type StopChecks } from '../temporal-client';

export function registerStatusCommand(program: Command): void {
  program
    .command('status <workflowId>')
    .description(
      'show a sync run: live progress while it runs (phase, done/total, failures, operations, time left), its report once done. ' +
        'Any workflow ID of a run works: a partition or employee step shows its run, a tenant lock the run holding it',
    )
    .option('--json', 'print progress or report as JSON (with `resolvedFrom` when the ID was not the run itself)')
    .option('--employee <key>', "one employee's steps in the run (their email, or employee number), with each outcome")
    .option('--held', 'every leaver write the guard holds for approval, one per line, with the reason, the deadline and the commands that answer it; once the run ended, what was decided')
    .addOption(new Option('--fail-on <what>', 'exit 1 (not 2) when the finished run found invalid HR records').choices(FAIL_ON_CHOICES))
    .action(async (workflowId: string, options: { json?: boolean; employee?: string; held?: boolean; failOn?: FailOn }) => {
      const connected = await connectClient();
      let lost = false;
      /** The waiting checks' stops (warnWhileWaiting): the connection closes once they have ended (closeAfterChecks). */
      const checks: StopChecks[] = [];
      try {
        const { runId, member } = await resolveRun(connected, workflowId, process.stderr, checks);
        // Said first, on its own line: the operator asked about a child or a lock and gets its run's status below.
        if (member && !options.json) process.stdout.write(`${member.summary}\n`);
        const resolvedFrom = (extra: object): object => (member ? { ...extra, resolvedFrom: jsonMember(member) } : extra);
        if (options.employee !== undefined) {
          const { ref, steps } = await employeeSteps(connected.client, runId, options.employee);
          process.stdout.write(options.json ? `${JSON.stringify(resolvedFrom({ runId, employeeRef: ref, steps, ...(steps.inRun ? { inRun: steps.inRun } : {}) }), null, 2)}\n` : `${formatEmployeeSteps(options.employee, ref, steps)}\n`);
          // The run's exit code, as plain `status` gives it: one employee's steps are not how the run did.
          const run = connected.client.workflow.getHandle(runId);
          if ((await run.describe()).status.name !== 'RUNNING') process.exitCode = runOutcomeExitCode(runId, await readRunOutcome(run), options.failOn);
          return;
        }
        const handle = connected.client.workflow.getHandle(runId);
        const description = await handle.describe();
        if (options.held) {
          const held = await readHeldLeavers(connected, handle, description, checks);
          process.stdout.write(options.json ? `${JSON.stringify(resolvedFrom(held), null, 2)}\n` : `${formatHeldLeavers(held)}\n`);
          // The run's exit code once it ended, as plain `status` gives it (3 for leavers held and dropped undecided).
          if (!held.running) process.exitCode = runOutcomeExitCode(runId, await readRunOutcome(handle), options.failOn);
          return;
        }
        if (description.status.name === 'RUNNING') {
          // A query needs a worker: without one it waits, so say why it does.
          const reading = readProgress(connected.client, runId);
          checks.push(warnWhileWaiting(connected, description.taskQueue, reading, process.stderr, { runId }));
          const progress = await reading.catch((error: unknown) => {
            // Temporal itself stopped answering: no worker is to blame, and the run goes on without this command.
            if (temporalUnreachable(error)) throw new Error(`lost Temporal while reading the progress of ${runId} (${errorText(error)}); ${runId} continues on the server: ask again with peakon-sync status '${runId}'`, { cause: error });
            // With Temporal's reason (a ServiceError's own message says only "Failed to query Workflow").
            throw new Error(`${runId} is running, but its progress could not be read from a worker on task queue "${description.taskQueue}": ${errorText(error)}`, { cause: error });
          });
          process.stdout.write(options.json ? `${JSON.stringify(resolvedFrom({ runId, status: 'running', progress }), null, 2)}\n` : `${runId} is running — ${describeProgress(progress)}\n`);
          return;
        }
        const outcome = await readRunOutcome(handle);
        if ('failed' in outcome) {
          // Failed, terminated, timed out, or cancelled by Temporal itself: no report, so the failure says why.
          process.stdout.write(options.json ? `${JSON.stringify(resolvedFrom(outcome.failed), null, 2)}\n` : `${formatFailedRun(outcome.failed)}\n`);
        } else {
          process.stdout.write(options.json ? `${JSON.stringify(resolvedFrom(outcome.report), null, 2)}\n` : `${formatReport(outcome.report)}\n`);
        }
        process.exitCode = runOutcomeExitCode(runId, outcome, options.failOn);
      } catch (error) {
        lost = lostTemporal(error);
        throw error;
      } finally {
        await closeAfterChecks(connected, checks, lost);
      }
    });
}

/**
 * `status --held`: the leaver writes a run's guard holds, in full while the run waits (its `heldLeavers` query, which
 * goes through the codec and never enters history), or once it ended, what was decided (its memo, else its report).
 */
export type HeldLeaversStatus =
  | ({ runId: string; running: true } & HeldLeavers)
  | { runId: string; running: false; status: string; held: number; decision?: HeldLeavers['decision']; reportPath?: string };

/** What `status --held` shows of a run (see HeldLeaversStatus). Exported for tests. */
export async function readHeldLeavers(connected: ConnectedClient, handle: WorkflowHandle, description: WorkflowExecutionDescription, checks: StopChecks[] = []): Promise<HeldLeaversStatus> {
  const runId = handle.workflowId;
  if (description.status.name === 'RUNNING') {
    // A query needs a worker: without one it waits, so say why it does.
    const page = (offset: number) => {
      const reading = handle.query(heldLeaversQuery, { offset, limit: HELD_LEAVERS_PAGE_MAX });
      checks.push(warnWhileWaiting(connected, description.taskQueue, reading, process.stderr, { runId }));
      return reading.catch((error: unknown) => {
        // With Temporal's reason (a ServiceError's own message says only "Failed to query Workflow").
        const message = errorText(error);
        // Only a worker of a version before `status --held` lacks the handler; any other failure is said as it is.
        const old = /heldLeavers/.test(message) && /handler|register/i.test(message) ? 'a worker of a version before `status --held` cannot answer; ' : '';
        throw new Error(`${runId} is running, but its held leaver writes could not be read from a worker on task queue "${description.taskQueue}" (${old}\`status ${runId}\` shows the first few): ${message}`, { cause: error });
      });
    };
    // Page by page: one answer is one payload, and a hold may name tens of thousands (a half export). A worker that
    // answers every one at once (before pages) ends the loop at its first answer.
    const first = await page(0);
    const leavers = [...first.leavers];
    while (leavers.length < first.held) {
      const next = await page(leavers.length);
      if (next.leavers.length === 0) break;
      leavers.push(...next.leavers);
    }
    return { runId, running: true, ...first, leavers };
  }
  const memo = HeldMemoSchema.safeParse(description.memo ?? {});
  const outcome = await readRunOutcome(handle);
  const report = 'report' in outcome ? outcome.report : undefined;
  const status = report?.status ?? ('failed' in outcome ? outcome.failed.status : description.status.name.toLowerCase());
  const reportPath = report?.reportPath !== undefined ? { reportPath: report.reportPath } : {};
  if (memo.success && memo.data.leavers) return { runId, running: false, status, held: memo.data.leavers.held, decision: memo.data.leavers.decision, ...reportPath };
  // Runs that ended before the memo carried the decision: their report says it.
  const leavers = report?.leavers;
  if (leavers?.held === true) return { runId, running: false, status, held: leavers.planned, ...(leavers.decision !== undefined && leavers.decision !== 'not needed' ? { decision: leavers.decision } : {}), ...reportPath };
  return { runId, running: false, status, held: 0 };
}

/** What the memo says of the guard at the run's end (the run memo's own `leavers`): counts and words, no one named. */
const HeldMemoSchema = SyncRunMemoSchema.pick({ leavers: true });

/** `status --held` for people: every held write on its own line (key, action), then how to answer. Exported for tests. */
export function formatHeldLeavers(held: HeldLeaversStatus): string {
  const { runId } = held;
  if (!held.running) {
    if (held.held === 0) return `run ${runId} holds no leaver writes (it ended ${held.status}; its guard held none)`;
    const decided = held.decision ? heldLeaversOutcome({ held: held.held, decision: held.decision }) : `${held.held} leaver write(s) held, never decided`;
    const again = held.decision === 'approved' ? '' : ' (the next sync holds them again)';
    return [`run ${runId} has ended ${held.status}: ${decided}${again}`, ...(held.reportPath ? [`  every one, with what became of it: ${held.reportPath}`] : [])].join('\n');
  }
  if (held.held === 0) return `run ${runId} holds no leaver writes`;
  const width = Math.max(...held.leavers.map((leaver) => leaver.employeeKey.length));
  const list = held.leavers.map((leaver) => `  ${leaver.employeeKey.padEnd(width)}  ${leaver.action}`);
  if (held.decision !== undefined) {
    return [`run ${runId} held ${held.held} leaver write(s) (${held.reason ?? 'guard'}): ${held.decision}${held.decision === 'approved' ? '; the approved writes run now' : ''}`, ...list].join('\n');
  }
  return [
    `run ${runId} holds ${held.held} leaver write(s) for approval`,
    `  reason:   ${held.reason ?? 'guard'}`,
    `  deadline: ${held.deadline ?? '?'} (dropped if nobody decides by then)`,
    ...list,
    `approve all ${held.held}: peakon-sync approve ${runId}`,
    `reject all ${held.held}:  peakon-sync reject ${runId}`,
  ].join('\n');
}

/**
 * `status`'s exit code for the run `runId` once it ended: 1 when it ended without a report (failed, terminated, …), else
 * its report's, as `sync` gave it (a skipped `sync --employee` run is 1, said on stderr: the person was not synced).
 */
export function runOutcomeExitCode(runId: string, outcome: { report: SyncReport } | { failed: FailedRun }, failOn?: FailOn, stderr: ProgressStream = process.stderr): number {
  if ('failed' in outcome) return 1;
  const employeeRun = isEmployeeRunId(runId);
  const note = skippedEmployeeRunNote(outcome.report, employeeRun);
  if (note !== undefined) writeLine(stderr, note);
  return exitCodeFor(outcome.report, { ...(failOn ? { failOn } : {}), employeeRun });
}

/** A resolved member for `--json` (its one-line summary is for people). */
export function jsonMember(member: RunMember): Omit<RunMember, 'summary'> {
  return { kind: member.kind, workflowId: member.workflowId, status: member.status };
}

/**
 * A run that ended without a report: how it ended (Temporal's status, lower case: `failed`, `terminated`, `timed_out`,
 * `cancelled`, as the SDK names them), why (the failure's message, as `sync --wait` prints it), and the counts its memo had published by then
 * (workflows/sync.ts `publish`: numbers only; absent when the run never published any). The memo's counts change only
 * when its status does: a run that ended while its memo still said `running` has counts of its start (or of the
 * guard's decision) there, not what it wrote; those are left out and `countsNotRecorded` is set instead. A run that
 * ended while awaiting approval had written all it writes before the wait (its creates and updates; leavers come after
 * the decision), so its counts are exact.
 */
export interface FailedRun {
  runId: string;
  status: string;
  message: string;
  counts?: Record<string, number>;
  failures?: number;
  operations?: number;
  countsNotRecorded?: true;
}

/** What the run publishes in its memo that is worth showing beside a failure: its status and counts only, no names. */
const RunCountsMemoSchema = z.object({
  /** The run's status at its last publish: while `running`, its counts are those of that moment. */
  status: z.string().optional(),
  counts: z.record(z.string(), z.number()).optional(),
  failures: z.number().optional(),
  operations: z.number().optional(),
});

/**
 * How a closed run ended: its report, or, when it ended without one (the workflow failed, was terminated, timed out
 * or cancelled by Temporal), why, with the counts it had published. Waits while the run is still running.
 */
export async function readRunOutcome(handle: WorkflowHandle): Promise<{ report: SyncReport } | { failed: FailedRun }> {
  try {
    return { report: (await handle.result()) as SyncReport };
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    const description = await handle.describe();
    const memo = RunCountsMemoSchema.safeParse(description.memo ?? {});
    const published = memo.success ? memo.data : {};
    const base = { runId: handle.workflowId, status: description.status.name.toLowerCase(), message: runFailureMessage(error) };
    // Published at a status change the run went on from: not what it had written when it ended.
    if (published.status === 'running') return { failed: { ...base, countsNotRecorded: true } };
    return {
      failed: {
        ...base,
        ...(published.counts ? { counts: published.counts } : {}),
        ...(published.failures !== undefined ? { failures: published.failures } : {}),
        ...(published.operations !== undefined ? { operations: published.operations } : {}),
      },
    };
  }
}

const COUNT_ORDER = ['created', 'updated', 'deactivated', 'deleted', 'unchanged', 'skipped', 'failed'];

/** `<run> ended failed: <why>`, then what the run had done by then when it said. */
export function formatFailedRun(failed: FailedRun): string {
  const lines = [`${failed.runId} ended ${failed.status}: ${failed.message}`];
  if (failed.countsNotRecorded) {
    lines.push(`  before it ended: what it wrote is not recorded (its memo keeps counts only when its status changes, and it ended before its report); its history in the Temporal UI has each partition's result`);
    return lines.join('\n');
  }
  if (failed.counts || failed.operations !== undefined) {
    const counts = failed.counts ?? {};
    const done = COUNT_ORDER.filter((name) => (counts[name] ?? 0) > 0).map((name) => `${name} ${counts[name] ?? 0}`);
    const failures = failed.failures !== undefined && failed.failures > (counts['failed'] ?? 0) ? `, ${failed.failures} failure(s)` : '';
    const operations = failed.operations !== undefined ? `; ${failed.operations} SCIM operations` : '';
    lines.push(`  before it ended: ${done.join(', ') || 'no employee written'}${failures}${operations}`);
  }
  return lines.join('\n');
}
