// The CUDA backend against the CPU backend. Runs only where CUDA is available.
import * as lc from '../lib';
import { cudaSuite, expectClose, expectMemoryFlat, randomArray, t } from './helpers';

const cuda = lc.backendInfo().cuda;
const describeCuda = cudaSuite();

describeCuda('CUDA backend', () => {
  test('tensors move between devices', () => {
    lc.tidy(() => {
      const x = lc.tensor([1, 2, 3, 4], [2, 2]);
      const g = x.to('cuda');
      expect(g.device).toBe('cuda');
      expect(Array.from(g.toFloat32Array())).toEqual([1, 2, 3, 4]);
      expect(Array.from(g.to('cpu').toFloat32Array())).toEqual([1, 2, 3, 4]);
      expect(Array.from(lc.zeros([3], { device: 'cuda' }).toFloat32Array())).toEqual([0, 0, 0]);
    });
  });

  for (const L of [1, 2, 7, 97, 1000, 4097, 65536]) {
    for (const [C, k3] of [[1, false], [3, true]] as [number, boolean][]) {
      test(`fftConv L=${L} C=${C}: forward and backward equal the CPU backend`, () => {
        const B = 3, H = 4;
        const kShape = k3 ? [C, H, L] : [H, L];
        const data = {
          u: randomArray(B * H * L, L),
          k: randomArray(C * H * L, L + 1),
          kRev: randomArray(C * H * L, L + 2),
          D: randomArray(C * H, L + 3),
          dy: randomArray(B * C * H * L, L + 4),
        };
        const run = (device: lc.Device) =>
          lc.tidy(() => {
            const u = t(data.u, [B, H, L], { device, requiresGrad: true });
            const k = t(data.k, kShape, { device, requiresGrad: true });
            const kRev = t(data.kRev, kShape, { device, requiresGrad: true });
            const D = t(data.D, kShape.slice(0, -1), { device, requiresGrad: true });
            const y = lc.fftConv(u, k, { kRev, D });
            y.backward(t(data.dy, [...y.shape], { device }));
            const out = [y, u.grad!, k.grad!, kRev.grad!, D.grad!].map((x) => x.toFloat32Array());
            lc.dispose([u.grad!, k.grad!, kRev.grad!, D.grad!]);
            return out;
          });
        const gpu = run('cuda');
        const cpu = run('cpu');
        gpu.forEach((g, i) => expectClose(g, cpu[i], 1e-4));
      });
    }
  }

  test('device memory returns to its level after a training-like loop', () => {
    const u = lc.randn([2, 8, 1024], { device: 'cuda', seed: 1 });
    const k = lc.randn([8, 1024], { device: 'cuda', seed: 2, requiresGrad: true });
    const step = () =>
      lc.tidy(() => {
        lc.fftConv(u, k).backward(lc.ones([2, 8, 1024], { device: 'cuda' }));
        k.grad!.dispose();
        k.grad = null;
      });
    const { before, after } = expectMemoryFlat(step, 'cuda', 20);
    expect(after.reservedBytes).toBe(before.reservedBytes); // the cache serves every step
    lc.dispose([u, k]);
  });

  test('out of memory is a catchable error', () => {
    const huge = Math.ceil((cuda.memoryBytes ?? 0) / 4 + 1e9);
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
