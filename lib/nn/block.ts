// ResidualBlock (docs/MATH.md §3.5): a sequence layer with dropout, a residual connection and
// LayerNorm (or BatchNorm) over the channels of [B, H, L] — after the residual (post-norm, the
// default) or before the layer.
import { add } from '../ops/elementwise';
import { Tensor, tidy } from '../tensor';
import { checkBoolean, checkOneOf, checkOptions, checkPositiveInt, checkProbability, describe, typeError } from '../validate';
import { BatchNorm, Dropout, GLU, LayerNorm, Linear } from './layers';
import { checkModuleInput, Module, seedStream } from './module';

/** A module mapping [B, H, L] -> [B, H, L]. */
export type SequenceLayer = Module & {
  /** x [B, H, L] -> [B, H, L]. */
  forward(x: Tensor): Tensor;
};

/** Options of {@link ResidualBlock}. */
export interface ResidualBlockOptions {
  /** The channel count H of the block's input and output. */
  dModel: number;
  /** Normalise before the layer (x + dropout(layer(norm(x)))) instead of after the residual. Default false. */
  prenorm?: boolean;
  /** Dropout on the layer's output before the residual (default 0). */
  dropout?: number;
  /** 'glu' adds a 1×1 convolution H -> 2H and GLU after the layer (MultiresConv's block); default 'none'. */
  mixing?: 'none' | 'glu';
  /** 'layer' (default) or 'batch' normalisation over the channels. */
  norm?: 'layer' | 'batch';
  /** Share each dropout mask along L (one value per example and channel). Default false. */
  tiedDropout?: boolean;
  /** Seed for a reproducible initialisation (otherwise the global generator, see lc.seed). */
  seed?: number;
}

/**
 * x -> layer -> [1×1 conv H -> 2H -> GLU] -> dropout -> + x -> norm (post-norm), or
 * `x + dropout([mixing](layer(norm(x))))` (pre-norm). Submodules: `layer`, `norm` (LayerNorm or
 * BatchNorm over axis 1) and, with mixing 'glu', `mixing` (Linear H -> 2H along axis 1).
 */
export class ResidualBlock extends Module {
  /** The channel count H. */
  readonly dModel: number;
  /** Whether the norm comes before the layer. */
  readonly prenorm: boolean;
  private readonly layer: SequenceLayer;
  private readonly norm: LayerNorm | BatchNorm;
  private readonly mixing: Linear | null;
  private readonly glu = new GLU(1);
  private readonly drop: Dropout;

  constructor(layer: SequenceLayer, options: ResidualBlockOptions) {
    super();
    if (!(layer instanceof Module) || typeof (layer as Partial<SequenceLayer>).forward !== 'function') {
      throw typeError('layer', 'a Module with a forward(x) method', describe(layer));
    }
    const opts = checkOptions<ResidualBlockOptions>(options, 'ResidualBlock options', ['dModel', 'prenorm', 'dropout', 'mixing', 'norm', 'tiedDropout', 'seed']);
    this.dModel = checkPositiveInt(opts.dModel, 'options.dModel');
    this.prenorm = checkBoolean(opts.prenorm, 'options.prenorm', false);
    const mixing = checkOneOf(opts.mixing, 'options.mixing', ['none', 'glu'] as const, 'none');
    const norm = checkOneOf(opts.norm, 'options.norm', ['layer', 'batch'] as const, 'layer');
    const seeds = seedStream(opts.seed);
    this.layer = this.registerModule('layer', layer);
    this.mixing = mixing === 'glu' ? this.registerModule('mixing', new Linear(this.dModel, 2 * this.dModel, { axis: 1, seed: seeds() })) : null;
    this.norm = this.registerModule('norm', norm === 'batch' ? new BatchNorm(this.dModel, { axis: 1 }) : new LayerNorm(this.dModel, { axis: 1 }));
    this.drop = this.registerModule('dropout', new Dropout(checkProbability(opts.dropout, 'options.dropout', 0), { tied: checkBoolean(opts.tiedDropout, 'options.tiedDropout', false) }));
  }

  /** x [B, H, L] -> [B, H, L]. @throws RangeError for a rank other than 3 or a channel count other than dModel. */
  forward(x: Tensor): Tensor {
    const input = checkModuleInput(x, this, { layout: 'B,H,L', width: { axis: 1, size: this.dModel, what: 'dModel' } });
    return tidy(() => {
      let z = this.layer.forward(this.prenorm ? this.norm.forward(input) : input);
      if (this.mixing) z = this.glu.forward(this.mixing.forward(z));
      const sum = add(this.drop.forward(z), input);
      return this.prenorm ? sum : this.norm.forward(sum);
    });
  }
}
