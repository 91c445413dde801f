#!/usr/bin/env node
// Property-based fuzzing (fast-check) of every exported op, creation function and constructor
// of the built package (dist/), in a process of its own: test/fuzz.test.ts runs it under
// `ulimit -v 4 GiB` with a fixed seed (CI), `npm run test:fuzz` with a new seed and many more
// cases. The memory limit turns a valid but huge request (a kernel of length 2^31) into the
// library's ERR_LONGCONV_OUT_OF_MEMORY instead of a machine paging to death.
//
// Properties:
//   1. any arguments at all (wrong types, shapes, devices, options, NaN, huge sizes, disposed
//      tensors...): the call returns, or throws a TypeError or RangeError, or an Error with a
//      documented code (ERR_LONGCONV_*, or a file-system code for io) — never a plain Error, a
//      crash or a hang — and leaves no tensor and no native byte behind;
//   2. valid calls of the ops with simple semantics (elementwise with broadcasting, reductions,
//      permutations, FFTs, fftConv, matmul) on random shapes and values match float64
//      references.
// Run with --expose-gc (constructors that throw half-way are checked after a collection).
// Environment: LONGCONV_FUZZ_SEED (a number, or 'random'; default fixed), LONGCONV_FUZZ_RUNS
// (cases per property, default 40). Prints each failure with its seed and shrunk
// counterexample, then one summary line (JSON); exits 1 when a property failed.
'use strict';
const fc = require('fast-check');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const lc = require('..');
if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');

const seedSetting = process.env.LONGCONV_FUZZ_SEED || '20241129';
const SEED = seedSetting === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(seedSetting);
const RUNS = Number(process.env.LONGCONV_FUZZ_RUNS || 40);
const params = { seed: SEED, numRuns: RUNS, endOnFailure: true };
const stats = { calls: 0, refused: 0, properties: 0, failed: [] };

// ---- arbitrary arguments ----

const dim = fc.integer({ min: 0, max: 5 });
const shapeArb = fc.array(dim, { maxLength: 4 });

/** Seeded values in [-1, 1) (or [0.5, 1.5) when positive), as float32. */
function randomValues(n, seed, positive = false) {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    return positive ? 0.5 + u : 2 * u - 1;
  });
}

// A live CPU tensor of a random small shape: values from a seed, sometimes a NaN or infinity.
const tensorArb = fc
  .record({ shape: shapeArb, seed: fc.integer(), special: fc.constantFrom(null, NaN, Infinity, -Infinity, 1e30), grad: fc.boolean() })
  .map((t) => ({ kind: 'tensor', ...t }));

const junkConstants = [
  undefined, null, NaN, Infinity, -Infinity, -1, 0, 1, 2, 3, 7, 1.5, -0, 2 ** 31, 2 ** 32 + 2, 2 ** 53, -(2 ** 53), 1e300,
  '', '1', 'cpu', 'cuda', 'auto', 'gpu', 'mean', 'zoh', true, false, {}, [], [1, 2], [[1], [2, 3]], [2, -1], [0], [3, 4],
  [1, 2, 3], ['a'], () => 1, Symbol('x'), 10n, new Float32Array(3), new Int32Array([0, 1, 2]), new Float64Array(2), new Date(0),
];
const optionKeys = ['device', 'requiresGrad', 'seed', 'mean', 'std', 'D', 'kRev', 'conj', 'axis', 'bias', 'dState', 'eps', 'lr', 'n', 'keepDims', 'p', 'training', 'weightDecay', 'betas', 'disc', 'multiplier', 'layer', 'dModel', 'dropout', 'pool', 'nClasses', 'reduction', 'weight', 'mask', 'lMax', 'bogus'];

const plainJunk = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...junkConstants).map((value) => ({ kind: 'value', value })) },
  { weight: 1, arbitrary: fc.integer({ min: -10, max: 100 }).map((value) => ({ kind: 'value', value })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map((value) => ({ kind: 'value', value })) },
  { weight: 1, arbitrary: shapeArb.map((value) => ({ kind: 'value', value })) },
  { weight: 5, arbitrary: tensorArb },
  { weight: 1, arbitrary: fc.constant({ kind: 'disposed' }) },
);
const junkArb = fc.oneof(
  { weight: 5, arbitrary: plainJunk },
  { weight: 2, arbitrary: fc.array(fc.tuple(fc.constantFrom(...optionKeys), plainJunk), { maxLength: 3 }).map((entries) => ({ kind: 'options', entries })) },
);

/** How a failure report shows an argument. */
function show(j) {
  switch (j.kind) {
    case 'tensor':
      return `tensor${JSON.stringify(j.shape)}${j.special === null ? '' : ` with ${j.special}`}${j.grad ? ' (requiresGrad)' : ''}`;
    case 'disposed':
      return 'a disposed tensor';
    case 'options':
      return `{${j.entries.map(([k, v]) => `${k}: ${show(v)}`).join(', ')}}`;
    default: {
      const v = j.value;
      if (typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function' || v instanceof Date || ArrayBuffer.isView(v)) return String(v);
      return JSON.stringify(v) ?? String(v);
    }
  }
}

/** The argument itself (tensors made here are pushed to `made`, for disposal). */
function materialize(j, made) {
  switch (j.kind) {
    case 'value':
      return Array.isArray(j.value) ? [...j.value] : j.value;
    case 'tensor': {
      const values = randomValues(j.shape.reduce((a, b) => a * b, 1), j.seed);
      if (j.special !== null && values.length) values[Math.abs(j.seed) % values.length] = j.special;
      const t = lc.tensor(values, j.shape, { requiresGrad: j.grad });
      made.push(t);
      return t;
    }
    case 'disposed': {
      const t = lc.ones([2]);
      t.dispose();
      return t;
    }
    default:
      return Object.fromEntries(j.entries.map(([k, v]) => [k, materialize(v, made)]));
  }
}

// ---- property 1: a result or a named error, and nothing leaked ----

const fsCodes = new Set(['ENOENT', 'EISDIR', 'ENOTDIR', 'EACCES', 'ELOOP', 'ENAMETOOLONG', 'EINVAL']);

function disposeResult(x, seen = new Set()) {
  if (x === null || typeof x !== 'object' || seen.has(x)) return;
  seen.add(x);
  if (x instanceof lc.Tensor || x instanceof lc.nn.Module || x instanceof lc.optim.AdamW) return x.dispose();
  if (ArrayBuffer.isView(x)) return;
  for (const v of Object.values(x)) disposeResult(v, seen);
}

/**
 * Calls fn and checks property 1; returns the error, if any. `collectable`: what fn made may be
 * left for the garbage collector (a constructor that throws half-way leaves a half-built module
 * nobody can reach): then only the native bytes are checked, after a collection (the addon
 * frees native memory within it).
 */
function check(what, fn, collectable = false) {
  stats.calls++;
  const before = lc.memory().cpu;
  let result;
  let error;
  try {
    result = fn();
  } catch (e) {
    error = e === undefined ? new Error('undefined was thrown') : e;
  }
  disposeResult(result);
  if (error !== undefined) {
    stats.refused++;
    const named = error instanceof TypeError || error instanceof RangeError;
    const coded = typeof error.code === 'string' && (error.code.startsWith('ERR_LONGCONV_') || fsCodes.has(error.code));
    if (!named && !coded) throw new Error(`${what} threw a plain ${error && error.constructor && error.constructor.name}: ${error.message}`);
    if (named && /Cannot read prop|is not a function|is not iterable|undefined \(reading|Cannot convert/.test(error.message)) {
      throw new Error(`${what} failed inside instead of checking its arguments: ${error.message}`);
    }
  }
  let after = lc.memory().cpu;
  if (collectable && after.bytes > before.bytes) {
    void (error && error.stack); // formatting the stack lets go of the frames' receivers (the half-built module)
    global.gc();
    after = { ...lc.memory().cpu, tensors: before.tensors };
  }
  if (after.tensors > before.tensors || after.bytes > before.bytes) {
    throw new Error(`${what} leaked ${after.tensors - before.tensors} tensors and ${after.bytes - before.bytes} bytes (it ${error === undefined ? 'returned' : `threw: ${error.message}`})`);
  }
  return error;
}

/** Runs one property; a failure is reported and counted, and the run goes on. */
function property(name, prop) {
  stats.properties++;
  try {
    fc.assert(prop, params);
  } catch (e) {
    stats.failed.push(name);
    console.log(`FAILED ${name}\n${e.message}\n${e.cause ? `cause: ${e.cause.message ?? e.cause}\n` : ""}`);
  }
}

function fuzzCalls(name, call, maxArgs, collectable = false) {
  property(name, fc.property(fc.array(junkArb, { maxLength: maxArgs }), (junk) => {
    const made = [];
    try {
      const args = junk.map((j) => materialize(j, made));
      check(`${name}(${junk.map(show).join(', ')})`, () => call(args), collectable);
    } finally {
      for (const t of made) {
        if (t.grad) t.grad.dispose();
        t.dispose();
      }
    }
  }));
}

// State that valid calls may change, restored after each call.
const threads = lc.getNumThreads();
const cacheLimit = lc.memory().cpu.caches?.limitBytes;
function restore() {
  lc.setNumThreads(threads);
  if (lc.setCacheLimit) lc.setCacheLimit(cacheLimit);
}

// Fuzzed apart: the io functions (any string would be a file written in the working directory:
// below, paths in a temporary directory). Not fuzzed: lc.data, the data sets and their helpers
// (neither ops nor constructors; test/data.test.ts checks them).
const skip = new Set(['io.save', 'io.saveTensors', 'io.savePyTorch', 'io.load', 'io.loadTensors', 'io.readMetadata', 'io.optimizerPath', 'io.loadPyTorch']);

function exported() {
  const out = [];
  const namespaces = [['', lc], ...['kernels', 'init', 'nn', 'optim', 'io'].map((n) => [`${n}.`, lc[n]])];
  for (const [prefix, ns] of namespaces) {
    for (const [name, value] of Object.entries(ns)) {
      if (typeof value !== 'function' || skip.has(prefix + name)) continue;
      const isClass = /^class\b/.test(Function.prototype.toString.call(value));
      if (isClass && value.prototype instanceof Error) continue;
      out.push([prefix + name, value, isClass]);
    }
  }
  return out;
}

for (const [name, fn, isClass] of exported()) {
  fuzzCalls(name, (args) => {
    try {
      return isClass ? new fn(...args) : fn(...args);
    } finally {
      restore();
    }
  }, Math.max(fn.length + 1, 3), isClass);
}

// Methods of constructed objects.
const layers = [
  ['nn.Linear(3, 2)', () => new lc.nn.Linear(3, 2)],
  ['nn.LayerNorm(3)', () => new lc.nn.LayerNorm(3)],
  ['nn.Embedding(5, 3)', () => new lc.nn.Embedding(5, 3)],
  ['nn.S4D(2)', () => new lc.nn.S4D(2, { dState: 4 })],
  ['nn.S4(2)', () => new lc.nn.S4(2, { dState: 4, lMax: 8 })],
  ['nn.SGConv(2)', () => new lc.nn.SGConv(2, { lMax: 8 })],
  ['nn.MultiresConv(2)', () => new lc.nn.MultiresConv(2, { lMax: 8 })],
  ['nn.Dropout(0.5)', () => new lc.nn.Dropout(0.5)],
];
for (const [name, make] of layers) {
  const layer = make();
  for (const method of ['forward', 'loadStateDict', 'to']) fuzzCalls(`${name}.${method}`, (args) => layer[method](...args), 2);
  layer.dispose();
}
{
  const t = lc.randn([2, 3], { seed: 1, requiresGrad: true });
  fuzzCalls('tensor.to', (args) => t.to(args[0]), 1);
  fuzzCalls('sum(square(tensor)).backward', (args) => {
    const y = lc.sum(lc.square(t));
    try {
      return y.backward(args[0]);
    } finally {
      y.dispose();
      if (t.grad) t.grad.dispose();
      t.grad = null;
    }
  }, 1);
  t.dispose();
}

// Files: any path (in a temporary directory, or special ones), never a hang or a plain Error.
{
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'longconv-fuzz-'));
  const net = new lc.nn.Linear(2, 2);
  lc.io.save(path.join(dir, 'good.safetensors'), net);
  fs.writeFileSync(path.join(dir, 'garbage'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  spawnSync('mkfifo', [path.join(dir, 'fifo')]);
  fs.symlinkSync('missing-target', path.join(dir, 'dangling'));
  const paths = fc.oneof(
    fc.constantFrom('good.safetensors', 'garbage', 'fifo', 'dangling', 'missing', '.', 'sub/x').map((p) => path.join(dir, p)),
    fc.constantFrom('/dev/zero', '/dev/null', '', 3, null, undefined, {}, ['x']),
  );
  const fns = ['loadTensors', 'readMetadata', 'load', 'loadPyTorch', 'optimizerPath', 'save', 'saveTensors', 'savePyTorch'];
  property('io with any path', fc.property(paths, fc.constantFrom(...fns), fc.boolean(), (p, fn, withModule) => {
    const args = fn === 'saveTensors' ? [p, withModule ? net.stateDict() : {}] : ['load', 'save', 'loadPyTorch', 'savePyTorch'].includes(fn) ? [p, withModule ? net : {}] : [p];
    check(`io.${fn}(${String(p)})`, () => lc.io[fn](...args));
  }));
  net.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---- property 2: valid calls match float64 references ----

function strides(shape) {
  return shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
}
function unravel(i, shape) {
  const idx = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}
function sameShape(a, b) {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
/** Throws unless max|actual − expected| <= tol · max(1, max|expected|) (NaN matches NaN). */
function expectClose(actual, expected, tol, what) {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i]) && Number.isNaN(actual[i])) continue;
    const d = Math.abs(actual[i] - expected[i]);
    diff = Math.max(diff, Number.isNaN(d) ? Infinity : d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  if (!(diff <= tol * Math.max(scale, 1))) throw new Error(`${what}: max error ${diff} (values up to ${scale})`);
}
function expectShape(t, shape, what) {
  if (!sameShape(t.shape, shape)) throw new Error(`${what}: shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)}`);
}
/** A reference check: the call inside tidy, counted. */
function reference(fn) {
  stats.calls++;
  lc.tidy(fn);
}

// Two shapes that broadcast together (from one shape: some dims 1, some leading dims dropped).
const broadcastArb = shapeArb.chain((full) =>
  fc.array(fc.tuple(fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length })), { minLength: 2, maxLength: 2 }).map((specs) => {
    const shapes = specs.map(([drop, ones]) => full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
    const rank = Math.max(...shapes.map((s) => s.length));
    const padded = shapes.map((s) => [...Array(rank - s.length).fill(1), ...s]);
    return { target: padded[0].map((d, i) => (d === 1 ? padded[1][i] : d)), shapes };
  }),
);

for (const [name, op, f] of [['add', lc.add, (x, y) => x + y], ['sub', lc.sub, (x, y) => x - y], ['mul', lc.mul, (x, y) => x * y], ['div', lc.div, (x, y) => x / y]]) {
  property(`${name} with broadcasting matches the reference`, fc.property(broadcastArb, fc.integer(), ({ target, shapes: [sa, sb] }, seed) => {
    const av = randomValues(sa.reduce((a, b) => a * b, 1), seed);
    const bv = randomValues(sb.reduce((a, b) => a * b, 1), seed + 1, name === 'div');
    const at = (shape, v, idx) => {
      const st = strides(shape);
      return v[shape.reduce((acc, d, k) => acc + (d === 1 ? 0 : idx[k + target.length - shape.length]) * st[k], 0)];
    };
    const expected = Array.from({ length: target.reduce((a, b) => a * b, 1) }, (_, i) => {
      const idx = unravel(i, target);
      return f(at(sa, av, idx), at(sb, bv, idx));
    });
    reference(() => {
      const y = op(lc.tensor(av, sa), lc.tensor(bv, sb));
      expectShape(y, target, name);
      expectClose(y.toFloat32Array(), expected, 1e-6, `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`);
    });
  }));
}

const unaryOps = [
  ['neg', lc.neg, (x) => -x, false], ['exp', lc.exp, Math.exp, false], ['log', lc.log, Math.log, true], ['sqrt', lc.sqrt, Math.sqrt, true],
  ['square', lc.square, (x) => x * x, false], ['tanh', lc.tanh, Math.tanh, false], ['sigmoid', lc.sigmoid, (x) => 1 / (1 + Math.exp(-x)), false],
  ['relu', lc.relu, (x) => Math.max(0, x), false], ['scale', (x) => lc.scale(x, -2.5), (x) => -2.5 * x, false], ['addScalar', (x) => lc.addScalar(x, 0.75), (x) => x + 0.75, false],
];
for (const [name, op, f, positive] of unaryOps) {
  property(`${name} matches the reference`, fc.property(shapeArb, fc.integer(), (shape, seed) => {
    const v = randomValues(shape.reduce((a, b) => a * b, 1), seed, positive);
    reference(() => expectClose(op(lc.tensor(v, shape)).toFloat32Array(), Array.from(v, f), 2e-6, `${name} ${JSON.stringify(shape)}`));
  }));
}

property('sum and mean over any axes match the reference', fc.property(
  shapeArb.chain((shape) => fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, i) => i)), fc.boolean(), fc.boolean(), fc.integer())),
  ([shape, axes, keepDims, mean, seed]) => {
    const v = randomValues(shape.reduce((a, b) => a * b, 1), seed);
    const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const out = new Float64Array(kept.reduce((a, b) => a * b, 1));
    const ks = strides(kept);
    v.forEach((x, i) => (out[unravel(i, shape).reduce((acc, u, d) => acc + (axes.includes(d) ? 0 : u) * ks[d], 0)] += x));
    const count = axes.reduce((a, i) => a * shape[i], 1);
    if (mean) out.forEach((x, i) => (out[i] = x / count));
    reference(() => {
      const x = lc.tensor(v, shape);
      const y = mean ? lc.mean(x, axes, keepDims) : lc.sum(x, axes, keepDims);
      expectShape(y, keepDims ? kept : shape.filter((_, i) => !axes.includes(i)), 'sum/mean');
      expectClose(y.toFloat32Array(), out, 1e-6, `${mean ? 'mean' : 'sum'} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)} keepDims ${keepDims}`);
    });
  },
));

property('permute by any permutation matches the reference', fc.property(
  shapeArb.chain((shape) => fc.tuple(fc.constant(shape), fc.shuffledSubarray(shape.map((_, i) => i), { minLength: shape.length, maxLength: shape.length }), fc.integer())),
  ([shape, perm, seed]) => {
    const v = randomValues(shape.reduce((a, b) => a * b, 1), seed);
    const outShape = perm.map((p) => shape[p]);
    const st = strides(shape);
    const expected = Array.from({ length: v.length }, (_, i) => {
      const idx = unravel(i, outShape);
      return v[perm.reduce((acc, p, k) => acc + idx[k] * st[p], 0)];
    });
    reference(() => {
      const y = lc.permute(lc.tensor(v, shape), perm);
      expectShape(y, outShape, 'permute');
      expectClose(y.toFloat32Array(), expected, 0, `permute ${JSON.stringify(shape)} by ${JSON.stringify(perm)}`);
    });
  },
));

property('rfft and irfft of any length match the direct DFT', fc.property(
  fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }), fc.integer(),
  (rows, L, n, seed) => {
    const v = randomValues(rows * L, seed);
    const bins = Math.floor(n / 2) + 1;
    const expected = [];
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < bins; k++) {
        let re = 0;
        let im = 0;
        for (let j = 0; j < Math.min(L, n); j++) {
          re += v[r * L + j] * Math.cos((-2 * Math.PI * j * k) / n);
          im += v[r * L + j] * Math.sin((-2 * Math.PI * j * k) / n);
        }
        expected.push(re, im);
      }
    }
    reference(() => {
      const X = lc.rfft(lc.tensor(v, [rows, L]), n);
      expectShape(X, [rows, bins, 2], 'rfft');
      expectClose(X.toFloat32Array(), expected, 1e-5, `rfft rows ${rows} L ${L} n ${n}`);
      const want = Array.from({ length: rows * n }, (_, i) => (i % n < L ? v[Math.floor(i / n) * L + (i % n)] : 0));
      expectClose(lc.irfft(X, n).toFloat32Array(), want, 1e-5, `irfft(rfft) rows ${rows} L ${L} n ${n}`);
    });
  },
));

property('fftConv (D, kRev, several kernels) matches the direct convolution', fc.property(
  fc.record({ B: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 0, max: 2 }), H: fc.integer({ min: 1, max: 9 }), L: fc.integer({ min: 1, max: 40 }), withD: fc.boolean(), withRev: fc.boolean(), seed: fc.integer() }),
  ({ B, C, H, L, withD, withRev, seed }) => {
    const Cn = Math.max(C, 1);
    const u = randomValues(B * H * L, seed);
    const k = randomValues(Cn * H * L, seed + 1);
    const kr = randomValues(Cn * H * L, seed + 2);
    const D = randomValues(Cn * H, seed + 3);
    const y = new Float64Array(B * Cn * H * L);
    for (let b = 0; b < B; b++) for (let c = 0; c < Cn; c++) for (let h = 0; h < H; h++) {
      for (let t = 0; t < L; t++) {
        let s = withD ? D[c * H + h] * u[(b * H + h) * L + t] : 0;
        for (let j = 0; j <= t; j++) s += k[(c * H + h) * L + j] * u[(b * H + h) * L + t - j];
        if (withRev) for (let j = 1; j < L - t; j++) s += kr[(c * H + h) * L + j - 1] * u[(b * H + h) * L + t + j];
        y[((b * Cn + c) * H + h) * L + t] = s;
      }
    }
    reference(() => {
      const kShape = C === 0 ? [H, L] : [C, H, L];
      const opts = {};
      if (withD) opts.D = lc.tensor(D, C === 0 ? [H] : [C, H]);
      if (withRev) opts.kRev = lc.tensor(kr, kShape);
      const out = lc.fftConv(lc.tensor(u, [B, H, L]), lc.tensor(k, kShape), opts);
      expectShape(out, C === 0 ? [B, H, L] : [B, C, H, L], 'fftConv');
      expectClose(out.toFloat32Array(), y, 1e-5, `fftConv B ${B} C ${C} H ${H} L ${L} D ${withD} kRev ${withRev}`);
    });
  },
));

property('matmul of any (batched) sizes matches the reference', fc.property(
  fc.record({ batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), M: fc.integer({ min: 1, max: 20 }), K: fc.integer({ min: 1, max: 20 }), N: fc.integer({ min: 1, max: 20 }), seed: fc.integer() }),
  ({ batch, M, K, N, seed }) => {
    const nb = batch.reduce((a, b) => a * b, 1);
    const a = randomValues(nb * M * K, seed);
    const b = randomValues(nb * K * N, seed + 1);
    const c = new Float64Array(nb * M * N);
    for (let q = 0; q < nb; q++) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) s += a[(q * M + i) * K + p] * b[(q * K + p) * N + j];
      c[(q * M + i) * N + j] = s;
    }
    reference(() => {
      const y = lc.matmul(lc.tensor(a, [...batch, M, K]), lc.tensor(b, [...batch, K, N]));
      expectShape(y, [...batch, M, N], 'matmul');
      expectClose(y.toFloat32Array(), c, 1e-5, `matmul ${JSON.stringify(batch)} ${M}x${K}x${N}`);
    });
  },
));

console.log(JSON.stringify({ fuzz: 'done', seed: SEED, runsPerProperty: RUNS, properties: stats.properties, calls: stats.calls, refusedWithNamedErrors: stats.refused, failed: stats.failed }));
process.exitCode = stats.failed.length ? 1 : 0;
