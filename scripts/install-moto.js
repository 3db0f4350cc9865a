#!/usr/bin/env node
/*
 * The S3-compatible server the payload-store tests run against (moto in server mode, from PyPI), installed into
 * .tools/moto the first time it is needed. jest's globalSetup calls it, so `npm test` runs the S3 tests on a fresh
 * clone too; .ci/run calls it as a step of its own, to fail loudly when the install does not work.
 *
 *   node scripts/install-moto.js     exits 1 when moto could not be installed
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

// Pinned: the version the S3 payload-store tests were last run against (a new moto may answer S3 differently).
const MOTO_REQUIREMENT = 'moto[server]==5.2.5';
const venv = path.resolve(__dirname, '..', '.tools', 'moto');
const motoServer = path.join(venv, 'bin', 'moto_server');

function log(message) {
  process.stderr.write(`[moto] ${message}\n`);
}

/** True when .tools/moto has a moto_server, installing it first if needed (a minute or so, once). */
function installMoto() {
  if (fs.existsSync(motoServer)) return true;
  const python = ['python3', 'python'].find((candidate) => spawnSync(candidate, ['--version']).status === 0);
  if (!python) {
    log('no python3: cannot install moto, the S3 payload-store tests will be skipped');
    return false;
  }
  log(`installing ${MOTO_REQUIREMENT} from PyPI into ${path.relative(process.cwd(), venv) || venv} (once)`);
  const created = spawnSync(python, ['-m', 'venv', venv], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 120000 });
  const pip = created.status === 0 && spawnSync(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', MOTO_REQUIREMENT], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 600000 });
  if (!pip || pip.status !== 0 || !fs.existsSync(motoServer)) {
    log('installing moto failed: the S3 payload-store tests will be skipped');
    return false;
  }
  return true;
}

module.exports = { installMoto, motoServer };

if (require.main === module) process.exitCode = installMoto() ? 0 : 1;
