// What the S4 and S4D layers share in how they parameterise an SSM (docs/MATH.md §3.2.1): the
// step size's transform (dt = exp(p) or softplus(p)) and n_ssm, the number of SSM copies
// (Λ, P, B) that the H features share, feature h using copy h mod nSsm.
import { softplus } from '../ops/activations';
import { add, exp } from '../ops/elementwise';
import { reshape } from '../ops/shape';
import { Tensor, tensor, zeros } from '../tensor';
import { checkOneOf, checkPositiveInt, rangeError } from '../validate';

/** How a layer's dt parameter p gives the step size: dt = exp(p) or dt = softplus(p) = log(1 + e^p). */
export type DtTransform = 'exp' | 'softplus';

/** The choices of the dtTransform option, for validation and messages. */
export const DT_TRANSFORMS = ['exp', 'softplus'] as const;

/** Checks a layer's dtTransform option (default 'exp'). */
export function checkDtTransform(value: unknown, name = 'options.dtTransform'): DtTransform {
  return checkOneOf(value, name, DT_TRANSFORMS, 'exp');
}

/**
 * The name of the dt parameter: `kernel.log_dt` (dt = exp) or `kernel.inv_dt` (dt = softplus, the
 * S4 repository's name), so a state dict of one transform never loads silently into the other.
 */
export function dtParameterName(transform: DtTransform): string {
  return transform === 'exp' ? 'kernel.log_dt' : 'kernel.inv_dt';
}

/** dt from the parameter p, differentiable: exp(p) or softplus(p). */
export function dtOf(p: Tensor, transform: DtTransform): Tensor {
  return transform === 'exp' ? exp(p) : softplus(p);
}

/**
 * log dt from one parameter value p, in float64 (the host side of {@link dtOf}): p itself, or
 * log softplus(p). Past |30| the asymptotes (log softplus(p) = p for p ≪ 0, log p for p ≫ 0)
 * agree to float64 rounding and keep every float32 p finite.
 */
export function logDtOf(p: number, transform: DtTransform): number {
  if (transform === 'exp' || p < -30) return p;
  return Math.log(p > 30 ? p : Math.log1p(Math.exp(p)));
}

/** dt = exp(logDtOf(p)). */
export function dtValue(p: number, transform: DtTransform): number {
  return Math.exp(logDtOf(p, transform));
}

/**
 * The parameter value with the given log dt, in float64: log dt itself, or softplus⁻¹(dt) =
 * log(expm1(dt)) — log dt for tiny dt and dt + log(1 − e^−dt) for large dt, where expm1 would
 * lose it (dt < e^−30) or overflow (dt > ~709).
 */
export function dtParameterOf(logDt: number, transform: DtTransform): number {
  if (transform === 'exp' || logDt < -30) return logDt;
  const dt = Math.exp(logDt);
  return dt > 30 ? dt + Math.log1p(-Math.exp(-dt)) : Math.log(Math.expm1(dt));
}

/**
 * The initial dt parameter [H]: log dt ~ U(log dtMin, log dtMax) (`logDt`, as drawn), mapped to
 * the transform's parameter in float64.
 */
export function initialDtParameter(logDt: Tensor, transform: DtTransform): Tensor {
  if (transform === 'exp') return logDt;
  const values = Float32Array.from(logDt.toFloat32Array(), (v) => dtParameterOf(v, transform));
  logDt.dispose();
  return tensor(values, [values.length]);
}

/** Checks a layer's nSsm option: a divisor of H (default H, every feature its own SSM). */
export function checkSsmCopies(value: unknown, H: number): number {
  const nSsm = checkPositiveInt(value, 'options.nSsm', H);
  if (H % nSsm !== 0) throw rangeError('options.nSsm', `a divisor of H = ${H} (each SSM copy serves H / nSsm features)`, String(nSsm));
  return nSsm;
}

/**
 * x with its `axis` of nSsm copies repeated to H entries, entry h being copy h mod nSsm (the S4
 * repository's einops '(v t)' order); x itself when nSsm = H. Differentiable: the gradient of a
 * copy is the sum over the features that use it.
 */
export function repeatCopies(x: Tensor, axis: number, H: number): Tensor {
  const S = x.shape[axis];
  if (S === H) return x;
  const before = x.shape.slice(0, axis), after = x.shape.slice(axis + 1);
  const grouped = reshape(x, [...before, 1, S, ...after]);
  const spread = add(grouped, zeros([...before.map(() => 1), H / S, 1, ...after.map(() => 1)], { device: x.device }));
  return reshape(spread, [...before, H, ...after]);
}
