#!/usr/bin/env node
// npm run bench -- <suite...>: runs benchmark suites, prints a table per suite and writes
// bench/results/<suite>-<timestamp>.json. Each suite measures longconv side by side with a
// peer in the same run. Uses the compiled package (dist/), so run `npm run build:ts` first.
'use strict';
const fs = require('fs');
const path = require('path');

const suites = {
  fftconv: require('./fftconv'),
  kernels: require('./kernels'),
  training: require('./training'),
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = names.filter((n) => !suites[n]);
if (unknown.length) {
  console.error(`bench: unknown suite ${unknown.join(', ')} (choose from ${Object.keys(suites).join(', ')})`);
  process.exit(2);
}
const quick = process.argv.includes('--quick');

const outDir = path.join(__dirname, 'results');
fs.mkdirSync(outDir, { recursive: true });
for (const name of names.length ? names : Object.keys(suites)) {
  const result = suites[name].run({ quick });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = path.join(outDir, `${name}-${stamp}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
}
