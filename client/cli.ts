#!/usr/bin/env node
import { Command } from 'commander';
import { registerApprovalCommands } from './commands/approve';
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

/** How many causes deep {@link cliErrorText} reads (a cause chain could loop, or be long). */
const MAX_CAUSES = 5;

/**
 * The line the CLI prints for a command's error: its message, then the message of each error in its `cause` chain not
 * already in the text, joined by `: `. The Temporal SDK's ServiceError says only what it tried ("Failed to create
 * schedule"); why (`7 PERMISSION_DENIED: …`, `14 UNAVAILABLE: …`, a deadline) is in its cause, the gRPC error.
 *
 * Only `message` is read, of the error and of causes that are Errors: never a gRPC error's `metadata` (the server's
 * trailers) or `details` beyond what its message holds, nor anything of the request (its metadata carries the
 * Temporal API key); the gRPC message is the server's status text, which names no credential this CLI sent.
 */
export function cliErrorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let text = error.message;
  const seen = new Set<unknown>([error]);
  let cause: unknown = error.cause;
  for (let depth = 0; depth < MAX_CAUSES && cause instanceof Error && !seen.has(cause); depth += 1) {
    seen.add(cause);
    const message = cause.message.trim();
    // A message that already quotes its cause (`cannot reach Temporal at …: <cause>`) is not repeated.
    if (message !== '' && !text.includes(message)) text = text === '' ? message : `${text}: ${message}`;
    cause = cause.cause;
  }
  return text;
}

/** Entry point used by bin/peakon-sync.js. */
export function main(argv: string[]): void {
  buildCli()
    .parseAsync(argv)
    .catch((error: unknown) => {
      process.stderr.write(`${cliErrorText(error)}\n`);
      process.exitCode = 1;
    });
}

if (require.main === module) main(process.argv);
