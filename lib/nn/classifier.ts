// SequenceClassifier (docs/MATH.md §3.5): encoder (Linear or Embedding) -> nLayers residual
// blocks of a long-convolution layer -> pooling over L -> Linear head, as the S4 repository's
// example model; or, for pairs of sequences (LRA Retrieval), the two-tower head on both pooled
// sequences.
import { mul, sub } from '../ops/elementwise';
import { maskedMeanPool } from '../ops/nn';
import { concat, narrow, reshape, transpose } from '../ops/shape';
import { Tensor, tensor, tidy } from '../tensor';
import { checkBoolean, checkObject, checkOneOf, checkOptions, checkPositiveInt, checkProbability, checkShape, checkTensor, fmtShape, rangeError, typeError } from '../validate';
import { ResidualBlock, SequenceLayer } from './block';
import { BatchNorm, Embedding, GELU, LayerNorm, Linear } from './layers';
import { checkModuleInput, Module, seedStream } from './module';
import { MultiresConv } from './multires';
import { S4 } from './s4';
import { S4D } from './s4d';
import { SGConv } from './sgconv';

/** Which layer each block holds, with that layer's own options (see S4D, S4, SGConv, MultiresConv). */
export type LayerSpec = {
  /** The layer: S4D, S4, SGConv or MultiresConv; the other keys are that layer's options. */
  type: 's4d' | 's4' | 'sgconv' | 'multires';
} & Record<string, unknown>;

/** Options of {@link SequenceClassifier}. */
export interface SequenceClassifierOptions {
  /** Features per time step of real-valued inputs [B, L, dInput] (a Linear encoder)… */
  dInput?: number;
  /** …or the vocabulary size of token inputs [B, L] (an Embedding encoder). Exactly one is given. */
  nTokens?: number;
  /** Channels H of the blocks. */
  dModel: number;
  /** Number of residual blocks. */
  nLayers: number;
  /** The sequence layer of every block and its options, e.g. `{ type: 's4d', dState: 64 }`. */
  layer: LayerSpec;
  /** Number of classes (the decoder's outputs). */
  nClasses: number;
  /**
   * 'mean' (over the valid positions, default), 'last' (the last valid position), or 'none':
   * no pooling, logits for every position [B, L, nClasses] (sequence-to-sequence tasks).
   */
  pool?: 'mean' | 'last' | 'none';
  /** Pre-norm blocks instead of post-norm (default false, as the reference). */
  prenorm?: boolean;
  /** 'layer' (default) or 'batch' normalisation in the blocks (and the final norm). */
  norm?: 'layer' | 'batch';
  /** Normalise the last block's output once more (the S4 repository's pre-norm models do). Default false. */
  finalNorm?: boolean;
  /** Share each dropout mask of the blocks and their layers along L (the S4 repository's tie_dropout). Default false. */
  tiedDropout?: boolean;
  /**
   * 'linear' (default): a Linear head on the pooled sequence. 'retrieval': each example is a
   * pair of sequences — x holds the B first sequences, then the B second ones — whose pooled
   * features a, b meet in the two-tower head MLP([a, b, a − b, a·b]) (LRA Retrieval).
   */
  head?: 'linear' | 'retrieval';
  /** Dropout of the blocks; also the layers' own dropout unless layer.dropout is given. Default 0. */
  dropout?: number;
  /** The longest sequence (required by the S4, SGConv and MultiresConv layers unless layer.lMax is given). */
  lMax?: number;
  /** Seed for a reproducible initialisation (otherwise the global generator, see lc.seed). */
  seed?: number;
}

const optionNames = ['dInput', 'nTokens', 'dModel', 'nLayers', 'layer', 'nClasses', 'pool', 'prenorm', 'norm', 'finalNorm', 'tiedDropout', 'head', 'dropout', 'lMax', 'seed'];

/**
 * The two-tower head of LRA Retrieval (the S4 repository's RetrievalHead with nli: true):
 * features a, b [B, D] -> Linear(4D -> D) -> GELU -> Linear(D -> nClasses) on [a, b, a − b, a·b].
 * Parameters `classifier.0.*` and `classifier.2.*`, initialised as torch's Linear.
 */
export class RetrievalHead extends Module {
  private readonly hidden: Linear;
  private readonly gelu = new GELU();
  private readonly out: Linear;

  /**
   * @param dModel D, the features of each pooled sequence
   * @param nClasses the outputs
   * @param options `seed` of the initialisation
   */
  constructor(readonly dModel: number, readonly nClasses: number, options?: { seed?: number }) {
    super();
    checkPositiveInt(dModel, 'dModel');
    checkPositiveInt(nClasses, 'nClasses');
    const seeds = seedStream(checkOptions<{ seed?: number }>(options, 'RetrievalHead options', ['seed']).seed);
    this.hidden = this.registerModule('classifier.0', new Linear(4 * dModel, dModel, { seed: seeds() }));
    this.out = this.registerModule('classifier.2', new Linear(dModel, nClasses, { seed: seeds() }));
  }

  /** a, b [B, D] -> logits [B, nClasses]. @throws RangeError for shapes other than [B, dModel] each. */
  forward(a: Tensor, b: Tensor): Tensor {
    checkModuleInput(a, this, { layout: 'B,D', width: { axis: 1, size: this.dModel, what: 'dModel' } }, 'a');
    checkShape(checkModuleInput(b, this, { layout: 'B,D' }, 'b'), 'b', a.shape, 'the shape of a');
    return tidy(() => this.out.forward(this.gelu.forward(this.hidden.forward(concat([a, b, sub(a, b), mul(a, b)], 1)))));
  }
}

const layerClasses = { s4d: S4D, s4: S4, sgconv: SGConv, multires: MultiresConv } as const;

function makeLayer(spec: LayerSpec, H: number, defaults: Record<string, unknown>): SequenceLayer {
  const { type, ...own } = spec;
  const Layer = layerClasses[checkOneOf(type, 'options.layer.type', Object.keys(layerClasses) as (keyof typeof layerClasses)[])];
  return new Layer(H, { ...defaults, ...own } as never); // each layer validates its own options
}

/**
 * A sequence classifier: x [B, L, dInput] (or token ids [B, L]) -> logits [B, nClasses]
 * ([B, L, nClasses] with pool 'none').
 * Parameter names: `encoder.*`, `layers.{i}.layer.*`, `layers.{i}.norm.*` (and
 * `layers.{i}.mixing.*` for MultiresConv blocks), `norm.*` (finalNorm), `decoder.*`
 * (`decoder.classifier.{0,2}.*` for the retrieval head).
 */
export class SequenceClassifier extends Module {
  /** Channels H of the blocks. */
  readonly dModel: number;
  /** Number of classes. */
  readonly nClasses: number;
  /** The pooling over positions. */
  readonly pool: 'mean' | 'last' | 'none';
  /** Features of real-valued inputs (undefined for token inputs). */
  readonly dInput: number | undefined;
  /** Vocabulary size of token inputs (undefined for real-valued inputs). */
  readonly nTokens: number | undefined;
  /** The head: 'linear', or 'retrieval' for pairs of sequences. */
  readonly head: 'linear' | 'retrieval';
  private readonly encoder: Linear | Embedding;
  private readonly blocks: ResidualBlock[] = [];
  private readonly finalNorm: LayerNorm | BatchNorm | null;
  private readonly decoder: Linear | RetrievalHead;

  constructor(options: SequenceClassifierOptions) {
    super();
    const opts = checkOptions<SequenceClassifierOptions>(options, 'SequenceClassifier options', optionNames);
    if ((opts.dInput === undefined) === (opts.nTokens === undefined)) {
      const given = opts.dInput === undefined ? 'neither' : 'both';
      throw typeError('SequenceClassifier options', 'exactly one of dInput (real-valued inputs) and nTokens (token ids)', given);
    }
    this.dModel = checkPositiveInt(opts.dModel, 'options.dModel');
    const nLayers = checkPositiveInt(opts.nLayers, 'options.nLayers');
    this.nClasses = checkPositiveInt(opts.nClasses, 'options.nClasses');
    this.pool = checkOneOf(opts.pool, 'options.pool', ['mean', 'last', 'none'] as const, 'mean');
    const spec = checkObject(opts.layer, 'options.layer', 'an object {type, ...layer options}') as LayerSpec;
    const prenorm = checkBoolean(opts.prenorm, 'options.prenorm', false);
    const norm = checkOneOf(opts.norm, 'options.norm', ['layer', 'batch'] as const, 'layer');
    this.head = checkOneOf(opts.head, 'options.head', ['linear', 'retrieval'] as const, 'linear');
    if (this.head === 'retrieval' && this.pool === 'none') throw typeError('options.head', "pooled sequences for 'retrieval' (pool 'mean' or 'last')", "pool 'none'");
    const seeds = seedStream(opts.seed);

    if (opts.dInput !== undefined) {
      this.dInput = checkPositiveInt(opts.dInput, 'options.dInput');
      this.encoder = this.registerModule('encoder', new Linear(this.dInput, this.dModel, { seed: seeds() }));
    } else {
      this.nTokens = checkPositiveInt(opts.nTokens, 'options.nTokens');
      this.encoder = this.registerModule('encoder', new Embedding(this.nTokens, this.dModel, { seed: seeds() }));
    }
    const tiedDropout = checkBoolean(opts.tiedDropout, 'options.tiedDropout', false);
    const dropout = checkProbability(opts.dropout, 'options.dropout', 0);
    const layerDefaults: Record<string, unknown> = { dropout };
    if (tiedDropout) layerDefaults.tiedDropout = true;
    if (opts.lMax !== undefined) layerDefaults.lMax = checkPositiveInt(opts.lMax, 'options.lMax');
    for (let i = 0; i < nLayers; i++) {
      const layer = makeLayer(spec, this.dModel, { ...layerDefaults, seed: seeds() });
      this.blocks.push(this.registerModule(`layers.${i}`, new ResidualBlock(layer, {
        dModel: this.dModel,
        prenorm,
        dropout,
        mixing: layer instanceof MultiresConv ? 'glu' : 'none',
        norm,
        tiedDropout,
        seed: seeds(),
      })));
    }
    this.finalNorm = !checkBoolean(opts.finalNorm, 'options.finalNorm', false) ? null : this.registerModule('norm', norm === 'batch' ? new BatchNorm(this.dModel, { axis: 1 }) : new LayerNorm(this.dModel, { axis: 1 }));
    // Without pooling the head runs along the channels of [B, dModel, L] (same parameters).
    this.decoder = this.registerModule('decoder', this.head === 'retrieval'
      ? new RetrievalHead(this.dModel, this.nClasses, { seed: seeds() })
      : new Linear(this.dModel, this.nClasses, { seed: seeds(), axis: this.pool === 'none' ? 1 : -1 }));
  }

  /**
   * x [B, L, dInput] (or token ids [B, L] as float32 integers) and an optional mask [B, L]
   * (1 = valid, 0 = padding) -> logits [B, nClasses]. With head 'retrieval', x holds 2B
   * sequences (the B first of each pair, then the B second) and the logits are [B, nClasses].
   * @throws TypeError for a non-tensor; RangeError for a wrong rank or width, a mask of the
   *   wrong shape, (pool 'last') a row without valid positions or (head 'retrieval') an odd
   *   number of sequences.
   */
  forward(x: Tensor, mask?: Tensor): Tensor {
    const input = this.dInput !== undefined
      ? checkModuleInput(x, this, { layout: 'B,L,dInput', width: { axis: 2, size: this.dInput, what: 'dInput' } })
      : checkModuleInput(x, this, { layout: 'B,L' });
    const [B, L] = input.shape;
    if (this.head === 'retrieval' && B % 2 !== 0) throw rangeError('x', "an even count of sequences for head 'retrieval' (the first of each pair, then the second)", `odd count ${B} (shape ${fmtShape(input.shape)})`);
    if (mask !== undefined) checkShape(checkTensor(mask, 'mask'), 'mask', [B, L], `[B,L] of x ${fmtShape(input.shape)}`);
    const last = this.pool === 'last' && mask ? lastPositions(mask) : null; // checked before any work
    return tidy(() => {
      let h = transpose(this.encoder.forward(input), 1, 2); // [B, dModel, L]
      for (const block of this.blocks) h = block.forward(h);
      if (this.finalNorm) h = this.finalNorm.forward(h);
      if (this.pool === 'none') return transpose((this.decoder as Linear).forward(h), 1, 2); // [B, L, nClasses]
      let pooled: Tensor;
      if (this.pool === 'mean') pooled = maskedMeanPool(h, mask);
      else if (last) pooled = maskedMeanPool(h, tensor(last, [B, L], { device: h.device }));
      else pooled = reshape(narrow(h, 2, L - 1, 1), [B, this.dModel]);
      if (this.decoder instanceof RetrievalHead) return this.decoder.forward(narrow(pooled, 0, 0, B / 2), narrow(pooled, 0, B / 2, B / 2));
      return this.decoder.forward(pooled);
    });
  }
}

/** A one-hot mask [B, L] of the last valid position of each row (for pool 'last'), on the host. */
function lastPositions(mask: Tensor): Float32Array {
  const [B, L] = mask.shape;
  const valid = mask.toFloat32Array();
  const last = new Float32Array(B * L);
  for (let b = 0; b < B; b++) {
    let t = L - 1;
    while (t >= 0 && valid[b * L + t] === 0) t--;
    if (t < 0) throw rangeError(`mask[${b}]`, "at least one valid position (pool 'last')", 'none');
    last[b * L + t] = 1;
  }
  return last;
}
