import * as lc from '../lib';
import { native } from '../lib/native';
import { cudaSuite, directionalDerivative, dot, expectClose, expectSameAcrossThreads, randomArray, relError, t } from './helpers';
import { ConvCase, fftConvGradReference, fftConvReference } from './reference';

// Relative error (max abs error / max abs value). The FFT path's float32 error measures about
// 5e-7 at these sizes; 1e-5 is tighter than the 1e-4 required of FFT paths.
const TOL = 1e-5;

function makeCase(B: number, C: number, H: number, L: number, withD: boolean, withRev: boolean, seed: number): ConvCase {
  return {
    B, C, H, L,
    u: randomArray(B * H * L, seed),
    k: randomArray(C * H * L, seed + 1),
    kRev: withRev ? randomArray(C * H * L, seed + 2) : undefined,
    D: withD ? randomArray(C * H, seed + 3) : undefined,
  };
}

// C = 0 stands for a 2-D kernel [H,L] (output [B,H,L]); C >= 1 for [C,H,L].
function tensors(cs: ConvCase, kernel3d: boolean, requiresGrad = false) {
  const { B, C, H, L } = cs;
  const kShape = kernel3d ? [C, H, L] : [H, L];
  return {
    u: t(cs.u, [B, H, L], { requiresGrad }),
    k: t(cs.k, kShape, { requiresGrad }),
    kRev: cs.kRev && t(cs.kRev, kShape, { requiresGrad }),
    D: cs.D && t(cs.D, kShape.slice(0, -1), { requiresGrad }),
  };
}

const lengths = [1, 2, 7, 97, 1000, 4097];
const variants: [number, boolean, boolean, boolean][] = [
  // [C, kernel3d, D, kRev]
  [1, false, false, false],
  [1, false, true, true],
  [1, true, true, false],
  [3, true, false, true],
  [3, true, true, true],
];

describe('fftConv forward matches direct float64 sums', () => {
  for (const L of lengths) {
    for (const [C, k3, withD, withRev] of variants) {
      const B = L > 1000 ? 2 : 3;
      const H = L > 1000 ? 2 : 5;
      test(`L=${L} B=${B} H=${H} C=${C} k${k3 ? '3d' : '2d'} D=${withD} kRev=${withRev}`, () => {
        const cs = makeCase(B, C, H, L, withD, withRev, L * 7 + C);
        lc.tidy(() => {
          const { u, k, kRev, D } = tensors(cs, k3);
          const y = lc.fftConv(u, k, { D, kRev });
          expect(y.shape).toEqual(k3 ? [B, C, H, L] : [B, H, L]);
          expectClose(y.toFloat32Array(), fftConvReference(cs), TOL);
        });
      });
    }
  }
});

describe('fftConv backward matches direct float64 sums', () => {
  for (const L of lengths) {
    for (const [C, k3, withD, withRev] of variants) {
      const B = L > 1000 ? 2 : 3;
      const H = L > 1000 ? 2 : 4;
      test(`L=${L} B=${B} H=${H} C=${C} k${k3 ? '3d' : '2d'} D=${withD} kRev=${withRev}`, () => {
        const cs = makeCase(B, C, H, L, withD, withRev, L * 13 + C);
        const dy = randomArray(B * C * H * L, L + 99);
        const ref = fftConvGradReference(cs, dy);
        lc.tidy(() => {
          const { u, k, kRev, D } = tensors(cs, k3, true);
          const y = lc.fftConv(u, k, { D, kRev });
          y.backward(t(dy, [...y.shape]));
          expectClose(u.grad!.toFloat32Array(), ref.du, TOL);
          expectClose(k.grad!.toFloat32Array(), ref.dk, TOL);
          if (kRev) expectClose(kRev.grad!.toFloat32Array(), ref.dkRev, TOL);
          if (D) expectClose(D.grad!.toFloat32Array(), ref.dD, TOL);
          expect(k.grad!.shape).toEqual(k.shape);
          if (D) expect(D.grad!.shape).toEqual(D.shape);
          lc.dispose([u.grad, k.grad, kRev?.grad, D?.grad].filter((g): g is lc.Tensor => !!g));
        });
      });
    }
  }
});

describe('fftConv gradients against finite differences of the op itself', () => {
  for (const L of [7, 97, 256]) {
    test(`L=${L}, C=3, with D and kRev`, () => {
      const B = 2, C = 3, H = 3;
      const cs = makeCase(B, C, H, L, true, true, L);
      const w = randomArray(B * C * H * L, 5);
      const params = [cs.u, cs.k, cs.kRev!, cs.D!];
      const shapes = [[B, H, L], [C, H, L], [C, H, L], [C, H]];
      const f = (p: Float64Array[]) => lc.fftConv(t(p[0], shapes[0]), t(p[1], shapes[1]), { kRev: t(p[2], shapes[2]), D: t(p[3], shapes[3]) });
      lc.tidy(() => {
        const inputs = params.map((p, i) => t(p, shapes[i], { requiresGrad: true }));
        const y = lc.fftConv(inputs[0], inputs[1], { kRev: inputs[2], D: inputs[3] });
        y.backward(t(w, [B, C, H, L]));
        params.forEach((p, i) => {
          const direction = randomArray(p.length, 100 + i);
          // fftConv is linear in each argument, so a unit step has no truncation error.
          const fd = directionalDerivative(f, params, i, direction, w, 1);
          const analytic = dot(inputs[i].grad!.toFloat32Array(), direction);
          expect(Math.abs(fd - analytic) / Math.max(1, Math.abs(fd))).toBeLessThan(1e-3);
          inputs[i].grad!.dispose();
        });
      });
    });
  }

  test('gradients accumulate across two backward passes', () => {
    const cs = makeCase(2, 1, 3, 33, true, false, 3);
    lc.tidy(() => {
      const { u, k, D } = tensors(cs, false, true);
      const dy = t(randomArray(2 * 3 * 33, 4), [2, 3, 33]);
      lc.fftConv(u, k, { D }).backward(dy);
      const once = k.grad!.toFloat32Array();
      lc.fftConv(u, k, { D }).backward(dy);
      const twice = k.grad!.toFloat32Array();
      expect(relError(twice, once.map((v) => 2 * v))).toBeLessThan(1e-6);
      lc.dispose([u.grad!, k.grad!, D!.grad!]);
    });
  });

  test('only the inputs that require grad get one; noGrad records nothing', () => {
    const cs = makeCase(2, 1, 2, 16, true, false, 9);
    lc.tidy(() => {
      const u = t(cs.u, [2, 2, 16]);
      const k = t(cs.k, [2, 16], { requiresGrad: true });
      const y = lc.fftConv(u, k);
      y.backward(lc.ones([2, 2, 16]));
      expect(u.grad).toBeNull();
      expect(k.grad!.shape).toEqual([2, 16]);
      k.grad!.dispose();
      const z = lc.noGrad(() => lc.fftConv(u, k));
      expect(z.requiresGrad).toBe(false);
      expect(() => z.backward(lc.ones([2, 2, 16]))).toThrow(/does not require grad/);
    });
  });
});

describe('fftConv threads', () => {
  test('1 and 2 threads give identical results', () => {
    const cs = makeCase(4, 2, 6, 500, true, true, 21);
    const run = (threads: number) => {
      lc.setNumThreads(threads);
      return lc.tidy(() => {
        const { u, k, kRev, D } = tensors(cs, true);
        return lc.fftConv(u, k, { D, kRev }).toFloat32Array();
      });
    };
    expectSameAcrossThreads(run);
  });
});

cudaSuite('fftConv')('fftConv on CUDA: grid limits, the plan cache, a missing spectrum', () => {
  // fftConv forward and backward with kRev and D on `device`: [y, du, dk, dkRev, dD].
  const run = (cs: ConvCase, dy: Float64Array, device: lc.Device) =>
    lc.tidy(() => {
      const o = { device, requiresGrad: true };
      const kShape = [cs.C, cs.H, cs.L];
      const u = t(cs.u, [cs.B, cs.H, cs.L], o);
      const k = t(cs.k, kShape, o);
      const kRev = t(cs.kRev!, kShape, o);
      const D = t(cs.D!, [cs.C, cs.H], o);
      const y = lc.fftConv(u, k, { kRev, D });
      y.backward(t(dy, [...y.shape], { device }));
      const out = [y, u.grad!, k.grad!, kRev.grad!, D.grad!].map((x) => x.toFloat32Array());
      lc.dispose([u.grad, k.grad, kRev.grad, D.grad]);
      return out;
    });

  test('B·C·H, B·H and C·H all above 65,535 rows (the grid y limit), L = 2048', () => {
    const cs = makeCase(2, 2, 32769, 2048, true, true, 3);
    const dy = randomArray(2 * 2 * 32769 * 2048, 4);
    const gpu = run(cs, dy, 'cuda');
    const cpu = run(cs, dy, 'cpu');
    gpu.forEach((g, i) => expectClose(g, cpu[i], TOL));
  });

  test('more shapes than the plan cache holds: evictions are counted, results stay right', () => {
    const before = lc.memory().cuda;
    const shapes = 150; // two new plans each (forward R2C and C2R at batch B): 300 > 256
    for (let B = 1; B <= shapes; B++) {
      const cs = makeCase(B, 1, 1, 16, true, true, B);
      const y = (device: lc.Device) =>
        lc.tidy(() => {
          const { u, k, kRev, D } = tensors(cs, true);
          return lc.fftConv(u.to(device), k.to(device), { kRev: kRev!.to(device), D: D!.to(device) }).toFloat32Array();
        });
      if (B % 37 === 1) expectClose(y('cuda'), y('cpu'), TOL);
      else y('cuda');
    }
    const after = lc.memory().cuda;
    expect(after.fftPlans).toBeLessThanOrEqual(256);
    expect(after.fftPlanEvictions - before.fftPlanEvictions).toBeGreaterThanOrEqual(2 * shapes - 256);
    lc.emptyCache();
    expect(lc.memory().cuda.fftPlans).toBe(0);
  });

  test('kernel gradients without the saved input spectrum are refused, and CUDA stays usable', () => {
    lc.tidy(() => {
      const o = { device: 'cuda' as lc.Device };
      const u = lc.randn([2, 3, 64], { ...o, seed: 1 });
      const k = lc.randn([1, 3, 64], { ...o, seed: 2 });
      const Kf = native.fftconvKernelSpectrum(k.storage, null, null, 1, 3, 64);
      const [y] = native.fftconvForward(u.storage, Kf, 2, 1, 3, 64, false);
      expect(() => native.fftconvBackward(y, Kf, null, 2, 1, 3, 64, true, true, false, false)).toThrow(/Uf/);
      expectClose(lc.fftConv(u, k).toFloat32Array(), lc.fftConv(u.to('cpu'), k.to('cpu')).toFloat32Array(), TOL);
    });
  });
});
