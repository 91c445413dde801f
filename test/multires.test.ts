// multiresConv against a float64 reference, forward and backward; finite differences; autograd
// bookkeeping; threads; CUDA against the CPU backend; bad input.
import * as lc from '../lib';
import { cudaCases, cudaSuite, forEachDevice, gpu } from './devices';
import { BadInputCase, checkGradients, directionalDerivatives, dot, expectClose, expectMemoryFlat, expectSameAcrossThreads, fakeTensor, randomArray, relError, t, testBadInput, timeRun, settledMemory } from './helpers';

// ---- float64 reference: docs/MATH.md §2.4 written plainly, and its gradients by a plain reverse loop ----

interface Case {
  B: number;
  H: number;
  L: number;
  k: number;
  J: number;
  x: Float64Array; // [B,H,L]
  h0: Float64Array; // [H,k]
  h1: Float64Array; // [H,k]
  w: Float64Array; // [H,J+2]
}

// conv(x,h,d)[t] = sum_j h[j] x[t - (k-1-j) d], zero before t = 0.
function conv(x: Float64Array, h: Float64Array, d: number): Float64Array {
  const k = h.length;
  const out = new Float64Array(x.length);
  for (let t = 0; t < x.length; t++)
    for (let j = 0; j < k; j++) {
      const src = t - (k - 1 - j) * d;
      if (src >= 0) out[t] += h[j] * x[src];
    }
  return out;
}

// The adjoint of conv: out[u] = sum_j h[j] g[u + (k-1-j) d].
function convT(g: Float64Array, h: Float64Array, d: number): Float64Array {
  const k = h.length;
  const out = new Float64Array(g.length);
  for (let u = 0; u < g.length; u++)
    for (let j = 0; j < k; j++) {
      const src = u + (k - 1 - j) * d;
      if (src < g.length) out[u] += h[j] * g[src];
    }
  return out;
}

const rowOf = (a: Float64Array, i: number, n: number) => a.subarray(i * n, (i + 1) * n);

function referenceForward({ B, H, L, k, J, x, h0, h1, w }: Case): Float64Array {
  const y = new Float64Array(B * H * L);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const xr = rowOf(x, b * H + h, L);
      const g0 = rowOf(h0, h, k), g1 = rowOf(h1, h, k), wr = rowOf(w, h, J + 2);
      const yr = rowOf(y, b * H + h, L);
      let lo = xr;
      let d = 1;
      for (let i = J; i >= 1; i--) {
        const hi = conv(lo, g1, d);
        lo = conv(lo, g0, d);
        for (let s = 0; s < L; s++) yr[s] += wr[i] * hi[s];
        d *= 2;
      }
      for (let s = 0; s < L; s++) yr[s] += wr[0] * lo[s] + wr[J + 1] * xr[s];
    }
  return y;
}

/** Gradients of sum(dy * y) for x, h0, h1 and w, by running the loop above in reverse. */
function referenceBackward(cs: Case, dy: Float64Array) {
  const { B, H, L, k, J, x, h0, h1, w } = cs;
  const dx = new Float64Array(B * H * L), dh0 = new Float64Array(H * k), dh1 = new Float64Array(H * k);
  const dw = new Float64Array(H * (J + 2));
  // sum_t a[t] * b[t - lag]
  const lagDot = (a: Float64Array, b: Float64Array, lag: number) => {
    let s = 0;
    for (let t = lag; t < L; t++) s += a[t] * b[t - lag];
    return s;
  };
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const xr = rowOf(x, b * H + h, L), gy = rowOf(dy, b * H + h, L);
      const g0 = rowOf(h0, h, k), g1 = rowOf(h1, h, k), wr = rowOf(w, h, J + 2);
      const los = [xr]; // lo before each level, then the final lo
      for (let m = 0; m < J; m++) los.push(conv(los[m], g0, 2 ** m));
      const dwr = rowOf(dw, h, J + 2);
      dwr[0] += lagDot(gy, los[J], 0);
      dwr[J + 1] += lagDot(gy, xr, 0);
      let glo = gy.map((v) => wr[0] * v);
      for (let m = J - 1; m >= 0; m--) {
        const d = 2 ** m, i = J - m;
        dwr[i] += lagDot(gy, conv(los[m], g1, d), 0);
        for (let j = 0; j < k; j++) {
          dh0[h * k + j] += lagDot(glo, los[m], (k - 1 - j) * d);
          dh1[h * k + j] += wr[i] * lagDot(gy, los[m], (k - 1 - j) * d);
        }
        const fromHi = convT(gy, g1, d);
        glo = convT(glo, g0, d).map((v, s) => v + wr[i] * fromHi[s]);
      }
      const dxr = rowOf(dx, b * H + h, L);
      for (let s = 0; s < L; s++) dxr[s] = glo[s] + wr[J + 1] * gy[s];
    }
  return { dx, dh0, dh1, dw };
}

// ---- helpers ----

function defaultDepth(L: number, k: number): number {
  return L === 1 ? 0 : Math.ceil(Math.log2((L - 1) / (k - 1) + 1) - 1e-12);
}

// h0, h1 scaled so that the deep levels neither blow up nor vanish.
function makeCase(B: number, H: number, L: number, k: number, J: number, seed: number): Case {
  const scale = (a: Float64Array, s: number) => a.map((v) => Math.fround(v * s));
  return {
    B, H, L, k, J,
    x: randomArray(B * H * L, seed),
    h0: scale(randomArray(H * k, seed + 1), 0.8),
    h1: scale(randomArray(H * k, seed + 2), 0.8),
    w: randomArray(H * (J + 2), seed + 3),
  };
}

function tensors(cs: Case, requiresGrad = false, device: lc.Device = 'cpu') {
  const o = { requiresGrad, device };
  return {
    x: t(cs.x, [cs.B, cs.H, cs.L], o),
    h0: t(cs.h0, [cs.H, cs.k], o),
    h1: t(cs.h1, [cs.H, cs.k], o),
    w: t(cs.w, [cs.H, cs.J + 2], o),
  };
}

// Relative error (max abs error / max abs value) of float32 against float64: measured at most
// about 4e-7 over the cases below.
const TOL = 2e-6;
const lengths = [1, 2, 7, 100, 1023];
const taps = [2, 3, 4];

// Default depth and a smaller explicit one (L = 1 has only depth 0).
function depthsFor(L: number, k: number): [number, boolean][] {
  const J = defaultDepth(L, k);
  return J === 0 ? [[0, false], [0, true]] : [[J, false], [Math.floor(J / 2), true]];
}

describe('multiresDepth', () => {
  test('is ceil(log2((L-1)/(k-1)+1)), 0 for L = 1', () => {
    for (const L of [1, 2, 3, 4, 5, 7, 8, 9, 100, 1023, 1024, 1025, 65536])
      for (const k of [2, 3, 4, 5, 16]) expect(lc.multiresDepth(L, k)).toBe(defaultDepth(L, k));
    expect(lc.multiresDepth(1024, 2)).toBe(10);
    expect(lc.multiresDepth(1025, 2)).toBe(11);
  });
});

describe('multiresConv forward matches the float64 reference', () => {
  for (const L of lengths)
    for (const k of taps)
      for (const [J, explicit] of depthsFor(L, k)) {
        const B = 2, H = L > 100 ? 2 : 3;
        test(`L=${L} k=${k} depth=${J}${explicit ? ' (explicit)' : ''}`, () => {
          const cs = makeCase(B, H, L, k, J, L * 31 + k * 7 + J);
          lc.tidy(() => {
            const { x, h0, h1, w } = tensors(cs);
            const y = lc.multiresConv(x, h0, h1, w, explicit ? { depth: J } : undefined);
            expect(y.shape).toEqual([B, H, L]);
            expectClose(y.toFloat32Array(), referenceForward(cs), TOL);
          });
        });
      }
});

describe('multiresConv backward matches the float64 reference', () => {
  for (const L of lengths)
    for (const k of taps)
      for (const [J, explicit] of depthsFor(L, k)) {
        const B = 2, H = L > 100 ? 2 : 3;
        test(`L=${L} k=${k} depth=${J}${explicit ? ' (explicit)' : ''}`, () => {
          const cs = makeCase(B, H, L, k, J, L * 17 + k * 5 + J);
          const dy = randomArray(B * H * L, L + 77);
          const ref = referenceBackward(cs, dy);
          lc.tidy(() => {
            const p = tensors(cs, true);
            const y = lc.multiresConv(p.x, p.h0, p.h1, p.w, explicit ? { depth: J } : undefined);
            y.backward(t(dy, [B, H, L]));
            const pairs: [lc.Tensor, Float64Array][] = [[p.x, ref.dx], [p.h0, ref.dh0], [p.h1, ref.dh1], [p.w, ref.dw]];
            for (const [param, expected] of pairs) {
              expect(param.grad!.shape).toEqual(param.shape);
              expectClose(param.grad!.toFloat32Array(), expected, TOL);
            }
            lc.dispose([p.x.grad, p.h0.grad, p.h1.grad, p.w.grad]);
          });
        });
      }

  test('the reference gradients agree with float64 finite differences of the reference', () => {
    const cs = makeCase(2, 2, 13, 3, 3, 5);
    const dy = randomArray(2 * 2 * 13, 6);
    const ref = referenceBackward(cs, dy);
    const keys = ['x', 'h0', 'h1', 'w'] as const;
    const grads = [ref.dx, ref.dh0, ref.dh1, ref.dw];
    const lossWith = (i: number, values: Float64Array) => dot(referenceForward({ ...cs, [keys[i]]: values }), dy);
    const results = directionalDerivatives(keys.map((key) => cs[key]), grads, lossWith, [0, 1, 2, 3], {
      h: () => 1e-5,
      direction: (i) => randomArray(cs[keys[i]].length, 40 + i),
    });
    for (const { numeric, analytic } of results) expect(Math.abs(numeric - analytic)).toBeLessThan(1e-7 * Math.max(1, Math.abs(numeric)));
  });
});

describe('multiresConv gradients against finite differences of the op itself', () => {
  for (const [L, k] of [[7, 2], [100, 3], [257, 4]]) {
    test(`L=${L} k=${k}`, () => {
      const B = 2, H = 3, J = defaultDepth(L, k);
      const cs = makeCase(B, H, L, k, J, L + k);
      const shapes = [[B, H, L], [H, k], [H, k], [H, J + 2]];
      checkGradients(([x, h0, h1, w]) => lc.multiresConv(x, h0, h1, w), [cs.x, cs.h0, cs.h1, cs.w], shapes, {
        w: randomArray(B * H * L, 9),
        // Linear in x, h1 and w: a unit step is exact. A polynomial of degree J in h0: Richardson
        // extrapolation of two steps cancels the central difference's h^2 error.
        h: (i) => (i === 1 ? 1e-2 : 1),
        richardson: (i) => i === 1,
        // The float32 evaluations' rounding, divided by the small steps, bounds h0's check.
        tol: (i) => (i === 1 ? 1e-3 : 2e-5),
        relativeTo: 'numeric',
        directions: 1,
        direction: (i, _, n) => randomArray(n, 200 + i),
      });
    });
  }
});

describe('multiresConv autograd bookkeeping', () => {
  test('only the inputs that require grad get one; noGrad records nothing', () => {
    const cs = makeCase(2, 2, 20, 2, 5, 3);
    lc.tidy(() => {
      const { x, h0, h1 } = tensors(cs);
      const w = t(cs.w, [2, 7], { requiresGrad: true });
      lc.multiresConv(x, h0, h1, w).backward(lc.ones([2, 2, 20]));
      expect(x.grad).toBeNull();
      expect(h0.grad).toBeNull();
      expect(w.grad!.shape).toEqual([2, 7]);
      w.grad!.dispose();
      const z = lc.noGrad(() => lc.multiresConv(x, h0, h1, w));
      expect(z.requiresGrad).toBe(false);
    });
  });

  test('levels are saved only when h0, h1 or w needs a gradient', () => {
    const [B, H, L, k] = [2, 3, 64, 2];
    const J = defaultDepth(L, k);
    const cs = makeCase(B, H, L, k, J, 8);
    lc.tidy(() => {
      const xg = t(cs.x, [B, H, L], { requiresGrad: true });
      const { x, h0, h1, w } = tensors(cs);
      const hg = t(cs.h0, [H, k], { requiresGrad: true });
      const bytes = () => lc.memory().cpu.bytes;
      const yBytes = B * H * L * 4;
      let before = bytes();
      lc.multiresConv(xg, h0, h1, w);
      expect(bytes() - before).toBe(yBytes);
      before = bytes();
      lc.multiresConv(x, hg, h1, w);
      expect(bytes() - before).toBe(yBytes + (J + 1) * yBytes);
    });
  });

  test('gradients accumulate across two backward passes', () => {
    const cs = makeCase(2, 2, 33, 3, defaultDepth(33, 3), 12);
    lc.tidy(() => {
      const p = tensors(cs, true);
      const dy = t(randomArray(2 * 2 * 33, 4), [2, 2, 33]);
      lc.multiresConv(p.x, p.h0, p.h1, p.w).backward(dy);
      const once = p.h0.grad!.toFloat32Array();
      lc.multiresConv(p.x, p.h0, p.h1, p.w).backward(dy);
      expect(relError(p.h0.grad!.toFloat32Array(), once.map((v) => 2 * v))).toBeLessThan(1e-6);
      lc.dispose([p.x.grad, p.h0.grad, p.h1.grad, p.w.grad]);
    });
  });

  test('memory stays flat over repeated forward + backward', () => {
    const cs = makeCase(2, 4, 300, 3, defaultDepth(300, 3), 2);
    const p = tensors(cs, true);
    const dy = t(randomArray(2 * 4 * 300, 1), [2, 4, 300]);
    const step = () =>
      lc.tidy(() => {
        lc.multiresConv(p.x, p.h0, p.h1, p.w).backward(dy);
        for (const q of Object.values(p)) {
          q.grad!.dispose();
          q.grad = null;
        }
      });
    expectMemoryFlat(step, 'cpu', 10);
    lc.dispose([...Object.values(p), dy]);
  });
});

describe('multiresConv threads', () => {
  test('1 and 2 threads give identical results, forward and backward', () => {
    const cs = makeCase(3, 5, 777, 3, defaultDepth(777, 3), 21);
    const dy = randomArray(3 * 5 * 777, 22);
    const run = (threads: number) => {
      lc.setNumThreads(threads);
      return lc.tidy(() => {
        const p = tensors(cs, true);
        const y = lc.multiresConv(p.x, p.h0, p.h1, p.w);
        y.backward(t(dy, [3, 5, 777]));
        const out = [y, p.x.grad!, p.h0.grad!, p.h1.grad!, p.w.grad!].map((g) => Array.from(g.toFloat32Array()));
        lc.dispose([p.x.grad, p.h0.grad, p.h1.grad, p.w.grad]);
        return out;
      });
    };
    expectSameAcrossThreads(run);
  });
});

// ---- CUDA against the CPU backend ----
cudaSuite('multiresConv')('multiresConv CUDA', () => {
  const sizes: [number, number, number, number, number][] = [
    // [B, H, L, k, depth]
    [2, 3, 1, 2, 0],
    [2, 3, 2, 3, 1],
    [3, 4, 7, 2, 2],
    [2, 5, 100, 4, 6],
    [2, 3, 1023, 3, 9],
    [1, 2, 5000, 300, 5], // k above one shared-memory tap tile
    [70000, 1, 4, 2, 2], // more rows than one grid dimension holds
    [4, 8, 65536, 2, 16],
    [2, 4, 784, 3, 8],
    [2, 4, 4097, 4, 11],
    [3, 2, 97, 2, 6],
    [2, 3, 1000, 3, 9],
  ];
  for (const [B, H, L, k, J] of cudaCases(sizes, sizes.slice(0, 4))) {
    test(`B=${B} H=${H} L=${L} k=${k} depth=${J}: forward and backward equal the CPU backend`, () => {
      expect(J).toBeLessThanOrEqual(defaultDepth(L, k));
      const cs = makeCase(B, H, L, k, J, L + k);
      const dy = randomArray(B * H * L, L + 5);
      forEachDevice((device) =>
        lc.tidy(() => {
          const p = tensors(cs, true, device);
          const y = lc.multiresConv(p.x, p.h0, p.h1, p.w, { depth: J });
          y.backward(t(dy, [B, H, L], { device }));
          const out = [y, p.x.grad!, p.h0.grad!, p.h1.grad!, p.w.grad!].map((g) => g.toFloat32Array());
          lc.dispose([p.x.grad, p.h0.grad, p.h1.grad, p.w.grad]);
          return out;
        }),
      1e-4);
    });
  }

  test('H·k small, B·L large (lag sums over 2^21 terms, in double on both backends): equal, and timed', () => {
    const [B, H, L, k] = [16, 1, cudaCases([1 << 17], [1 << 10])[0], 2];
    const cs = makeCase(B, H, L, k, defaultDepth(L, k), 21);
    const dy = randomArray(B * H * L, 22);
    const run = (device: lc.Device) =>
      lc.tidy(() => {
        const p = tensors(cs, true, device);
        const y = lc.multiresConv(p.x, p.h0, p.h1, p.w);
        y.backward(t(dy, [B, H, L], { device }));
        const out = [y, p.x.grad!, p.h0.grad!, p.h1.grad!, p.w.grad!].map((g) => g.toFloat32Array());
        lc.dispose([p.x.grad, p.h0.grad, p.h1.grad, p.w.grad]);
        return out;
      });
    forEachDevice(run, TOL);
    for (const device of [gpu, 'cpu'] as lc.Device[])
      timeRun(`multiresConv B=${B} H=${H} L=${L} k=${k} forward + backward (+ copies to the host) on ${device}`, () => run(device));
  });

  test('only x needs a gradient: no levels saved, dx still right', () => {
    const cs = makeCase(2, 3, 50, 3, defaultDepth(50, 3), 3);
    const dy = randomArray(2 * 3 * 50, 4);
    forEachDevice((device) =>
      lc.tidy(() => {
        const p = tensors(cs, false, device);
        const x = t(cs.x, [2, 3, 50], { device, requiresGrad: true });
        lc.multiresConv(x, p.h0, p.h1, p.w).backward(t(dy, [2, 3, 50], { device }));
        const dx = x.grad!.toFloat32Array();
        x.grad!.dispose();
        return [dx];
      }),
    1e-4);
  });

  test('repeated runs are bitwise identical and device memory stays flat', () => {
    const cs = makeCase(4, 8, 2048, 3, defaultDepth(2048, 3), 6);
    const dy = randomArray(4 * 8 * 2048, 7);
    const step = () =>
      lc.tidy(() => {
        const p = tensors(cs, true, gpu);
        lc.multiresConv(p.x, p.h0, p.h1, p.w).backward(t(dy, [4, 8, 2048], { device: gpu }));
        const out = [p.h0.grad!, p.h1.grad!, p.w.grad!].map((g) => Array.from(g.toFloat32Array()));
        lc.dispose([p.x.grad, p.h0.grad, p.h1.grad, p.w.grad]);
        return out;
      });
    const first = step();
    const before = settledMemory()[gpu];
    for (let i = 0; i < 5; i++) expect(step()).toEqual(first);
    const after = lc.memory()[gpu];
    expect(after.tensors).toBe(before.tensors);
    expect(after.bytes).toBe(before.bytes);
  });
});

// ---- bad input ----
describe('multiresConv rejects bad input with a clear message', () => {
  const x = lc.randn([2, 3, 8], { seed: 1 });
  const h0 = lc.randn([3, 2], { seed: 2 });
  const h1 = lc.randn([3, 2], { seed: 3 });
  const w = lc.randn([3, 5], { seed: 4 }); // L = 8, k = 2: J = 3
  afterAll(() => lc.dispose([x, h0, h1, w]));

  const cases: BadInputCase[] = [
    ['x of wrong rank', () => lc.multiresConv(lc.zeros([3, 8]), h0, h1, w), RangeError, /^x: expected rank 3 \(\[B,H,L\]\), got shape \[3,8\]/],
    ['x with an empty dimension', () => lc.multiresConv(lc.zeros([2, 3, 0]), h0, h1, w), RangeError, /^x: expected every dimension >= 1, got shape \[2,3,0\]/],
    ['h0 of wrong rank', () => lc.multiresConv(x, lc.zeros([3, 2, 1]), h1, w), RangeError, /^h0: expected rank 2 \(\[H,k\]\), got shape \[3,2,1\]/],
    ['h0 with the wrong H', () => lc.multiresConv(x, lc.zeros([4, 2]), h1, w), RangeError, /^h0: expected shape \[3,2\] \(\[H,k\] with H of x \[2,3,8\]\), got \[4,2\]/],
    ['k < 2', () => lc.multiresConv(x, lc.zeros([3, 1]), lc.zeros([3, 1]), w), RangeError, /^h0: expected k >= 2 taps .*got shape \[3,1\]/],
    ['h1 shaped unlike h0', () => lc.multiresConv(x, h0, lc.zeros([3, 3]), w), RangeError, /^h1: expected shape \[3,2\] \(the shape of h0\), got \[3,3\]/],
    ['h1 with the wrong H', () => lc.multiresConv(x, h0, lc.zeros([2, 2]), w), RangeError, /^h1: expected shape \[3,2\].*got \[2,2\]/],
    ['w of the wrong width', () => lc.multiresConv(x, h0, h1, lc.zeros([3, 4])), RangeError, /^w: expected shape \[3,5\] \(\[H,J\+2\] with J=3 for L=8, k=2 \(the default depth\)\), got \[3,4\]/],
    ['w for another depth', () => lc.multiresConv(x, h0, h1, w, { depth: 2 }), RangeError, /^w: expected shape \[3,4\] \(\[H,J\+2\] with J=2 for L=8, k=2\), got \[3,5\]/],
    ['w of wrong rank', () => lc.multiresConv(x, h0, h1, lc.zeros([15])), RangeError, /^w: expected shape \[3,5\].*got \[15\]/],
    ['depth too large', () => lc.multiresConv(x, h0, h1, lc.zeros([3, 6]), { depth: 4 }), RangeError, /^options\.depth: expected an integer in \[0, 3\] \(multiresDepth\(L = 8, k = 2\)\), got 4/],
    ['negative depth', () => lc.multiresConv(x, h0, h1, w, { depth: -1 }), RangeError, /^options\.depth: expected an integer >= 0, got -1/],
    ['non-integer depth', () => lc.multiresConv(x, h0, h1, w, { depth: 1.5 }), TypeError, /^options\.depth: expected an integer >= 0, got number 1.5/],
    ['depth not a number', () => lc.multiresConv(x, h0, h1, w, { depth: '3' as never }), TypeError, /^options\.depth: expected an integer >= 0, got string 3/],
    ['unknown option', () => lc.multiresConv(x, h0, h1, w, { levels: 3 } as never), TypeError, /^options: expected only the options depth, got unknown option 'levels'/],
    ['options not an object', () => lc.multiresConv(x, h0, h1, w, 3 as never), TypeError, /^options: expected an options object \{depth\}, got number 3/],
    ['non-tensor x', () => lc.multiresConv([1, 2] as never, h0, h1, w), TypeError, /^x: expected a Tensor, got an array/],
    ['non-tensor h0', () => lc.multiresConv(x, null as never, h1, w), TypeError, /^h0: expected a Tensor, got null/],
    ['non-tensor h1', () => lc.multiresConv(x, h0, 'h1' as never, w), TypeError, /^h1: expected a Tensor, got string h1/],
    ['non-tensor w', () => lc.multiresConv(x, h0, h1, 5 as never), TypeError, /^w: expected a Tensor, got number 5/],
    [
      'disposed tensor',
      () => {
        const gone = lc.zeros([3, 2]);
        gone.dispose();
        return lc.multiresConv(x, h0, gone, w);
      },
      TypeError,
      /^h1: expected a live Tensor, got a disposed one \(shape \[3,2\], device 'cpu'\)/,
    ],
    ['multiresDepth with k < 2', () => lc.multiresDepth(8, 1), RangeError, /^k: expected an integer >= 2, got 1/],
    ['multiresDepth with a non-integer L', () => lc.multiresDepth(2.5, 2), TypeError, /^L: expected an integer >= 1, got number 2.5/],
  ];
  testBadInput(cases);

  test('tensors on different devices', () => {
    // Mixed devices need a GPU to build; the check itself is exercised with a stand-in.
    const fake = (shape: number[]) => fakeTensor(shape, 'cuda');
    expect(() => lc.multiresConv(x, fake([3, 2]), h1, w)).toThrow(TypeError);
    expect(() => lc.multiresConv(x, fake([3, 2]), h1, w)).toThrow(/^h0: expected device 'cpu' \(the device of x\), got 'cuda'/);
    expect(() => lc.multiresConv(x, h0, h1, fake([3, 5]))).toThrow(/^w: expected device 'cpu' \(the device of x\), got 'cuda'/);
  });
});
