// float32 tensors on the CPU or a CUDA device, their creation functions, and the memory
// scopes (tidy/dispose) that keep long training loops from growing.
import * as os from 'os';
import { inspect } from 'util';
import { backward as runBackward, GradNode } from './autograd';
import { formatTensor } from './format';
// The ops behind the chainable methods. Import cycle: they import this module, and each side
// reads the other's exports only inside functions.
import * as ops from './tensor_ops';
import type { MaxMinResult } from './ops/max_min';
import { checkBoolean, checkFunction, checkNumber, checkNumberValue, checkOneOf, checkOptions, checkSeed, checkShapeArray, checkTensor, codedError, describe, fmtShape, outOfMemory, rangeError, typeError } from './validate';
import { native, Storage } from './native';
import { normalSamples } from './random';

/** Where a tensor's data lives: host memory or the current CUDA device. */
export type Device = 'cpu' | 'cuda';

/** Options of the tensor creation functions (`tensor`, `zeros`, `ones`, `full`, `randn`). */
export interface TensorOptions {
  /**
   * 'cpu' (default), 'cuda', or 'auto' (CUDA when `backendInfo().cuda.available`, else the CPU).
   * 'cuda' without a usable GPU throws an `Error` that gives the reason.
   */
  device?: Device | 'auto';
  /** Make the tensor a leaf of the autograd graph: `backward()` accumulates into its `.grad`. Default false. */
  requiresGrad?: boolean;
}

const scopes: Set<Tensor>[] = [];

/**
 * @internal 'cpu', 'cuda' or 'auto' (undefined: 'cpu') as the device to use.
 * @throws TypeError for another value; Error with code ERR_LONGCONV_CUDA_UNAVAILABLE (and the reason) for 'cuda' without a usable GPU.
 */
export function resolveDevice(device: unknown, name = 'device'): Device {
  const choice = checkOneOf(device, name, ['cpu', 'cuda', 'auto'] as const, 'cpu');
  if (choice === 'cpu') return 'cpu';
  const info = native.backendInfo().cuda;
  if (choice === 'auto') return info.available ? 'cuda' : 'cpu';
  if (!info.available) throw codedError('ERR_LONGCONV_CUDA_UNAVAILABLE', `${name}: CUDA is not available (${info.reason})`);
  return 'cuda';
}

const TENSOR_OPTIONS = ['device', 'requiresGrad'] as const;

/** A shape argument: checkShapeArray, and a size that a tensor can have (checkNumel). */
function shapeArg(shape: unknown): number[] {
  const dims = checkShapeArray(shape, 'shape');
  checkNumel(dims, 'shape');
  return dims;
}

/** @internal The number of elements of a tensor of `shape`. */
export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * @internal Throws RangeError, naming `name`, when a tensor of `shape` could not exist: more
 * than 2^53 - 1 elements (beyond exact integers), or more bytes than the host has memory (the
 * native allocator checks the device's own total).
 */
export function checkNumel(shape: readonly number[], name: string): number {
  const numel = numelOf(shape);
  if (!Number.isSafeInteger(numel)) {
    throw new RangeError(`${name}: shape ${fmtShape(shape)} has ${numel} elements, more than 2^53 - 1`);
  }
  if (4 * numel > hostMemoryBytes) {
    throw new RangeError(`${name}: shape ${fmtShape(shape)} needs ${4 * numel} bytes, more than the ${hostMemoryBytes} bytes of host memory`);
  }
  return numel;
}
const hostMemoryBytes = os.totalmem();

/**
 * @internal A new zeroed Float32Array of n floats for a copy to JS memory. V8's failure to
 * allocate it (a RangeError) becomes an Error with code ERR_LONGCONV_OUT_OF_MEMORY, as native
 * allocations report it.
 */
export function hostFloats(n: number, what: string): Float32Array {
  try {
    return new Float32Array(n);
  } catch (e) {
    if (e instanceof RangeError) throw outOfMemory(`${what}: cannot allocate ${4 * n} bytes of host memory (${e.message})`);
    throw e;
  }
}

/**
 * A dense float32 tensor (row-major) on the CPU or a CUDA device. Create one with
 * {@link tensor}, {@link zeros}, {@link ones}, {@link full} or {@link randn}; free it with
 * `dispose()` or inside {@link tidy}. Ops never mix devices: they throw a `TypeError` naming
 * the argument on a different device. Using a disposed tensor throws a `TypeError`.
 */
export class Tensor {
  /** The dimensions, outermost first (frozen). `[]` is a scalar. */
  readonly shape: readonly number[];
  /** Where the data lives; `to(device)` makes a copy elsewhere. */
  readonly device: Device;
  /** Accumulated gradient of a leaf tensor after backward(). */
  grad: Tensor | null = null;
  /** @internal The op that produced this tensor, when it is part of a graph. */
  gradNode: GradNode | null = null;
  /**
   * A name for error messages (a module's parameters and buffers carry theirs, e.g. 'weight').
   */
  name: string | undefined = undefined;
  private storageRef: Storage | null;
  private gradFlows = false;
  private disposedByUser = false;
  private writes = 0;
  // Graph nodes that will read this tensor in backward. Disposing the tensor hides it from the
  // user at once, but its data (and its own node) live on until those nodes are released, so a
  // composite op may tidy away its intermediates without breaking the graph.
  private graphRefs = 0;

  /** @internal Wraps a native storage; use lc.tensor / lc.zeros / lc.randn instead. */
  constructor(storage: Storage, shape: readonly number[], requiresGrad = false) {
    if (!(storage instanceof native.Storage)) throw typeError('storage', 'a native Storage (make tensors with lc.tensor, lc.zeros, ...)', describe(storage));
    if (!Array.isArray(shape)) throw typeError('shape', 'an array', describe(shape));
    this.storageRef = storage;
    this.shape = Object.freeze([...shape]);
    this.device = storage.device;
    this.gradFlows = checkBoolean(requiresGrad, 'requiresGrad');
    // Live tensors are counted natively, so that one the GC collects without dispose() leaves
    // the count in the collection that frees its buffer (native/binding.h).
    storage.countsAsTensor = true;
    scopes[scopes.length - 1]?.add(this);
  }

  /**
   * Whether gradients flow to this tensor. Leaves keep theirs in `.grad`. Set it before the
   * tensor is used: backward() refuses a graph whose inputs changed their flag after an op
   * recorded them.
   */
  get requiresGrad(): boolean {
    return this.gradFlows;
  }

  /** @throws TypeError for a non-boolean (no coercion). */
  set requiresGrad(value: boolean) {
    this.gradFlows = checkBoolean(value, 'requiresGrad');
  }

  /**
   * How many times the data was changed in place (loadStateDict, an optimizer step, a copy into
   * it). backward() compares it with the version an op saved, as PyTorch's version counter does.
   */
  get version(): number {
    return this.writes;
  }

  /** @internal The data was just overwritten in place. */
  markModified(): void {
    this.writes++;
  }

  /** @internal How error messages name the tensor: its name (if any), shape and device. */
  describe(): string {
    return `${this.name ? `'${this.name}' ` : ''}(shape ${fmtShape(this.shape)}, device '${this.device}')`;
  }

  /** Number of elements. */
  get size(): number {
    return numelOf(this.shape);
  }

  /** Whether `dispose()` was called (directly, by `lc.dispose` or by a `tidy` scope). */
  get isDisposed(): boolean {
    return this.disposedByUser;
  }

  /** @internal The native buffer (still there for the graph after a dispose that it outlives). */
  get storage(): Storage {
    if (!this.storageRef) throw typeError('tensor', 'a live Tensor', `a disposed one (shape ${fmtShape(this.shape)}, device '${this.device}')`);
    return this.storageRef;
  }

  /**
   * Copies the data to a new host Float32Array (row-major). Synchronous: on CUDA it waits for
   * the device's queued work; see {@link Tensor.data} for the asynchronous read.
   * @throws Error with code ERR_LONGCONV_OUT_OF_MEMORY when host memory for the copy runs out.
   */
  toFloat32Array(): Float32Array {
    checkTensor(this, 'tensor');
    const out = hostFloats(this.size, 'toFloat32Array');
    native.readInto(this.storage, out);
    return out;
  }

  /**
   * Copies the data to a new host Float32Array without blocking the event loop: on CUDA the
   * copy is queued behind the work already submitted and a worker thread waits for the device
   * (on the CPU there is nothing to wait for: the copy is made at once). The tensor may be
   * disposed meanwhile; ops queued after the call do not change what is read.
   * @throws (rejects) as toFloat32Array.
   */
  async data(): Promise<Float32Array> {
    checkTensor(this, 'tensor');
    const out = hostFloats(this.size, 'data');
    await native.readIntoAsync(this.storage, out);
    return out;
  }

  /** This tensor on `device`: itself when already there, otherwise a copy (outside the graph). */
  to(device: Device | 'auto'): Tensor {
    const target = resolveDevice(device);
    checkTensor(this, 'tensor');
    if (target === this.device) return this;
    return new Tensor(native.copyTo(this.storage, target), this.shape, this.requiresGrad);
  }

  /** Backpropagates from this tensor. `grad` defaults to 1 for a one-element tensor. */
  backward(grad?: Tensor): void {
    runBackward(this, grad);
  }

  /**
   * Disposes the tensor: frees its data and the buffers its op saved for backward — at once,
   * unless a graph node still needs them for a backward pass, then when that node is released
   * (after backward, or when the graph's output is disposed). Idempotent.
   */
  dispose(): void {
    if (this.disposedByUser) return;
    this.disposedByUser = true;
    this.storageRef!.countsAsTensor = false;
    for (const scope of scopes) scope.delete(this);
    if (this.graphRefs === 0) this.free();
  }

  /** @internal A graph node will read this tensor in backward. */
  retainForGraph(): void {
    this.graphRefs++;
  }

  /** @internal A graph node no longer needs this tensor. */
  releaseFromGraph(): void {
    if (--this.graphRefs === 0 && this.disposedByUser) this.free();
  }

  private free(): void {
    this.storageRef?.dispose();
    this.storageRef = null;
    const node = this.gradNode;
    this.gradNode = null;
    node?.release();
  }

  /**
   * The tensor as PyTorch prints one: its values (summarised beyond 1000 elements: three
   * entries from each end of every long axis), shape, device, and `requiresGrad=true` and the
   * op that made it (`gradFn='mul'`) when it is part of a graph; e.g.
   * `tensor([[0.1000, 0.2000, 0.3000]], shape=[1,3], device='cpu')`. Reads the values (from
   * the GPU for a CUDA tensor); a disposed tensor prints `tensor(<disposed>, ...)`.
   */
  toString(): string {
    return formatTensor(this);
  }

  /** What `console.log(t)` and `util.inspect(t)` print: see {@link Tensor.toString}. */
  [inspect.custom](): string {
    return formatTensor(this);
  }

  /**
   * The value of a one-element tensor (any shape with one element) as a number.
   * @throws RangeError for another number of elements; TypeError for a disposed tensor.
   */
  item(): number {
    checkTensor(this, 'tensor');
    if (this.size !== 1) throw rangeError('tensor', 'one element (item() reads a scalar)', `shape ${fmtShape(this.shape)}`);
    return this.toFloat32Array()[0];
  }

  /**
   * The values as nested arrays of numbers, one level per dimension (`[[1, 2], [3, 4]]` for
   * shape [2, 2]); a 0-d tensor gives its number.
   * @throws TypeError for a disposed tensor.
   */
  array(): NestedArray {
    checkTensor(this, 'tensor');
    const values = this.toFloat32Array();
    const nest = (axis: number, offset: number): NestedArray => {
      if (axis === this.shape.length) return values[offset];
      const stride = numelOf(this.shape.slice(axis + 1));
      return Array.from({ length: this.shape[axis] }, (_, i) => nest(axis + 1, offset + i * stride));
    };
    return nest(0, 0);
  }

  // Chainable forms of the common ops, as tfjs has them: t.method(...args) is lc.method(t, ...args).

  /** `lc.add(this, b)`. */
  add(b: Tensor): Tensor {
    return ops.add(this, b);
  }
  /** `lc.sub(this, b)`. */
  sub(b: Tensor): Tensor {
    return ops.sub(this, b);
  }
  /** `lc.mul(this, b)`. */
  mul(b: Tensor): Tensor {
    return ops.mul(this, b);
  }
  /** `lc.div(this, b)`. */
  div(b: Tensor): Tensor {
    return ops.div(this, b);
  }
  /** `lc.neg(this)`. */
  neg(): Tensor {
    return ops.neg(this);
  }
  /** `lc.exp(this)`. */
  exp(): Tensor {
    return ops.exp(this);
  }
  /** `lc.log(this)`. */
  log(): Tensor {
    return ops.log(this);
  }
  /** `lc.sqrt(this)`. */
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  /** `lc.square(this)`. */
  square(): Tensor {
    return ops.square(this);
  }
  /** `lc.scale(this, s)`: s · this. */
  scale(s: number): Tensor {
    return ops.scale(this, s);
  }
  /** `lc.addScalar(this, s)`: this + s. */
  addScalar(s: number): Tensor {
    return ops.addScalar(this, s);
  }
  /** `lc.relu(this)`. */
  relu(): Tensor {
    return ops.relu(this);
  }
  /** `lc.sigmoid(this)`. */
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  /** `lc.tanh(this)`. */
  tanh(): Tensor {
    return ops.tanh(this);
  }
  /** `lc.gelu(this)`. */
  gelu(): Tensor {
    return ops.gelu(this);
  }
  /** `lc.softmax(this, axis)`. */
  softmax(axis?: number): Tensor {
    return ops.softmax(this, axis);
  }
  /** `lc.logSoftmax(this, axis)`. */
  logSoftmax(axis?: number): Tensor {
    return ops.logSoftmax(this, axis);
  }
  /** `lc.sum(this, axes, keepDims)`. */
  sum(axes?: number | number[], keepDims?: boolean): Tensor {
    return ops.sum(this, axes, keepDims);
  }
  /** `lc.mean(this, axes, keepDims)`. */
  mean(axes?: number | number[], keepDims?: boolean): Tensor {
    return ops.mean(this, axes, keepDims);
  }
  /** `lc.max(this, axis, keepDims)`: `{ values, indices }`. */
  max(axis?: number, keepDims?: boolean): MaxMinResult {
    return ops.max(this, axis, keepDims);
  }
  /** `lc.min(this, axis, keepDims)`: `{ values, indices }`. */
  min(axis?: number, keepDims?: boolean): MaxMinResult {
    return ops.min(this, axis, keepDims);
  }
  /** `lc.argmax(this, axis, keepDims)`. */
  argmax(axis?: number, keepDims?: boolean): Tensor {
    return ops.argmax(this, axis, keepDims);
  }
  /** `lc.argmin(this, axis, keepDims)`. */
  argmin(axis?: number, keepDims?: boolean): Tensor {
    return ops.argmin(this, axis, keepDims);
  }
  /** `lc.reshape(this, shape)`. */
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  /** `lc.permute(this, perm)`. */
  permute(perm: readonly number[]): Tensor {
    return ops.permute(this, perm);
  }
  /** `lc.transpose(this, axis0, axis1)`. */
  transpose(axis0: number, axis1: number): Tensor {
    return ops.transpose(this, axis0, axis1);
  }
  /** `lc.narrow(this, axis, start, length)`. */
  narrow(axis: number, start: number, length: number): Tensor {
    return ops.narrow(this, axis, start, length);
  }
  /** `lc.matmul(this, b)`. */
  matmul(b: Tensor): Tensor {
    return ops.matmul(this, b);
  }
}

/** What {@link Tensor.array} returns: a number (0-d) or arrays nested one level per dimension. */
export type NestedArray = number | NestedArray[];

/** The device and requiresGrad of checked creation options. */
function creation(opts: TensorOptions): { device: Device; requiresGrad: boolean } {
  return { device: resolveDevice(opts.device, 'options.device'), requiresGrad: checkBoolean(opts.requiresGrad, 'options.requiresGrad', false) };
}

function fromHost(data: Float32Array, shape: number[], opts: TensorOptions): Tensor {
  const { device, requiresGrad } = creation(opts);
  return new Tensor(native.fromArray(device, data), shape, requiresGrad);
}

/**
 * Appends the numbers of a nested array to `out` in row-major order. Every level must be
 * regular: all numbers, or all arrays of the same length (no ragged rows).
 */
function flatten(data: unknown[], name: string, out: number[]): void {
  const nested = Array.isArray(data[0]);
  data.forEach((d, i) => {
    const where = `${name}[${i}]`;
    if (nested) {
      if (!Array.isArray(d)) throw typeError(where, `an array (as ${name}[0])`, describe(d));
      const want = (data[0] as unknown[]).length;
      if (d.length !== want) throw rangeError(where, `${want} entries (as ${name}[0]; nested arrays must not be ragged)`, `${d.length}`);
      flatten(d, where, out);
    } else if (typeof d === 'number') out.push(d);
    else throw typeError(where, 'a number', describe(d));
  });
}

/**
 * A tensor from host data.
 * @param data Float32Array (used as is), another numeric typed array, or a (nested) array of
 *   numbers, in row-major order; nested arrays must be regular (no ragged rows).
 * @param shape Dimensions; their product must equal the number of values.
 * @throws TypeError for non-numeric data or unknown options; RangeError for ragged nested
 *   arrays or when the sizes disagree.
 */
export function tensor(data: Float32Array | ArrayLike<number> | unknown[], shape: readonly number[], opts?: TensorOptions): Tensor {
  const dims = shapeArg(shape);
  const options = checkOptions<TensorOptions>(opts, 'options', TENSOR_OPTIONS);
  let values: Float32Array;
  if (data instanceof Float32Array) values = data;
  else if (ArrayBuffer.isView(data) && !(data instanceof DataView) && !(data instanceof BigInt64Array) && !(data instanceof BigUint64Array)) {
    values = Float32Array.from(data as unknown as ArrayLike<number>);
  } else if (Array.isArray(data)) {
    const flat: number[] = [];
    flatten(data, 'data', flat);
    values = Float32Array.from(flat);
  } else throw typeError('data', 'a Float32Array, a numeric typed array or an array of numbers', describe(data));
  if (values.length !== numelOf(dims)) throw rangeError('data', `${numelOf(dims)} values (shape ${fmtShape(dims)})`, `${values.length}`);
  return fromHost(values, dims, options);
}

/** A tensor of zeros. @throws TypeError/RangeError for a bad shape or options. */
export function zeros(shape: readonly number[], opts?: TensorOptions): Tensor {
  const dims = shapeArg(shape);
  const { device, requiresGrad } = creation(checkOptions<TensorOptions>(opts, 'options', TENSOR_OPTIONS));
  return new Tensor(native.alloc(device, numelOf(dims), true), dims, requiresGrad);
}

/** A tensor filled with `value` (any number, NaN and ±Infinity included). @throws TypeError for a non-number value. */
export function full(shape: readonly number[], value: number, opts?: TensorOptions): Tensor {
  const dims = shapeArg(shape);
  checkNumberValue(value, 'value');
  const options = checkOptions<TensorOptions>(opts, 'options', TENSOR_OPTIONS);
  return fromHost(hostFloats(numelOf(dims), 'full').fill(value), dims, options);
}

/** A tensor of ones. */
export function ones(shape: readonly number[], opts?: TensorOptions): Tensor {
  return full(shape, 1, opts);
}

/** Options of {@link randn}: the device and autograd flags plus the distribution and seed. */
export interface RandnOptions extends TensorOptions {
  /** Seed for a reproducible draw; the same seed gives the same values on every device. */
  seed?: number;
  /** Mean of the distribution. Default 0. */
  mean?: number;
  /** Standard deviation of the distribution. Default 1. */
  std?: number;
}

/**
 * Normal samples (mean 0, std 1 unless given).
 * @throws TypeError for a bad shape, unknown options, a non-integer seed or a non-number
 *   mean/std; RangeError for a negative seed, a non-finite mean or a negative or non-finite std.
 */
export function randn(shape: readonly number[], opts?: RandnOptions): Tensor {
  const dims = shapeArg(shape);
  const options = checkOptions<RandnOptions>(opts, 'options', [...TENSOR_OPTIONS, 'seed', 'mean', 'std']);
  const seed = options.seed === undefined ? undefined : checkSeed(options.seed, 'options.seed');
  const mean = checkNumber(options.mean, 'options.mean', {}, 0);
  const std = checkNumber(options.std, 'options.std', { min: 0 }, 1);
  const { device, requiresGrad } = creation(options);
  return new Tensor(native.fromArray(device, normalSamples(numelOf(dims), seed, mean, std)), dims, requiresGrad);
}

/** @internal Wraps a storage produced by an op. */
export function wrap(storage: Storage, shape: readonly number[]): Tensor {
  return new Tensor(storage, shape);
}

/** A tensor, or arrays and objects holding tensors (other values are ignored). */
export type TensorContainer = Tensor | TensorContainer[] | { [key: string]: unknown } | null | undefined;

function collect(result: unknown, into: Set<Tensor>): void {
  if (result instanceof Tensor) into.add(result);
  else if (Array.isArray(result)) result.forEach((r) => collect(r, into));
  else if (result && typeof result === 'object' && !ArrayBuffer.isView(result)) {
    Object.values(result).forEach((r) => collect(r, into));
  }
}

/**
 * Runs fn and disposes every tensor it created except those it returns (in a tensor, array or
 * object) and those passed to `keep`. Nested scopes hand their results to the enclosing one.
 * When fn throws, every tensor it created (and did not `keep`) is disposed, then the error
 * propagates.
 */
export function tidy<T>(fn: () => T): T {
  checkFunction(fn, 'fn');
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) throw typeError('fn', 'a synchronous function', 'one that returned a Promise');
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  const kept = new Set<Tensor>();
  collect(result, kept);
  for (const t of scope) {
    if (kept.has(t)) scopes[scopes.length - 1]?.add(t);
    else t.dispose();
  }
  return result;
}

/** Exempts a tensor from disposal by the enclosing tidy scopes. */
export function keep<T extends Tensor>(t: T): T {
  if (!(t instanceof Tensor)) throw typeError('t', 'a Tensor', describe(t));
  for (const scope of scopes) scope.delete(t);
  return t;
}

/** Disposes tensors (a tensor, or arrays/objects of them). */
export function dispose(x: TensorContainer): void {
  const all = new Set<Tensor>();
  collect(x, all);
  all.forEach((t) => t.dispose());
}

/** What a device's caches hold, as reported by {@link memory}. */
export interface CacheMemory {
  /** Bytes held by the caches (CPU; 0 for CUDA, whose cuFFT plans hold device memory cuFFT does not report). */
  bytes: number;
  /** Cached items (plans and tables, freed blocks). */
  entries: number;
  /** Items dropped so far to stay within the limit: a count that keeps growing means the working set is larger than the limit. */
  evictions: number;
  /** The byte limit (CPU: see setCacheLimit), or null where the bound is a count. */
  limitBytes: number | null;
  /** The most entries held (CUDA: 256 cuFFT plans), or null where the bound is bytes. */
  limitEntries: number | null;
}

/** Memory in use on one device, as reported by {@link memory}. */
export interface DeviceMemory {
  /** Live (not disposed) tensors, in this process (worker threads included). A tensor collected by the GC without dispose() leaves the count in that collection, as its bytes do. */
  tensors: number;
  /**
   * Buffers the garbage collector has freed because their tensor was never disposed, since the
   * process started (a count that grows with each step of a loop points at a missing dispose()).
   */
  collected: number;
  /** Bytes held by live native buffers: tensors, what the autograd graph saved, kernels' work buffers in use. */
  bytes: number;
  /** Live native buffers (the blocks behind `bytes`). */
  allocations: number;
  /** Bytes held by the device's caching allocator: live blocks plus freed blocks kept for reuse. */
  reservedBytes: number;
  /**
   * The caches, bounded by a byte limit and released by lc.emptyCache(). CPU: FFT/DFT plans
   * (twiddles, Bluestein tables) and the allocator's freed blocks (work buffers included).
   * CUDA: cuFFT plans and their work areas.
   */
  caches: CacheMemory;
}

/**
 * Live tensors, bytes and caches per device (zeros for CUDA without a GPU). A tensor's memory
 * is freed by dispose() at once, or by the garbage collector when a tensor that was never
 * disposed is collected (V8 is told the native bytes, so memory pressure triggers it).
 */
export function memory(): {
  /** Host memory. */
  cpu: DeviceMemory;
  /** Device memory (zeros without a GPU). */
  cuda: DeviceMemory;
} {
  const stats = native.memoryStats();
  const device = (d: Device): DeviceMemory => ({
    tensors: stats[d].tensors,
    collected: stats[d].collected,
    bytes: stats[d].bytes,
    allocations: stats[d].allocations,
    reservedBytes: stats[d].reservedBytes,
    caches: { ...stats[d].caches },
  });
  return { cpu: device('cpu'), cuda: device('cuda') };
}
