#!/usr/bin/env node
// Streaming inference over HTTP: an S4D layer run as a recurrence (setupStep()/step(), O(N·H)
// per sample) behind Node's http module. Each client sequence is a session with its own state:
// POST one sample, get the layer's output for it at once, without re-reading the past.
//
//   node examples/stream-server.js [--port 8080] [--host 127.0.0.1] [--h 8] [--d-state 64]
//        [--seed 0] [--weights layer.safetensors] [--max-sessions 1000] [--device auto|cpu|cuda]
//   node examples/stream-server.js --self-test [--samples 200]
//
// API (JSON in and out):
//   POST /step            {"session"?: "id", "x": 0.5}  or  {"x": [H numbers]}
//                         -> {"session": "id", "t": 0, "y": [H numbers]}
//                         (no session: a new one is created; its id comes back)
//   POST /reset           {"session": "id"}  -> {"session": "id", "reset": true}
//   GET  /info            -> {"H", "dState", "device", "sessions"}
// A scalar x feeds every channel. Errors are {"error": "..."} with status 400/404/405/413.
//
// --weights loads the layer's parameters (names as lc.nn.S4D's stateDict, e.g. from
// lc.io.save(file, layer)); without it the layer is randomly initialised from --seed.
// --self-test starts the server on a free port of 127.0.0.1, streams two interleaved sessions
// through HTTP and checks every answer against the layer's convolution mode on the whole
// sequence, then exits (0: all match).
'use strict';
const http = require('http');
const crypto = require('crypto');
const lc = require('..');
const { parseFlags } = require('./flags');
const { readJson, sendJson } = require('./http-json');

/** The model and the per-session recurrent states. */
function createStreamer(opts) {
  const device = opts.device === 'auto' ? (lc.backendInfo().cuda.available ? 'cuda' : 'cpu') : opts.device;
  const layer = new lc.nn.S4D(opts.h, { dState: opts.dState, seed: opts.seed });
  if (opts.weights) lc.io.load(opts.weights, layer);
  layer.to(device);
  layer.eval();
  layer.setupStep(); // dA, dB, C of the recurrence, from the current parameters
  const sessions = new Map(); // id -> { state: Tensor [1, H, N/2, 2], t }; insertion order = LRU order

  function step(id, x) {
    const values = typeof x === 'number' ? new Float32Array(opts.h).fill(x) : Float32Array.from(x);
    if (!Array.from(values).every(Number.isFinite)) throw new RangeError('x: expected finite numbers');
    if (values.length !== opts.h) throw new RangeError(`x: expected a number or ${opts.h} numbers (one per channel), got ${values.length}`);
    let session = sessions.get(id);
    if (session) sessions.delete(id); // re-inserted below: most recently used last
    else {
      if (sessions.size >= opts.maxSessions) drop(sessions.keys().next().value); // evict the least recently used
      session = { state: layer.defaultState(1), t: 0 };
    }
    sessions.set(id, session);
    const xt = lc.tensor(values, [1, values.length], { device }); // RangeError from step() if length != H
    try {
      const [y, next] = layer.step(xt, session.state);
      session.state.dispose();
      session.state = next;
      const out = { session: id, t: session.t++, y: Array.from(y.toFloat32Array()) };
      y.dispose();
      return out;
    } finally {
      xt.dispose();
    }
  }

  function drop(id) {
    const session = sessions.get(id);
    if (!session) return false;
    session.state.dispose();
    sessions.delete(id);
    return true;
  }

  function dispose() {
    for (const id of [...sessions.keys()]) drop(id);
    layer.dispose();
  }

  return { layer, device, sessions, step, drop, dispose };
}

function createServer(streamer, opts) {
  return http.createServer(async (req, res) => {
    const send = (status, body) => sendJson(res, status, body);
    try {
      const url = new URL(req.url, 'http://localhost');
      if (url.pathname === '/info') {
        if (req.method !== 'GET') return send(405, { error: 'use GET /info' });
        return send(200, { H: opts.h, dState: opts.dState, device: streamer.device, sessions: streamer.sessions.size });
      }
      if (url.pathname !== '/step' && url.pathname !== '/reset') return send(404, { error: `no route ${url.pathname} (POST /step, POST /reset, GET /info)` });
      if (req.method !== 'POST') return send(405, { error: `use POST ${url.pathname}` });
      const body = await readJson(req, 1 << 20);
      if (body === null || typeof body !== 'object') return send(400, { error: 'expected a JSON object' });
      if (body.session !== undefined && typeof body.session !== 'string') return send(400, { error: 'session: expected a string' });
      if (url.pathname === '/reset') {
        if (!body.session) return send(400, { error: 'session: required' });
        if (!streamer.drop(body.session)) return send(404, { error: `no session '${body.session}'` });
        return send(200, { session: body.session, reset: true });
      }
      const x = body.x;
      if (typeof x !== 'number' && !(Array.isArray(x) && x.every((v) => typeof v === 'number'))) {
        return send(400, { error: `x: expected a number or an array of ${opts.h} numbers` });
      }
      return send(200, streamer.step(body.session || crypto.randomUUID(), x));
    } catch (e) {
      send(e.status || (e instanceof RangeError || e instanceof TypeError ? 400 : 500), { error: e.message });
    }
  });
}

function post(port, path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

// Streams two interleaved sessions through HTTP and compares every answer with the layer's
// convolution mode (fftConv of the S4D kernel) on the whole sequence.
async function selfTest(streamer, server, opts) {
  const { port } = server.address();
  const L = opts.samples;
  const inputs = [0, 1].map((s) => Float32Array.from({ length: L }, (_, t) => Math.sin(0.05 * (s + 1) * t) + 0.3 * Math.cos(0.31 * t + s)));
  const outputs = [[], []];
  const ids = [];
  for (let t = 0; t < L; t++) {
    for (let s = 0; s < 2; s++) {
      const r = await post(port, '/step', { ...(ids[s] ? { session: ids[s] } : {}), x: inputs[s][t] });
      if (r.status !== 200 || r.body.t !== t) throw new Error(`step ${t} of session ${s}: ${JSON.stringify(r.body)}`);
      ids[s] = r.body.session;
      outputs[s].push(r.body.y);
    }
  }
  let worst = 0;
  for (let s = 0; s < 2; s++) {
    const want = lc.tidy(() => {
      const u = new Float32Array(opts.h * L);
      for (let h = 0; h < opts.h; h++) u.set(inputs[s], h * L);
      return lc.noGrad(() => streamer.layer.forward(lc.tensor(u, [1, opts.h, L], { device: streamer.device }))).toFloat32Array(); // [1, H, L]
    });
    for (let t = 0; t < L; t++) {
      for (let h = 0; h < opts.h; h++) worst = Math.max(worst, Math.abs(outputs[s][t][h] - want[h * L + t]));
    }
  }
  const reset = await post(port, '/reset', { session: ids[0] });
  const again = await post(port, '/step', { session: ids[0], x: inputs[0][0] });
  const resetOk = reset.status === 200 && again.body.t === 0 && again.body.y.every((v, h) => Math.abs(v - outputs[0][0][h]) < 1e-6);
  const bad = await post(port, '/step', { x: [1, 2] });
  const ok = worst < 1e-4 && resetOk && bad.status === 400;
  console.log(`self-test: 2 sessions × ${L} samples over HTTP on ${streamer.device}; max |step − convolution| = ${worst.toExponential(2)}; ` +
    `reset ${resetOk ? 'ok' : 'FAILED'}; bad input -> ${bad.status}: ${ok ? 'ok' : 'FAILED'}`);
  return ok;
}

function main() {
  const opts = parseFlags(process.argv.slice(2), { port: 8080, host: '127.0.0.1', h: 8, dState: 64, seed: 0, weights: null, maxSessions: 1000, device: 'auto', selfTest: false, samples: 200 });
  const streamer = createStreamer(opts);
  const server = createServer(streamer, opts);
  const shutdown = (code) => server.close(() => {
    streamer.dispose();
    process.exit(code);
  });
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  server.listen(opts.selfTest ? 0 : opts.port, opts.selfTest ? '127.0.0.1' : opts.host, () => {
    const { address, port } = server.address();
    console.log(`listening on http://${address}:${port} (S4D H=${opts.h} N=${opts.dState} on ${streamer.device})`);
    if (opts.selfTest) {
      selfTest(streamer, server, opts).then((ok) => shutdown(ok ? 0 : 1), (e) => {
        console.error(`self-test: ${e.stack}`);
        shutdown(1);
      });
    }
  });
}

main();
