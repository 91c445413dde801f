// Real FFTs of any length along the last axis (numpy.fft.rfft / irfft), with their backward.
// Kernels: native/rfft_cpu.cc and cuda/rfft.cu, both behind native/rfft.h.
import { record } from '../autograd';
import { native, Storage } from '../native';
import { numelOf, Tensor, wrap } from '../tensor';
import { checkMinRank, checkNonEmpty, checkPositiveInt, checkTensor, fmtShape, rangeError } from '../validate';

/** @internal The typings of this file's native bindings (kept out of the published .d.ts). */
declare module '../native' {
  interface NativeBinding {
    /** x [rows, L] -> out [rows, bins, 2]; adjoint: the gradient of irfft (native/rfft.h). */
    rfft(args: { x: Storage; rows: number; L: number; n: number; bins: number; adjoint: boolean }): { out: Storage };
    /** X [rows, m, 2] -> out [rows, len]; adjoint: the gradient of rfft (native/rfft.h). */
    irfft(args: { X: Storage; rows: number; m: number; n: number; len: number; adjoint: boolean }): { out: Storage };
  }
}

/**
 * Real-input FFT along the last axis, as numpy.fft.rfft(x, n): the input is zero-padded or
 * truncated to n samples, and the floor(n/2)+1 bins X_k = sum_j x_j exp(-2 pi i jk/n) are
 * returned as complex numbers (last dimension: re, im). Any length n; no normalisation.
 * Differentiable in x.
 *
 * @param x real input [..., L], on the CPU or CUDA
 * @param n transform length (default L), a positive integer
 * @returns [..., floor(n/2)+1, 2] on the device of x
 * @throws TypeError for a non-tensor, a disposed tensor or a non-integer n; RangeError for
 *   rank 0, a zero-sized dimension or n < 1.
 */
export function rfft(x: Tensor, n?: number): Tensor {
  checkTensor(x, 'x');
  checkMinRank(x, 'x', 1, '...,L');
  checkNonEmpty(x, 'x');
  const L = x.shape[x.shape.length - 1];
  const length = n === undefined ? L : checkPositiveInt(n, 'n');
  const lead = x.shape.slice(0, -1);
  const rows = numelOf(lead);
  const bins = Math.floor(length / 2) + 1;
  const y = wrap(native.rfft({ x: x.storage, rows, L, n: length, bins, adjoint: false }).out, [...lead, bins, 2]);
  return record(y, 'rfft', [x], (dy) => [
    wrap(native.irfft({ X: dy.storage, rows, m: bins, n: length, len: L, adjoint: true }).out, x.shape),
  ]);
}

/**
 * Inverse of rfft, as numpy.fft.irfft(X, n): the real length-n signal whose half spectrum is
 * X, x_j = (1/n) sum_k c_k Re(X_k exp(2 pi i jk/n)) over the first floor(n/2)+1 bins (c_k = 1
 * for the DC bin and, for even n, the Nyquist bin; 2 otherwise). X is truncated or
 * zero-padded to floor(n/2)+1 bins, and the imaginary parts of the DC and Nyquist bins are
 * ignored. Any length n. Differentiable in X (gradient dL/dRe + i dL/dIm, as in PyTorch).
 *
 * @param X complex input [..., m, 2] (last dimension: re, im), on the CPU or CUDA
 * @param n output length, a positive integer
 * @returns [..., n] on the device of X
 * @throws TypeError for a non-tensor, a disposed tensor or a missing or non-integer n;
 *   RangeError for rank < 2, a last dimension other than 2, a zero-sized dimension or n < 1.
 */
export function irfft(X: Tensor, n: number): Tensor {
  checkTensor(X, 'X');
  checkMinRank(X, 'X', 2, '...,m,2');
  checkNonEmpty(X, 'X');
  if (X.shape[X.shape.length - 1] !== 2) throw rangeError('X', 'a last dimension of 2 (re, im) in [...,m,2]', `shape ${fmtShape(X.shape)}`);
  const length = checkPositiveInt(n, 'n');
  const m = X.shape[X.shape.length - 2];
  const lead = X.shape.slice(0, -2);
  const rows = numelOf(lead);
  const y = wrap(native.irfft({ X: X.storage, rows, m, n: length, len: length, adjoint: false }).out, [...lead, length]);
  return record(y, 'irfft', [X], (dy) => [
    wrap(native.rfft({ x: dy.storage, rows, L: length, n: length, bins: m, adjoint: true }).out, X.shape),
  ]);
}
