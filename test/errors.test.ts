import * as lc from '../lib';
import { BadInputCase, fakeTensor, testBadInput } from './helpers';

// Every bad call throws a named TypeError/RangeError before touching memory.
describe('fftConv rejects bad input with a clear message', () => {
  const u = lc.randn([2, 3, 8], { seed: 1 });
  const k = lc.randn([3, 8], { seed: 2 });
  const k3 = lc.randn([2, 3, 8], { seed: 3 });
  afterAll(() => lc.dispose([u, k, k3]));

  const cases: BadInputCase[] = [
    ['u of wrong rank', () => lc.fftConv(lc.zeros([3, 8]), k), RangeError, /^u: expected rank 3 \(\[B,H,L\]\), got shape \[3,8\]/],
    ['k of wrong rank', () => lc.fftConv(u, lc.zeros([8])), RangeError, /^k: expected rank 2 or 3 .*got shape \[8\]/],
    ['H mismatch', () => lc.fftConv(u, lc.zeros([4, 8])), RangeError, /^k: expected shape \[3,8\].*got \[4,8\]/],
    ['L mismatch', () => lc.fftConv(u, lc.zeros([3, 9])), RangeError, /^k: expected shape \[3,8\].*got \[3,9\]/],
    ['kRev shape', () => lc.fftConv(u, k, { kRev: lc.zeros([3, 7]) }), RangeError, /^kRev: expected shape \[3,8\].*got \[3,7\]/],
    ['D of wrong shape for 2-D k', () => lc.fftConv(u, k, { D: lc.zeros([2, 3]) }), RangeError, /^D: expected shape \[3\].*got \[2,3\]/],
    ['C mismatch between k and D', () => lc.fftConv(u, k3, { D: lc.zeros([3, 3]) }), RangeError, /^D: expected shape \[2,3\] \(\[C,H\].*got \[3,3\]/],
    ['non-tensor u', () => lc.fftConv([1, 2, 3] as unknown as lc.Tensor, k), TypeError, /^u: expected a Tensor, got an array/],
    ['non-tensor k', () => lc.fftConv(u, 3 as unknown as lc.Tensor), TypeError, /^k: expected a Tensor, got number 3/],
    ['non-tensor D', () => lc.fftConv(u, k, { D: 'x' as unknown as lc.Tensor }), TypeError, /^D: expected a Tensor, got string x/],
    ['unknown option', () => lc.fftConv(u, k, { d: k } as never), TypeError, /unknown option 'd'/],
    ['options not an object', () => lc.fftConv(u, k, 5 as never), TypeError, /expected an options object/],
    [
      'disposed tensor',
      () => {
        const gone = lc.zeros([3, 8]);
        gone.dispose();
        return lc.fftConv(u, gone);
      },
      TypeError,
      /^k: expected a live Tensor, got a disposed one \(shape \[3,8\], device 'cpu'\)/,
    ],
  ];
  testBadInput(cases);

  test('tensors on different devices', () => {
    // Mixed devices need a GPU to build; the check itself is exercised with a stand-in.
    const fake = fakeTensor([3, 8], 'cuda');
    expect(() => lc.fftConv(u, fake)).toThrow(TypeError);
    expect(() => lc.fftConv(u, fake)).toThrow(/^k: expected device 'cpu' \(the device of u\), got 'cuda'/);
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
