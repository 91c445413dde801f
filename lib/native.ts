// Loads the native addon (prebuilt binary or local build) and types its functions.
// The binding is thin: shapes and devices are validated by the callers in lib/.
import * as path from 'path';

/** A flat float32 buffer owned by the native side. */
export interface Storage {
  readonly numel: number;
  readonly device: 'cpu' | 'cuda';
  readonly disposed: boolean;
  dispose(): void;
}

export type Maybe<T> = T | null;

/**
 * The addon's functions. Each op file adds the typings of its own bindings to this interface
 * (declaration merging: `declare module '../native' { interface NativeBinding { ... } }`).
 */
export interface NativeBinding {
  alloc(device: string, numel: number, zero: boolean): Storage;
  fromArray(device: string, data: Float32Array): Storage;
  toArray(storage: Storage, numel: number): Float32Array;
  copyTo(storage: Storage, device: string): Storage;
  copyInto(dst: Storage, src: Storage): void;
  backendInfo(): {
    cpu: { threads: number };
    cuda: {
      available: boolean;
      reason?: string;
      runtimeVersion?: string;
      driverVersion?: string;
      device?: string;
      computeCapability?: string;
      memoryBytes?: number;
      cufftVersion?: number;
      cufftPath?: string;
      cublasAvailable?: boolean;
      cublasPath?: string;
      cublasVersion?: number;
      cublasReason?: string;
      peakBandwidthBytesPerSecond?: number;
    };
  };
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
// LONGCONV_BUILD_DIR points at another cmake-js/node-gyp output folder (development builds).
function load(): NativeBinding {
  const dir = process.env.LONGCONV_BUILD_DIR;
  if (dir) return require(path.resolve(dir, 'Release', 'longconv.node'));
  return require('node-gyp-build')(path.join(__dirname, '..'));
}

export const native: NativeBinding = load();
