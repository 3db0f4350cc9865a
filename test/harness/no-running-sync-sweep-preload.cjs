/**
 * Preloaded (NODE_OPTIONS --require) into a `peakon-sync worker` process started by a test: the worker's sweep of running
 * syncs (worker/running-syncs.ts sweepRunningSyncs, which polls their SCIM queues soon after start) never runs, so a test
 * can prove what else makes a fresh worker poll a tenant's SCIM queue. Says on stderr that it took effect.
 */
/* global require, __dirname, process */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS preload, run by node before the worker's own code */
const path = require('node:path');

const runningSyncs = require(path.resolve(__dirname, '../../dist/worker/running-syncs.js'));
if (typeof runningSyncs.sweepRunningSyncs !== 'function') throw new Error('no-running-sync-sweep: dist/worker/running-syncs.js exports no sweepRunningSyncs');
runningSyncs.sweepRunningSyncs = () => {
  process.stderr.write('test preload: the running-sync sweep is disabled\n');
  return () => undefined;
};
