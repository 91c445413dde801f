#!/usr/bin/env node
// Learns a long convolution kernel by gradient descent: the target is a decaying oscillation
// of length L, observed only through fftConv on random inputs. Runs on the best device.
'use strict';
const lc = require('..');

const B = 8, H = 4, L = 2048, steps = 150, lr = 1.5;
const device = lc.backendInfo().cuda.available ? 'cuda' : 'cpu';

// Target kernel: k*[h, s] = exp(-s / tau_h) cos(omega_h s), a typical SSM-like kernel.
const target = new Float32Array(H * L);
for (let h = 0; h < H; h++)
  for (let s = 0; s < L; s++) target[h * L + s] = Math.exp(-s / (50 * (h + 1))) * Math.cos(0.05 * (h + 1) * s);
const kTrue = lc.tensor(target, [H, L], { device });
let k = lc.zeros([H, L], { device, requiresGrad: true });

console.log(`fitting a [${H}, ${L}] kernel on ${device} (${lc.getNumThreads()} CPU threads)`);
const t0 = Date.now();
for (let step = 0; step <= steps; step++) {
  const loss = lc.tidy(() => {
    const u = lc.randn([B, H, L], { seed: step, device });
    const y = lc.fftConv(u, k);
    const yTrue = lc.noGrad(() => lc.fftConv(u, kTrue)).toFloat32Array();
    // loss = mean((y - y*)^2); its gradient with respect to y is 2 (y - y*) / n.
    const diff = y.toFloat32Array().map((v, i) => v - yTrue[i]);
    const n = diff.length;
    y.backward(lc.tensor(diff.map((d) => (2 * d) / n), [B, H, L], { device }));
    return diff.reduce((s, d) => s + d * d, 0) / n;
  });
  // Plain gradient descent on the host (the optimizers arrive with lc.optim).
  const g = k.grad.toFloat32Array();
  const next = k.toFloat32Array().map((v, i) => v - lr * g[i]);
  lc.dispose([k, k.grad]);
  k = lc.tensor(next, [H, L], { device, requiresGrad: true });
  if (step % 25 === 0) console.log(`step ${String(step).padStart(3)}  loss ${loss.toExponential(3)}`);
}
const err = lc.tidy(() => {
  const kk = k.toFloat32Array();
  let num = 0, den = 0;
  for (let i = 0; i < kk.length; i++) { num += (kk[i] - target[i]) ** 2; den += target[i] ** 2; }
  return Math.sqrt(num / den);
});
console.log(`relative kernel error ${err.toExponential(2)}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
lc.dispose([k, kTrue]);
