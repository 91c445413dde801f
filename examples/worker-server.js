#!/usr/bin/env node
// Keeping heavy work off a server's event loop. longconv's ops run synchronously on the thread
// that calls them: a forward pass over a large batch on the main thread would stall every
// other request until it is done. Here the model lives in a worker thread (worker_threads);
// the main thread only parses requests and passes arrays back and forth (transferred, not
// copied), so /health answers at once while a classification runs.
//
//   node examples/worker-server.js [--port 8080] [--host 127.0.0.1] [--d-model 32] [--layers 2]
//        [--length 784] [--seed 0] [--weights model.safetensors]
//   node examples/worker-server.js --self-test [--batch 64]
//
// API (JSON in and out):
//   POST /classify   {"x": [[L numbers], ...]}  -> {"classes": [..], "logits": [[10 numbers], ...]}
//   GET  /health     -> {"ok": true, "pending": n}   (answered by the main thread at once)
// Errors are {"error": "..."} with status 400/404/405/413/500.
//
// Notes: the CPU thread count (lc.setNumThreads, LONGCONV_NUM_THREADS) is per process, shared
// by the worker and the main thread; one worker serializes the model's work, which suits one
// model on one machine (start more workers, each with its own model, to serve in parallel).
// --self-test starts the server on a free port, sends a batch to /classify and, while it runs,
// polls /health: the health answers must arrive before the classification does, and the
// logits must equal the same model run in the main thread; then it exits (0: all good).
'use strict';
const http = require('http');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const lc = require('..');
const { parseFlags } = require('./flags');
const { readJson, sendJson } = require('./http-json');

function buildModel(opts) {
  const model = new lc.nn.SequenceClassifier({
    dInput: 1, dModel: opts.dModel, nLayers: opts.layers, nClasses: 10, lMax: opts.length, seed: opts.seed, layer: { type: 's4d', dState: 32 },
  });
  if (opts.weights) lc.io.load(opts.weights, model);
  model.eval();
  return model;
}

/** Logits [B, 10] of sequences x (a Float32Array of B·L values), by the model in this thread. */
async function classify(model, x, L) {
  const logits = lc.tidy(() => lc.noGrad(() => model.forward(lc.tensor(x, [x.length / L, L, 1]))));
  try {
    return await logits.data(); // on CUDA: waits for the device without blocking this thread's loop
  } finally {
    logits.dispose();
  }
}

// ---- the worker thread: owns the model, answers {id, x} with {id, logits} or {id, error} ----
if (!isMainThread) {
  const model = buildModel(workerData);
  parentPort.on('message', async ({ id, x }) => {
    try {
      const logits = await classify(model, x, workerData.length);
      parentPort.postMessage({ id, logits }, [logits.buffer]);
    } catch (e) {
      parentPort.postMessage({ id, error: e.message, status: e instanceof RangeError || e instanceof TypeError ? 400 : 500 });
    }
  });
  return;
}

// ---- the main thread: HTTP only ----

/** The model's worker thread, with a promise per request. */
function startModelWorker(opts) {
  const worker = new Worker(__filename, { workerData: { dModel: opts.dModel, layers: opts.layers, length: opts.length, seed: opts.seed, weights: opts.weights } });
  const pending = new Map();
  let next = 0;
  worker.on('message', ({ id, logits, error, status }) => {
    const { resolve, reject } = pending.get(id);
    pending.delete(id);
    if (error) reject(Object.assign(new Error(error), { status }));
    else resolve(logits);
  });
  worker.on('error', (e) => {
    for (const { reject } of pending.values()) reject(e);
    pending.clear();
  });
  return {
    pending,
    classify(x) {
      return new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, x }, [x.buffer]);
      });
    },
    terminate: () => worker.terminate(),
  };
}

function createServer(model, opts) {
  return http.createServer(async (req, res) => {
    const send = (status, body) => sendJson(res, status, body);
    try {
      if (req.url === '/health') return send(200, { ok: true, pending: model.pending.size });
      if (req.url !== '/classify') return send(404, { error: `no route ${req.url} (POST /classify, GET /health)` });
      if (req.method !== 'POST') return send(405, { error: 'use POST /classify' });
      const { x } = await readJson(req, 64 << 20);
      if (!Array.isArray(x) || !x.every((row) => Array.isArray(row) && row.length === opts.length && row.every(Number.isFinite))) {
        return send(400, { error: `x: expected an array of sequences of ${opts.length} finite numbers` });
      }
      const flat = new Float32Array(x.length * opts.length);
      x.forEach((row, i) => flat.set(row, i * opts.length));
      const logits = await model.classify(flat);
      const rows = Array.from({ length: x.length }, (_, i) => Array.from(logits.subarray(i * 10, (i + 1) * 10)));
      send(200, { classes: rows.map((r) => r.indexOf(Math.max(...r))), logits: rows });
    } catch (e) {
      send(e.status || 500, { error: e.message });
    }
  });
}

function request(port, method, route, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: route, method, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function selfTest(server, opts) {
  const { port } = server.address();
  const x = Array.from({ length: opts.batch }, (_, b) => Array.from({ length: opts.length }, (_, t) => Math.sin(0.01 * (b + 1) * t)));
  const order = [];
  const classified = request(port, 'POST', '/classify', { x }).then((r) => (order.push('classify'), r));
  let health = 0;
  let polling = true;
  classified.finally(() => (polling = false));
  while (polling) {
    const r = await request(port, 'GET', '/health');
    if (r.status === 200 && polling) {
      health++;
      order.push('health');
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const answer = await classified;
  // The same model in this thread: the logits must agree.
  const model = buildModel(opts);
  const flat = new Float32Array(x.flat());
  const want = await classify(model, flat, opts.length);
  model.dispose();
  let worst = 0;
  answer.body.logits.forEach((row, i) => row.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - want[i * 10 + c])))));
  const bad = await request(port, 'POST', '/classify', { x: [[1, 2]] });
  const ok = answer.status === 200 && health > 0 && order[0] === 'health' && worst < 1e-5 && bad.status === 400;
  console.log(`self-test: ${opts.batch} sequences of ${opts.length} classified in a worker thread; ${health} /health answers arrived while it ran; ` +
    `max |worker − main thread| = ${worst.toExponential(2)}; bad input -> ${bad.status}: ${ok ? 'ok' : 'FAILED'}`);
  return ok;
}

function main() {
  const opts = parseFlags(process.argv.slice(2), { port: 8080, host: '127.0.0.1', dModel: 32, layers: 2, length: 784, seed: 0, weights: null, selfTest: false, batch: 64 });
  const model = startModelWorker(opts);
  const server = createServer(model, opts);
  const shutdown = (code) => server.close(() => model.terminate().then(() => process.exit(code)));
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  server.listen(opts.selfTest ? 0 : opts.port, opts.selfTest ? '127.0.0.1' : opts.host, async () => {
    const { address, port } = server.address();
    if (!opts.selfTest) return console.log(`worker-server: listening on http://${address}:${port} (the model runs in a worker thread)`);
    let ok = false;
    try {
      ok = await selfTest(server, opts);
    } catch (e) {
      console.error(`self-test failed: ${e.stack}`);
    }
    shutdown(ok ? 0 : 1);
  });
}

main();
