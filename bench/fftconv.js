// fftConv on the CPU against numpy (pocketfft) doing the same computation: forward, and
// forward + backward (du, dk, dD), B=8, H=32, C=1 with D. numpy runs single-threaded, so the
// 1-thread ratio is the like-for-like one.
'use strict';
const path = require('path');
const lc = require('../dist');
const { native } = require('../dist/native');
const { medianMs, pythonPeer, printTable } = require('./util');

function run({ quick }) {
  const B = 8, H = 32;
  const lengths = quick ? [1024, 4096] : [1024, 4096, 16384, 65536];
  const reps = quick ? 3 : 7;
  const defaultThreads = lc.getNumThreads();
  const threadCounts = [...new Set([1, defaultThreads])];

  const peer = pythonPeer(path.join(__dirname, 'peers', 'fftconv_numpy.py'), {
    cases: lengths.map((L) => ({ B, H, L, n: native.fftconvSize(L) })),
    reps,
    warmup: 2,
  });

  const rows = [];
  for (const L of lengths) {
    const u = lc.randn([B, H, L], { seed: 1 });
    const k = lc.randn([H, L], { seed: 2, requiresGrad: true });
    const D = lc.randn([H], { seed: 3, requiresGrad: true });
    const dy = lc.randn([B, H, L], { seed: 4 });
    const uGrad = lc.randn([B, H, L], { seed: 1, requiresGrad: true });
    const forward = () => lc.tidy(() => lc.noGrad(() => { lc.fftConv(u, k, { D }); }));
    const forwardBackward = () =>
      lc.tidy(() => {
        lc.fftConv(uGrad, k, { D }).backward(dy);
        lc.dispose([uGrad.grad, k.grad, D.grad]);
        uGrad.grad = k.grad = D.grad = null;
      });
    const peerCase = peer.cases?.find((c) => c.L === L);
    for (const threads of threadCounts) {
      lc.setNumThreads(threads);
      const fwd = medianMs(forward, { reps });
      const fwdBwd = medianMs(forwardBackward, { reps });
      rows.push({
        L,
        n: native.fftconvSize(L),
        threads,
        'fwd ms': fwd,
        'numpy fwd ms': peerCase?.forwardMs ?? 'n/a',
        'fwd ratio': peerCase ? peerCase.forwardMs / fwd : 'n/a',
        'fwd+bwd ms': fwdBwd,
        'numpy fwd+bwd ms': peerCase?.forwardBackwardMs ?? 'n/a',
        'fwd+bwd ratio': peerCase ? peerCase.forwardBackwardMs / fwdBwd : 'n/a',
      });
    }
    lc.setNumThreads(defaultThreads);
    lc.dispose([u, k, D, dy, uGrad]);
  }
  printTable(`fftConv CPU, B=${B} H=${H} C=1 with D (ratio = numpy time / longconv time; numpy is single-threaded)`, rows);
  if (peer.missing) console.log(`numpy peer missing: ${peer.missing}`);
  return {
    suite: 'fftconv',
    date: new Date().toISOString(),
    machine: { cpus: require('os').cpus().length, cpu: require('os').cpus()[0]?.model },
    peer: peer.missing ? { missing: peer.missing } : { name: 'numpy', version: peer.numpy },
    rows,
  };
}

module.exports = { run };
