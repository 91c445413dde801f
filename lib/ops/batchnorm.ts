// Batch normalisation over one channel axis (docs/MATH.md §2.12), composed from differentiable
// ops: the statistics of each channel over every other axis are layerNorm's statistics of the
// channel-major copy [C, N], so the normalisation and its backward run in one native layerNorm call.
import { noGrad } from '../autograd';
import { native } from '../native';
import { full, Tensor, tidy } from '../tensor';
import { checkAxis, checkBoolean, checkNumber, checkOptionalTensor, checkOptions, checkSameDevice, checkShape, checkTensor, fmtShape, rangeError, typeError } from '../validate';
import { add, addScalar, div, mul, scale, sqrt, square, sub } from './elementwise';
import { normalizeMiddle } from './layernorm';
import { permute, reshape } from './shape';

/** Options of {@link batchNorm} (the module `nn.BatchNorm` has its own, {@link nn.BatchNormOptions}). */
export interface BatchNormOpOptions {
  /** The channel axis (default 1: the C of [B, C, L]). */
  axis?: number;
  /** Normalise with the batch's statistics and update the running ones (true), or with the running ones (false). Default true. */
  training?: boolean;
  /** Weight of the batch in the running statistics: running = (1 − momentum)·running + momentum·batch. Default 0.1. */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalisation as torch.nn.functional.batch_norm: per channel c (along `axis`),
 * y = (x − μ_c) / sqrt(σ²_c + eps) · weight_c + bias_c. Training: μ and σ² (biased) over every
 * other axis of x; the running statistics, when given, are updated in place with the unbiased
 * variance (σ²·N/(N − 1)). Evaluation: μ and σ² are the running statistics. Differentiable in
 * x, weight and bias (the running statistics are constants).
 * @param x any shape with the channel axis; training needs >= 2 values per channel
 * @param runningMean [C] or null
 * @param runningVar [C] or null (both or neither; evaluation needs both)
 * @param weight optional scale [C]; bias optional shift [C]
 * @throws TypeError for a non-tensor, mixed devices, unknown options; RangeError for an axis
 *   out of range, statistics or affine parameters of the wrong shape, evaluation without
 *   running statistics, training with one value per channel, or momentum outside [0, 1].
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, weight?: Tensor | null, bias?: Tensor | null, options?: BatchNormOpOptions): Tensor {
  checkTensor(x, 'x');
  const opts = checkOptions<BatchNormOpOptions>(options, 'options', ['axis', 'training', 'momentum', 'eps']);
  const axis = checkAxis(opts.axis === undefined ? 1 : opts.axis, x.shape.length, 'options.axis');
  const training = checkBoolean(opts.training, 'options.training', true);
  const momentum = checkNumber(opts.momentum, 'options.momentum', { min: 0, max: 1 }, 0.1);
  const eps = checkNumber(opts.eps, 'options.eps', { min: 0 }, 1e-5);
  const C = x.shape[axis];
  const what = `the channels of x ${fmtShape(x.shape)} along axis ${axis}`;
  const named: [string, Tensor | null][] = [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight ?? null], ['bias', bias ?? null]];
  for (const [name, p] of named) if (checkOptionalTensor(p, name)) checkShape(p!, name, [C], what);
  checkSameDevice([['x', x], ...named]);
  if ((runningMean == null) !== (runningVar == null)) throw typeError('runningMean, runningVar', 'both or neither', runningMean == null ? 'runningVar only' : 'runningMean only');
  if (!training && runningMean == null) throw rangeError('runningMean, runningVar', 'the running statistics for evaluation (options.training false)', 'none');
  const N = C === 0 ? 0 : x.size / C; // values per channel
  if (training && N < 2) throw rangeError('x', 'more than one value per channel for training', `shape ${fmtShape(x.shape)}`);

  // [C] -> broadcastable along `axis`.
  const perChannel = (t: Tensor) => reshape(t, x.shape.map((d, i) => (i === axis ? C : 1)));
  return tidy(() => {
    let y: Tensor;
    if (training) {
      // The channel-major copy [C, rest…] is layerNorm's [outer = C, n = N, inner = 1].
      const order = [axis, ...x.shape.map((_, i) => i).filter((i) => i !== axis)];
      const channelMajor = axis === 0 ? x : permute(x, order);
      const { y: normalized, mean: mu, rstd } = normalizeMiddle(channelMajor, C, N, 1, null, null, eps, runningMean !== null);
      y = axis === 0 ? normalized : permute(normalized, order.map((_, i) => order.indexOf(i)));
      if (runningMean && runningVar) updateRunning(mu!, rstd!, eps, N, momentum, runningMean, runningVar);
    } else {
      const rstd = div(full([C], 1, { device: x.device }), sqrt(addScalar(runningVar!, eps)));
      y = mul(sub(x, perChannel(runningMean!)), perChannel(rstd));
    }
    if (weight) y = mul(y, perChannel(weight));
    if (bias) y = add(y, perChannel(bias));
    return y;
  });
}

// running ← (1 − m)·running + m·batch statistic, in place, outside the graph. The batch
// variance comes back from layerNorm's 1/sqrt(var + eps), made unbiased (·N/(N − 1)).
function updateRunning(mu: Tensor, rstd: Tensor, eps: number, N: number, momentum: number, runningMean: Tensor, runningVar: Tensor): void {
  noGrad(() =>
    tidy(() => {
      const variance = scale(addScalar(div(full([rstd.size], 1, { device: rstd.device }), square(rstd)), -eps), N / (N - 1));
      for (const [running, batch] of [[runningMean, mu], [runningVar, variance]]) {
        native.copyInto(running.storage, add(scale(running, 1 - momentum), scale(batch, momentum)).storage);
        running.markModified();
      }
    }),
  );
}
