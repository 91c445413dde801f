import * as lc from '../lib';
import { expectBadInput, expectClose, randomArray, t } from './helpers';
import { parameterGradErrors, values } from './nn_helpers';
import { gelu, sigmoid } from './reference';

const expectGradsClose = (errors: Record<string, number>, names: string[], tol = 1e-2) => {
  expect(Object.keys(errors).sort()).toEqual([...names].sort());
  for (const [n, e] of Object.entries(errors)) if (!(e < tol)) throw new Error(`${n}: relative error ${e}`);
};

describe('Linear', () => {
  test('axis -1: x·Wᵀ + b against float64; torch-style init bounds; seeded', () => {
    const lin = new lc.nn.Linear(5, 3, { seed: 1 });
    const W = values(lin.stateDict().weight), b = values(lin.stateDict().bias);
    [...W, ...b].forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(5)));
    const same = new lc.nn.Linear(5, 3, { seed: 1 });
    expect(values(same.stateDict().weight)).toEqual(W);
    same.dispose();
    const x = randomArray(2 * 4 * 5, 2);
    const want = new Float64Array(2 * 4 * 3);
    for (let r = 0; r < 8; r++) for (let o = 0; o < 3; o++) {
      let s = b[o];
      for (let i = 0; i < 5; i++) s += W[o * 5 + i] * x[r * 5 + i];
      want[r * 3 + o] = s;
    }
    lc.tidy(() => {
      const y = lin.forward(t(x, [2, 4, 5]));
      expect(y.shape).toEqual([2, 4, 3]);
      expectClose(y.toFloat32Array(), want, 1e-6);
    });
    const errors = lc.tidy(() => {
      const u = t(x, [2, 4, 5]);
      return parameterGradErrors(lin, () => lin.forward(u), 3);
    });
    expectGradsClose(errors, ['weight', 'bias']);
    lin.dispose();
  });

  test('axis 1 on [B, H, L] is a 1×1 convolution; no bias', () => {
    const lin = new lc.nn.Linear(4, 6, { axis: 1, bias: false, seed: 2 });
    expect(Object.keys(lin.stateDict())).toEqual(['weight']);
    const W = values(lin.stateDict().weight);
    const x = randomArray(2 * 4 * 7, 3);
    const want = new Float64Array(2 * 6 * 7);
    for (let b = 0; b < 2; b++) for (let o = 0; o < 6; o++) for (let l = 0; l < 7; l++) {
      for (let i = 0; i < 4; i++) want[(b * 6 + o) * 7 + l] += W[o * 4 + i] * x[(b * 4 + i) * 7 + l];
    }
    lc.tidy(() => expectClose(lin.forward(t(x, [2, 4, 7])).toFloat32Array(), want, 1e-6));
    const errors = lc.tidy(() => {
      const u = t(x, [2, 4, 7]);
      return parameterGradErrors(lin, () => lin.forward(u), 4);
    });
    expectGradsClose(errors, ['weight']);
    lin.dispose();
  });

  test('bad input', () => {
    const lin = new lc.nn.Linear(4, 2, { axis: 1 });
    expectBadInput(() => lin.forward(lc.zeros([2, 5, 3])), RangeError, /^x: expected size 4 along axis 1 \(inFeatures\), got shape \[2,5,3\]/);
    expectBadInput(() => lin.forward(lc.zeros([])), RangeError, /^x: expected rank >= 1, got shape \[\]/);
    expectBadInput(() => lin.forward('x' as unknown as lc.Tensor), TypeError, /^x: expected a Tensor, got string x/);
    expect(() => new lc.nn.Linear(0, 2)).toThrow(RangeError);
    expect(() => new lc.nn.Linear(2, 2, { bais: true } as lc.nn.LinearOptions)).toThrow(/unknown option 'bais'/);
    lin.dispose();
  });
});

describe('LayerNorm', () => {
  for (const [label, shape, axis] of [['channels of [B,H,L] (axis 1)', [2, 5, 6], 1], ['last axis of [B,L,H]', [2, 6, 5], -1]] as const) {
    test(label, () => {
      const norm = new lc.nn.LayerNorm(5, { axis });
      expect(Object.fromEntries(norm.namedParameterInfos().map(([n, i]) => [n, i.group]))).toEqual({ weight: 'noDecay', bias: 'noDecay' });
      // Non-trivial affine parameters, so their gradients are checked too.
      norm.loadStateDict({ weight: t(randomArray(5, 1), [5]), bias: t(randomArray(5, 2), [5]) });
      const w = values(norm.stateDict().weight), b = values(norm.stateDict().bias);
      const x = randomArray(60, 3);
      const a = axis < 0 ? shape.length + axis : axis;
      const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
      const want = new Float64Array(60);
      for (let outer = 0; outer < 60 / (5 * inner); outer++) for (let j = 0; j < inner; j++) {
        const at = (c: number) => (outer * 5 + c) * inner + j;
        let mean = 0, variance = 0;
        for (let c = 0; c < 5; c++) mean += x[at(c)] / 5;
        for (let c = 0; c < 5; c++) variance += (x[at(c)] - mean) ** 2 / 5;
        for (let c = 0; c < 5; c++) want[at(c)] = ((x[at(c)] - mean) / Math.sqrt(variance + 1e-5)) * w[c] + b[c];
      }
      lc.tidy(() => expectClose(norm.forward(t(x, [...shape])).toFloat32Array(), want, 1e-5));
      const errors = lc.tidy(() => {
        const u = t(x, [...shape]);
        return parameterGradErrors(norm, () => norm.forward(u), 5);
      });
      expectGradsClose(errors, ['weight', 'bias']);
      expectBadInput(() => norm.forward(lc.zeros([2, 4, 4])), RangeError, /^x: expected size 5 along axis -?1 \(size\)/);
      norm.dispose();
    });
  }
});

describe('Dropout', () => {
  test('eval mode is the identity; training zeroes about p and scales the rest by 1/(1-p); lc.seed reproduces masks', () => {
    const x = lc.keep(lc.full([4000], 1));
    const a = new lc.nn.Dropout(0.25);
    const b = new lc.nn.Dropout(0.25);
    lc.tidy(() => {
      lc.seed(9);
      const y = values(a.forward(x));
      const zeros = y.filter((v) => v === 0).length;
      expect(zeros / y.length).toBeGreaterThan(0.2);
      expect(zeros / y.length).toBeLessThan(0.3);
      y.filter((v) => v !== 0).forEach((v) => expect(v).toBeCloseTo(1 / 0.75, 6));
      lc.seed(9);
      expect(values(b.forward(x))).toEqual(y);
      expect(values(a.forward(x))).not.toEqual(y); // a fresh mask per call
      a.eval();
      expect(values(a.forward(x))).toEqual(values(x));
    });
    x.dispose();
    expect(() => new lc.nn.Dropout(1)).toThrow(RangeError);
  });
});

describe('Embedding', () => {
  test('looks rows up; gradient into the weight; bad ids', () => {
    const emb = new lc.nn.Embedding(7, 3, { seed: 4 });
    const W = values(emb.stateDict().weight);
    const ids = [0, 6, 2, 2, 5, 1];
    lc.tidy(() => {
      const y = emb.forward(lc.tensor(ids, [2, 3]));
      expect(y.shape).toEqual([2, 3, 3]);
      expect(values(y)).toEqual(Float64Array.from(ids.flatMap((i) => [...W.slice(3 * i, 3 * i + 3)])));
    });
    const errors = lc.tidy(() => {
      const x = lc.tensor(ids, [2, 3]);
      return parameterGradErrors(emb, () => emb.forward(x), 6);
    });
    expectGradsClose(errors, ['weight']);
    expectBadInput(() => emb.forward(lc.tensor([0, 7], [2])), RangeError, /7/);
    emb.dispose();
  });
});

describe('GELU and GLU modules', () => {
  test('GELU is the exact erf form; GLU halves the axis', () => {
    const x = randomArray(2 * 6 * 3, 8).map((v) => 3 * v);
    lc.tidy(() => {
      expectClose(new lc.nn.GELU().forward(t(x, [2, 6, 3])).toFloat32Array(), x.map(gelu), 1e-5);
      const y = new lc.nn.GLU(1).forward(t(x, [2, 6, 3]));
      expect(y.shape).toEqual([2, 3, 3]);
      const want = new Float64Array(18);
      for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) for (let l = 0; l < 3; l++) {
        want[(b * 3 + c) * 3 + l] = x[(b * 6 + c) * 3 + l] * sigmoid(x[(b * 6 + c + 3) * 3 + l]);
      }
      expectClose(y.toFloat32Array(), want, 1e-6);
    });
  });
});
