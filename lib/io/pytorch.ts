// PyTorch interop: io.loadPyTorch reads the papers' official state dicts (safetensors, torch.save
// .pt/.pth, Lightning .ckpt) into longconv modules, converting names, shapes and conventions;
// io.savePyTorch writes a module back as a safetensors state dict of the reference module.
// The per-module conversions are one table (a Plan) used in both directions.
import { convertCt } from '../conv_kernels/s4';
import { Module } from '../nn/module';
import { Embedding, LayerNorm, Linear } from '../nn/layers';
import { MultiresConv } from '../nn/multires';
import { S4 } from '../nn/s4';
import { S4D } from '../nn/s4d';
import { SGConv } from '../nn/sgconv';
import { SequenceClassifier } from '../nn/classifier';
import { DT_TRANSFORMS, DtTransform, dtParameterName, dtParameterOf, dtValue, logDtOf } from '../nn/ssm_params';
import { encodeElements } from './dtypes';
import { kind, PickleValue } from './pickle';
import { writeSafetensors } from './safetensors';
import { CheckpointError, HostTensor, isHostTensor, readPyTorchFile } from './torch_file';
import { checkBoolean, checkFilePath, checkOneOf, checkOptions, checkString, describe, fmtShape, rangeError, typeError } from '../validate';

/** Thrown when a file's state dict does not fit the module (names, shapes, values); nothing was changed. */
export class CheckpointMismatchError extends RangeError {
  /** Stable code for programmatic checks. */
  readonly code = 'ERR_LONGCONV_CHECKPOINT_MISMATCH';
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointMismatchError';
  }
}

/** How the reference parameterises S4's step size: dt = exp(inv_dt) (its kernel's default) or softplus(inv_dt). */
export type { DtTransform };

/** Options of {@link loadPyTorch}. */
export interface LoadPyTorchOptions {
  /**
   * Only keys starting with this prefix are read, with it removed: e.g. 'model.' for a Lightning
   * module's `self.model`, or 'model.s4_layers.0.' for one layer of it. Default ''.
   */
  prefix?: string;
  /** Every target must be filled and every tensor of the (selected) file used. Default true. */
  strict?: boolean;
  /**
   * The dt_transform of the reference S4 kernel that wrote the file: 'exp' or 'softplus'.
   * Default: each S4 layer's own dtTransform (then inv_dt is copied as it is; otherwise it is
   * converted through dt). The reference S4D's dt is always exp(log_dt).
   */
  dtTransform?: DtTransform;
}

/** Options of {@link savePyTorch}. */
export interface SavePyTorchOptions {
  /** The dt_transform of the reference S4 module the file is for: 'exp' or 'softplus'; default each S4 layer's own. */
  dtTransform?: DtTransform;
}

/** One tensor of the reference state dict and the longconv tensor it corresponds to. */
interface Rule {
  /** The reference name. */
  ref: string;
  /** The longconv state-dict name; null for reference-only buffers (l_kernel, ...). */
  lc: string | null;
  /** The reference shape (what export writes and import expects unless `load` says otherwise). */
  refShape: number[];
  /** The element type export writes (the reference's). */
  dtype: 'F32' | 'I64' | 'BOOL';
  /** Import: the longconv values, or a message saying why the source does not fit. Default: same shape, same values. */
  load?: (src: HostTensor) => Float32Array | string;
  /** Export: the reference values from the longconv values. Default: the same values. */
  save?: (values: Float32Array) => Float32Array;
  /** Export of a reference-only buffer: its value. */
  value?: () => Float32Array;
  /** Import of a reference-only buffer: whether it may be absent (strict mode still reports it otherwise). */
  optional?: boolean;
}

/** The conversion of one module: its rules, and steps that need several converted tensors. */
interface Plan {
  rules: Rule[];
  /** Import steps run after every rule: lc values and the raw reference tensors, by name. */
  finish: ((lc: Map<string, Float32Array>, ref: Map<string, HostTensor>) => string | void)[];
}

const prod = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A rule for a tensor stored with the same values in both (shapes may differ by size-1 axes). */
function same(ref: string, lc: string, refShape: number[]): Rule {
  return { ref, lc, refShape, dtype: 'F32' };
}

/**
 * S4 parameters the reference shares across features (its n_ssm copies at `axis`, the layer's
 * nSsm = refShape[axis]): a source with fewer copies, a divisor of nSsm, is repeated — copy j of
 * the layer reads the source's copy j mod n_ssm, so feature h still reads h mod n_ssm (einops
 * '(v t)'). Export writes the layer's nSsm copies.
 */
function shared(ref: string, lc: string, refShape: number[], axis: number, map: (v: number) => number = (v) => v): Rule {
  return {
    ref, lc, refShape, dtype: 'F32',
    load: (src) => {
      const S = refShape[axis];
      const shapeOk = src.shape.length === refShape.length && src.shape.every((d, i) => (i === axis ? d >= 1 && S % d === 0 : d === refShape[i]));
      if (!shapeOk) return `expected shape ${fmtShape(refShape)} (or with a divisor of the layer's nSsm = ${S} at axis ${axis}: fewer SSM copies, repeated), got ${fmtShape(src.shape)}`;
      return repeatCopiesHost(src.data, src.shape, axis, S).map(map);
    },
    save: (values) => values.map(map),
  };
}

/** Host values of `shape` with its `axis` (n copies) repeated to `to` entries, entry j reading copy j mod n. */
function repeatCopiesHost(data: Float32Array, shape: readonly number[], axis: number, to: number): Float32Array {
  const n = shape[axis], outer = prod(shape.slice(0, axis)), inner = prod(shape.slice(axis + 1));
  if (n === to) return data;
  const out = new Float32Array(outer * to * inner);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < to; j++) out.set(data.subarray((o * n + (j % n)) * inner, (o * n + (j % n) + 1) * inner), (o * to + j) * inner);
  return out;
}

function joinPlans(plans: Plan[]): Plan {
  return { rules: plans.flatMap((p) => p.rules), finish: plans.flatMap((p) => p.finish) };
}

/** The shapes of a module's state dict, by name. */
function shapesOf(module: Module): Record<string, number[]> {
  return Object.fromEntries(Object.entries(module.stateDict()).map(([name, t]) => [name, [...t.shape]]));
}

/**
 * The dt parameter p of `layer` (its transform) ↔ the file's (the `file` transform): the same
 * values when the transforms agree, otherwise converted through log dt in float64.
 */
function dtConversion(file: DtTransform, layer: DtTransform): { load: (x: number) => number; save: (p: number) => number } {
  if (file === layer) return { load: (x) => x, save: (p) => p };
  return { load: (x) => dtParameterOf(logDtOf(x, file), layer), save: (p) => dtParameterOf(logDtOf(p, layer), file) };
}

function s4dPlan(m: S4D, lp: string, rp: string): Plan {
  const unsupported = m.channels !== 1 ? `channels = ${m.channels}` : m.bidirectional ? 'bidirectional' : m.disc !== 'zoh' ? `disc '${m.disc}'`
    : m.nSsm !== m.H ? `nSsm = ${m.nSsm} (A shared)` : m.trainB ? 'a trained B' : null;
  if (unsupported) throw rangeError('module', 'an S4D the reference S4D can hold (models/s4/s4d.py: one channel, causal, ZOH, one A per feature, B = 1)', `an S4D with ${unsupported}, which has no counterpart`);
  // The reference's dt is exp(log_dt): a softplus layer's inv_dt is converted.
  const dtName = dtParameterName(m.dtTransform);
  const dt = dtConversion('exp', m.dtTransform);
  return {
    rules: Object.entries(shapesOf(m)).map(([name, shape]) =>
      name === dtName ? { ...same(`${rp}kernel.log_dt`, lp + name, shape), load: (src: HostTensor) => (sameShape(src.shape, shape) ? src.data.map(dt.load) : `expected shape ${fmtShape(shape)}, got ${fmtShape(src.shape)}`), save: (v: Float32Array) => v.map(dt.save) }
        : same(rp + name, lp + name, shape)),
    finish: [],
  };
}

function s4Plan(m: S4, lp: string, rp: string, fileTransform: DtTransform | undefined): Plan {
  const { H, modes: N, rank: R, channels, lMax, nSsm: S } = m;
  const rows = channels * (m.bidirectional ? 2 : 1);
  const k = `${rp}layer.kernel.`;
  const dtName = `${lp}${dtParameterName(m.dtTransform)}`;
  const dt = dtConversion(fileTransform ?? m.dtTransform, m.dtTransform);
  const lKernel = `${k}l_kernel`;
  const rules: Rule[] = [
    {
      ref: `${k}inv_dt`, lc: dtName, refShape: [H, 1], dtype: 'F32',
      load: (src) => {
        if (sameShape(src.shape, [H, N])) return `dt_tie = False (one dt per state, [${H},${N}]) has no counterpart: longconv's S4 has one dt per feature`;
        if (!sameShape(src.shape, [H, 1])) return `expected shape [${H},1], got ${fmtShape(src.shape)}`;
        return src.data.map(dt.load);
      },
      save: (values) => values.map(dt.save),
    },
    shared(`${k}A_real`, `${lp}kernel.log_A_real`, [S, N], 0),
    // The reference builds Λ = −exp(A_real) − i·A_imag; longconv Λ = −exp(log_A_real) + i·A_imag.
    shared(`${k}A_imag`, `${lp}kernel.A_imag`, [S, N], 0, (v) => -v),
    shared(`${k}B`, `${lp}kernel.B`, [1, S, N, 2], 1),
    shared(`${k}P`, `${lp}kernel.P`, [R, S, N, 2], 1),
    same(`${k}C`, `${lp}kernel.C`, [rows, H, N, 2]),
    { ref: lKernel, lc: null, refShape: [], dtype: 'I64', value: () => Float32Array.of(lMax) },
    same(`${rp}layer.D`, `${lp}D`, [channels, H]),
    same(`${rp}output_linear.0.weight`, `${lp}output_linear.0.weight`, [2 * H, channels * H]),
    same(`${rp}output_linear.0.bias`, `${lp}output_linear.0.bias`, [2 * H]),
  ];
  // C holds C̃ for the reference's l_kernel (0: a plain C, before its first forward): re-target
  // it to this layer's lMax with the loaded Λ, P, dt.
  const finish = (lc: Map<string, Float32Array>, ref: Map<string, HostTensor>): string | void => {
    const stored = ref.get(lKernel);
    if (!stored) return;
    const from = stored.data[0];
    if (stored.data.length !== 1 || !Number.isSafeInteger(from) || from < 0) return `'${lKernel}': expected a non-negative integer, got ${Array.from(stored.data)}`;
    if (from === lMax) return;
    const logA = lc.get(`${lp}kernel.log_A_real`)!, aImag = lc.get(`${lp}kernel.A_imag`)!;
    const lambda = new Float32Array(2 * S * N);
    for (let i = 0; i < S * N; i++) [lambda[2 * i], lambda[2 * i + 1]] = [-Math.exp(logA[i]), aImag[i]];
    // convertCt works per feature: the copies repeated over the H features.
    const Lambda = repeatCopiesHost(lambda, [S, N, 2], 0, H);
    const P = repeatCopiesHost(lc.get(`${lp}kernel.P`)!, [R, S, N, 2], 1, H);
    const dtValues = lc.get(dtName)!.map((p) => dtValue(p, m.dtTransform));
    const C = lc.get(`${lp}kernel.C`)!;
    lc.set(`${lp}kernel.C`, convertCt(C, { Lambda, P, dt: dtValues }, rows, from, lMax));
  };
  return { rules, finish: [finish] };
}

function sgconvPlan(m: SGConv, lp: string, rp: string): Plan {
  const shapes = shapesOf(m);
  const H = m.H, rows = shapes['kernel_norm'][0];
  const out = m.glu ? 'output_linear.0.' : 'output_linear.';
  const initialized = `${rp}kernel_norm_initialized`;
  // With a power-law decay the reference is GConv in mode *_learnable_fixed: its multiplier is
  // one number (1), and `decay` holds the exponents.
  const multiplier: Rule = m.powerDecay
    ? {
      ref: `${rp}multiplier`, lc: `${lp}multiplier`, refShape: [], dtype: 'F32',
      load: (src) => (src.data.length === 1 ? new Float32Array(H).fill(src.data[0]) : `expected a scalar (GConv's learnable modes), got shape ${fmtShape(src.shape)}`),
      save: (values) => {
        if (values.some((v) => v !== values[0])) throw rangeError('module', "an SGConv with powerDecay and one multiplier for every feature (GConv's learnable modes hold one number)", `multipliers ${Array.from(values).join(', ')}`);
        return values.subarray(0, 1);
      },
    }
    : same(`${rp}multiplier`, `${lp}multiplier`, [1, H, 1]);
  const rules: Rule[] = [
    same(`${rp}D`, `${lp}D`, shapes['D']),
    same(`${rp}${out}weight`, `${lp}output_linear.weight`, shapes['output_linear.weight']),
    same(`${rp}${out}bias`, `${lp}output_linear.bias`, shapes['output_linear.bias']),
    ...Array.from({ length: m.numScales }, (_, i) => same(`${rp}kernel_list.${i}`, `${lp}kernel_list.${i}`, shapes[`kernel_list.${i}`])),
    {
      // longconv marks a norm not computed yet by zeros; the reference by kernel_norm_initialized
      // (with ones in kernel_norm), so export writes ones there.
      ref: `${rp}kernel_norm`, lc: `${lp}kernel_norm`, refShape: [rows, H, 1], dtype: 'F32',
      save: (values) => (values.every((v) => v === 0) ? values.map(() => 1) : values),
    },
    { ref: initialized, lc: null, refShape: [], dtype: 'BOOL', value: () => Float32Array.of(m.normInitialized ? 1 : 0) },
    multiplier,
    ...(m.powerDecay ? [same(`${rp}decay`, `${lp}decay`, [H])] : []),
  ];
  const finish = (lc: Map<string, Float32Array>, ref: Map<string, HostTensor>): string | void => {
    const flag = ref.get(initialized);
    if (flag && flag.data[0] === 0) lc.set(`${lp}kernel_norm`, new Float32Array(rows * H)); // computed at the first forward
  };
  return { rules, finish: [finish] };
}

function multiresPlan(m: MultiresConv, lp: string, rp: string): Plan {
  const { H, kernelSize: k } = m;
  return {
    rules: [same(`${rp}h0`, `${lp}h0`, [H, 1, k]), same(`${rp}h1`, `${lp}h1`, [H, 1, k]), same(`${rp}w`, `${lp}w`, [H, m.depth + 2])],
    finish: [],
  };
}

/** Linear, LayerNorm, Embedding: torch's names and shapes; `kernelAxis` adds Conv1d's [O, I, 1]. */
function basicPlan(m: Module, lp: string, rp: string, conv1d = false): Plan {
  return {
    rules: Object.entries(shapesOf(m)).map(([name, shape]) => same(rp + name, lp + name, conv1d && name === 'weight' ? [...shape, 1] : shape)),
    finish: [],
  };
}

/**
 * SequenceClassifier ↔ the S4 repository's example.py model (`encoder`, `s4_layers.{i}`,
 * `norms.{i}`, `decoder`) for S4D, S4 and SGConv layers, and ↔ the MultiresConv repository's
 * MultiresNet (`encoder` Conv1d, `seq_layers.{i}`, `mixing_layers.{i}.0`, `norms.{i}`,
 * `output_mapping`) for MultiresConv layers.
 */
function classifierPlan(m: SequenceClassifier, lp: string, rp: string, transform: DtTransform | undefined): Plan {
  const modules = new Map(m.namedModules());
  const multires = modules.get('layers.0.layer') instanceof MultiresConv;
  const plans: Plan[] = [];
  const encoder = modules.get('encoder')!;
  plans.push(basicPlan(encoder, `${lp}encoder.`, `${rp}encoder.`, multires && encoder instanceof Linear));
  for (let i = 0; modules.has(`layers.${i}`); i++) {
    const layer = modules.get(`layers.${i}.layer`)!;
    plans.push(planFor(layer, `${lp}layers.${i}.layer.`, `${rp}${multires ? 'seq_layers' : 's4_layers'}.${i}.`, transform));
    plans.push(basicPlan(modules.get(`layers.${i}.norm`)!, `${lp}layers.${i}.norm.`, `${rp}norms.${i}.`));
    const mixing = modules.get(`layers.${i}.mixing`);
    if (mixing) plans.push(basicPlan(mixing, `${lp}layers.${i}.mixing.`, `${rp}mixing_layers.${i}.0.`, true));
  }
  plans.push(basicPlan(modules.get('decoder')!, `${lp}decoder.`, `${rp}${multires ? 'output_mapping' : 'decoder'}.`));
  return joinPlans(plans);
}

function planFor(m: Module, lp: string, rp: string, transform: DtTransform | undefined): Plan {
  if (m instanceof S4D) return s4dPlan(m, lp, rp);
  if (m instanceof S4) return s4Plan(m, lp, rp, transform);
  if (m instanceof SGConv) return sgconvPlan(m, lp, rp);
  if (m instanceof MultiresConv) return multiresPlan(m, lp, rp);
  if (m instanceof SequenceClassifier) return classifierPlan(m, lp, rp, transform);
  if (m instanceof Linear || m instanceof LayerNorm || m instanceof Embedding) return basicPlan(m, lp, rp);
  throw typeError('module', 'an S4D, S4, SGConv, MultiresConv, SequenceClassifier, Linear, LayerNorm or Embedding (a module with a PyTorch reference counterpart)', describe(m));
}

/** The file's dt_transform (undefined: each layer's own). */
function checkDtTransform(value: unknown): DtTransform | undefined {
  return value === undefined ? undefined : checkOneOf(value, 'options.dtTransform', DT_TRANSFORMS);
}

/** The state dict (name → tensor) a file holds: safetensors, torch.save's dict, or a Lightning checkpoint's 'state_dict'. */
function stateDictOf(value: PickleValue | HostTensor, path: string): Map<string, HostTensor> {
  if (!(value instanceof Map)) throw new CheckpointError(`'${path}' holds ${kind(value)}, not a state dict (a dict of tensors)`);
  let dict = value as Map<PickleValue, PickleValue>;
  const nested = dict.get('state_dict');
  if (nested instanceof Map) dict = nested as Map<PickleValue, PickleValue>; // Lightning
  else if (![...dict.values()].some(isHostTensor)) {
    const keys = [...dict.keys()].map((k) => `'${String(k)}'`).join(', ');
    throw new CheckpointError(`'${path}' holds a dict with keys ${keys}: neither tensors nor a Lightning 'state_dict' entry`);
  }
  const out = new Map<string, HostTensor>();
  for (const [key, v] of dict) {
    if (typeof key !== 'string') throw new CheckpointError(`'${path}': the state dict has a key that is ${kind(key)}, not a string`);
    if (!isHostTensor(v)) throw new CheckpointError(`'${path}': the state dict entry '${key}' is ${kind(v as PickleValue)}, not a tensor`);
    out.set(key, v);
  }
  return out;
}

/** The distinct first-component prefixes of the keys ('model.', ...), with counts, for messages. */
function prefixesPresent(keys: string[]): string {
  const counts = new Map<string, number>();
  for (const key of keys) {
    const dot = key.indexOf('.');
    const p = dot < 0 ? '(none)' : key.slice(0, dot + 1);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return [...counts].map(([p, n]) => (p === '(none)' ? `${n} without a prefix` : `'${p}' (${n})`)).join(', ');
}

/**
 * Loads a PyTorch checkpoint of a reference module into `module`: a `.safetensors` state dict
 * (F32, F16, BF16, F64 and integer dtypes read as float32; complex tensors as their
 * view_as_real [..., 2]), a `torch.save` zip file (`.pt`/`.pth`; read by a restricted
 * unpickler that accepts only state-dict data and never runs code) or a Lightning `.ckpt` (its
 * 'state_dict'). Names, shapes and conventions are converted per layer (see the README's
 * table): S4D as is (a softplus layer's dt converted from log_dt); S4 (S4Block, mode 'dplr')
 * from `layer.kernel.*` with A_imag negated, its n_ssm copies of A, B, P kept as the layer's
 * nSsm (fewer copies, a divisor of nSsm, repeated), inv_dt copied or converted between dt
 * transforms, and C̃ re-targeted from the file's l_kernel to the layer's lMax; SGConv (GConv)
 * with its per-feature multiplier (one number and the exponents `decay` for a layer with
 * powerDecay) and a norm not yet computed left for the first forward; MultiresConv
 * (MultiresLayer) reshaped; SequenceClassifier as the S4 repository's example.py model (or
 * MultiresNet for MultiresConv layers). Everything is read and checked before anything is
 * written: on any error the module is unchanged.
 * @throws CheckpointMismatchError (a RangeError) naming the missing, unexpected or mis-shaped
 *   tensors, or, when no key fits, the prefixes the file holds; CheckpointError for a file that
 *   is not a readable checkpoint; UnpicklingError for a pickle holding anything but state-dict
 *   data; TypeError for bad arguments.
 */
export function loadPyTorch(path: string, module: Module, options?: LoadPyTorchOptions): void {
  checkFilePath(path);
  if (!(module instanceof Module)) throw typeError('module', 'an nn.Module', describe(module));
  const opts = checkOptions<LoadPyTorchOptions>(options, 'loadPyTorch options', ['prefix', 'strict', 'dtTransform']);
  const prefix = checkString(opts.prefix, 'options.prefix', '');
  const strict = checkBoolean(opts.strict, 'options.strict', true);
  const plan = planFor(module, '', '', checkDtTransform(opts.dtTransform));

  const all = stateDictOf(readPyTorchFile(path).value, path);
  const source = new Map<string, HostTensor>();
  for (const [key, t] of all) if (key.startsWith(prefix)) source.set(key.slice(prefix.length), t);
  const what = `${module.constructor.name}`;
  const fileName = prefix ? `'${path}' (keys under '${prefix}')` : `'${path}'`;
  if (!plan.rules.some((r) => source.has(r.ref))) {
    const hint = prefix && source.size === 0 ? `no key starts with '${prefix}'` : `none of its ${source.size} keys is a ${what} name such as '${plan.rules[0].ref}'`;
    throw new CheckpointMismatchError(`loadPyTorch: ${fileName} does not hold a ${what} state dict: ${hint}; prefixes present: ${prefixesPresent([...all.keys()])}`);
  }

  const problems: string[] = [];
  const values = new Map<string, Float32Array>();
  const used = new Set<string>();
  const targets = shapesOf(module);
  for (const rule of plan.rules) {
    const src = source.get(rule.ref);
    if (!src) {
      if (strict && !rule.optional) problems.push(`missing '${rule.ref}' ${fmtShape(rule.refShape)}${rule.lc ? ` (for '${rule.lc}')` : ''}`);
      continue;
    }
    used.add(rule.ref);
    if (!rule.lc) {
      // Reference-only scalars (l_kernel, kernel_norm_initialized); some exporters store them as [1].
      if (src.data.length !== 1) problems.push(`'${rule.ref}': expected a scalar, got shape ${fmtShape(src.shape)}`);
      continue;
    }
    let out: Float32Array | string;
    if (rule.load) out = rule.load(src);
    else out = sameShape(src.shape, rule.refShape) ? src.data : `expected shape ${fmtShape(rule.refShape)}, got ${fmtShape(src.shape)}`;
    if (typeof out === 'string') problems.push(`'${rule.ref}' (for '${rule.lc}' ${fmtShape(targets[rule.lc])}): ${out}`);
    else values.set(rule.lc, out);
  }
  if (strict) for (const [key, t] of source) if (!used.has(key)) problems.push(`unexpected '${key}' ${fmtShape(t.shape)}`);
  if (problems.length === 0) {
    for (const step of plan.finish) {
      const problem = step(values, source);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length) throw new CheckpointMismatchError(`loadPyTorch: ${fileName} does not fit this ${what}: ${problems.join('; ')}`);
  const dict = Object.fromEntries([...values].map(([name, data]) => [name, { data, shape: targets[name] }]));
  module.loadStateDict(dict, { strict });
}

/**
 * Saves `module` as a safetensors state dict of its PyTorch reference module (names, shapes,
 * dtypes and conventions of the table in the README; S4's l_kernel = lMax, SGConv's
 * kernel_norm_initialized), loadable with `module.load_state_dict(safetensors.torch.load_file(path))`.
 * S4's A, B, P are written as the layer's nSsm copies (the reference's n_ssm), inv_dt under
 * the layer's dtTransform unless options.dtTransform names another. loadPyTorch of the file into
 * a layer of the same configuration restores it bit for bit (when the file's dt transform is
 * not the layer's, S4's dt parameter within 6e-8: two float32 roundings through dt).
 * @throws TypeError for a module without a reference counterpart; RangeError for a
 *   configuration the reference cannot express (e.g. an S4D with channels > 1).
 */
export function savePyTorch(path: string, module: Module, options?: SavePyTorchOptions): void {
  checkFilePath(path);
  if (!(module instanceof Module)) throw typeError('module', 'an nn.Module', describe(module));
  const opts = checkOptions<SavePyTorchOptions>(options, 'savePyTorch options', ['dtTransform']);
  const plan = planFor(module, '', '', checkDtTransform(opts.dtTransform));
  const state = module.stateDict();
  const tensors = plan.rules.map((rule) => {
    const values = rule.lc ? (rule.save ?? ((v: Float32Array) => v))(state[rule.lc].toFloat32Array()) : rule.value!();
    return { name: rule.ref, dtype: rule.dtype, shape: rule.refShape, bytes: encodeElements(rule.dtype, values) };
  });
  writeSafetensors(path, tensors, { format: 'pt', 'longconv.module': module.constructor.name });
}
