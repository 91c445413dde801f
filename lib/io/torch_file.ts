// Reading PyTorch files: the zip archives torch.save writes since PyTorch 1.6 (`<name>/data.pkl`,
// `<name>/data/<key>` storages, `<name>/byteorder`) through the restricted unpickler, and
// safetensors files of any numeric dtype. Tensors come back as float32 host arrays in row-major
// order (strides, storage offsets and shared storages resolved; complex as [..., 2]).
import * as fs from 'fs';
import { unzipSync } from 'fflate';
import { decodeElements, DType, DTYPES } from './dtypes';
import { AllowedGlobal, GlobalHandler, kind, PickleTuple, PickleValue, unpickle } from './pickle';
import { readRegularFile } from './files';
import { parseSafetensors } from './safetensors';

/** Thrown for a file that is not a readable PyTorch checkpoint (format, truncation, storages). */
export class CheckpointError extends Error {
  /** Stable code for programmatic checks. */
  readonly code = 'ERR_LONGCONV_CHECKPOINT';
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** A tensor read from a PyTorch file: its element type and shape, values widened to float32. */
export interface HostTensor {
  /** The stored element type. */
  dtype: DType;
  /** The shape (a complex tensor's has a trailing 2, as torch.view_as_real). */
  shape: number[];
  /** The values, row-major. */
  data: Float32Array;
}

/** A storage named by a torch.save persistent id; its bytes are the zip entry `data/<key>`. */
class StorageRef {
  constructor(readonly key: string, readonly dtype: DType, readonly numel: number) {}
}

/** What _rebuild_tensor_v2 describes: a strided view of a storage (resolved after unpickling). */
class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}

const STORAGE_TYPES: Record<string, DType> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
  ComplexFloatStorage: 'C64', ComplexDoubleStorage: 'C128',
};

function intArg(v: PickleValue, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${what}: expected a non-negative int, got ${kind(v)}`);
  return v;
}

function intTuple(v: PickleValue, what: string): number[] {
  if (!Array.isArray(v) || !Object.isFrozen(v)) throw new Error(`${what}: expected a tuple of ints, got ${kind(v)}`);
  return (v as PickleValue[]).map((x, i) => intArg(x, `${what}[${i}]`));
}

function isEmpty(v: PickleValue): boolean {
  return v === null || (v instanceof Map && v.size === 0) || (Array.isArray(v) && v.length === 0);
}

function expectEmpty(v: PickleValue, what: string): void {
  if (!isEmpty(v)) throw new Error(`${what} must be empty (hooks and Python attributes are code), got ${kind(v)}`);
}

function rebuildTensor(args: PickleTuple, minArgs: number, maxArgs: number): TensorRef {
  if (args.length < minArgs || args.length > maxArgs) throw new Error(`expected ${minArgs}..${maxArgs} arguments, got ${args.length}`);
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw new Error(`expected a storage as the first argument, got ${kind(storage)}`);
  const shape = intTuple(size, 'size'), strides = intTuple(stride, 'stride');
  if (shape.length !== strides.length) throw new Error(`size ${JSON.stringify(shape)} and stride ${JSON.stringify(strides)} differ in length`);
  if (args.length > 5) expectEmpty(args[5], 'backward_hooks');
  if (args.length > 6) expectEmpty(args[6], 'metadata');
  return new TensorRef(storage, intArg(offset, 'storage_offset'), shape, strides);
}

function tensorArg(v: PickleValue): TensorRef {
  if (!(v instanceof TensorRef)) throw new Error(`expected a tensor, got ${kind(v)}`);
  return v;
}

/** The globals a state dict or a Lightning checkpoint may name, and what each does. */
const ALLOWED_GLOBALS: ReadonlyMap<string, GlobalHandler> = new Map<string, GlobalHandler>([
  ['collections.OrderedDict', {
    call: (args) => {
      if (args.length === 0) return new Map();
      throw new Error('only OrderedDict() without arguments is accepted');
    },
  }],
  ['torch._utils._rebuild_tensor', { call: (args) => rebuildTensor(args, 4, 4) }],
  ['torch._utils._rebuild_tensor_v2', { call: (args) => rebuildTensor(args, 6, 7) }],
  ['torch._utils._rebuild_parameter', {
    call: ([data, , hooks, ...rest]) => {
      if (rest.length) throw new Error('expected 3 arguments');
      expectEmpty(hooks ?? null, 'backward_hooks');
      return tensorArg(data);
    },
  }],
  ['torch._utils._rebuild_parameter_with_state', {
    call: ([data, , hooks, state]) => {
      expectEmpty(hooks ?? null, 'backward_hooks');
      expectEmpty(state ?? null, 'state');
      return tensorArg(data);
    },
  }],
  ['torch._utils._rebuild_from_type_v2', {
    call: ([func, type, args, state]) => {
      if (!(func instanceof AllowedGlobal) || !func.handler.call || !func.name.startsWith('torch._utils._rebuild_')) throw new Error(`expected a tensor rebuild function, got ${kind(func)}`);
      if (!(type instanceof AllowedGlobal) || !['torch._tensor.Tensor', 'torch.nn.parameter.Parameter'].includes(type.name)) throw new Error(`expected the Tensor or Parameter type, got ${kind(type)}`);
      expectEmpty(state ?? null, 'state');
      if (!Array.isArray(args) || !Object.isFrozen(args)) throw new Error(`expected an argument tuple, got ${kind(args)}`);
      return tensorArg(func.handler.call(args as PickleTuple));
    },
  }],
  // Markers only (nothing to call): the tensor types above and the storage classes of persistent ids.
  ['torch._tensor.Tensor', {}],
  ['torch.nn.parameter.Parameter', {}],
  ...Object.keys(STORAGE_TYPES).map((name): [string, GlobalHandler] => [`torch.${name}`, {}]),
  // Lightning keeps hyper-parameters in a dict subclass; it unpickles as a dict.
  ...['pytorch_lightning.utilities.parsing.AttributeDict', 'lightning.fabric.utilities.data.AttributeDict', 'lightning_fabric.utilities.data.AttributeDict']
    .map((name): [string, GlobalHandler] => [name, { create: () => new Map(), build: (_, state) => expectEmpty(state, 'its attributes') }]),
]);

/** What {@link readPyTorchFile} returns: the file's top-level value with tensors resolved. */
export interface PyTorchFile {
  /** 'safetensors' or 'torch' (a torch.save zip, .pt/.pth/.ckpt). */
  format: 'safetensors' | 'torch';
  /** The unpickled top-level value (for safetensors: a Map of name → HostTensor); tensors are HostTensor. */
  value: PickleValue | HostTensor;
}

/**
 * Reads a safetensors file or a torch.save zip archive (format told by its bytes, not its name).
 * @throws CheckpointError for another format, a truncated or corrupt archive, missing or short
 *   storages; UnpicklingError for a pickle that is malformed or names a global outside the
 *   allow-list; file-system errors as thrown.
 */
export function readPyTorchFile(path: string): PyTorchFile {
  const stat = fs.statSync(path);
  if (!stat.isFile()) throw new CheckpointError(`'${path}' is not a regular file`);
  const file = readRegularFile(path); // opened without blocking: it may have been swapped since

  if (file.length >= 4 && file.readUInt32LE(0) === 0x04034b50) return { format: 'torch', value: readTorchZip(file, path) };
  if (file.length >= 9 && file[8] === 0x7b) { // '{' after the 8-byte header length
    const { entries } = parseSafetensors(file, path, Object.keys(DTYPES) as DType[], 'loadPyTorch', (m) => new CheckpointError(m));
    return { format: 'safetensors', value: new Map(entries.map((e) => [e.name, { dtype: e.dtype, shape: e.shape, data: e.data }])) };
  }
  if (file.length >= 2 && file[0] === 0x80 && file[1] <= 5) {
    throw new CheckpointError(`'${path}' is a torch.save file in the legacy format of PyTorch < 1.6; re-save it with a current PyTorch (torch.save(torch.load(f), f)) or as safetensors`);
  }
  throw new CheckpointError(`'${path}' is neither a safetensors file nor a torch.save zip archive (.pt/.pth/.ckpt); it begins with bytes ${[...file.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
}

function readTorchZip(file: Buffer, path: string): PickleValue {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(new Uint8Array(file.buffer, file.byteOffset, file.length));
  } catch (e) {
    throw new CheckpointError(`'${path}' is not a readable zip archive (truncated or corrupt?): ${(e as Error).message}`);
  }
  const names = Object.keys(entries);
  const pickles = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (names.some((n) => /^[^/]+\/constants\.pkl$/.test(n)) && pickles.length === 0) {
    throw new CheckpointError(`'${path}' is a TorchScript archive (torch.jit.save); save the model's state_dict() with torch.save instead`);
  }
  if (pickles.length !== 1) throw new CheckpointError(`'${path}' is a zip archive but not a torch.save file: expected one '<name>/data.pkl', found ${pickles.length}`);
  const root = pickles[0].slice(0, -'data.pkl'.length);
  const byteorder = entries[`${root}byteorder`];
  const order = byteorder ? new TextDecoder().decode(byteorder).trim() : 'little';
  if (order !== 'little' && order !== 'big') throw new CheckpointError(`'${path}': unknown byteorder '${order}'`);
  const storages = new Map<string, StorageRef>();
  const value = unpickle(entries[pickles[0]], {
    globals: ALLOWED_GLOBALS,
    source: `'${path}' (${pickles[0]})`,
    persistentLoad: (pid) => {
      const [tag, type, key, , numel] = Array.isArray(pid) ? (pid as PickleValue[]) : [];
      if (tag !== 'storage' || !(type instanceof AllowedGlobal) || typeof key !== 'string' || typeof numel !== 'number') {
        throw new CheckpointError(`'${path}': unexpected persistent id ${kind(pid)} (expected ('storage', type, key, location, numel))`);
      }
      const dtype = STORAGE_TYPES[type.name.replace(/^torch\./, '')];
      if (!dtype || !type.name.startsWith('torch.')) throw new CheckpointError(`'${path}': '${type.name}' is not a storage type`);
      const known = storages.get(key);
      if (known) return known;
      const ref = new StorageRef(key, dtype, intArg(numel, 'numel'));
      storages.set(key, ref);
      return ref;
    },
  });
  // Decode each storage once (tensors may share one), then gather every tensor's elements.
  const decoded = new Map<string, Float32Array>();
  const storageData = (s: StorageRef): Float32Array => {
    let data = decoded.get(s.key);
    if (!data) {
      const name = `${root}data/${s.key}`;
      const bytes = entries[name];
      if (!bytes) throw new CheckpointError(`'${path}': the storage '${name}' is missing from the archive`);
      const need = s.numel * DTYPES[s.dtype].bytes;
      if (bytes.length < need) throw new CheckpointError(`'${path}': the storage '${name}' has ${bytes.length} bytes, fewer than the ${need} of its ${s.numel} ${s.dtype} elements (truncated?)`);
      data = decodeElements(s.dtype, bytes, s.numel, order === 'little');
      decoded.set(s.key, data);
    }
    return data;
  };
  return resolveTensors(value, (t) => materialize(t, storageData(t.storage), path));
}

/** A copy of `value` with every TensorRef replaced by `resolve(ref)` (containers rebuilt). */
function resolveTensors(value: PickleValue, resolve: (t: TensorRef) => HostTensor): PickleValue {
  const seen = new Map<object, PickleValue>();
  const walk = (v: PickleValue): PickleValue => {
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return seen.get(v)!;
    let out: PickleValue;
    if (v instanceof TensorRef) out = resolve(v);
    else if (v instanceof Map) {
      const map = new Map();
      seen.set(v, map);
      for (const [k, x] of v) map.set(k, walk(x));
      return map;
    } else if (Array.isArray(v)) {
      const list: PickleValue[] = [];
      seen.set(v, list);
      for (const x of v) list.push(walk(x));
      out = Object.isFrozen(v) ? Object.freeze(list) : list;
    } else out = v;
    seen.set(v, out);
    return out;
  };
  return walk(value);
}

/** The row-major float32 values of a strided view of a storage, bounds-checked. */
function materialize(t: TensorRef, storage: Float32Array, path: string): HostTensor {
  const { parts } = DTYPES[t.storage.dtype];
  const numel = t.shape.reduce((a, b) => a * b, 1);
  let last = t.offset;
  for (let d = 0; d < t.shape.length; d++) if (t.shape[d] > 0) last += (t.shape[d] - 1) * t.stride[d];
  if (numel > 0 && last >= t.storage.numel) {
    throw new CheckpointError(`'${path}': a tensor of shape [${t.shape}] (offset ${t.offset}, stride [${t.stride}]) reads element ${last} of a storage of ${t.storage.numel}`);
  }
  if (numel * parts > 2 ** 31 - 1) throw new CheckpointError(`'${path}': a tensor of shape [${t.shape}] is too large to load`);
  const data = new Float32Array(numel * parts);
  const index = new Array<number>(t.shape.length).fill(0);
  for (let i = 0; i < numel; i++) {
    let at = t.offset;
    for (let d = 0; d < index.length; d++) at += index[d] * t.stride[d];
    for (let p = 0; p < parts; p++) data[i * parts + p] = storage[at * parts + p];
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  return { dtype: t.storage.dtype, shape: parts === 2 ? [...t.shape, 2] : [...t.shape], data };
}

/** Whether a value read from a file is a tensor. */
export function isHostTensor(v: unknown): v is HostTensor {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && (v as HostTensor).data instanceof Float32Array && Array.isArray((v as HostTensor).shape);
}
