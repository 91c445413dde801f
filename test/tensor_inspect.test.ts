// Looking at tensors: console.log / util.inspect / String(t) print like PyTorch; item(),
// array(), data(); the chainable methods give what the free functions give.
import { inspect } from 'util';
import * as lc from '../lib';
import { randomArray, t, settledMemory } from './helpers';

describe('printing', () => {
  test('a small matrix: aligned values, shape, device, requiresGrad', () => {
    lc.tidy(() => {
      const x = lc.tensor([[0.1, -1.2, 3], [4, 5.5, -6]], [2, 3], { requiresGrad: true });
      const expected = "tensor([[ 0.1000, -1.2000,  3.0000],\n        [ 4.0000,  5.5000, -6.0000]], shape=[2,3], device='cpu', requiresGrad=true)";
      expect(String(x)).toBe(expected);
      expect(x.toString()).toBe(expected);
      expect(inspect(x)).toBe(expected);
      // Nested in an object, util.inspect indents the continuation lines with the object's entries.
      expect(inspect({ x })).toBe(`{\n  x: ${expected.replace(/\n/g, '\n  ')}\n}`);
    });
  });

  test('an op result names its op; integers print as `3.`; scalars and empty tensors', () => {
    lc.tidy(() => {
      const a = lc.tensor([1, 2, -3], [3], { requiresGrad: true });
      expect(String(lc.mul(a, a))).toBe("tensor([1., 4., 9.], shape=[3], device='cpu', requiresGrad=true, gradFn='mul')");
      expect(String(lc.full([], 0.5))).toBe("tensor(0.5000, shape=[], device='cpu')");
      expect(String(lc.zeros([0, 3]))).toBe("tensor([], shape=[0,3], device='cpu')");
      expect(String(lc.tensor([1, NaN, Infinity, -Infinity], [4]))).toBe("tensor([  1.,  nan,  inf, -inf], shape=[4], device='cpu')");
    });
  });

  test('scientific notation when magnitudes span more than 1000x or leave [1e-4, 1e8]', () => {
    lc.tidy(() => {
      expect(String(lc.tensor([1e-5, 2.5], [2]))).toBe("tensor([1.0000e-05, 2.5000e+00], shape=[2], device='cpu')");
      expect(String(lc.tensor([0.5, 1e9], [2]))).toBe("tensor([5.0000e-01, 1.0000e+09], shape=[2], device='cpu')");
      expect(String(lc.tensor([0.5, 250], [2]))).toBe("tensor([  0.5000, 250.0000], shape=[2], device='cpu')");
    });
  });

  test('3-d tensors separate their blocks by a blank line', () => {
    lc.tidy(() => {
      const x = lc.tensor(Float32Array.from({ length: 8 }, (_, i) => i), [2, 2, 2]);
      expect(String(x)).toBe("tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]], shape=[2,2,2], device='cpu')");
    });
  });

  test('long rows wrap at 80 columns', () => {
    lc.tidy(() => {
      const lines = String(lc.tensor(Float32Array.from({ length: 20 }, (_, i) => i + 0.5), [20])).split('\n');
      expect(lines.length).toBe(3);
      expect(lines[0]).toBe('tensor([ 0.5000,  1.5000,  2.5000,  3.5000,  4.5000,  5.5000,  6.5000,  7.5000,');
      expect(lines[1].startsWith('         8.5000,')).toBe(true);
      lines.slice(0, -1).forEach((l) => expect(l.length).toBeLessThanOrEqual(80));
    });
  });

  test('more than 1000 elements: three entries from each end of every long axis', () => {
    lc.tidy(() => {
      const x = lc.tensor(Float32Array.from({ length: 40 * 50 }, (_, i) => i), [40, 50]);
      const text = String(x);
      expect(text).toBe(
        'tensor([[   0.,    1.,    2., ...,   47.,   48.,   49.],\n' +
          '        [  50.,   51.,   52., ...,   97.,   98.,   99.],\n' +
          '        [ 100.,  101.,  102., ...,  147.,  148.,  149.],\n' +
          '        ...,\n' +
          '        [1850., 1851., 1852., ..., 1897., 1898., 1899.],\n' +
          '        [1900., 1901., 1902., ..., 1947., 1948., 1949.],\n' +
          "        [1950., 1951., 1952., ..., 1997., 1998., 1999.]], shape=[40,50], device='cpu')",
      );
      // Summarising reads only the printed entries and leaves nothing behind.
      const before = settledMemory().cpu.tensors;
      String(lc.zeros([10, 10, 10, 10]));
      expect(lc.memory().cpu.tensors).toBe(before + 1);
    });
  });

  test('a disposed tensor prints without its values', () => {
    const x = lc.zeros([2]);
    x.dispose();
    expect(String(x)).toBe("tensor(<disposed>, shape=[2], device='cpu')");
  });
});

describe('item and array', () => {
  test('item() reads a one-element tensor of any rank', () => {
    lc.tidy(() => {
      expect(lc.full([], 2.5).item()).toBe(2.5);
      expect(lc.full([1, 1, 1], -3).item()).toBe(-3);
      expect(() => lc.zeros([2]).item()).toThrow(new RangeError('tensor: expected one element (item() reads a scalar), got shape [2]'));
    });
    const x = lc.zeros([1]);
    x.dispose();
    expect(() => x.item()).toThrow(TypeError);
  });

  test('array() nests one level per dimension', () => {
    lc.tidy(() => {
      expect(lc.tensor([1, 2, 3, 4, 5, 6], [2, 3]).array()).toEqual([[1, 2, 3], [4, 5, 6]]);
      expect(lc.tensor([1, 2, 3, 4], [2, 1, 2]).array()).toEqual([[[1, 2]], [[3, 4]]]);
      expect(lc.full([], 7).array()).toBe(7);
      expect(lc.zeros([2, 0]).array()).toEqual([[], []]);
      const x = randomArray(3 * 5 * 2, 1);
      expect(t(x, [3, 5, 2]).array()).toEqual(Array.from({ length: 3 }, (_, i) => Array.from({ length: 5 }, (_, j) => [x[i * 10 + j * 2], x[i * 10 + j * 2 + 1]])));
    });
  });
});

describe('data()', () => {
  test('resolves with the values at the time of the call, as toFloat32Array() reads them', async () => {
    const before = settledMemory().cpu.tensors;
    const x = t(randomArray(2 * 3 * 5, 3), [2, 3, 5]);
    const expected = x.toFloat32Array();
    const pending = x.data();
    x.dispose(); // after the call: the promised copy is already taken
    await expect(pending).resolves.toEqual(expected);
    expect(lc.memory().cpu.tensors).toBe(before);
  });

  test('a disposed tensor rejects with the TypeError toFloat32Array() throws', async () => {
    const x = lc.zeros([3]);
    x.dispose();
    await expect(x.data()).rejects.toThrow(new TypeError("tensor: expected a live Tensor, got a disposed one (shape [3], device 'cpu')"));
  });
});

describe('chainable methods', () => {
  test('each method is its free function with the tensor first', () => {
    lc.tidy(() => {
      const a = t(randomArray(12, 1), [3, 4]);
      const b = t(randomArray(12, 2).map((v) => v + 2), [3, 4]);
      const w = t(randomArray(8, 3), [4, 2]);
      const same = (x: lc.Tensor, y: lc.Tensor) => {
        expect(x.shape).toEqual(y.shape);
        expect(x.toFloat32Array()).toEqual(y.toFloat32Array());
      };
      same(a.add(b), lc.add(a, b));
      same(a.sub(b), lc.sub(a, b));
      same(a.mul(b), lc.mul(a, b));
      same(a.div(b), lc.div(a, b));
      same(a.neg(), lc.neg(a));
      same(a.exp(), lc.exp(a));
      same(b.log(), lc.log(b));
      same(b.sqrt(), lc.sqrt(b));
      same(a.square(), lc.square(a));
      same(a.scale(3), lc.scale(a, 3));
      same(a.addScalar(3), lc.addScalar(a, 3));
      same(a.relu(), lc.relu(a));
      same(a.sigmoid(), lc.sigmoid(a));
      same(a.tanh(), lc.tanh(a));
      same(a.gelu(), lc.gelu(a));
      same(a.softmax(0), lc.softmax(a, 0));
      same(a.logSoftmax(), lc.logSoftmax(a));
      same(a.sum(1, true), lc.sum(a, 1, true));
      same(a.mean(), lc.mean(a));
      same(a.max(1).values, lc.max(a, 1).values);
      same(a.min(0).indices, lc.min(a, 0).indices);
      same(a.argmax(1), lc.argmax(a, 1));
      same(a.argmin(), lc.argmin(a));
      same(a.reshape([2, 6]), lc.reshape(a, [2, 6]));
      same(a.permute([1, 0]), lc.permute(a, [1, 0]));
      same(a.transpose(0, 1), lc.transpose(a, 0, 1));
      same(a.narrow(1, 1, 2), lc.narrow(a, 1, 1, 2));
      same(a.matmul(w), lc.matmul(a, w));
    });
  });

  test('chains record the graph like the free functions', () => {
    lc.tidy(() => {
      const x = lc.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
      const y = lc.tensor([0.5, -1], [2]);
      const loss = x.add(y).mul(x).reshape([4]).sum();
      loss.backward();
      // d/dx of sum((x + y) · x) = 2x + y
      expect(Array.from(x.grad!.toFloat32Array())).toEqual([2.5, 3, 6.5, 7]);
      x.grad!.dispose();
    });
  });
});
