// The examples' command-line flags, read with Node's util.parseArgs: `--kebab-name value` for
// each key of `defaults` (keyName ↔ --key-name); a number default takes a number, a boolean
// default is a switch, any other default a string. An unknown flag, a missing value or a
// number that is not one prints the flags and exits with status 2.
'use strict';
const { parseArgs } = require('util');

const kebab = (key) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function parseFlags(argv, defaults) {
  const keys = Object.keys(defaults);
  const usage = () => keys.map((k) => `--${kebab(k)}${typeof defaults[k] === 'boolean' ? '' : ` ${typeof defaults[k] === 'number' ? 'N' : 'VALUE'}`}`).join(' ');
  const fail = (why) => {
    console.error(`${why} (flags: ${usage()})`);
    process.exit(2);
  };
  let values;
  try {
    const options = Object.fromEntries(keys.map((k) => [kebab(k), { type: typeof defaults[k] === 'boolean' ? 'boolean' : 'string' }]));
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (e) {
    fail(e.message);
  }
  const opts = { ...defaults };
  for (const k of keys) {
    const v = values[kebab(k)];
    if (v === undefined) continue;
    if (typeof defaults[k] === 'number' && !Number.isFinite(Number(v))) fail(`--${kebab(k)}: expected a number, got '${v}'`);
    opts[k] = typeof defaults[k] === 'number' ? Number(v) : v;
  }
  return opts;
}

module.exports = { parseFlags };
