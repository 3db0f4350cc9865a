import type { Command } from 'commander';
import { checkGuardTimeoutFitsRetention } from '../../config/guard-retention';
import { ConfigError, loadConfigFile } from '../../config/load';
import { leaversSettings, type ConnectorConfig } from '../../config/schema';
import { describeSecretRef, resolveSecret, SecretError, SecretPolicyError } from '../../config/secret';
import { ScimClient } from '../../scim/client';
import { ScimAuthenticationError, ScimError } from '../../scim/errors';
import { preflightMapping } from '../../sync/preflight';
import { createSourceForConfig } from '../../hris';
import { readAllRecords } from '../../hris/source';
import type { RecordProblem } from '../../mapping/employee';
import { mapEmployees } from '../../mapping/map';
import { formatMappingReport, summarizeMapping } from '../../mapping/summary';
import { egressProxyFromEnv, PROXY_VARIABLE } from '../../net/egress-proxy';
import { storageConfigFromEnv } from '../../storage/from-env';

interface ValidateOptions {
  config: string;
  json?: boolean;
  preflight: boolean;
}

interface PreflightResult {
  /** Whether the tenant's schema was read. */
  checked: boolean;
  problems: string[];
  /** Why the preflight did not run, when that is not a problem (--no-preflight). */
  note?: string;
}

/**
 * The worker's refusals (HR file outside PEAKON_SYNC_DATA_DIR, a secret not bound by PEAKON_SYNC_SECRET_HOSTS, a guard
 * timeout past PEAKON_SYNC_RETENTION_DAYS) say to change a variable "on the worker"; validate applies the same rules
 * with its own environment, so an operator who did exactly that would still see the refusal here without this note.
 */
const HERE_TOO = "validate applies the worker's rule with this shell's environment: set it here too to check";

/** A worker's refusal of the config (a ConfigError), with HERE_TOO: validate applied it with this shell's variables. */
function withHereToo(error: unknown): unknown {
  return error instanceof ConfigError ? new ConfigError(`${error.message} (${HERE_TOO})`) : error;
}

/** The token the worker will send, checked here too: a sync started without it fails only once a worker plans it. */
function peakonToken(config: ConnectorConfig): { token: string } | { problem: string } {
  try {
    return { token: resolveSecret(config.peakon.token, { url: config.peakon.baseUrl, field: 'peakon.token' }) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A refusal by the secret policy (token not bound to the URL's host, plain http) fails the worker the same way.
    if (error instanceof SecretPolicyError) return { problem: `preflight refused: ${message} (${HERE_TOO})` };
    if (error instanceof SecretError) {
      return {
        problem:
          `peakon.token: ${message}. The worker reads this secret to call Peakon (the CLI that starts a sync does not), ` +
          `so every sync of this config would fail: set ${describeSecretRef(config.peakon.token)} where the worker runs, and here to check it ` +
          '(or pass --no-preflight to check only the config and the HR data)',
      };
    }
    throw error;
  }
}

/** Reads only `GET /Schemas/…`: validate never writes to Peakon. */
async function runPreflight(config: ConnectorConfig): Promise<PreflightResult> {
  const secret = peakonToken(config);
  if ('problem' in secret) return { checked: false, problems: [secret.problem] };
  try {
    // Inside the try: a token the client refuses (two lines) is a problem of the config, reported like the others.
    const scim = new ScimClient({ baseUrl: config.peakon.baseUrl, token: secret.token, timeoutMs: config.peakon.timeoutMs });
    return { checked: true, problems: await preflightMapping(scim, config.mapping, leaversSettings(config)) };
  } catch (error) {
    if (error instanceof ConfigError) return { checked: false, problems: [error.message] };
    // A refused token, an unreachable or wrong base URL: a problem of the config like any other, printed after the HR
    // read's summary and naming the setting to look at, instead of ending the command with the bare HTTP line.
    // The egress proxy refused, could not reach Peakon, or could not be reached: its setting, not Peakon's, to look at.
    if (error instanceof ScimError && error.networkCode?.startsWith('EPROXY') === true) return { checked: false, problems: [`${PROXY_VARIABLE}: ${error.message}`] };
    if (error instanceof ScimAuthenticationError) {
      return { checked: false, problems: [`peakon.token: Peakon refused the token (${error.message}); create a new SCIM token in Peakon and give it to the worker`] };
    }
    // A 429, a 5xx or no answer at all may pass (Peakon busy or down), or be a wrong host: say both, not only the URL.
    if (error instanceof ScimError && error.retryable) {
      return { checked: false, problems: [`peakon.baseUrl: Peakon at ${config.peakon.baseUrl} did not answer the schema read (${error.message}); it may be busy or down (try again later), or the URL or the network is wrong`] };
    }
    if (error instanceof ScimError) {
      return { checked: false, problems: [`peakon.baseUrl: cannot read the tenant's schema at ${config.peakon.baseUrl} (${error.message}); check the tenant's "SCIM 2.0 URL"`] };
    }
    throw error;
  }
}

function formatPreflight(preflight: PreflightResult): string {
  if (preflight.note) return `${preflight.note}\n`;
  const list = preflight.problems.map((problem) => `  - ${problem}`).join('\n');
  if (!preflight.checked) return `preflight: cannot check the tenant:\n${list}\n`;
  if (preflight.problems.length === 0) return 'preflight: every mapped Peakon attribute exists in the tenant with a compatible type\n';
  return `preflight: the mapping (or leavers.separation) does not fit the tenant's Peakon attributes:\n${list}\n`;
}

/**
 * `peakon-sync validate --config <file> [--json] [--no-preflight]`: reads the HR source, maps and validates every record,
 * resolves the Peakon token as the worker will and reads the tenant's schema; writes nothing. Exit code 1 when any record
 * has a problem or the token is missing (warnings alone pass), so it can gate a deployment or a CI job.
 */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      "read the HR source, map and validate every record, check the Peakon token the worker will use and the tenant's attribute schema, and report problems (writes nothing to Peakon). " +
        'Exits 1 on any problem, a missing token included, unless --no-preflight',
    )
    .requiredOption('-c, --config <file>', 'connector config file (YAML or JSON)')
    .option('--json', 'print the summary, problems and warnings as JSON')
    .option('--no-preflight', "skip the checks against Peakon: the token secret (peakon.token) and the tenant's attribute schema; for a machine without the worker's secrets")
    .action(async (options: ValidateOptions) => {
      const config = loadConfigFile(options.config);
      // As the plan does before it reads anything: a guard that may wait past the workers' payload retention fails
      // every whole-tenant run, which the schema's own maximum cannot see (PEAKON_SYNC_RETENTION_DAYS under 6 days).
      try {
        checkGuardTimeoutFitsRetention(config, storageConfigFromEnv().retentionDays);
      } catch (error) {
        throw withHereToo(error);
      }
      // A malformed PEAKON_SYNC_PROXY stops here with its own message, not as a failed request later.
      egressProxyFromEnv();
      const source = createSourceForConfig(config);
      // As the sync's plan does: a record the source could not read (a CSV row with a stray delimiter) is a problem of
      // that record, listed with the others, not a failed read that hides the rest of the check.
      const readProblems: RecordProblem[] = [];
      const records = await readAllRecords(source, { onProblem: (problem) => readProblems.push(problem) }).catch((error: unknown) => {
        throw withHereToo(error);
      });
      const report = mapEmployees(records, config, readProblems);
      const preflight = options.preflight ? await runPreflight(config) : { checked: false, problems: [], note: 'preflight skipped (--no-preflight): neither the Peakon token nor the tenant\'s attribute schema was checked' };
      if (options.json) {
        const warnings = report.employees.flatMap((employee) =>
          employee.warnings.map((message) => ({ recordRef: employee.recordRef, employeeKey: employee.employeeKey, message })),
        );
        process.stdout.write(`${JSON.stringify({ source: source.description, summary: summarizeMapping(report), problems: report.problems, warnings, preflight }, null, 2)}\n`);
      } else {
        process.stdout.write(`${source.description}\n${formatMappingReport(report)}${formatPreflight(preflight)}`);
      }
      if (report.problems.length > 0 || preflight.problems.length > 0) process.exitCode = 1;
    });
}
