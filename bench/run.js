#!/usr/bin/env node
// npm run bench -- [SUITE...] [flags]: `longconv bench` (lib/bench, the same code as the CLI)
// with its results kept here: bench/<device>-<suite>.json per suite and bench/RESULTS.md,
// regenerated from every such JSON file in bench/. `npm run bench -- --regenerate` only
// rewrites RESULTS.md from the JSON files. Uses the compiled package: npm run build:ts first.
'use strict';
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--regenerate') {
  require('../dist/bench').writeResultsMarkdown(__dirname);
} else {
  const out = args.includes('--out') ? [] : ['--out', __dirname];
  Promise.resolve(require('../dist/cli/main').main(['bench', ...args, ...out])).then((code) => {
    process.exitCode = code;
  });
}
