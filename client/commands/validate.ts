import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load';
import type { ConnectorConfig } from '../../config/schema';
import { resolveSecret, SecretPolicyError } from '../../config/secret';
import { ScimClient } from '../../scim/client';
import { preflightMapping } from '../../sync/preflight';
import { createSourceForConfig } from '../../hris';
import { readAllRecords } from '../../hris/source';
import { mapEmployees } from '../../mapping/map';
import { formatMappingReport, summarizeMapping } from '../../mapping/summary';

interface ValidateOptions {
  config: string;
  json?: boolean;
  preflight: boolean;
}

/** Reads only `GET /Schemas/…`: validate never writes to Peakon. */
async function runPreflight(config: ConnectorConfig): Promise<{ checked: boolean; problems: string[]; note?: string }> {
  let token: string;
  try {
    token = resolveSecret(config.peakon.token, { url: config.peakon.baseUrl });
  } catch (error) {
    // A refusal by the secret policy (token not bound to the URL's host, plain http) is a problem to fix, not a skip.
    if (error instanceof SecretPolicyError) return { checked: false, problems: [`preflight refused: ${error.message}`] };
    return { checked: false, problems: [], note: `preflight skipped: ${error instanceof Error ? error.message : String(error)}` };
  }
  const scim = new ScimClient({ baseUrl: config.peakon.baseUrl, token, timeoutMs: config.peakon.timeoutMs });
  return { checked: true, problems: await preflightMapping(scim, config.mapping) };
}

/**
 * `peakon-sync validate --config <file> [--json]`: reads the HR source, maps and validates every record, writes nothing.
 * Exit code 1 when any record has a problem (warnings alone pass), so it can gate a deployment or a CI job.
 */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('read the HR source, map and validate every record, and report problems (writes nothing to Peakon)')
    .requiredOption('-c, --config <file>', 'connector config file (YAML or JSON)')
    .option('--json', 'print the summary, problems and warnings as JSON')
    .option('--no-preflight', 'skip reading the tenant\'s Peakon attribute schema')
    .action(async (options: ValidateOptions) => {
      const config = loadConfigFile(options.config);
      const source = createSourceForConfig(config);
      const report = mapEmployees(await readAllRecords(source), config);
      const preflight = options.preflight ? await runPreflight(config) : { checked: false, problems: [], note: 'preflight skipped (--no-preflight)' };
      if (options.json) {
        const warnings = report.employees.flatMap((employee) =>
          employee.warnings.map((message) => ({ recordRef: employee.recordRef, employeeKey: employee.employeeKey, message })),
        );
        process.stdout.write(`${JSON.stringify({ source: source.description, summary: summarizeMapping(report), problems: report.problems, warnings, preflight }, null, 2)}\n`);
      } else {
        process.stdout.write(`${source.description}\n${formatMappingReport(report)}`);
        if (preflight.note) process.stdout.write(`${preflight.note}\n`);
        else if (preflight.problems.length === 0) process.stdout.write(`preflight: every mapped Peakon attribute exists in the tenant with a compatible type\n`);
        else process.stdout.write(`preflight: the mapping does not fit the tenant's Peakon attributes:\n${preflight.problems.map((problem) => `  - ${problem}`).join('\n')}\n`);
      }
      if (report.problems.length > 0 || preflight.problems.length > 0) process.exitCode = 1;
    });
}
