// Timing helpers shared by the benchmark suites.
'use strict';
const { spawnSync } = require('child_process');

/** Median wall time in ms of fn over `reps` runs after `warmup` runs. */
function medianMs(fn, { reps = 7, warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/**
 * Runs a python peer script with a JSON argument and returns its JSON answer, or
 * { missing: reason } when python3 or numpy is not there.
 */
function pythonPeer(script, args) {
  const env = { ...process.env };
  // Set here for old OpenBLAS builds; they slow a current numpy, so the peer runs without them.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('python3', [script, JSON.stringify(args)], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) return { missing: `python3 not runnable (${r.error.code || r.error.message})` };
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop();
    return { missing: /No module named/.test(r.stderr) ? 'python3 has no numpy' : `peer failed: ${last}` };
  }
  return JSON.parse(r.stdout);
}

/** Prints rows (objects) as an aligned table. */
function printTable(title, rows) {
  console.log(`\n${title}`);
  if (!rows.length) return;
  const cols = Object.keys(rows[0]);
  const cell = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1)) : String(v ?? ''));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals) => vals.map((v, i) => v.padStart(widths[i])).join('  ');
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

module.exports = { medianMs, pythonPeer, printTable };
