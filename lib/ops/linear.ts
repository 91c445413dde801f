// matmul and linear, with their backward passes, on one native GEMM (native/gemm.h): CPU
// kernel native/gemm_cpu.cc, CUDA kernel cuda/gemm.cu (cuBLAS).
//
// Every product is described to the GEMM as row-major matrices plus batch dimensions with a
// stride per operand: a stride of 0 broadcasts an operand, and a stride of 0 for the output sums
// over that dimension, which is how the gradient of a broadcast operand is reduced.
import { record } from '../autograd';
import { Maybe, native, Storage } from '../native';
import { numelOf, Tensor, wrap } from '../tensor';
import { checkAxis, checkMinRank, checkNonEmpty, checkOptionalTensor, checkOptions, checkRank, checkSameDevice, checkShape, checkTensor, fmtShape, rangeError } from '../validate';
import { broadcastShapes, padShape, sumTo } from './primitives';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    /** batch: [size, strideA, strideB, strideC] per dimension, flattened; biasKind: a code of opCodes.gemmBias. */
    gemm(args: {
      A: Storage; B: Storage; bias: Maybe<Storage>; biasKind: number; transA: boolean; transB: boolean;
      M: number; N: number; K: number; lda: number; ldb: number; ldc: number; batch: number[]; outFloats: number;
    }): { C: Storage };
  }
}

const BiasKind = native.opCodes.gemmBias;

/** One GEMM: C = op(A) op(B) (+ bias) over `batch`, C given the shape `shape` (contiguous). */
interface GemmCall {
  A: Tensor;
  B: Tensor;
  transA?: boolean;
  transB?: boolean;
  M: number;
  N: number;
  K: number;
  lda: number;
  ldb: number;
  ldc: number;
  batch?: number[][];
  bias?: { tensor: Tensor; kind: number } | null;
  shape: readonly number[];
}

function gemm(g: GemmCall): Tensor {
  const { C } = native.gemm({
    A: g.A.storage, B: g.B.storage, bias: g.bias?.tensor.storage ?? null, biasKind: g.bias?.kind ?? BiasKind.none,
    transA: !!g.transA, transB: !!g.transB, M: g.M, N: g.N, K: g.K, lda: g.lda, ldb: g.ldb, ldc: g.ldc,
    batch: (g.batch ?? []).flat(), outFloats: numelOf(g.shape),
  });
  return wrap(C, g.shape);
}

/**
 * Strides (in floats) over the broadcast batch dims `rank` of an operand with batch shape
 * `shape` whose matrices hold `matrix` floats: 0 where the operand has size 1 (broadcast there).
 */
function batchStrides(shape: readonly number[], rank: number, matrix: number): number[] {
  const padded = padShape(shape, rank);
  const strides = new Array<number>(rank);
  let step = matrix;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : step;
    step *= padded[d];
  }
  return strides;
}

/**
 * Matrix product over the last two dims, batched over the leading ones with NumPy broadcasting:
 * a [..., M, K] times b [..., K, N] -> [..., M, N] (b may be 2-D, [K, N], shared by the batch).
 * FP32 throughout (no TF32 on CUDA). Differentiable in a and b; the gradient of a broadcast
 * operand is summed over the dims it was broadcast along.
 * @throws TypeError for a non-tensor, a disposed tensor or mixed devices; RangeError for a rank
 *   below 2, a dimension below 1, K of b differing from K of a, or batch dims that do not broadcast.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'a');
  checkTensor(b, 'b');
  checkMinRank(a, 'a', 2, '...,M,K');
  checkMinRank(b, 'b', 2, '...,K,N');
  const [M, K] = a.shape.slice(-2);
  const [Kb, N] = b.shape.slice(-2);
  if (Kb !== K) throw rangeError('b', `${K} rows (K, the last dim of a ${fmtShape(a.shape)})`, `shape ${fmtShape(b.shape)}`);
  const batch = broadcastShapes('a', a.shape.slice(0, -2), 'b', b.shape.slice(0, -2));
  checkNonEmpty(a, 'a');
  checkNonEmpty(b, 'b');
  checkSameDevice([['a', a], ['b', b]]);

  const rank = batch.length;
  const sa = batchStrides(a.shape.slice(0, -2), rank, M * K);
  const sb = batchStrides(b.shape.slice(0, -2), rank, K * N);
  const sc = batchStrides(batch, rank, M * N);
  const dims = (x: number[], y: number[], z: number[]) => batch.map((size, d) => [size, x[d], y[d], z[d]]);
  const out = gemm({ A: a, B: b, M, N, K, lda: K, ldb: N, ldc: N, batch: dims(sa, sb, sc), shape: [...batch, M, N] });

  return record(out, 'matmul', [a, b], (dc) => [
    // dA = dC B^T, dB = A^T dC, each summed where its operand was broadcast (output stride 0).
    a.requiresGrad ? gemm({ A: dc, B: b, transB: true, M, N: K, K: N, lda: N, ldb: N, ldc: K, batch: dims(sc, sb, sa), shape: a.shape }) : null,
    b.requiresGrad ? gemm({ A: a, B: dc, transA: true, M: K, N, K: M, lda: K, ldb: N, ldc: N, batch: dims(sa, sc, sb), shape: b.shape }) : null,
  ]);
}

/** Options of {@link linear} (the module `nn.Linear` has its own, {@link nn.LinearOptions}). */
export interface LinearOpOptions {
  /** The axis of x holding the I input features (default -1); it becomes O in the output. */
  axis?: number;
}

/**
 * Affine map y = W x + b along one axis of x: weight [O, I], bias [O] (optional), x of any rank
 * with size I along `axis`; y has x's shape with that axis of size O.
 * - axis = -1 (default): x [..., I] -> x Wᵀ + b, [..., O] (one GEMM over all rows).
 * - axis = 1 on [B, H, L]: the 1×1 convolution H -> O, [B, O, L] (a strided-batched GEMM,
 *   W times each x[b], no transposes).
 * Any other axis works the same way as axis 1 (dims before it form the batch, after it the columns).
 * Differentiable in x, weight and bias (dW and db sum over every position).
 * @throws TypeError for a non-tensor, a disposed tensor, an unknown option, a non-integer axis or
 *   mixed devices; RangeError for weight not 2-D, bias not [O], x's size along axis not I, an axis
 *   out of range or a dimension below 1.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, options?: LinearOpOptions): Tensor {
  checkTensor(x, 'x');
  checkTensor(weight, 'weight');
  const b = checkOptionalTensor(bias, 'bias');
  const opts = checkOptions<LinearOpOptions>(options, 'options', ['axis']);
  checkRank(weight, 'weight', ['O,I']);
  checkMinRank(x, 'x', 1, '...,I');
  const axis = checkAxis(opts.axis, x.shape.length, 'options.axis', -1);
  const [O, I] = weight.shape;
  if (x.shape[axis] !== I) throw rangeError('x', `size ${I} along axis ${axis} (I of weight ${fmtShape(weight.shape)})`, `shape ${fmtShape(x.shape)}`);
  if (b) checkShape(b, 'bias', [O], `[O] with O of weight ${fmtShape(weight.shape)}`);
  checkNonEmpty(x, 'x');
  checkNonEmpty(weight, 'weight');
  checkSameDevice([['x', x], ['weight', weight], ['bias', b]]);

  const pre = numelOf(x.shape.slice(0, axis));
  const post = numelOf(x.shape.slice(axis + 1));
  const yShape = x.shape.map((d, i) => (i === axis ? O : d));
  const W = weight;
  // Rows layout (post = 1): x is [pre, I], y = x Wᵀ. Columns layout: x is [pre][I, post], y[p] = W x[p].
  const rows = post === 1;
  const y = rows
    ? gemm({ A: x, B: W, transB: true, M: pre, N: O, K: I, lda: I, ldb: I, ldc: O, bias: b && { tensor: b, kind: BiasKind.cols }, shape: yShape })
    : gemm({
      A: W, B: x, M: O, N: post, K: I, lda: I, ldb: post, ldc: post,
      batch: [[pre, 0, I * post, O * post]], bias: b && { tensor: b, kind: BiasKind.rows }, shape: yShape,
    });

  return record(y, 'linear', [x, weight, b], (dy) => {
    let dx: Tensor | null = null;
    let dW: Tensor | null = null;
    if (x.requiresGrad) {
      dx = rows
        ? gemm({ A: dy, B: W, M: pre, N: I, K: O, lda: O, ldb: I, ldc: I, shape: x.shape })
        : gemm({ A: W, B: dy, transA: true, M: I, N: post, K: O, lda: I, ldb: post, ldc: post, batch: [[pre, 0, O * post, I * post]], shape: x.shape });
    }
    if (weight.requiresGrad) {
      dW = rows
        ? gemm({ A: dy, B: x, transA: true, M: O, N: I, K: pre, lda: O, ldb: I, ldc: I, shape: W.shape })
        : gemm({ A: dy, B: x, transB: true, M: O, N: I, K: post, lda: post, ldb: post, ldc: I, batch: [[pre, O * post, I * post, 0]], shape: W.shape });
    }
    const db = b?.requiresGrad ? sumTo(dy.storage, [pre, O, post], [1, O, 1], 1, [O]) : null;
    return [dx, dW, db];
  });
}
