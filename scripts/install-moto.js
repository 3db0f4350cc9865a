#!/usr/bin/env node
/*
 * The S3-compatible server the payload-store tests run against (moto in server mode, from PyPI), installed into
 * .tools/moto the first time it is needed. jest's globalSetup calls it, so `npm test` runs the S3 tests on a fresh
 * clone too; .ci/run calls it as a step of its own, to fail loudly when the install does not work.
 *
 * A venv is reused only when its stamp file (written after a successful install) holds exactly MOTO_REQUIREMENT and
 * its python still imports moto: one installed before the version pin, left half-done, or whose base python is gone is
 * removed and installed again.
 *
 *   node scripts/install-moto.js     exits 1 when moto could not be installed
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// Pinned: the version the S3 payload-store tests were last run against (a new moto may answer S3 differently).
const MOTO_REQUIREMENT = 'moto[server]==5.2.5';
const defaultVenv = path.resolve(__dirname, '..', '.tools', 'moto');
const motoServer = path.join(defaultVenv, 'bin', 'moto_server');
/** In the venv: the requirement string(s) its last successful install was made for, one line. */
const STAMP_FILE = '.installed-requirements';
/** Beside the venv while one process installs it (jest runs and CI steps may start together). */
const LOCK_SUFFIX = '.installing';
/** A lock older than this is a dead installer's (pip itself is bounded by 600 s). */
const STALE_LOCK_MS = 15 * 60 * 1000;

function log(message) {
  process.stderr.write(`[moto] ${message}\n`);
}

/**
 * Why the venv at `venv` cannot be reused for `requirements` (strings, as pip takes them), or undefined when it can:
 * its stamp holds exactly those requirements and `bin/python -c 'import <module>'` runs.
 */
function staleVenvReason(venv, requirements, module) {
  if (!fs.existsSync(venv)) return 'not installed';
  let stamp;
  try {
    stamp = fs.readFileSync(path.join(venv, STAMP_FILE), 'utf8').trim();
  } catch {
    return `no ${STAMP_FILE} (installed before the version pin, or the install did not finish)`;
  }
  const wanted = requirements.join(' ');
  if (stamp !== wanted) return `installed for ${stamp || 'nothing'}, not ${wanted}`;
  const probe = spawnSync(path.join(venv, 'bin', 'python'), ['-c', `import ${module}`], { encoding: 'utf8', timeout: 60000 });
  if (probe.status !== 0) {
    const why = probe.error ? probe.error.message : (probe.stderr || '').trim().split('\n').pop() || `exit ${probe.status ?? probe.signal}`;
    return `its python cannot import ${module} (${why}; was its base python removed?)`;
  }
  return undefined;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `work` holding the lock folder beside `venv`; waits for another installer holding it, up to STALE_LOCK_MS. */
function withInstallLock(venv, work) {
  const lock = `${venv}${LOCK_SUFFIX}`;
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let age = 0;
      try {
        age = Date.now() - fs.statSync(lock).mtimeMs;
      } catch {
        continue; // released meanwhile
      }
      if (age > STALE_LOCK_MS) {
        log(`removing ${lock}, left by an installer that did not finish`);
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      sleep(1000);
    }
  }
  try {
    return work();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * True when `venv` (default .tools/moto) has a moto_server of MOTO_REQUIREMENT, installing it first if needed (a minute
 * or so, once).
 */
function installMoto(venv = defaultVenv) {
  const server = path.join(venv, 'bin', 'moto_server');
  const requirements = [MOTO_REQUIREMENT];
  if (staleVenvReason(venv, requirements, 'moto') === undefined && fs.existsSync(server)) return true;
  return withInstallLock(venv, () => {
    // Another process may have installed it while this one waited for the lock.
    const stale = staleVenvReason(venv, requirements, 'moto');
    if (stale === undefined && fs.existsSync(server)) return true;
    const python = ['python3', 'python'].find((candidate) => spawnSync(candidate, ['--version']).status === 0);
    if (!python) {
      log('no python3: cannot install moto, the S3 payload-store tests will be skipped');
      return false;
    }
    const where = path.relative(process.cwd(), venv) || venv;
    if (fs.existsSync(venv)) {
      log(`${where} is not reused: ${stale ?? 'it has no bin/moto_server'}; installing it again`);
      fs.rmSync(venv, { recursive: true, force: true });
    }
    log(`installing ${MOTO_REQUIREMENT} from PyPI into ${where} (once)`);
    const created = spawnSync(python, ['-m', 'venv', venv], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 120000 });
    const pip =
      created.status === 0 &&
      spawnSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...requirements], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600000 });
    if (!pip || pip.status !== 0 || !fs.existsSync(server)) {
      log('installing moto failed: the S3 payload-store tests will be skipped');
      return false;
    }
    fs.writeFileSync(path.join(venv, STAMP_FILE), `${requirements.join(' ')}\n`);
    return true;
  });
}

module.exports = { installMoto, motoServer, staleVenvReason, MOTO_REQUIREMENT, STAMP_FILE };

if (require.main === module) process.exitCode = installMoto() ? 0 : 1;
