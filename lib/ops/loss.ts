// Losses: crossEntropy (softmax cross-entropy) and mse, forward and backward (native/loss.h).
// Both return a scalar (shape []) mean, reduced in a fixed order (deterministic).
import { record } from '../autograd';
import { Maybe, native, Storage } from '../native';
import { Tensor, wrap } from '../tensor';
import { checkInteger, checkNonEmpty, checkRank, checkSameDevice, checkShape, checkTensor, describe, fmtShape, rangeError, typeError } from '../validate';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    crossEntropyForward(args: { logits: Storage; labels: Storage; B: number; C: number }): { loss: Storage; softmax: Storage };
    crossEntropyBackward(args: { softmax: Storage; labels: Storage; grad: Storage; B: number; C: number }): { dlogits: Storage };
    mseForward(args: { a: Storage; b: Storage; n: number }): { loss: Storage };
    mseBackward(args: { a: Storage; b: Storage; grad: Storage; n: number; needDa: boolean; needDb: boolean }): { da: Maybe<Storage>; db: Maybe<Storage> };
  }
}

/** The labels as host values: [B] entries from an Int32Array, a number array or a tensor. */
function labelValues(labels: unknown, B: number, logits: Tensor): ArrayLike<number> {
  if (labels instanceof Tensor) {
    checkTensor(labels, 'labels');
    checkShape(labels, 'labels', [B], `[B] of logits ${fmtShape(logits.shape)}`);
    checkSameDevice([['logits', logits], ['labels', labels]]);
    return labels.toFloat32Array();
  }
  if (!(labels instanceof Int32Array) && !Array.isArray(labels)) throw typeError('labels', 'an Int32Array, a number[] or a Tensor', describe(labels));
  if (labels.length !== B) throw rangeError('labels', `${B} labels (B of logits ${fmtShape(logits.shape)})`, `${labels.length}`);
  return labels as ArrayLike<number>;
}

/**
 * Mean softmax cross-entropy: mean over b of logsumexp(logits[b, :]) − logits[b, labels[b]],
 * computed with a max shift (no overflow). The softmax is kept for the backward pass,
 * d/dlogits = (softmax − onehot(labels)) / B. Differentiable in logits.
 * @param logits [B, C]
 * @param labels B class indices, integers in [0, C): Int32Array, number[] or a tensor [B] on the device of logits
 * @returns a scalar tensor (shape [])
 * @throws TypeError for a non-tensor or disposed logits, labels of another type or on another
 *   device, or a label that is not an integer (naming it, `labels[i]`); RangeError for logits
 *   not 2-D or with a zero dimension, a labels count other than B, or a label outside [0, C).
 */
export function crossEntropy(logits: Tensor, labels: Int32Array | number[] | Tensor): Tensor {
  checkTensor(logits, 'logits');
  checkRank(logits, 'logits', ['B,C']);
  const [B, C] = logits.shape;
  checkNonEmpty(logits, 'logits');
  const values = labelValues(labels, B, logits);
  for (let i = 0; i < B; i++) checkInteger(values[i], `labels[${i}]`, { min: 0, max: C - 1 });
  const labelStorage = native.fromArray(logits.device, Float32Array.from(values));
  let forward: { loss: Storage; softmax: Storage };
  try {
    forward = native.crossEntropyForward({ logits: logits.storage, labels: labelStorage, B, C });
  } catch (e) {
    labelStorage.dispose();
    throw e;
  }
  const { loss, softmax } = forward;
  return record(wrap(loss, []), 'crossEntropy', [logits], (g) => [
    wrap(native.crossEntropyBackward({ softmax, labels: labelStorage, grad: g.storage, B, C }).dlogits, logits.shape),
  ], [softmax, labelStorage]);
}

/**
 * Mean squared error: the mean of (a − b)² over every element. Differentiable in a and b.
 * @param a any shape with at least one element
 * @param b the shape of a, on its device
 * @returns a scalar tensor (shape [])
 * @throws TypeError for a non-tensor or disposed tensor or mixed devices; RangeError when the
 *   shapes differ or a has no elements.
 */
export function mse(a: Tensor, b: Tensor): Tensor {
  checkTensor(a, 'a');
  checkTensor(b, 'b');
  checkShape(b, 'b', a.shape, 'the shape of a');
  checkSameDevice([['a', a], ['b', b]]);
  if (a.size < 1) throw rangeError('a', 'at least one element', `shape ${fmtShape(a.shape)}`);
  const n = a.size;
  return record(wrap(native.mseForward({ a: a.storage, b: b.storage, n }).loss, []), 'mse', [a, b], (g) => {
    const { da, db } = native.mseBackward({
      a: a.storage, b: b.storage, grad: g.storage, n, needDa: a.requiresGrad, needDb: b.requiresGrad,
    });
    return [da && wrap(da, a.shape), db && wrap(db, b.shape)];
  });
}
