// TEMPORARY: stand-ins for lc.linear / lc.layerNorm / lc.crossEntropy until they land on main.
import * as lc from '../lib';
import { linear } from '../lib/nn/pending_ops';
export { linear };
export function layerNorm(x: lc.Tensor, w: lc.Tensor, b: lc.Tensor, { axis }: { axis: number }): lc.Tensor {
  const mu = lc.mean(x, axis, true);
  const d = lc.sub(x, mu);
  const v = lc.mean(lc.square(d), axis, true);
  const shape = x.shape.map((s, i) => (i === axis ? s : 1));
  return lc.add(lc.mul(lc.div(d, lc.sqrt(lc.addScalar(v, 1e-5))), lc.reshape(w, shape)), lc.reshape(b, shape));
}
export function crossEntropy(logits: lc.Tensor, labels: number[]): lc.Tensor {
  const [B, C] = logits.shape;
  const onehot = new Float32Array(B * C);
  labels.forEach((l, i) => (onehot[i * C + l] = 1));
  const lse = lc.log(lc.sum(lc.exp(logits), 1));
  const picked = lc.sum(lc.mul(logits, lc.tensor(onehot, [B, C])), 1);
  return lc.mean(lc.sub(lse, picked));
}
