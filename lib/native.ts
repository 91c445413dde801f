// Loads the native addon (prebuilt binary or local build) and types its functions.
// The binding is thin: shapes and devices are validated by the callers in lib/.
import * as path from 'path';
import type { BackendInfo } from './backend';

/** A flat float32 buffer owned by the native side. */
export interface Storage {
  readonly numel: number;
  readonly device: 'cpu' | 'cuda';
  readonly disposed: boolean;
  /** Whether a live (not disposed) Tensor stands for this storage: counted in memoryStats().tensors until it is set false or the GC collects the storage. */
  countsAsTensor: boolean;
  dispose(): void;
}

export type Maybe<T> = T | null;

/** What a device's caches hold (see lc.memory()). */
export interface CacheStats {
  bytes: number;
  entries: number;
  evictions: number;
  limitBytes: number | null;
  limitEntries: number | null;
}

/** Names of the binary op codes (native/elementwise.h's LC_BINARY_OPS). */
export type BinaryOpName =
  | 'add' | 'sub' | 'mul' | 'div' | 'geluGrad' | 'sigmoidGrad' | 'tanhGrad' | 'reluGrad' | 'softplusGrad'
  | 'cmul' | 'cdiv' | 'cmulConj' | 'cdivConj';
/** Names of the unary op codes (native/elementwise.h's LC_UNARY_OPS). */
export type UnaryOpName =
  | 'affine' | 'exp' | 'log' | 'sqrt' | 'square' | 'gelu' | 'sigmoid' | 'tanh' | 'relu' | 'softplus'
  | 'cexp' | 'clog' | 'conj' | 'cexpm1';
/** Names of the GEMM bias placements (native/gemm.h's LC_GEMM_BIAS). */
export type GemmBiasName = 'none' | 'rows' | 'cols';

/**
 * The codes that kernel bindings take as `op`, exported by the addon from its X-macro lists, so
 * no number is written twice (test/opcodes.test.ts ties these names to the C++ lists).
 */
export interface OpCodes {
  readonly binary: Readonly<Record<BinaryOpName, number>>;
  readonly unary: Readonly<Record<UnaryOpName, number>>;
  readonly gemmBias: Readonly<Record<GemmBiasName, number>>;
}

/**
 * @internal The addon's functions. Each op file adds the typings of its own bindings to this interface
 * (declaration merging: `declare module '../native' { interface NativeBinding { ... } }`).
 * Kernel bindings take one object of named arguments and return one object of named outputs
 * (null where an output was not asked for); only the hot elementwise kernels (ops/primitives.ts)
 * take positional arguments.
 */
export interface NativeBinding {
  /** The class of the native buffers (for instanceof). */
  Storage: abstract new () => Storage;
  readonly opCodes: OpCodes;
  alloc(device: string, numel: number, zero: boolean): Storage;
  fromArray(device: string, data: Float32Array): Storage;
  /** Copies the first dst.length floats of the storage into dst. */
  readInto(storage: Storage, dst: Float32Array): void;
  /** readInto off the event loop: on CUDA queued behind earlier work, waited for on a worker thread. */
  readIntoAsync(storage: Storage, dst: Float32Array): Promise<void>;
  copyTo(storage: Storage, device: string): Storage;
  copyInto(dst: Storage, src: Storage): void;
  /** What backendInfo() reports, but for the addon's own path (lib/backend.ts adds it). */
  backendInfo(): Omit<BackendInfo, 'addon'>;
  memoryStats(): {
    cpu: { tensors: number; collected: number; bytes: number; allocations: number; reservedBytes: number; caches: CacheStats };
    cuda: { tensors: number; collected: number; bytes: number; reservedBytes: number; allocations: number; caches: CacheStats };
  };
  emptyCache(): void;
  setCacheLimit(bytes: number): void;
  /** For the tests: the n-th native allocation from now fails as out of memory (0: off). */
  failAllocationAfter(n: number): void;
  numThreadsEnvWarning(): string;
  synchronize(): void;
  setNumThreads(n: number): void;
  numThreads(): number;
}

// The package root holds build/ and prebuilds/; this file runs from lib/ (ts-jest) or dist/.
// LONGCONV_BUILD_DIR points at another cmake-js output folder (development builds).
function addonFile(): string {
  const dir = process.env.LONGCONV_BUILD_DIR;
  if (dir) return path.resolve(dir, 'Release', 'longconv.node');
  return require('node-gyp-build').path(path.join(__dirname, '..'));
}

/** @internal The file of the loaded addon (a prebuilt binary or a local build). */
export const addonPath: string = addonFile();

/** @internal The loaded addon. */
export const native: NativeBinding = require(addonPath);
