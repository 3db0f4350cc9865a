import type { Command } from 'commander';
import { loadConfigFile } from '../../config/load';
import { createSourceForConfig } from '../../hris';
import { readAllRecords } from '../../hris/source';
import { mapEmployees } from '../../mapping/map';
import { formatMappingReport, summarizeMapping } from '../../mapping/summary';

interface ValidateOptions {
  config: string;
  json?: boolean;
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
    .action(async (options: ValidateOptions) => {
      const config = loadConfigFile(options.config);
      const source = createSourceForConfig(config);
      const report = mapEmployees(await readAllRecords(source), config);
      if (options.json) {
        const warnings = report.employees.flatMap((employee) =>
          employee.warnings.map((message) => ({ recordRef: employee.recordRef, employeeKey: employee.employeeKey, message })),
        );
        process.stdout.write(`${JSON.stringify({ source: source.description, summary: summarizeMapping(report), problems: report.problems, warnings }, null, 2)}\n`);
      } else {
        process.stdout.write(`${source.description}\n${formatMappingReport(report)}`);
      }
      if (report.problems.length > 0) process.exitCode = 1;
    });
}
