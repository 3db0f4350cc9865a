import type { Command } from 'commander';
import type { SyncReport } from '../../sync/report';
import { employeeSteps, formatEmployeeSteps } from '../employee-workflows';
import { formatReport } from '../format-report';
import { describeProgress, readProgress } from '../progress';
import { connectClient } from '../temporal-client';

export function registerStatusCommand(program: Command): void {
  program
    .command('status <runId>')
    .description('show a sync run: live progress while it runs (phase, done/total, failures, operations, time left), its report once done')
    .option('--json', 'print progress or report as JSON')
    .option('--employee <key>', "one employee's steps in the run (their email, or employee number), with each outcome")
    .action(async (runId: string, options: { json?: boolean; employee?: string }) => {
      const connected = await connectClient();
      try {
        if (options.employee !== undefined) {
          const { ref, steps } = await employeeSteps(connected.client, runId, options.employee);
          process.stdout.write(options.json ? `${JSON.stringify({ employeeRef: ref, steps }, null, 2)}\n` : `${formatEmployeeSteps(options.employee, ref, steps)}\n`);
          return;
        }
        const handle = connected.client.workflow.getHandle(runId);
        const description = await handle.describe();
        if (description.status.name === 'RUNNING') {
          const progress = await readProgress(connected.client, runId);
          process.stdout.write(options.json ? `${JSON.stringify({ status: 'running', progress }, null, 2)}\n` : `${runId} is running — ${describeProgress(progress)}\n`);
          return;
        }
        if (description.status.name !== 'COMPLETED') {
          process.stdout.write(`${runId} ended ${description.status.name.toLowerCase()}\n`);
          process.exitCode = 1;
          return;
        }
        const report = (await handle.result()) as SyncReport;
        process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
      } finally {
        await connected.close();
      }
    });
}
