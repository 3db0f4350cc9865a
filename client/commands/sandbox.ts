import type { Command } from 'commander';
import { z } from 'zod';
import { loadDevelopmentModule } from '../../devserver/development-dependencies';
import type { FaultSettingsInput } from '../../sandbox';

/**
 * The sandbox (an express server) is part of the test bench, a development dependency: only the commands that serve it
 * load it, so every other command runs from a production install (`npm ci --omit=dev`).
 */
export function loadSandbox(command: string): Promise<typeof import('../../sandbox')> {
  return loadDevelopmentModule(command, () => import('../../sandbox'));
}

const SandboxCommandOptionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535),
  host: z.string().min(1),
  token: z.string().min(1).optional(),
  schema: z.string().min(1).optional(),
  quotaPerHour: z.coerce.number().int().positive().optional(),
  pageSizeCap: z.coerce.number().int().positive().optional(),
  putKeepsOmitted: z.boolean().optional(),
  acceptPeakonIdAsManager: z.boolean().optional(),
  relaxUsernameRules: z.boolean().optional(),
  anyFilter: z.boolean().optional(),
  seed: z.coerce.number().int().optional(),
  faultRate: z.coerce.number().min(0).max(1).optional(),
  latencyMs: z.coerce.number().int().min(0).optional(),
  hangRate: z.coerce.number().min(0).max(1).optional(),
  hangMs: z.coerce.number().int().min(0).optional(),
  commitThenFailRate: z.coerce.number().min(0).max(1).optional(),
  commitThenGarbleRate: z.coerce.number().min(0).max(1).optional(),
  commitThenCutRate: z.coerce.number().min(0).max(1).optional(),
  truncateListings: z.coerce.number().min(0).max(1).optional(),
});
type SandboxCommandOptions = z.infer<typeof SandboxCommandOptionsSchema>;

/**
 * `peakon-sync sandbox --port 8088 --token <token> [...]`: serves a local Peakon-compatible SCIM tenant until
 * SIGINT/SIGTERM. The token may come from PEAKON_TOKEN instead, so it stays out of the process list.
 */
export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('serve a local Peakon-compatible SCIM 2.0 tenant (in memory) for development, tests and demos')
    .option('-p, --port <port>', 'port to listen on (0 = any free port)', '8088')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('-t, --token <token>', 'bearer token clients must send (default: $PEAKON_TOKEN)')
    .option('-s, --schema <file>', 'tenant attribute schema, JSON or YAML (default: Gender, Team, Manager, Date of Birth, ...)')
    .option('--quota-per-hour <n>', 'hourly operation budget (default 25000)')
    .option('--page-size-cap <n>', 'largest page GET /Users returns (default 100)')
    .option('--put-keeps-omitted', 'PUT keeps attributes the body omits (default: PUT clears them)')
    .option('--accept-peakon-id-as-manager', 'employee attributes also accept an existing user id, not only an email')
    .option('--relax-username-rules', 'NOT Peakon behaviour: accept any userName (for generic SCIM conformance checkers)')
    .option('--any-filter', 'NOT Peakon behaviour: answer any SCIM filter, not only eq on the attributes Peakon documents (for generic SCIM conformance checkers)')
    .option('--seed <n>', 'seed of the fault sequence (default 1)')
    .option('--fault-rate <r>', 'share of SCIM requests answered 500/503 unapplied (0..1)')
    .option('--latency-ms <n>', 'latency added to every SCIM request')
    .option('--hang-rate <r>', 'share of SCIM requests that hang for --hang-ms (0..1)')
    .option('--hang-ms <n>', 'how long a hanging request hangs (default 30000)')
    .option('--commit-then-fail-rate <r>', 'share of writes applied but answered 500/503 (0..1)')
    .option('--commit-then-garble-rate <r>', 'share of writes applied and answered 2xx with a body that is not a SCIM user (0..1)')
    .option('--commit-then-cut-rate <r>', 'share of writes applied and answered 2xx whose connection closes halfway through the body (0..1)')
    .option('--truncate-listings <r>', 'share of list pages that lose Resources while totalResults stays (0..1)')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = SandboxCommandOptionsSchema.safeParse(raw);
      if (!parsed.success) {
        throw new Error(`invalid sandbox options: ${parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      }
      await serveUntilSignalled(parsed.data);
    });
}

async function serveUntilSignalled(options: SandboxCommandOptions): Promise<void> {
  const { loadTenantSchemaFile, startSandbox } = await loadSandbox('sandbox');
  const token = options.token ?? process.env.PEAKON_TOKEN;
  if (!token) throw new Error('a bearer token is required: pass --token or set PEAKON_TOKEN');
  const sandbox = await startSandbox({
    token,
    port: options.port,
    host: options.host,
    ...(options.schema ? { schema: await loadTenantSchemaFile(options.schema) } : {}),
    ...(options.quotaPerHour ? { quotaPerHour: options.quotaPerHour } : {}),
    ...(options.pageSizeCap ? { pageSizeCap: options.pageSizeCap } : {}),
    putClearsOmitted: !options.putKeepsOmitted,
    acceptPeakonIdAsManager: options.acceptPeakonIdAsManager ?? false,
    relaxUserNameRules: options.relaxUsernameRules ?? false,
    anyFilter: options.anyFilter ?? false,
    faults: faultSettings(options),
  });
  process.stdout.write(`Peakon sandbox listening on ${sandbox.baseUrl}\n`);
  process.stdout.write(`Admin surface: ${sandbox.origin}/_sandbox/{users,ops,counters,faults,reset} (same bearer token)\n`);

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stdout.write(`${signal}: stopping the sandbox\n`);
      sandbox.close().then(resolve, (error: unknown) => {
        process.stderr.write(`error while stopping: ${error instanceof Error ? error.message : String(error)}\n`);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function faultSettings(options: SandboxCommandOptions): FaultSettingsInput {
  const settings: FaultSettingsInput = {};
  if (options.seed !== undefined) settings.seed = options.seed;
  if (options.faultRate !== undefined) settings.faultRate = options.faultRate;
  if (options.latencyMs !== undefined) settings.latencyMs = options.latencyMs;
  if (options.hangRate !== undefined) settings.hangRate = options.hangRate;
  if (options.hangMs !== undefined) settings.hangMs = options.hangMs;
  if (options.commitThenFailRate !== undefined) settings.commitThenFailRate = options.commitThenFailRate;
  if (options.commitThenGarbleRate !== undefined) settings.commitThenGarbleRate = options.commitThenGarbleRate;
  if (options.commitThenCutRate !== undefined) settings.commitThenCutRate = options.commitThenCutRate;
  if (options.truncateListings !== undefined) settings.truncateListings = options.truncateListings;
  return settings;
}
