#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm ci` through the `prepare` script).
require('../dist/client/cli.js').main(process.argv);
