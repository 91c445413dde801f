// SequenceClassifier (SPEC §2): encoder (Linear or Embedding) -> nLayers residual blocks of a
// long-convolution layer -> pooling over L -> Linear head, as the S4 repository's example model;
// or, for pairs of sequences (LRA Retrieval), the two-tower head on both pooled sequences.
import { checkPositiveInt, checkShape, checkTensor, describe, fmtShape } from '../errors';
import { checkOptions } from '../ops/options';
import { concat, narrow, reshape, transpose } from '../ops/shape';
import { Tensor, tensor, tidy } from '../tensor';
import { ResidualBlock, SequenceLayer } from './block';
import { maskedMeanPool } from '../ops/nn';
import { checkInput, Layer, seedStream } from './layer_utils';
import { BatchNorm, Embedding, GELU, LayerNorm, Linear } from './layers';
import { mul, sub } from '../ops/elementwise';
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
  /** Share each dropout mask of the blocks along L. Default false. */
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
export class RetrievalHead extends Layer {
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
    checkInput(a, 'RetrievalHead a', [2], 1, this.dModel, 'dModel');
    checkShape(checkTensor(b, 'RetrievalHead b', Tensor), 'RetrievalHead b', a.shape, 'the shape of a');
    return tidy(() => this.out.forward(this.gelu.forward(this.hidden.forward(concat([a, b, sub(a, b), mul(a, b)], 1)))));
  }
}

function makeLayer(spec: LayerSpec, H: number, defaults: Record<string, unknown>): SequenceLayer {
  const { type, ...own } = spec;
  const options: unknown = { ...defaults, ...own }; // each layer validates its own options
  switch (type) {
    case 's4d': return new S4D(H, options as ConstructorParameters<typeof S4D>[1]);
    case 's4': return new S4(H, options as ConstructorParameters<typeof S4>[1]);
    case 'sgconv': return new SGConv(H, options as ConstructorParameters<typeof SGConv>[1]);
    case 'multires': return new MultiresConv(H, options as ConstructorParameters<typeof MultiresConv>[1]);
    default: throw new TypeError(`options.layer.type: expected 's4d', 's4', 'sgconv' or 'multires', got ${describe(type)}`);
  }
}

/**
 * A sequence classifier: x [B, L, dInput] (or token ids [B, L]) -> logits [B, nClasses]
 * ([B, L, nClasses] with pool 'none').
 * Parameter names: `encoder.*`, `layers.{i}.layer.*`, `layers.{i}.norm.*` (and
 * `layers.{i}.mixing.*` for MultiresConv blocks), `norm.*` (finalNorm), `decoder.*`
 * (`decoder.classifier.{0,2}.*` for the retrieval head).
 */
export class SequenceClassifier extends Layer {
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
      throw new TypeError('SequenceClassifier options: give exactly one of dInput (real-valued inputs) and nTokens (token ids)');
    }
    this.dModel = checkPositiveInt(opts.dModel, 'options.dModel');
    const nLayers = checkPositiveInt(opts.nLayers, 'options.nLayers');
    this.nClasses = checkPositiveInt(opts.nClasses, 'options.nClasses');
    this.pool = opts.pool ?? 'mean';
    if (!['mean', 'last', 'none'].includes(this.pool)) throw new TypeError(`options.pool: expected 'mean', 'last' or 'none', got ${describe(this.pool)}`);
    const norm = opts.norm ?? 'layer';
    if (norm !== 'layer' && norm !== 'batch') throw new TypeError(`options.norm: expected 'layer' or 'batch', got ${describe(norm)}`);
    this.head = opts.head ?? 'linear';
    if (this.head !== 'linear' && this.head !== 'retrieval') throw new TypeError(`options.head: expected 'linear' or 'retrieval', got ${describe(this.head)}`);
    if (this.head === 'retrieval' && this.pool === 'none') throw new TypeError("options.head: 'retrieval' needs pooled sequences (pool 'mean' or 'last', not 'none')");
    const spec = opts.layer;
    if (spec === null || typeof spec !== 'object') throw new TypeError(`options.layer: expected an object {type, ...layer options}, got ${describe(spec)}`);
    const seeds = seedStream(opts.seed);

    if (opts.dInput !== undefined) {
      this.dInput = checkPositiveInt(opts.dInput, 'options.dInput');
      this.encoder = this.registerModule('encoder', new Linear(this.dInput, this.dModel, { seed: seeds() }));
    } else {
      this.nTokens = checkPositiveInt(opts.nTokens, 'options.nTokens');
      this.encoder = this.registerModule('encoder', new Embedding(this.nTokens, this.dModel, { seed: seeds() }));
    }
    const layerDefaults: Record<string, unknown> = { dropout: opts.dropout ?? 0 };
    if (opts.lMax !== undefined) layerDefaults.lMax = checkPositiveInt(opts.lMax, 'options.lMax');
    for (let i = 0; i < nLayers; i++) {
      const layer = makeLayer(spec, this.dModel, { ...layerDefaults, seed: seeds() });
      this.blocks.push(this.registerModule(`layers.${i}`, new ResidualBlock(layer, {
        dModel: this.dModel,
        prenorm: opts.prenorm ?? false,
        dropout: opts.dropout ?? 0,
        mixing: layer instanceof MultiresConv ? 'glu' : 'none',
        norm,
        tiedDropout: opts.tiedDropout ?? false,
        seed: seeds(),
      })));
    }
    this.finalNorm = !(opts.finalNorm ?? false) ? null : this.registerModule('norm', norm === 'batch' ? new BatchNorm(this.dModel, { axis: 1 }) : new LayerNorm(this.dModel, { axis: 1 }));
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
    const input = checkTensor(x, 'SequenceClassifier x', Tensor);
    if (this.dInput !== undefined) checkInput(input, 'SequenceClassifier x', [3], 2, this.dInput, 'dInput');
    else if (input.shape.length !== 2) throw new RangeError(`SequenceClassifier x: expected token ids of rank 2 [B, L], got shape ${fmtShape(input.shape)}`);
    const [B, L] = input.shape;
    if (this.head === 'retrieval' && B % 2 !== 0) throw new RangeError(`SequenceClassifier x: head 'retrieval' takes pairs (the first sequences, then the second), got an odd count ${B} (shape ${fmtShape(input.shape)})`);
    if (mask !== undefined) checkShape(checkTensor(mask, 'SequenceClassifier mask', Tensor), 'SequenceClassifier mask', [B, L], `[B, L] of x ${fmtShape(input.shape)}`);
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
    if (t < 0) throw new RangeError(`SequenceClassifier mask: row ${b} has no valid position (pool 'last')`);
    last[b * L + t] = 1;
  }
  return last;
}
