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

type Maybe<T> = T | null;

export interface NativeBinding {
  alloc(device: string, numel: number, zero: boolean): Storage;
  fromArray(device: string, data: Float32Array): Storage;
  toArray(storage: Storage, numel: number): Float32Array;
  copyTo(storage: Storage, device: string): Storage;
  backendInfo(): {
    cpu: { threads: number };
    cuda: {
      available: boolean;
      reason?: string;
      device?: string;
      computeCapability?: string;
      memoryBytes?: number;
      cufftVersion?: number;
      cufftPath?: string;
    };
  };
  memoryStats(): {
    cpu: { bytes: number; allocations: number; reservedBytes: number };
    cuda: { bytes: number; reservedBytes: number; allocations: number };
  };
  emptyCache(): void;
  setNumThreads(n: number): void;
  numThreads(): number;
  add(a: Storage, b: Storage, out: Storage, n: number): void;
  fftconvSize(L: number): number;
  fftconvKernelSpectrum(k: Storage, kRev: Maybe<Storage>, D: Maybe<Storage>, C: number, H: number, L: number): Storage;
  fftconvForward(u: Storage, Kf: Storage, B: number, C: number, H: number, L: number, saveUf: boolean): [Storage, Maybe<Storage>];
  fftconvBackward(
    dy: Storage, Kf: Storage, Uf: Maybe<Storage>, B: number, C: number, H: number, L: number,
    needDu: boolean, needDk: boolean, needDkRev: boolean, needDD: boolean,
  ): [Maybe<Storage>, Maybe<Storage>, Maybe<Storage>, Maybe<Storage>];
}

// The package root holds build/ and prebuilds/; this file runs from lib/ (ts-jest) or dist/.
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const native: NativeBinding = require('node-gyp-build')(path.join(__dirname, '..'));
