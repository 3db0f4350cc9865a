#!/usr/bin/env node
import { Command } from 'commander';
import { registerApprovalCommands } from './commands/approve';
import { errorText } from './errors';
import { registerCodecServerCommand } from './commands/codec-server';
import { registerCancelCommand } from './commands/cancel';
import { registerDemoCommand } from './commands/demo';
import { registerRunsCommand } from './commands/runs';
import { registerSandboxCommand } from './commands/sandbox';
import { registerScheduleCommand } from './commands/schedule';
import { registerServerCommand } from './commands/server';
import { registerStatusCommand } from './commands/status';
import { registerSyncCommand } from './commands/sync';
import { registerUnlockCommand } from './commands/unlock';
import { registerValidateCommand } from './commands/validate';
import { registerWorkerCommand } from './commands/worker';

/** The `peakon-sync` command. Each subcommand lives in its own module and registers itself here. */
export function buildCli(): Command {
  const program = new Command('peakon-sync')
    .description('Keep Peakon in step with your HR system over SCIM 2.0, orchestrated by Temporal.')
    .showHelpAfterError();
  registerSyncCommand(program);
  registerStatusCommand(program);
  registerRunsCommand(program);
  registerCancelCommand(program);
  registerApprovalCommands(program);
  registerUnlockCommand(program);
  registerWorkerCommand(program);
  registerValidateCommand(program);
  registerDemoCommand(program);
  registerSandboxCommand(program);
  registerScheduleCommand(program);
  registerCodecServerCommand(program);
  registerServerCommand(program);
  return program;
}

/** Entry point used by bin/peakon-sync.js. */
export function main(argv: string[]): void {
  buildCli()
    .parseAsync(argv)
    .catch((error: unknown) => {
      process.stderr.write(`${errorText(error)}\n`);
      process.exitCode = 1;
    });
}

if (require.main === module) main(process.argv);
