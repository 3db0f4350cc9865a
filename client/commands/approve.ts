import type { Command } from 'commander';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { approveLeaversUpdate, rejectLeaversUpdate, type LeaverDecisionResult } from '../../workflows/sync';
import { connectClient } from '../temporal-client';

function describe(result: LeaverDecisionResult): string {
  if (result.decision === 'rejected') return `rejected: ${result.leavers} held leaver write(s) dropped; nobody was deactivated`;
  return `approved: ${result.leavers} held leaver write(s) applied — deactivated ${result.deactivated}, deleted ${result.deleted}${result.failed ? `; the run has ${result.failed} failure(s) (see peakon-sync status)` : ''}`;
}

/**
 * `approve` / `reject`: a person's answer to the guard (config `leavers.guard`). A Temporal Update, so the run
 * validates the request (a run that holds nothing, or was already decided, refuses it) and the command waits for the
 * answer: after an approval, until the held writes are done.
 */
export function registerApprovalCommands(program: Command): void {
  for (const [name, update, help] of [
    ['approve', approveLeaversUpdate, 'apply exactly the leaver writes (deactivations/deletions) a run holds for approval, and wait until they are done'],
    ['reject', rejectLeaversUpdate, 'drop the leaver writes a run holds for approval; nobody is deactivated'],
  ] as const) {
    program
      .command(`${name} <runId>`)
      .description(help)
      .option('--json', 'print the answer as JSON')
      .action(async (runId: string, options: { json?: boolean }) => {
        const connected = await connectClient();
        try {
          const result = await connected.client.workflow.getHandle(runId).executeUpdate(update);
          process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${describe(result)}\n`);
        } catch (error) {
          // The run's own reason ("holds no leaver writes", "already rejected"), not the SDK's wrapper.
          const reason = error instanceof WorkflowUpdateFailedError && error.cause ? error.cause.message : error instanceof Error ? error.message : String(error);
          process.stderr.write(`cannot ${name} ${runId}: ${reason}\n`);
          process.exitCode = 1;
        } finally {
          await connected.close();
        }
      });
  }
}
