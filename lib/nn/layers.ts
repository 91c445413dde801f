// Basic nn modules: Linear, LayerNorm, BatchNorm, Dropout, Embedding, GELU, GLU — thin wrappers
// over the ops that own their parameters (initialised as PyTorch's defaults) and check their input.
import { gelu, glu } from '../ops/activations';
import { batchNorm } from '../ops/batchnorm';
import { layerNorm } from '../ops/layernorm';
import { linear } from '../ops/linear';
import { dropout, embedding } from '../ops/nn';
import { full, ones, randn, Tensor, zeros } from '../tensor';
import { checkBoolean, checkInteger, checkNumber, checkOptions, checkPositiveInt, checkProbability, checkTensor } from '../validate';
import { checkModuleInput, Module, seedStream, uniformTensor } from './module';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** The axis of x holding the features (default -1; 1 for [B, H, L] inputs: a 1×1 convolution). */
  axis?: number;
  /** Seed of the initialisation (otherwise the global generator, see lc.seed). */
  seed?: number;
}

/**
 * y = W·x + b along `axis`. Parameters `weight` [O, I] and `bias` [O] (group 'noDecay'),
 * initialised U(−1/√I, 1/√I) like torch.nn.Linear.
 */
export class Linear extends Module {
  /** The axis of x holding the features. */
  readonly axis: number;
  /** Whether the layer has a `bias` parameter. */
  readonly hasBias: boolean;

  /**
   * @param inFeatures I, the input features (a positive integer)
   * @param outFeatures O, the output features (a positive integer)
   * @throws TypeError/RangeError for non-positive sizes, unknown options or a non-integer axis.
   */
  constructor(readonly inFeatures: number, readonly outFeatures: number, options?: LinearOptions) {
    super();
    checkPositiveInt(inFeatures, 'inFeatures');
    checkPositiveInt(outFeatures, 'outFeatures');
    const opts = checkOptions<LinearOptions>(options, 'Linear options', ['bias', 'axis', 'seed']);
    this.axis = checkInteger(opts.axis, 'options.axis', {}, -1);
    this.hasBias = checkBoolean(opts.bias, 'options.bias', true);
    const seeds = seedStream(opts.seed);
    const bound = 1 / Math.sqrt(inFeatures);
    this.registerParameter('weight', uniformTensor([outFeatures, inFeatures], bound, seeds()));
    if (this.hasBias) this.registerParameter('bias', uniformTensor([outFeatures], bound, seeds()), 'noDecay');
  }

  /** x [..., I, ...] (I at `axis`) -> [..., O, ...]. @throws RangeError for a rank below 1 or a wrong size at `axis`. */
  forward(x: Tensor): Tensor {
    const t = checkModuleInput(x, this, { width: { axis: this.axis, size: this.inFeatures, what: 'inFeatures' } });
    return linear(t, this.own('weight'), this.hasBias ? this.own('bias') : undefined, { axis: this.axis });
  }
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** The normalised axis (default -1; 1 for the channels of [B, H, L]). */
  axis?: number;
  /** Added to the variance (default 1e-5, > 0). */
  eps?: number;
}

/** Layer normalisation over one axis with `weight` (ones) and `bias` (zeros) [size], group 'noDecay'. */
export class LayerNorm extends Module {
  /** The normalised axis. */
  readonly axis: number;
  /** Added to the variance. */
  readonly eps: number;

  /**
   * @param size entries along the normalised axis (a positive integer)
   * @throws TypeError/RangeError for a non-positive size, unknown options, eps <= 0.
   */
  constructor(readonly size: number, options?: LayerNormOptions) {
    super();
    checkPositiveInt(size, 'size');
    const opts = checkOptions<LayerNormOptions>(options, 'LayerNorm options', ['axis', 'eps']);
    this.axis = checkInteger(opts.axis, 'options.axis', {}, -1);
    this.eps = checkNumber(opts.eps, 'options.eps', { min: 0, minExclusive: true }, 1e-5);
    this.registerParameter('weight', full([size], 1), 'noDecay');
    this.registerParameter('bias', full([size], 0), 'noDecay');
  }

  /** x with `size` entries along `axis` -> same shape. @throws RangeError for a wrong size at `axis`. */
  forward(x: Tensor): Tensor {
    const t = checkModuleInput(x, this, { width: { axis: this.axis, size: this.size, what: 'size' } });
    return layerNorm(t, this.own('weight'), this.own('bias'), { axis: this.axis, eps: this.eps });
  }
}

/** Options of {@link BatchNorm}. */
export interface BatchNormOptions {
  /** The channel axis (default 1: the H of [B, H, L]). */
  axis?: number;
  /** Weight of each batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5, > 0). */
  eps?: number;
}

/**
 * Batch normalisation over the channels (torch.nn.BatchNorm1d): while training, each channel
 * is normalised by the batch's mean and variance over every other axis, which also update the
 * buffers `running_mean` (zeros) and `running_var` (ones); in eval mode by those buffers.
 * Parameters `weight` (ones) and `bias` (zeros) [size], group 'noDecay'.
 */
export class BatchNorm extends Module {
  /** The channel axis. */
  readonly axis: number;
  /** Weight of each batch in the running statistics. */
  readonly momentum: number;
  /** Added to the variance. */
  readonly eps: number;

  /**
   * @param size the number of channels (a positive integer)
   * @throws TypeError/RangeError for a non-positive size, unknown options, a momentum outside
   *   [0, 1] or eps <= 0.
   */
  constructor(readonly size: number, options?: BatchNormOptions) {
    super();
    checkPositiveInt(size, 'size');
    const opts = checkOptions<BatchNormOptions>(options, 'BatchNorm options', ['axis', 'momentum', 'eps']);
    this.axis = checkInteger(opts.axis, 'options.axis', {}, 1);
    this.momentum = checkNumber(opts.momentum, 'options.momentum', { min: 0, max: 1 }, 0.1);
    this.eps = checkNumber(opts.eps, 'options.eps', { min: 0, minExclusive: true }, 1e-5);
    this.registerParameter('weight', full([size], 1), 'noDecay');
    this.registerParameter('bias', full([size], 0), 'noDecay');
    this.registerBuffer('running_mean', zeros([size]));
    this.registerBuffer('running_var', ones([size]));
  }

  /** x with `size` channels along `axis` -> same shape. @throws RangeError for a wrong size at `axis`. */
  forward(x: Tensor): Tensor {
    const t = checkModuleInput(x, this, { width: { axis: this.axis, size: this.size, what: 'size' } });
    return batchNorm(t, this.own('running_mean'), this.own('running_var'), this.own('weight'), this.own('bias'), { axis: this.axis, training: this.training, momentum: this.momentum, eps: this.eps });
  }
}

/**
 * Inverted dropout with probability p while training; the identity in eval mode. Masks are
 * drawn from the global generator, so `lc.seed(s)` before a step makes them reproducible — and
 * a training run resumable from a checkpoint, whatever its modules did before.
 */
export class Dropout extends Module {
  /** Whether one mask value serves a whole row along the last axis (torch's Dropout1d on [B, H, L]). */
  readonly tied: boolean;

  /**
   * @param p the probability of zeroing an element, in [0, 1)
   * @param options `tied`: share the mask along the last axis (the S4 repository's tie_dropout)
   * @throws RangeError for p outside [0, 1).
   */
  constructor(readonly p: number, options?: { tied?: boolean }) {
    super();
    checkProbability(p, 'p');
    this.tied = checkBoolean(checkOptions<{ tied?: boolean }>(options, 'Dropout options', ['tied']).tied, 'options.tied', false);
  }

  /** x (any shape) -> same shape, on x's device. */
  forward(x: Tensor): Tensor {
    return dropout(checkTensor(x, 'x'), this.p, { training: this.training && this.p > 0, tied: this.tied });
  }
}

/** A lookup table `weight` [V, D] ~ N(0, 1) (as torch.nn.Embedding): ids [...] -> [..., D]. */
export class Embedding extends Module {
  /**
   * @param numEmbeddings V, the vocabulary size
   * @param dim D, the embedding size
   * @param options `seed` of the initialisation (otherwise the global generator)
   */
  constructor(readonly numEmbeddings: number, readonly dim: number, options?: { seed?: number }) {
    super();
    checkPositiveInt(numEmbeddings, 'numEmbeddings');
    checkPositiveInt(dim, 'dim');
    const opts = checkOptions<{ seed?: number }>(options, 'Embedding options', ['seed']);
    this.registerParameter('weight', randn([numEmbeddings, dim], { seed: seedStream(opts.seed)() }));
  }

  /** @throws RangeError (from lc.embedding) for an id outside [0, V). */
  forward(indices: Tensor): Tensor {
    return embedding(checkTensor(indices, 'indices'), this.own('weight'));
  }
}

/** The exact (erf) GELU. */
export class GELU extends Module {
  /** x (any shape) -> same shape. */
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

/** GLU over `axis` (default -1): first half · sigmoid(second half). */
export class GLU extends Module {
  /** @param axis the axis that is halved (its size must be even) */
  constructor(readonly axis = -1) {
    super();
    checkInteger(axis, 'axis');
  }

  /** x with 2n entries along `axis` -> n entries there. @throws RangeError for an odd size at `axis`. */
  forward(x: Tensor): Tensor {
    return glu(x, this.axis);
  }
}
