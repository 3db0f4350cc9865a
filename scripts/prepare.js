#!/usr/bin/env node
/*
 * npm's `prepare` (run by `npm ci` and `npm install`): builds dist/ with TypeScript.
 *
 * TypeScript is a development dependency, so a production install (`npm ci --omit=dev`) has none. There the build must
 * already exist (built where the development dependencies were installed: `npm ci && npm run build`, then
 * `npm ci --omit=dev` or `npm prune --omit=dev`, as the Dockerfile does); without one, the install fails and says so,
 * instead of leaving a `peakon-sync` command that cannot start.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const projectRoot = path.resolve(__dirname, '..');

function log(message) {
  process.stderr.write(`[prepare] ${message}\n`);
}

function hasTypeScript() {
  try {
    require.resolve('typescript', { paths: [projectRoot] });
    return true;
  } catch {
    return false;
  }
}

function main() {
  if (hasTypeScript()) {
    // npm_execpath is the npm that runs this script; `npm run build` keeps package.json's build command the only one.
    const npm = process.env.npm_execpath;
    const build = npm
      ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: projectRoot, stdio: 'inherit' })
      : spawnSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'inherit', shell: process.platform === 'win32' });
    process.exitCode = build.status ?? 1;
    return;
  }
  if (fs.existsSync(path.join(projectRoot, 'dist', 'client', 'cli.js'))) {
    log('TypeScript is not installed (production install): using the dist/ already built');
    return;
  }
  log('dist/ is not built and TypeScript is not installed (npm ci --omit=dev): build first with `npm ci && npm run build`, then run `npm ci --omit=dev` or `npm prune --omit=dev`');
  process.exitCode = 1;
}

main();
