// kernels.s4d and kernels.s4 against float64 references: S4D by its direct formula, S4 by dense
// matrices (A = diag(Λ) − PPᴴ on the doubled state, bilinear dA and dB, K[l] = Cᵀ dA^l dB with
// C recovered from C̃) — the check that the Cauchy/Woodbury/irfft path is right.
import * as lc from '../lib';
import { cudaCases, cudaSuite, forEachDevice } from './devices';
import { directionalDerivatives, dot, expectClose, liveMemory, memoryAround, randomArray, t } from './helpers';
import { DplrData, dplrData, s4dReference, s4Reference, ssmData } from './ssm_reference';

describe('kernels.s4d', () => {
  for (const disc of ['zoh', 'bilinear'] as const)
    for (const [channels, H, N, L] of [[0, 3, 4, 7], [2, 2, 5, 64], [1, 4, 8, 1000], [0, 1, 1, 1]]) {
      const C = Math.max(channels, 1);
      test(`${disc}: C=${channels || '2-D'} H=${H} N=${N} L=${L}`, () => {
        const d = ssmData(C, H, N, L + N);
        const cShape = channels ? [C, H, N, 2] : [H, N, 2];
        lc.tidy(() => {
          const K = lc.kernels.s4d({ A: t(d.A, [H, N, 2]), B: t(d.B, [H, N, 2]), C: t(d.C, cShape), dt: t(d.dt, [H]) }, L, { disc });
          expect(K.shape).toEqual(channels ? [C, H, L] : [H, L]);
          expectClose(K.toFloat32Array(), s4dReference(d, C, H, N, L, disc), 1e-5);
        });
      });
    }

  test('B omitted means B = 1', () => {
    const H = 2, N = 3, L = 20;
    const d = ssmData(1, H, N, 5);
    const ones = new Float64Array(H * N * 2).map((_, i) => (i % 2 === 0 ? 1 : 0));
    lc.tidy(() => {
      const K = lc.kernels.s4d({ A: t(d.A, [H, N, 2]), C: t(d.C, [H, N, 2]), dt: t(d.dt, [H]) }, L);
      expectClose(K.toFloat32Array(), s4dReference({ ...d, B: ones }, 1, H, N, L, 'zoh'), 1e-5);
    });
  });

  test('gradients w.r.t. A, B, C and dt match finite differences of the float64 reference', () => {
    const channels = 2, H = 2, N = 3, L = 50;
    const d = ssmData(channels, H, N, 77);
    const w = randomArray(channels * H * L, 3);
    for (const disc of ['zoh', 'bilinear'] as const) {
      lc.tidy(() => {
        const shapes = { A: [H, N, 2], B: [H, N, 2], C: [channels, H, N, 2], dt: [H] };
        const inputs = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, t(d[k as keyof typeof d], s, { requiresGrad: true })]));
        const K = lc.kernels.s4d(inputs as unknown as lc.kernels.S4DParams, L, { disc });
        K.backward(t(w, [channels, H, L]));
        const names = Object.keys(shapes) as (keyof typeof d)[];
        const lossWith = (i: number, values: Float64Array) => dot(s4dReference({ ...d, [names[i]]: values }, channels, H, N, L, disc), w);
        const results = directionalDerivatives(names.map((n) => d[n]), names.map((n) => inputs[n].grad!.toFloat32Array()), lossWith, names.map((_, i) => i), {
          h: () => 1e-6,
          direction: (i) => randomArray(d[names[i]].length, 10 + names[i].length),
        });
        for (const { numeric, analytic } of results) expect(Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(numeric))).toBeLessThan(2e-4);
        lc.dispose(Object.values(inputs).map((x) => x.grad!));
      });
    }
  });

  test('bad input throws named errors', () => {
    lc.tidy(() => {
      const A = lc.zeros([2, 3, 2]);
      const C = lc.zeros([2, 3, 2]);
      const dt = lc.ones([2]);
      expect(() => lc.kernels.s4d({ A: lc.zeros([2, 3, 3]), C, dt }, 8)).toThrow(/params.A: expected a complex tensor \[H,N,2\]/);
      expect(() => lc.kernels.s4d({ A, C: lc.zeros([2, 4, 2]), dt }, 8)).toThrow(/params.C: expected shape \[2,3,2\]/);
      expect(() => lc.kernels.s4d({ A, C, dt: lc.ones([3]) }, 8)).toThrow(RangeError);
      expect(() => lc.kernels.s4d({ A, C, dt }, 0)).toThrow(/L: expected an integer >= 1, got 0/);
      expect(() => lc.kernels.s4d({ A, C, dt }, 8, { disc: 'euler' as never })).toThrow(TypeError);
      expect(() => lc.kernels.s4d({ A: 1 as never, C, dt }, 8)).toThrow(/params.A: expected a Tensor/);
    });
  });
});

// ---- S4 ----

function s4Inputs(d: DplrData, channels: number, R: number, H: number, N: number, requiresGrad = false) {
  return {
    Lambda: t(d.Lambda, [H, N, 2], { requiresGrad }),
    P: t(d.P, [R, H, N, 2], { requiresGrad }),
    B: t(d.B, [H, N, 2], { requiresGrad }),
    Ct: t(d.Ct, channels ? [channels, H, N, 2] : [H, N, 2], { requiresGrad }),
    dt: t(d.dt, [H], { requiresGrad }),
  };
}

describe('kernels.s4 equals the dense-matrix kernel', () => {
  for (const [channels, R, H, N, L] of [
    [0, 1, 2, 3, 1], [0, 1, 2, 3, 2], [0, 1, 3, 4, 7], [2, 1, 2, 4, 64], [0, 2, 2, 3, 33], [3, 2, 2, 4, 100], [0, 1, 2, 8, 784],
  ]) {
    test(`C=${channels || '2-D'} R=${R} H=${H} N=${N} L=${L}`, () => {
      const C = Math.max(channels, 1);
      const d = dplrData(C, R, H, N, 11 * L + R);
      lc.tidy(() => {
        const K = lc.kernels.s4(s4Inputs(d, channels, R, H, N), L);
        expect(K.shape).toEqual(channels ? [C, H, L] : [H, L]);
        expectClose(K.toFloat32Array(), s4Reference(d, C, R, H, N, L), 1e-4);
      });
    });
  }

  test('with the HiPPO-LegS initialisation and C̃ from setupCt', () => {
    const H = 2, N = 16, L = 200;
    // The same HiPPO modes for every feature.
    const repeat = (x: lc.Tensor) => {
      const v = x.toFloat32Array();
      const out = new Float64Array(H * v.length);
      for (let h = 0; h < H; h++) out.set(v, h * v.length);
      return out;
    };
    lc.tidy(() => {
      const hippo = lc.init.hippoLegS(2 * N);
      const d: DplrData = {
        Lambda: repeat(hippo.Lambda),
        P: repeat(hippo.P),
        B: repeat(hippo.B),
        Ct: randomArray(H * N * 2, 4),
        dt: Float64Array.from([1e-2, 5e-2]),
      };
      const inputs = s4Inputs(d, 0, 1, H, N);
      const Ct = lc.kernels.setupCt(inputs.Ct, inputs, L);
      const K = lc.kernels.s4({ ...inputs, Ct }, L);
      // setupCt turned C into C̃, so the dense kernel with C itself must match.
      expectClose(K.toFloat32Array(), s4Reference(d, 1, 1, H, N, L, true), 1e-4);
    });
  });

  test('gradients of every parameter match finite differences of the dense reference', () => {
    for (const [channels, R, L] of [[2, 1, 30], [0, 2, 31]]) {
      const C = Math.max(channels, 1), H = 2, N = 3;
      const d = dplrData(C, R, H, N, 5 + L);
      const w = randomArray(C * H * L, 9);
      lc.tidy(() => {
        const inputs = s4Inputs(d, channels, R, H, N, true);
        lc.kernels.s4(inputs, L).backward(t(w, channels ? [C, H, L] : [H, L]));
        const names = Object.keys(inputs) as (keyof DplrData)[];
        const lossWith = (i: number, values: Float64Array) => dot(s4Reference({ ...d, [names[i]]: values }, C, R, H, N, L), w);
        const results = directionalDerivatives(names.map((n) => d[n]), names.map((n) => inputs[n].grad!.toFloat32Array()), lossWith, names.map((_, i) => i), {
          h: () => 1e-6,
          direction: (i) => randomArray(d[names[i]].length, 20 + names[i].length),
        });
        for (const { numeric, analytic } of results) expect(Math.abs(analytic - numeric) / Math.max(1e-3, Math.abs(numeric))).toBeLessThan(1e-3);
        lc.dispose(Object.values(inputs).map((x) => x.grad!));
      });
    }
  });

  test('memory stays flat over repeated forward and backward', () => {
    const d = dplrData(1, 1, 2, 4, 3);
    const inputs = s4Inputs(d, 0, 1, 2, 4, true);
    const step = () =>
      lc.tidy(() => {
        lc.kernels.s4(inputs, 64).backward(lc.ones([2, 64]));
        Object.values(inputs).forEach((x) => {
          x.grad!.dispose();
          x.grad = null;
        });
      });
    step();
    const { before, after } = memoryAround(() => {
      for (let i = 0; i < 5; i++) step();
    });
    expect(liveMemory(after)).toEqual(liveMemory(before));
    lc.dispose(Object.values(inputs));
  });

  test('bad input throws named errors', () => {
    const d = dplrData(1, 1, 2, 3, 1);
    lc.tidy(() => {
      const ok = s4Inputs(d, 0, 1, 2, 3);
      expect(() => lc.kernels.s4({ ...ok, P: lc.zeros([3, 2, 3, 2]) }, 8)).toThrow(/^params.P: expected rank R = P.shape\[0\] of 1 or 2, got 3/);
      expect(() => lc.kernels.s4({ ...ok, P: lc.zeros([2, 3, 2]) }, 8)).toThrow(/params.P: expected rank 4/);
      expect(() => lc.kernels.s4({ ...ok, B: lc.zeros([2, 4, 2]) }, 8)).toThrow(/params.B: expected shape \[2,3,2\]/);
      expect(() => lc.kernels.s4({ ...ok, Lambda: lc.zeros([2, 3, 3]) }, 8)).toThrow(/last dimension 2/);
      expect(() => lc.kernels.s4(ok, -1)).toThrow(RangeError);
      expect(() => lc.kernels.s4({ ...ok, dt: 'x' as never }, 8)).toThrow(/params.dt: expected a Tensor/);
    });
  });
});

cudaSuite('kernels.s4d/s4')('kernels.s4d and kernels.s4 on CUDA equal the CPU backend', () => {
  for (const L of cudaCases([1, 2, 7, 97, 784, 1000, 4097, 65536], [1, 7, 97])) {
    test(`forward and every gradient, L=${L}`, () => {
      const C = 2, R = 1, H = 3, N = 8;
      const d = dplrData(C, R, H, N, 5);
      const g = randomArray(C * H * L, 6);
      forEachDevice((device) =>
        lc.tidy(() => {
          const inputs = Object.fromEntries(Object.entries(s4Inputs(d, C, R, H, N, true)).map(([k, x]) => [k, lc.keep(x.to(device))]));
          Object.values(inputs).forEach((x) => (x.requiresGrad = true));
          const p = inputs as unknown as lc.kernels.S4Params;
          const K4 = lc.kernels.s4(p, L);
          const K4d = lc.kernels.s4d({ A: p.Lambda, B: p.B, C: p.Ct, dt: p.dt }, L);
          lc.add(K4, K4d).backward(t(g, [C, H, L], { device }));
          const out = [K4, K4d, ...Object.values(inputs).map((x) => x.grad!)].map((x) => x.toFloat32Array());
          lc.dispose(Object.values(inputs).flatMap((x) => [x, x.grad!]));
          return out;
        }),
      1e-4);
    });
  }
});
