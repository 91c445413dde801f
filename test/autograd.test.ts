// Autograd safety: PyTorch's version counter (a tensor an op used and that was then changed in
// place makes backward throw, naming it), backward on a disposed output, and requiresGrad
// turned on after an op used the tensor.
import * as lc from '../lib';

function thrownBy(fn: () => void): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception');
}

describe('a tensor changed in place after an op used it', () => {
  test('by loadStateDict: backward throws, naming the parameter', () => {
    const lin = new lc.nn.Linear(3, 1, { bias: false, seed: 1 });
    const x = lc.ones([2, 3]);
    const loss = lc.sum(lin.forward(x));
    const weight = lc.full([1, 3], 5);
    lin.loadStateDict({ weight });
    const e = thrownBy(() => loss.backward());
    expect(e.code).toBe('ERR_LONGCONV_MODIFIED_IN_PLACE');
    expect(e.message).toMatch(/the tensor 'weight' \(shape \[1,3\], device 'cpu'\), was modified in place after '.*' used it \(version 1, saved at version 0\)/);
    expect(lin.parameters()[0].grad).toBeNull(); // no gradient was written
    // A fresh forward pass works.
    lc.tidy(() => lc.sum(lin.forward(x)).backward());
    expect(Array.from(lin.parameters()[0].grad!.toFloat32Array())).toEqual([2, 2, 2]);
    lc.dispose([loss, x, weight]);
    lin.dispose();
  });

  test('by an optimizer step', () => {
    const lin = new lc.nn.Linear(3, 2, { seed: 2 });
    const opt = new lc.optim.AdamW(lin);
    const x = lc.ones([4, 3]);
    lc.tidy(() => lc.sum(lin.forward(x)).backward());
    const stale = lc.sum(lin.forward(x)); // computed with the parameters before the step
    opt.step();
    expect(thrownBy(() => stale.backward()).code).toBe('ERR_LONGCONV_MODIFIED_IN_PLACE');
    lc.dispose([stale, x]);
    lin.dispose();
    opt.dispose();
  });

  test('by gradient clipping (a gradient used as an op input)', () => {
    const w = lc.tensor([3, 4], [2], { requiresGrad: true });
    lc.sum(lc.square(w)).backward(); // grad = 2w = [6, 8], norm 10
    const g = w.grad!;
    g.requiresGrad = true;
    const y = lc.sum(lc.mul(g, g));
    lc.optim.clipGradNorm([w], 1);
    expect(thrownBy(() => y.backward()).message).toMatch(/was modified in place/);
    lc.dispose([w, g, y]);
  });

  test('the version counts each change', () => {
    const lin = new lc.nn.Linear(2, 2);
    const [weight] = lin.parameters();
    expect(weight.version).toBe(0);
    lin.loadStateDict(lin.stateDict());
    expect(weight.version).toBe(1);
    lin.dispose();
  });
});

describe('backward', () => {
  test('on a disposed output throws a TypeError', () => {
    const w = lc.tensor([1, 2, 3], [3], { requiresGrad: true });
    const y = lc.sum(lc.mul(w, w));
    y.dispose();
    expect(() => y.backward()).toThrow(TypeError);
    expect(() => y.backward()).toThrow(/backward: expected a live Tensor, got a disposed one \(shape \[\], device 'cpu'\)/);
    expect(w.grad).toBeNull();
    w.dispose();
  });

  test('with requiresGrad turned on after an op used the tensor: a named error, not a wrong or missing gradient', () => {
    const x = lc.tensor([1, 2], [2]);
    const w = lc.tensor([3, 4], [2], { requiresGrad: true });
    const y = lc.sum(lc.mul(x, w));
    x.requiresGrad = true;
    const e = thrownBy(() => y.backward());
    expect(e.code).toBe('ERR_LONGCONV_REQUIRES_GRAD_CHANGED');
    expect(e.message).toMatch(/input 0 of 'mul', the tensor \(shape \[2\], device 'cpu'\), had requiresGrad set to true after 'mul' used it/);
    lc.dispose([x, w, y]);
  });

  test('requiresGrad takes booleans only', () => {
    const x = lc.zeros([1]);
    expect(() => {
      x.requiresGrad = 'yes' as never;
    }).toThrow(/requiresGrad: expected a boolean, got string yes/);
    expect(() => lc.zeros([1], { requiresGrad: 1 as never })).toThrow(TypeError);
    x.dispose();
  });
});
