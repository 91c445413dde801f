// Loads the native addon (prebuilt binary or local build) and types its functions.
// The binding is thin: shapes and devices are validated by the callers in lib/.
import * as path from 'path';
import type { BackendInfo } from './backend';

/** A flat float32 buffer owned by the native side. */
export interface Storage {
  readonly numel: number;
  readonly device: 'cpu' | 'cuda';
  readonly disposed: boolean;
  dispose(): void;
}

export type Maybe<T> = T | null;

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
  readonly opCodes: OpCodes;
  alloc(device: string, numel: number, zero: boolean): Storage;
  fromArray(device: string, data: Float32Array): Storage;
  toArray(storage: Storage, numel: number): Float32Array;
  copyTo(storage: Storage, device: string): Storage;
  copyInto(dst: Storage, src: Storage): void;
  /** What backendInfo() reports, but for the addon's own path (lib/backend.ts adds it). */
  backendInfo(): Omit<BackendInfo, 'addon'>;
  memoryStats(): {
    cpu: { bytes: number; allocations: number; reservedBytes: number };
    cuda: { bytes: number; reservedBytes: number; allocations: number; fftPlans: number; fftPlanEvictions: number };
  };
  emptyCache(): void;
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
