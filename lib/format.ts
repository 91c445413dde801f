// How a tensor prints (console.log, util.inspect, String(t)), as PyTorch prints one:
//
//   tensor([[ 0.1000, -1.2000,  3.0000],
//           [ 4.0000,  5.5000, -6.0000]], shape=[2,3], device='cpu', requiresGrad=true)
//
// Values share one format: integers as `3.`, fixed-point with 4 decimals, or scientific when
// the magnitudes span more than 1000x (or leave [1e-4, 1e8]). Tensors of more than 1000
// elements are summarised: 3 entries from each end of every long axis, `...` between; only
// those entries are read from the device.
import { noGrad } from './autograd';
import { concat, narrow } from './ops/shape';
import { Tensor, tidy } from './tensor';
import { fmtShape } from './validate';

const SUMMARY_THRESHOLD = 1000; // elements above which a tensor is summarised
const EDGE_ITEMS = 3; // entries kept from each end of a summarised axis
const PRECISION = 4; // digits after the point
const LINE_WIDTH = 80; // the last axis wraps at this width

/** The entries printed: all of them, or each long axis cut to its two ends. */
function printedValues(t: Tensor, summarise: boolean): Float32Array {
  if (!summarise) return t.toFloat32Array();
  return tidy(() =>
    noGrad(() => {
      let x = t;
      t.shape.forEach((size, axis) => {
        if (size > 2 * EDGE_ITEMS) x = concat([narrow(x, axis, 0, EDGE_ITEMS), narrow(x, axis, size - EDGE_ITEMS, EDGE_ITEMS)], axis);
      });
      return x.toFloat32Array();
    }),
  );
}

/** One formatter for every entry, chosen from the finite values (PyTorch's rules). */
function numberFormat(values: Float32Array): (v: number) => string {
  const finite = Array.from(values).filter(Number.isFinite);
  const magnitudes = finite.map(Math.abs).filter((a) => a > 0);
  const maxAbs = magnitudes.reduce((m, a) => Math.max(m, a), 0);
  const minAbs = magnitudes.reduce((m, a) => Math.min(m, a), Infinity);
  const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  const scientific = (v: number) => v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2');
  let fmt: (v: number) => string;
  if (finite.every(Number.isInteger)) fmt = maxAbs > 1e8 ? scientific : (v) => `${v}.`;
  else if (maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4) fmt = scientific;
  else fmt = (v) => v.toFixed(PRECISION);
  return (v) => (Number.isFinite(v) ? fmt(v) : special(v));
}

/** The values of `t` in PyTorch's layout (without the `tensor(` and the suffix). */
function formatValues(t: Tensor, indent: number): string {
  const shape = t.shape;
  if (shape.length === 0) return numberFormat(t.toFloat32Array())(t.toFloat32Array()[0]);
  if (t.size === 0) return '[]';
  const summarise = t.size > SUMMARY_THRESHOLD;
  const values = printedValues(t, summarise);
  const format = numberFormat(values);
  const texts = Array.from(values, format);
  const width = texts.reduce((w, s) => Math.max(w, s.length), 0);
  const cut = (size: number) => summarise && size > 2 * EDGE_ITEMS;
  // The shape of `values`, and the row-major strides into it.
  const kept = shape.map((size) => (cut(size) ? 2 * EDGE_ITEMS : size));
  const strides = kept.map((_, i) => kept.slice(i + 1).reduce((a, b) => a * b, 1));

  // The printed positions along an axis: every index, or the two ends around a null (`...`).
  const positions = (axis: number): (number | null)[] =>
    cut(shape[axis]) ? [...Array.from({ length: EDGE_ITEMS }, (_, i) => i), null, ...Array.from({ length: EDGE_ITEMS }, (_, i) => EDGE_ITEMS + i)] : Array.from({ length: shape[axis] }, (_, i) => i);

  const block = (axis: number, offset: number, column: number): string => {
    if (axis === shape.length - 1) {
      const items = positions(axis).map((p) => (p === null ? '...' : texts[offset + p].padStart(width)));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - column) / (width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return `[${lines.join(`,\n${' '.repeat(column + 1)}`)}]`;
    }
    const separator = `,${'\n'.repeat(shape.length - axis - 1)}${' '.repeat(column + 1)}`;
    const parts = positions(axis).map((p) => (p === null ? '...' : block(axis + 1, offset + p * strides[axis], column + 1)));
    return `[${parts.join(separator)}]`;
  };
  return block(0, 0, indent);
}

/** `tensor(values, shape=[..], device='..'[, requiresGrad=true][, gradFn='op'])`. */
export function formatTensor(t: Tensor): string {
  const suffix = [`shape=${fmtShape(t.shape)}`, `device='${t.device}'`];
  if (t.requiresGrad) suffix.push('requiresGrad=true');
  if (t.gradNode) suffix.push(`gradFn='${t.gradNode.op}'`);
  const values = t.isDisposed ? '<disposed>' : formatValues(t, 'tensor('.length);
  return `tensor(${values}, ${suffix.join(', ')})`;
}
