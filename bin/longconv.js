#!/usr/bin/env node
'use strict';
Promise.resolve(require('../dist/cli/main').main(process.argv.slice(2))).then((code) => {
  process.exitCode = code;
});
