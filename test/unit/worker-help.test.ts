import { Command } from 'commander';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { registerWorkerCommand } from '../../client/commands/worker';
import { CODEC_SERVER_TOKEN_VARIABLE, ENCRYPTION_ENVIRONMENT_VARIABLES } from '../../codec/keys';
import { STORAGE_ENVIRONMENT_VARIABLES } from '../../storage/from-env';
import { WORKER_ENVIRONMENT_VARIABLES } from '../../worker/environment';

const ROOT = path.resolve(__dirname, '../..');
/** Code a worker process runs; the CLI-only commands (client/) and the codec server's token are not the worker's. */
const WORKER_CODE = ['worker', 'storage', 'codec', 'config', 'metrics', 'ownership', 'activities', 'hris', 'scim'];

function sourceFiles(directory: string): string[] {
  const absolute = path.join(ROOT, directory);
  try {
    statSync(absolute);
  } catch {
    return [];
  }
  return readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(absolute, name));
}

/** Every PEAKON_SYNC_* name the worker's code spells out (a prefix such as `PEAKON_SYNC_ENCRYPTION_` is not a name). */
function variablesInWorkerCode(): string[] {
  const names = new Set<string>();
  for (const file of WORKER_CODE.flatMap(sourceFiles)) {
    for (const match of readFileSync(file, 'utf8').matchAll(/PEAKON_SYNC_[A-Z0-9_]*[A-Z0-9]\b/g)) names.add(match[0]);
  }
  return [...names].filter((name) => !name.startsWith(CODEC_SERVER_TOKEN_VARIABLE)).sort();
}

function workerHelp(): string {
  const program = new Command('peakon-sync');
  registerWorkerCommand(program);
  const worker = program.commands.find((command) => command.name() === 'worker');
  if (!worker) throw new Error('no worker command');
  let output = '';
  worker.configureOutput({ writeOut: (text) => (output += text) });
  worker.outputHelp();
  return output;
}

describe('peakon-sync worker --help', () => {
  it('names every environment variable the worker reads, from the modules that read them', () => {
    const help = workerHelp();
    const expected = [
      ...WORKER_ENVIRONMENT_VARIABLES,
      ...ENCRYPTION_ENVIRONMENT_VARIABLES.filter((name) => !name.startsWith(CODEC_SERVER_TOKEN_VARIABLE)),
      ...STORAGE_ENVIRONMENT_VARIABLES,
      ...variablesInWorkerCode(),
      'PEAKON_SYNC_METRICS_ADDRESS',
      'PEAKON_TOKEN',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'TEMPORAL_API_KEY',
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      // Every Temporal variable docs/deploy.md tells operators to set (its table names some beside a `TEMPORAL_TLS_*`).
      ...[...readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8').matchAll(/`(TEMPORAL_[A-Z_]*[A-Z])`/g)].map((match) => match[1] as string).filter((name) => name !== 'TEMPORAL_CLI_PATH'), // that one is `server`'s
    ];
    const missing = [...new Set(expected)].filter((name) => !new RegExp(`\\b${name}\\b`).test(help));
    expect(missing).toEqual([]);
    // The codec server's token belongs to `codec-server`: listing it would send operators looking for it on workers.
    expect(help).not.toContain(CODEC_SERVER_TOKEN_VARIABLE);
  });

  it('shows the defaults the worker applies', () => {
    const help = workerHelp();
    expect(help).toContain('TEMPORAL_ADDRESS (default localhost:7233)');
    expect(help).toContain('PEAKON_SYNC_TASK_QUEUE (default peakon-sync)');
    expect(help).toContain('PEAKON_SYNC_SHUTDOWN_GRACE_MS (default 30000)');
    expect(help).toContain('PEAKON_SYNC_RETENTION_DAYS (default 30)');
    expect(help).toContain('PEAKON_SYNC_PLAN_CONCURRENCY (default 2)');
    expect(help).toMatch(/PEAKON_TOKEN: the Peakon SCIM token/);
  });
});
