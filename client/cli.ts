#!/usr/bin/env node
import { Command } from 'commander';

/** The `peakon-sync` command. Each subcommand lives in its own module and registers itself here. */
export function buildCli(): Command {
  const program = new Command('peakon-sync')
    .description('Keep Peakon in step with your HR system over SCIM 2.0, orchestrated by Temporal.')
    .showHelpAfterError();
  return program;
}

if (require.main === module || process.argv[1]?.endsWith('peakon-sync.js')) {
  buildCli()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
