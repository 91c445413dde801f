// Tensors: creation, tidy/keep, memory, autograd basics, devices; bad input; moving between
// devices and running out of device memory on CUDA.
import * as lc from '../lib';
import { cudaSuite, gpu, gpuOnlyTest } from './devices';
import { liveMemory, memoryAround, settledMemory } from './helpers';

describe('tensors', () => {
  test('round trip through the native buffer', () => {
    const x = lc.tensor([[1, 2, 3], [4, 5, 6]], [2, 3]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.device).toBe('cpu');
    expect(Array.from(x.toFloat32Array())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(x.to('cpu')).toBe(x);
    x.dispose();
    expect(x.isDisposed).toBe(true);
    x.dispose(); // idempotent
  });

  test('zeros, ones, full', () => {
    lc.tidy(() => {
      expect(Array.from(lc.zeros([3]).toFloat32Array())).toEqual([0, 0, 0]);
      expect(Array.from(lc.ones([2]).toFloat32Array())).toEqual([1, 1]);
      expect(Array.from(lc.full([2], 2.5).toFloat32Array())).toEqual([2.5, 2.5]);
    });
  });

  test('randn is reproducible by seed and roughly standard normal', () => {
    lc.tidy(() => {
      const a = lc.randn([10000], { seed: 42 }).toFloat32Array();
      const b = lc.randn([10000], { seed: 42 }).toFloat32Array();
      const c = lc.randn([10000], { seed: 43 }).toFloat32Array();
      expect(a).toEqual(b);
      expect(a).not.toEqual(c);
      const mean = a.reduce((s, v) => s + v, 0) / a.length;
      const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
      expect(Math.abs(mean)).toBeLessThan(0.05);
      expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    });
  });

  test('tidy disposes what it created except the result', () => {
    const live = () => liveMemory().cpu;
    const before = liveMemory(settledMemory()).cpu;
    const kept = lc.tidy(() => {
      lc.zeros([100]);
      const inner = lc.tidy(() => {
        lc.ones([5]);
        return lc.ones([7]);
      });
      return { inner, list: [lc.zeros([3])] };
    });
    expect(live().tensors).toBe(before.tensors + 2);
    lc.dispose(kept);
    expect(live()).toEqual(before);
  });

  test('keep exempts a tensor from tidy', () => {
    let survivor: lc.Tensor | undefined;
    lc.tidy(() => {
      survivor = lc.keep(lc.zeros([4]));
    });
    expect(survivor!.isDisposed).toBe(false);
    survivor!.dispose();
  });

  test('memory stays flat over repeated forward and backward passes', () => {
    const u = lc.randn([2, 4, 300], { seed: 1 });
    const k = lc.randn([4, 300], { seed: 2, requiresGrad: true });
    const D = lc.randn([4], { seed: 3, requiresGrad: true });
    const step = () =>
      lc.tidy(() => {
        lc.fftConv(u, k, { D }).backward(lc.ones([2, 4, 300]));
        lc.dispose([k.grad!, D.grad!]);
        k.grad = null;
        D.grad = null;
      });
    step();
    const around = memoryAround(() => {
      for (let i = 0; i < 20; i++) step();
    });
    expect(liveMemory(around.after)).toEqual(liveMemory(around.before));
    // A graph that is never backpropagated frees its saved buffers with its output.
    const { before, after } = memoryAround(() => lc.tidy(() => {
      lc.fftConv(u, k, { D });
    }));
    expect(liveMemory(after)).toEqual(liveMemory(before));
    lc.dispose([u, k, D]);
  });

  test('a graph outlives the tidy that built it: backward still reaches the leaves', () => {
    const before = settledMemory();
    const a = lc.randn([1, 2, 16], { seed: 1, requiresGrad: true });
    const b = lc.randn([1, 2, 16], { seed: 2 });
    const k = lc.randn([2, 16], { seed: 3, requiresGrad: true });
    // The sum a + b is disposed by tidy, but fftConv's node still needs it for dk.
    const y = lc.tidy(() => lc.fftConv(lc.add(a, b), k));
    const dy = lc.ones([1, 2, 16]);
    y.backward(dy);
    expect(a.grad!.shape).toEqual([1, 2, 16]);
    expect(k.grad!.shape).toEqual([2, 16]);
    lc.dispose([a, b, k, y, dy, a.grad!, k.grad!]);
    expect(lc.memory().cpu.tensors).toBe(before.cpu.tensors);
    expect(lc.memory().cpu.bytes).toBe(before.cpu.bytes);
  });

  test('add and its gradient', () => {
    lc.tidy(() => {
      const a = lc.tensor([1, 2], [2], { requiresGrad: true });
      const b = lc.tensor([10, 20], [2], { requiresGrad: true });
      const c = lc.add(lc.add(a, b), a);
      expect(Array.from(c.toFloat32Array())).toEqual([12, 24]);
      c.backward(lc.tensor([1, 1], [2]));
      expect(Array.from(a.grad!.toFloat32Array())).toEqual([2, 2]);
      expect(Array.from(b.grad!.toFloat32Array())).toEqual([1, 1]);
    });
  });

  test('backendInfo reports threads and why CUDA is (un)available', () => {
    const info = lc.backendInfo();
    expect(info.cpu.threads).toBeGreaterThanOrEqual(1);
    if (info.cuda.available) expect(info.cuda.device).toBeTruthy();
    else expect(info.cuda.reason).toMatch(/\w+/);
  });

  test('CUDA requested without a GPU is a clear error', () => {
    const info = lc.backendInfo();
    if (info.cuda.available) return;
    expect(() => lc.zeros([2], { device: 'cuda' })).toThrow(/CUDA is not available/);
    lc.tidy(() => expect(lc.zeros([1], { device: 'auto' }).device).toBe('cpu'));
  });
});

describe('tensor creation rejects bad input', () => {
  test('data length must match the shape', () => {
    expect(() => lc.tensor([1, 2, 3], [2, 2])).toThrow(RangeError);
    expect(() => lc.tensor([1, 2, 3], [2, 2])).toThrow(/^data: expected 4 values \(shape \[2,2\]\), got 3/);
  });
  test('shape must be non-negative integers', () => {
    expect(() => lc.zeros([2, -1])).toThrow(RangeError);
    expect(() => lc.zeros([2, -1])).toThrow(/^shape\[1\]: expected an integer >= 0, got -1/);
    expect(() => lc.zeros([1.5])).toThrow(TypeError);
    expect(() => lc.zeros([1.5])).toThrow(/^shape\[0\]: expected an integer >= 0, got number 1.5/);
    expect(() => lc.zeros(3 as never)).toThrow(/^shape: expected an array of non-negative integers, got number 3/);
  });
  test('unknown device', () => {
    expect(() => lc.zeros([2], { device: 'tpu' as never })).toThrow(/options.device: expected 'cpu', 'cuda' or 'auto'/);
  });
  test('setNumThreads takes a positive integer', () => {
    expect(() => lc.setNumThreads(0)).toThrow(RangeError);
    expect(() => lc.setNumThreads(1.5)).toThrow(TypeError);
  });
  test('backward needs a gradient of the right shape', () => {
    lc.tidy(() => {
      const k = lc.randn([2, 4], { requiresGrad: true });
      const y = lc.fftConv(lc.randn([1, 2, 4]), k);
      expect(() => y.backward()).toThrow(/^grad: expected a Tensor of shape \[1,2,4\] \(only one-element tensors default to 1\), got undefined/);
      expect(() => y.backward(lc.zeros([1, 2, 3]))).toThrow(/grad: expected shape \[1,2,4\]/);
    });
  });
});

describe('data(): the asynchronous read-back', () => {
  test('resolves to what toFloat32Array returns; a disposed tensor rejects with a TypeError', async () => {
    const x = lc.randn([3, 5], { seed: 4 });
    const pending = x.data();
    expect(pending).toBeInstanceOf(Promise);
    expect(Array.from(await pending)).toEqual(Array.from(x.toFloat32Array()));
    expect(Array.from(await lc.zeros([0]).data())).toEqual([]);
    x.dispose();
    await expect(x.data()).rejects.toThrow(TypeError);
  });
});

cudaSuite('tensors')('tensors on CUDA', () => {
  test('data() reads what was queued before it, not what came after, and may outlive its tensor', async () => {
    const x = lc.tensor([1, 2, 3], [3], { device: gpu });
    const y = lc.scale(x, 2);
    const read = y.data();
    y.dispose(); // its block may be reused at once: the copy is ordered before later work
    const z = lc.scale(x, 10);
    expect(Array.from(await read)).toEqual([2, 4, 6]);
    expect(Array.from(await z.data())).toEqual([10, 20, 30]);
    lc.dispose([x, z]);
  });

  test('tensors move between devices', () => {
    lc.tidy(() => {
      const x = lc.tensor([1, 2, 3, 4], [2, 2]);
      const g = x.to(gpu);
      expect(g.device).toBe(gpu);
      expect(Array.from(g.toFloat32Array())).toEqual([1, 2, 3, 4]);
      expect(Array.from(g.to('cpu').toFloat32Array())).toEqual([1, 2, 3, 4]);
      expect(Array.from(lc.zeros([3], { device: gpu }).toFloat32Array())).toEqual([0, 0, 0]);
    });
  });

  gpuOnlyTest('out of memory is a catchable error', () => {
    const huge = Math.ceil((lc.backendInfo().cuda.memoryBytes ?? 0) / 4 + 1e9);
    let err: (Error & { code?: string }) | undefined;
    try {
      lc.zeros([huge], { device: 'cuda' });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.code).toBe('ERR_LONGCONV_OUT_OF_MEMORY');
    lc.tidy(() => expect(lc.zeros([4], { device: 'cuda' }).toFloat32Array().length).toBe(4));
  });
});
