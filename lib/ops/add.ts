// add: elementwise sum of two tensors of the same shape, with its backward.
// Kernels: add_cpu (native/elementwise_cpu.cc) and add_cuda (cuda/elementwise.cu).
import { record } from '../autograd';
import { checkSameDevice, checkShape, checkTensor } from '../errors';
import { native, Storage } from '../native';
import { Tensor, wrap } from '../tensor';

declare module '../native' {
  interface NativeBinding {
    add(a: Storage, b: Storage, out: Storage, n: number): void;
  }
}

/** a + b for tensors of the same shape and device. */
export function add(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'a', Tensor);
  checkTensor(b, 'b', Tensor);
  checkShape(b, 'b', a.shape, 'the shape of a');
  checkSameDevice([['a', a], ['b', b]]);
  const out = wrap(native.alloc(a.device, a.size, false), a.shape);
  native.add(a.storage, b.storage, out.storage, a.size);
  const copy = (g: Tensor) => wrap(native.copyTo(g.storage, g.device), g.shape);
  return record(out, 'add', [a, b], (g) => [a.requiresGrad ? copy(g) : null, b.requiresGrad ? copy(g) : null]);
}
