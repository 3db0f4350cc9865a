import { Option, type Command } from 'commander';
import type { SyncReport } from '../../sync/report';
import { employeeSteps, formatEmployeeSteps, resolveRun, type RunMember } from '../employee-workflows';
import { exitCodeFor, FAIL_ON_CHOICES, formatReport, type FailOn } from '../format-report';
import { describeProgress, readProgress } from '../progress';
import { connectClient, warnWhileNoWorker } from '../temporal-client';

export function registerStatusCommand(program: Command): void {
  program
    .command('status <workflowId>')
    .description(
      'show a sync run: live progress while it runs (phase, done/total, failures, operations, time left), its report once done. ' +
        'Any workflow ID of a run works: a partition or employee step shows its run, a tenant lock the run holding it',
    )
    .option('--json', 'print progress or report as JSON (with `resolvedFrom` when the ID was not the run itself)')
    .option('--employee <key>', "one employee's steps in the run (their email, or employee number), with each outcome")
    .addOption(new Option('--fail-on <what>', 'exit 1 (not 2) when the finished run found invalid HR records').choices(FAIL_ON_CHOICES))
    .action(async (workflowId: string, options: { json?: boolean; employee?: string; failOn?: FailOn }) => {
      const connected = await connectClient();
      try {
        const { runId, member } = await resolveRun(connected, workflowId, process.stderr);
        // Said first, on its own line: the operator asked about a child or a lock and gets its run's status below.
        if (member && !options.json) process.stdout.write(`${member.summary}\n`);
        const resolvedFrom = (extra: object): object => (member ? { ...extra, resolvedFrom: jsonMember(member) } : extra);
        if (options.employee !== undefined) {
          const { ref, steps } = await employeeSteps(connected.client, runId, options.employee);
          process.stdout.write(options.json ? `${JSON.stringify(resolvedFrom({ runId, employeeRef: ref, steps }), null, 2)}\n` : `${formatEmployeeSteps(options.employee, ref, steps)}\n`);
          return;
        }
        const handle = connected.client.workflow.getHandle(runId);
        const description = await handle.describe();
        if (description.status.name === 'RUNNING') {
          // A query needs a worker: without one it waits, so say why it does.
          const reading = readProgress(connected.client, runId);
          warnWhileNoWorker(connected, description.taskQueue, reading, process.stderr);
          const progress = await reading.catch((error: unknown) => {
            throw new Error(`${runId} is running, but its progress could not be read from a worker on task queue "${description.taskQueue}": ${error instanceof Error ? error.message : String(error)}`);
          });
          process.stdout.write(options.json ? `${JSON.stringify(resolvedFrom({ runId, status: 'running', progress }), null, 2)}\n` : `${runId} is running — ${describeProgress(progress)}\n`);
          return;
        }
        if (description.status.name !== 'COMPLETED') {
          const ended = description.status.name.toLowerCase();
          process.stdout.write(options.json ? `${JSON.stringify(resolvedFrom({ runId, status: ended }), null, 2)}\n` : `${runId} ended ${ended}\n`);
          process.exitCode = 1;
          return;
        }
        const report = (await handle.result()) as SyncReport;
        process.stdout.write(options.json ? `${JSON.stringify(resolvedFrom(report), null, 2)}\n` : `${formatReport(report)}\n`);
        process.exitCode = exitCodeFor(report, options.failOn ? { failOn: options.failOn } : {});
      } finally {
        await connected.close();
      }
    });
}

function jsonMember(member: RunMember): Omit<RunMember, 'summary'> {
  return { kind: member.kind, workflowId: member.workflowId, status: member.status };
}
