import type { Command } from 'commander';
import type { SyncReport } from '../../sync/report';
import { exitCodeFor, formatReport } from '../format-report';
import { connectClient } from '../temporal-client';

export function registerCancelCommand(program: Command): void {
  program
    .command('cancel <runId>')
    .description('cancel a running sync cleanly: writes in flight finish, nothing new starts, the report says cancelled, the tenant lock is released')
    .option('--json', 'print the report as JSON')
    .action(async (runId: string, options: { json?: boolean }) => {
      const connected = await connectClient();
      try {
        const handle = connected.client.workflow.getHandle(runId);
        await handle.cancel();
        const report = (await handle.result()) as SyncReport;
        process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
        process.exitCode = exitCodeFor(report);
      } finally {
        await connected.close();
      }
    });
}
