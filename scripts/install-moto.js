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
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// Pinned: the version the S3 payload-store tests were last run against (a new moto may answer S3 differently).
const MOTO_REQUIREMENT = 'moto[server]==5.2.5';
const defaultVenv = path.resolve(__dirname, '..', '.tools', 'moto');
const motoServer = path.join(defaultVenv, 'bin', 'moto_server');
/** In the venv: the requirement string(s) its last successful install was made for, one line. */
const STAMP_FILE = '.installed-requirements';
/** Beside the venv while one process installs it (jest runs and CI steps may start together). */
const LOCK_SUFFIX = '.installing';
/** In the lock folder: the installer holding it, { pid, host, token } (JSON). */
const LOCK_OWNER_FILE = 'owner.json';
/** A lock older than this is a dead installer's (pip itself is bounded by 600 s): for one whose PID cannot be checked. */
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

/** Runs `work` holding the lock folder beside `venv`; waits for another installer holding it (see waitOrTakeOver). */
function withInstallLock(venv, work) {
  const lock = `${venv}${LOCK_SUFFIX}`;
  const me = { pid: process.pid, host: thisHost(), token: crypto.randomUUID() };
  fs.mkdirSync(path.dirname(venv), { recursive: true });
  const waited = new Set();
  for (;;) {
    try {
      fs.mkdirSync(lock);
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      waitOrTakeOver(lock, waited);
      continue;
    }
    fs.writeFileSync(path.join(lock, LOCK_OWNER_FILE), `${JSON.stringify(me)}\n`);
    break;
  }
  try {
    return work();
  } finally {
    // Only its own: a lock removed as stale (older than STALE_LOCK_MS) and made anew by another installer is that one's.
    if (lockOwner(lock)?.token === me.token) fs.rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Where a PID means this process table: the host name, plus the PID namespace where Linux tells it (two containers
 * sharing this folder may share a host name, each with its own PIDs: a live installer's PID would look gone).
 */
function thisHost() {
  let namespace = '';
  try {
    namespace = fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    // Not Linux, or no /proc: the host name alone.
  }
  return namespace ? `${os.hostname()} (${namespace})` : os.hostname();
}

/** The installer recorded in `lock` ({ pid, host, token }), or undefined when it names none (yet). */
function lockOwner(lock) {
  try {
    const owner = JSON.parse(fs.readFileSync(path.join(lock, LOCK_OWNER_FILE), 'utf8'));
    return Number.isInteger(owner.pid) && owner.pid > 0 && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` runs on this host (EPERM: it does, as another user). */
function processRuns(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code !== 'ESRCH';
  }
}

/**
 * One look at a lock another process holds. Its installer, killed before it could remove it (Ctrl-C, a CI timeout),
 * is taken over at once when it ran on this host and its PID is gone; a lock of a live installer (or of another host,
 * or one naming no installer: made by an install-moto.js from before the PID was recorded) is waited for, with one log
 * line per installer, and removed when STALE_LOCK_MS old.
 */
function waitOrTakeOver(lock, waited) {
  let age;
  try {
    age = Date.now() - fs.statSync(lock).mtimeMs;
  } catch {
    return; // released meanwhile
  }
  const owner = lockOwner(lock);
  // Written right after the folder is made: a lock with no owner for a moment is one being taken.
  if (owner === undefined && age < 5000) {
    sleep(100);
    return;
  }
  const here = owner !== undefined && owner.host === thisHost();
  if (here && !processRuns(owner.pid)) {
    log(`taking over ${lock}: the installer that made it (PID ${owner.pid}) is not running any more`);
    removeLock(lock, owner);
    return;
  }
  if (age > STALE_LOCK_MS) {
    log(`removing ${lock}, left by an installer that did not finish within ${STALE_LOCK_MS / 60000} minutes`);
    removeLock(lock, owner);
    return;
  }
  const key = owner ? `${owner.pid}@${owner.host}` : '';
  if (!waited.has(key)) {
    waited.add(key);
    const minutesLeft = Math.ceil((STALE_LOCK_MS - age) / 60000);
    log(
      owner
        ? `waiting for the moto install of PID ${owner.pid}${here ? '' : ` on ${owner.host}`} to finish (it holds ${lock})`
        : `waiting for ${lock}, which names no installer (left by an older install-moto.js?): it is removed in ${minutesLeft} minute(s), or remove it yourself if no install runs`,
    );
  }
  sleep(1000);
}

/**
 * Removes `lock` when it still is the one `owner` made: moved aside first (one process wins the move), then removed if
 * what was moved names that owner; a lock another process took meanwhile is put back.
 */
function removeLock(lock, owner) {
  const aside = `${lock}.removing-${process.pid}-${crypto.randomUUID()}`;
  try {
    fs.renameSync(lock, aside);
  } catch {
    return; // another waiter moved or removed it first
  }
  if (lockOwner(aside)?.token !== owner?.token) {
    try {
      fs.renameSync(aside, lock);
      return;
    } catch {
      // A new lock is in place already: the moved one goes, its installer finds it gone and leaves the new one.
    }
  }
  fs.rmSync(aside, { recursive: true, force: true });
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

module.exports = { installMoto, motoServer, staleVenvReason, thisHost, MOTO_REQUIREMENT, STAMP_FILE };

if (require.main === module) process.exitCode = installMoto() ? 0 : 1;
