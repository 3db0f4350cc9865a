import type { Command } from 'commander';
import { WorkflowUpdateFailedError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { approveLeaversUpdate, rejectLeaversUpdate, type LeaverDecisionResult } from '../../workflows/sync';
import { resolveRun, type RunMember } from '../employee-workflows';
import { errorText } from '../errors';
import { writeLine } from '../progress';
import { closeAfterChecks, connectClient, lostTemporal, warnWhileWaiting, type StopChecks } from '../temporal-client';
import { jsonMember } from './status';

/** Why the run stopped its leaver writes, as the approver reads it. */
const STOPPED_BECAUSE: Record<Exclude<NonNullable<LeaverDecisionResult['leaverPhase']>, 'completed'>, string> = {
  quarantined: 'the run was quarantined',
  cancelled: 'the run was cancelled',
  'lock lost': 'the run lost its tenant lock',
  failed: 'a partition of the run failed',
};

/** The answer to `approve` / `reject`, in words that hold also when the leaver writes stopped partway. Exported for tests. */
export function describeLeaverDecision(result: LeaverDecisionResult): string {
  if (result.decision === 'rejected') return `rejected: ${result.leavers} held leaver write(s) dropped; nobody was deactivated`;
  const see = ' (see peakon-sync status)';
  // A run whose workflow code predates `leaverPhase` cannot say how its leaver writes ended; its counts are the run's.
  if (result.leaverPhase === undefined) return `approved: ${result.leavers} held leaver write(s); the run so far: deactivated ${result.deactivated}, deleted ${result.deleted}, ${result.failed} failure(s)${see}`;
  const done = `deactivated ${result.deactivated}, deleted ${result.deleted}${result.failed ? `, failed ${result.failed}` : ''}`;
  const otherFailures = (result.runFailures ?? result.failed) - result.failed;
  const elsewhere = otherFailures > 0 ? `; the run has ${otherFailures} other failure(s)${see}` : result.failed ? see : '';
  if (result.leaverPhase === 'completed') return `approved: ${result.leavers} held leaver write(s) ${result.failed ? 'ran' : 'applied'} — ${done}${elsewhere}`;
  const finished = result.finished ?? 0;
  const why = STOPPED_BECAUSE[result.leaverPhase];
  if (finished >= result.leavers) return `approved: ${result.leavers} held leaver write(s) ran — ${done}; then ${why}${see}`;
  const rest = result.leavers - finished;
  const others = result.leaverPhase === 'failed' ? 'not reported done (those of the failed partition may have been written)' : 'not written or not finished';
  return `approved, but not all applied: ${why} while the approved writes ran; ${finished} of ${result.leavers} held leaver write(s) finished — ${done}; the other ${rest} ${rest === 1 ? 'was' : 'were'} ${others}${see}`;
}

/**
 * `approve`'s exit code: 1 when the approved leaver writes did not all happen (some failed, or the leaver phase stopped
 * before every one finished), else 0; `reject` is 0. A run stopped (cancelled, say) right after its last leaver write
 * finished did them all: 0. An answer of a run whose code predates `leaverPhase` cannot tell the leaver writes'
 * failures from the run's others: 0, as before. Exported for tests.
 */
export function leaverDecisionExitCode(result: LeaverDecisionResult): number {
  if (result.decision !== 'approved' || result.leaverPhase === undefined) return 0;
  if (result.failed > 0) return 1;
  return result.leaverPhase === 'completed' || (result.finished ?? 0) >= result.leavers ? 0 : 1;
}

/** How long an approval's answer may take before `approve` says what it waits for. */
const SAY_WAITING_AFTER_MS = 1000;

/**
 * One update ID per answer: an `approve` interrupted (Ctrl-C, a dropped connection) and run again attaches to the
 * approval the run already took and gets its outcome, rather than being refused as a second decision; the other answer
 * (`reject` after `approve`) has another ID, so the run still refuses it.
 */
export const LEAVER_DECISION_UPDATE_IDS = { approve: 'leavers-approve', reject: 'leavers-reject' } as const;

/**
 * Sends `approve` or `reject` to a run and waits for its answer (after an approval, until the held writes are done).
 * Once the run has accepted an approval (it is then in the run's history) and the held writes take longer than a
 * moment, `onApprovedWaiting` is told (the CLI says on stderr that it waits and that Ctrl-C leaves the approval in
 * effect). A refused answer is never accepted: nothing is said before the refusal. Exported for tests.
 */
export async function sendLeaverDecision(handle: WorkflowHandle, verb: keyof typeof LEAVER_DECISION_UPDATE_IDS, onApprovedWaiting?: () => void): Promise<LeaverDecisionResult> {
  const update = verb === 'approve' ? approveLeaversUpdate : rejectLeaversUpdate;
  const accepted = await handle.startUpdate(update, { updateId: LEAVER_DECISION_UPDATE_IDS[verb], waitForStage: WorkflowUpdateStage.ACCEPTED });
  const answer = accepted.result();
  if (onApprovedWaiting !== undefined && verb === 'approve') {
    const timer = setTimeout(onApprovedWaiting, SAY_WAITING_AFTER_MS);
    const clear = (): void => clearTimeout(timer);
    answer.then(clear, clear);
  }
  return await answer;
}

/**
 * Why `approve` / `reject` failed, as its error line says it: the run's own reason ("holds no leaver writes", "already
 * rejected") rather than the SDK's "Workflow Update failed"; any other error with the reasons it wraps (errorText), so
 * Temporal's own (`7 PERMISSION_DENIED: …`, `14 UNAVAILABLE: …`) is not lost behind the SDK's "Failed to …".
 * Exported for tests.
 */
export function leaverDecisionFailure(error: unknown): string {
  return errorText(error instanceof WorkflowUpdateFailedError && error.cause ? error.cause : error);
}

/** What the given ID was to the run it resolved to. */
const RESOLVED_FROM: Record<RunMember['kind'], string> = {
  partition: 'a partition of that run',
  employee: 'an employee step of that run',
  lock: 'the tenant lock that run holds or last held',
};

/**
 * `approve` / `reject`: a person's answer to the guard (config `leavers.guard`). A Temporal Update, so the run
 * validates the request (a run that holds nothing, or was already decided, refuses it) and the command waits for the
 * answer: after an approval, until the held writes are done.
 *
 * A partition's or employee step's workflow ID works too, as for `status` and `cancel` (resolveRun): it answers for
 * its run, whose ID it carries. The answer goes to that run alone (the execution just described), and the command says
 * which run it answered and from what ID. A tenant lock's ID is refused, naming the run holding it: the lock names
 * whichever run holds it now, not necessarily the one whose held leavers were reviewed.
 */
export function registerApprovalCommands(program: Command): void {
  for (const [name, help] of [
    ['approve', 'apply exactly the leaver writes (deactivations/deletions) a run holds for approval, and wait until they are done; exit 1 if they did not all happen (a write failed, or the run stopped first)'],
    ['reject', 'drop the leaver writes a run holds for approval; nobody is deactivated'],
  ] as const) {
    const doing = name === 'approve' ? 'approving' : 'rejecting';
    program
      .command(`${name} <workflowId>`)
      .description(`${help}. The run's ID, or a partition's or employee step's (which name their run); a tenant lock's ID is refused with the run holding it`)
      .option('--json', 'print the answer as JSON (with `resolvedFrom` when the ID was not the run itself)')
      .action(async (workflowId: string, options: { json?: boolean }) => {
        const connected = await connectClient();
        let lost = false;
        /** The waiting checks' stops (warnWhileWaiting): the connection closes once they have ended (closeAfterChecks). */
        const checks: StopChecks[] = [];
        try {
          // A partition's or employee step's ID (copied from the Web UI) names a run: answer that run, never the child itself.
          const { runId, member } = await resolveRun(connected, workflowId, process.stderr, checks);
          if (member?.kind === 'lock') {
            // The lock names whichever run holds it now, maybe not the run whose held leavers the operator reviewed (that
            // one may have ended, and a later run taken the lock with other leavers): an answer needs the run's own ID.
            throw new Error(`${workflowId} is the tenant lock, held by (or last held by) run ${runId}: answer that run by its own ID once you have checked what it holds (\`peakon-sync status ${runId}\`, then \`peakon-sync ${name} ${runId}\`)`);
          }
          if (member) writeLine(options.json ? process.stderr : process.stdout, `${doing} run ${runId} (resolved from ${workflowId}, ${RESOLVED_FROM[member.kind]})`);
          // The run takes the answer in a workflow task, and applies an approval in activities: both need a worker.
          const { taskQueue, runId: executionRunId } = await connected.client.workflow.getHandle(runId).describe();
          // Pinned to the execution described: the answer never reaches another run that took the ID meanwhile.
          const handle = connected.client.workflow.getHandle(runId, executionRunId);
          const answered = sendLeaverDecision(handle, name, () => writeLine(process.stderr, `approved; waiting for ${runId} to finish the held leaver writes (Ctrl-C leaves the approval in effect)`));
          checks.push(warnWhileWaiting(connected, taskQueue, answered, process.stderr, { runId }));
          const result = await answered;
          const json = member ? { ...result, resolvedFrom: jsonMember(member) } : result;
          process.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${describeLeaverDecision(result)}\n`);
          process.exitCode = leaverDecisionExitCode(result);
        } catch (error) {
          lost = lostTemporal(error);
          process.stderr.write(`cannot ${name} ${workflowId}: ${leaverDecisionFailure(error)}\n`);
          process.exitCode = 1;
        } finally {
          await closeAfterChecks(connected, checks, lost);
        }
      });
  }
}
