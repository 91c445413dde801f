// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_).
import { native, Storage } from '../native';
import { Module } from '../nn/module';
import { UnaryOp } from '../ops/primitives';
import { Tensor } from '../tensor';
import { checkNumber, checkTensor, describe, typeError } from '../validate';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    sumOfSquares(args: { x: Storage; n: number }): number;
  }
}

/**
 * Clips gradients by their global norm: with norm = sqrt(Σ over every gradient of Σ g²), when
 * norm > maxNorm each gradient is scaled in place by maxNorm / (norm + 1e-6), as PyTorch does.
 * Parameters without a gradient are skipped; a tensor listed twice counts once. One native
 * sum-of-squares reduction per gradient (in double), on the gradient's own device.
 * @param params tensors whose `.grad` to clip, or a module (its parameters)
 * @param maxNorm the largest allowed norm (> 0)
 * @returns the global norm before clipping (NaN or Infinity when a gradient holds them; then
 *   the gradients are scaled as PyTorch would, by a non-finite factor or not at all).
 * @throws TypeError for a non-tensor, a disposed tensor or gradient; RangeError for maxNorm <= 0.
 */
export function clipGradNorm(params: readonly Tensor[] | Module, maxNorm: number): number {
  // Each tensor once, with the name its errors use.
  const named = new Map<Tensor, string>();
  if (params instanceof Module) for (const [name, p] of params.namedParameters()) named.set(p, `'${name}'`);
  else if (Array.isArray(params)) params.forEach((p, i) => named.has(p) || named.set(checkTensor(p, `params[${i}]`), `params[${i}]`));
  else throw typeError('params', 'an array of tensors or an nn.Module', describe(params));
  checkNumber(maxNorm, 'maxNorm', { min: 0, minExclusive: true });
  const grads: Tensor[] = [];
  for (const [p, name] of named) if (p.grad) grads.push(checkTensor(p.grad, `the gradient of ${name}`));
  let squares = 0;
  for (const g of grads) squares += native.sumOfSquares({ x: g.storage, n: g.size });
  const norm = Math.sqrt(squares);
  const coefficient = maxNorm / (norm + 1e-6);
  if (coefficient < 1) {
    for (const g of grads) {
      native.unary(UnaryOp.affine, g.storage, g.storage, g.size, coefficient, 0);
      g.markModified();
    }
  }
  return norm;
}
